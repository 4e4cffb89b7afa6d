// Directories: save (config + write-only secrets), list with their work
// counts, verify credentials through the kind's connector.
import {
  directoryConfigSchema,
  secretEndpoint,
  type DirectoryConfig,
  type DirectorySecrets,
  type DirectoryView,
} from '../../src-preload/directory.ts';
import type { VerifyResult } from '../../src-preload/contract/directories.ts';
import { AppError, notFound } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { DirectoriesRepo, DirectoryRecord } from '../store/directories.ts';
import type { Vault } from '../secrets/vault.ts';
import type { EventBus } from '../events/bus.ts';
import { ConnectorError, type Connector } from '../connectors/connector.ts';
import { nowIso } from '../store/db.ts';
import { forgetAccountLock, saveAccountLock } from '../sync/account-lock.ts';
import { createHash } from 'node:crypto';

export interface DirectoriesServiceDeps {
  db: Db;
  directories: DirectoriesRepo;
  vault: Vault;
  events: EventBus;
  createConnector: (config: DirectoryConfig, secrets: DirectorySecrets) => Connector;
}

const secretOwner = (id: string) => `directory:${id}`;

type VerifyRecord = NonNullable<DirectoryView['lastVerify']>;

/** Settings and secrets as one hash: "was exactly this verified?" without keeping a secret. */
function fingerprint(config: DirectoryConfig, secrets: DirectorySecrets): string {
  const sorted = Object.fromEntries(Object.entries(secrets).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(config)).update('\0').update(JSON.stringify(sorted)).digest('hex');
}

export class DirectoriesService {
  private readonly d: DirectoriesServiceDeps;
  /** Verify results of forms not saved yet (or saved with other settings), by fingerprint:
   * saving exactly what was verified keeps the result instead of showing "Not verified". */
  private readonly formVerified = new Map<string, VerifyRecord>();
  constructor(deps: DirectoriesServiceDeps) {
    this.d = deps;
  }

  list(): DirectoryView[] {
    return this.d.directories.all().map((r) => this.view(r));
  }

  get(id: string): DirectoryView {
    return this.view(this.record(id));
  }

  record(id: string): DirectoryRecord {
    const r = this.d.directories.get(id);
    if (!r) throw notFound('The directory', id);
    return r;
  }

  byName(name: string): DirectoryRecord {
    const r = this.d.directories.byName(name) ?? this.d.directories.get(name);
    if (!r) throw new AppError('not_found', `There is no directory named "${name}".`);
    return r;
  }

  secrets(id: string): DirectorySecrets {
    return this.d.vault.get<DirectorySecrets>(secretOwner(id)) ?? {};
  }

  save(id: string | undefined, raw: DirectoryConfig, secrets: DirectorySecrets): DirectoryView {
    const parsed = directoryConfigSchema.safeParse(raw);
    if (!parsed.success)
      throw new AppError('validation', 'Some fields are not valid.', { fields: parsed.error.issues });
    const config = parsed.data;
    const saved = this.d.db.transaction(() => {
      const same = this.d.directories.byName(config.name);
      if (same && same.id !== id)
        throw new AppError('conflict', `A directory named "${config.name}" already exists.`, { field: 'name' });
      if (id) {
        const existing = this.record(id);
        if (existing.config.kind !== config.kind)
          throw new AppError('validation', 'The kind of a saved directory cannot change; add a new directory instead.');
      }
      const moved = id ? secretEndpoint(this.record(id).config) !== secretEndpoint(config) : false;
      const typed = stripEmpty(secrets);
      if (moved && Object.keys(typed).length === 0 && this.d.vault.has(secretOwner(id!)))
        throw secretRequired(config, 'save');
      // Exactly these settings and secrets verified before saving: the result stays.
      const verified = this.verifiedBeforeSave(config, id && !moved ? id : undefined, typed);
      const rec = id ? this.d.directories.update(id, config) : this.d.directories.insert(config);
      // A secret saved for another server or account is dropped, not merged with the new one.
      if (moved) this.d.vault.delete(secretOwner(rec.id));
      this.d.vault.merge(secretOwner(rec.id), { ...secrets });
      if (verified) this.d.directories.setLastVerify(rec.id, verified);
      return this.record(rec.id);
    });
    this.d.events.emit('app.changed', { what: 'directories' });
    return this.view(saved);
  }

  delete(id: string): void {
    this.d.db.transaction(() => {
      this.record(id);
      this.d.directories.delete(id);
      this.d.vault.delete(secretOwner(id));
      forgetAccountLock(this.d.db, id);
    });
    this.d.events.emit('app.changed', { what: 'directories' });
  }

  /** The result of a Verify of exactly this form, if there was one (a secret that cannot be read: none). */
  private verifiedBeforeSave(config: DirectoryConfig, storedOf: string | undefined, typed: DirectorySecrets) {
    if (this.formVerified.size === 0) return undefined;
    try {
      return this.formVerified.get(fingerprint(config, { ...(storedOf ? this.secrets(storedOf) : {}), ...typed }));
    } catch {
      return undefined;
    }
  }

  /** Connector for a saved directory, with its stored secrets. */
  connector(id: string): Connector {
    const r = this.record(id);
    return this.d.createConnector(r.config, this.secrets(id));
  }

  async verify(input: { id?: string; config?: DirectoryConfig; secrets: DirectorySecrets }, signal?: AbortSignal) {
    const config = input.config ?? (input.id ? this.record(input.id).config : undefined);
    if (!config) throw new AppError('validation', 'Choose a directory or fill in the form to verify.');
    const saved = input.id ? this.d.directories.get(input.id) : undefined;
    // The saved secret goes only to the server and account it was saved for.
    const sameEndpoint = !!saved && (!input.config || secretEndpoint(saved.config) === secretEndpoint(config));
    const typed = stripEmpty(input.secrets);
    const secrets = { ...(sameEndpoint && saved ? this.secrets(saved.id) : {}), ...typed };
    let result: VerifyResult;
    let connector: Connector | undefined;
    try {
      if (saved && !sameEndpoint && Object.keys(typed).length === 0 && this.d.vault.has(secretOwner(saved.id)))
        throw secretRequired(config, 'verify');
      connector = this.d.createConnector(config, secrets);
      result = await connector.verify(signal);
    } catch (err) {
      result = verifyFailure(err);
    } finally {
      await connector?.close().catch(() => undefined);
    }
    const record = {
      at: nowIso(),
      ok: result.ok,
      summary: result.ok ? 'Verified' : (result.error?.message ?? 'Failed'),
    };
    if (saved) {
      // Kept for the change recorder: a disabled user is not queued where it cannot be written.
      const f = result.facts;
      if (typeof f.canHoldDisabled === 'boolean' && typeof f.disabledAccounts === 'string')
        saveAccountLock(this.d.db, saved.id, config, { canHold: f.canHoldDisabled, line: f.disabledAccounts });
    }
    if (saved && (!input.config || fingerprint(input.config, secrets) === fingerprint(saved.config, secrets))) {
      this.d.directories.setLastVerify(saved.id, record);
      this.d.events.emit('app.changed', { what: 'directories' });
    } else {
      if (this.formVerified.size > 50) this.formVerified.clear();
      this.formVerified.set(fingerprint(config, secrets), record);
    }
    return result;
  }

  private view(r: DirectoryRecord): DirectoryView {
    const counts = this.d.db.get<{ pending: number; failed: number }>(
      `SELECT sum(state IN ('pending','running')) AS pending, sum(state = 'failed') AS failed FROM outbox WHERE directory_id = ?`,
      r.id,
    );
    const run = this.d.db.get<{ created: string; kind: string; status: string }>(
      'SELECT created, kind, status FROM import_runs WHERE directory_id = ? ORDER BY created DESC LIMIT 1',
      r.id,
    );
    return {
      id: r.id,
      config: r.config,
      hasSecret: this.d.vault.has(secretOwner(r.id)),
      created: r.created,
      lastModified: r.modified,
      lastVerify: r.lastVerify,
      lastRun: run ? { at: run.created, kind: run.kind, status: run.status } : undefined,
      pending: counts?.pending ?? 0,
      failed: counts?.failed ?? 0,
    };
  }
}

function stripEmpty(s: DirectorySecrets): DirectorySecrets {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined && v !== '')) as DirectorySecrets;
}

function secretRequired(config: DirectoryConfig, action: 'save' | 'verify'): AppError {
  const what = config.kind === 'entra' ? 'client secret or certificate key' : 'bind password';
  const changed =
    config.kind === 'entra' ? 'tenant, client, cloud endpoints or proxy' : 'server URLs, TLS settings or bind account';
  return new AppError(
    'secret_required',
    `The ${changed} differ from the saved ones, so the saved ${what} is not sent there. Enter the ${what} again to ${action}.`,
    { field: 'secrets' },
  );
}

/** A connector that throws instead of reporting still gives a precise result. */
export function verifyFailure(err: unknown): VerifyResult {
  const e =
    err instanceof ConnectorError || err instanceof AppError
      ? { code: err.code, message: err.message, details: err.details }
      : { code: 'unknown', message: 'Verification failed.', details: err instanceof Error ? err.message : String(err) };
  return { ok: false, error: e, steps: [], facts: {}, warnings: [] };
}
