// The sync engine as one service: import (preview / rows / CSV / commit),
// provisioning (outbox worker, retry, on demand), push (preview / apply),
// runs. The bridge, the command line and the bench all call this.
import type {
  CommitResult,
  OnDemandResult,
  OutboxView,
  PlanRow,
  PushApplyResult,
  RowsPage,
  RunSummary,
  TraceStepView,
} from '../../src-preload/contract/sync.ts';
import { AppError } from '../errors.ts';
import type { RowFilter, RowRecord, RunKind } from '../store/runs.ts';
import type { OutboxState } from '../store/outbox.ts';
import type { SyncDeps } from './common.ts';
import { previewImport, rowChanges, summaryOf, SYNC_CACHE_KIB } from './import.ts';
import { importPaths } from './mapping.ts';
import { commitImport } from './commit.ts';
import type { ImportMode } from './delta.ts';
import { applyPush, previewPush } from './push.ts';
import { previewCsv } from './preview-csv.ts';
import { OutboxWorker, type DrainResult, type WorkerOptions } from './worker.ts';
import {
  describeError,
  errorText,
  itemIdentifier,
  upsertUser,
  type ProvisionContext,
  type TraceStep,
} from './provision.ts';

export class SyncService {
  readonly worker: OutboxWorker;
  private readonly d: SyncDeps;

  constructor(deps: SyncDeps, workerOptions: WorkerOptions = {}) {
    this.d = deps;
    // Imports write 100,000s of rows into tables with random-keyed indexes (links, users, reports):
    // SQLite's small default page cache makes each insert a cache miss; a bigger one keeps them in memory.
    deps.db.sqlite.exec(`PRAGMA cache_size = -${SYNC_CACHE_KIB}`);
    this.worker = new OutboxWorker(
      {
        db: deps.db,
        links: deps.repos.links,
        reports: deps.repos.reports,
        outbox: deps.repos.outbox,
        users: deps.repos.users,
        groups: deps.repos.groups,
        cipher: deps.cipher,
        directoryRecord: (id) => deps.repos.directories.get(id),
        connectorFor: (id) => deps.connectorFor(id),
        onChanged: () => deps.events.emit('app.changed', { what: 'outbox' }),
      },
      workerOptions,
    );
  }

  // ----- import

  /** mode 'auto' (default): the changes since the last committed import when possible, else everything. */
  previewImport(directoryId: string, opts: { signal?: AbortSignal; mode?: ImportMode } = {}): Promise<RunSummary> {
    return previewImport(this.d, directoryId, opts);
  }

  commitImport(input: { runId: string; seqs?: number[]; allowDeletes?: boolean }): CommitResult {
    return commitImport(this.d, input);
  }

  run(runId: string): RunSummary {
    return summaryOf(this.d, runId);
  }

  runs(f: { directoryId?: string; kind?: RunKind; limit?: number } = {}): RunSummary[] {
    return this.d.repos.runs.list(f).map((r) => summaryOf(this.d, r.id));
  }

  rows(runId: string, f: RowFilter = {}): RowsPage {
    if (!this.d.repos.runs.get(runId)) throw new AppError('not_found', 'That run was not found.', { runId });
    return {
      total: this.d.repos.runs.countRows(runId, f),
      rows: this.d.repos.runs
        .rows(runId, { ...f, limit: f.limit ?? 200 })
        .map((r) => toPlanRow(r, this.pathsOf(runId))),
    };
  }

  /** The import paths of a run's directory, computed once when a row needs them. */
  private pathsOf(runId: string): () => string[] {
    let paths: string[] | undefined;
    return () => {
      if (!paths) {
        const run = this.d.repos.runs.get(runId);
        const dir = run && this.d.repos.directories.get(run.directoryId);
        paths = dir ? importPaths(dir.config) : [];
      }
      return paths;
    };
  }

  exportCsv(runId: string, f: RowFilter = {}, excluded: readonly number[] = []): { filename: string; csv: string } {
    const run = this.d.repos.runs.get(runId);
    if (!run) throw new AppError('not_found', 'That run was not found.', { runId });
    const paths = this.pathsOf(runId);
    const rows = this.d.repos.runs.rows(runId, { ...f, limit: undefined, offset: undefined });
    return {
      filename: `${run.kind}-${run.created.replace(/[:.]/g, '-')}.csv`,
      csv: previewCsv(
        rows.map((r) => toPlanRow(r, paths)),
        new Set(excluded),
      ),
    };
  }

  // ----- push

  previewPush(directoryId: string): Promise<RunSummary> {
    return previewPush(this.d, directoryId);
  }

  applyPush(input: { runId: string; seqs?: number[]; allowDeletes?: boolean }): PushApplyResult {
    const r = applyPush(this.d, input);
    this.worker.wake();
    return r;
  }

  // ----- provisioning

  outbox(f: { directoryId?: string; states?: OutboxState[]; limit?: number } = {}): OutboxView {
    const names = new Map(this.d.repos.directories.all().map((d) => [d.id, d.config.name]));
    return {
      counts: this.d.repos.outbox.counts(f.directoryId),
      items: this.d.repos.outbox.list(f).map((i) => ({
        id: i.id,
        directoryId: i.directoryId,
        directoryName: names.get(i.directoryId) ?? '',
        objectType: i.objectType,
        localId: i.localId,
        op: i.op,
        identifier: itemIdentifier(i),
        state: i.state,
        attempts: i.attempts,
        nextAttemptAt: i.nextAttemptAt,
        lastError: i.lastError ? lastErrorText(i.lastError) : undefined,
        created: i.created,
        updated: i.updated,
      })),
    };
  }

  retryFailed(f: { directoryId?: string; ids?: number[] } = {}): { queued: number } {
    const queued = this.d.db.transaction(() => {
      const items = this.d.repos.outbox.list({ directoryId: f.directoryId, states: ['failed'], limit: 1_000_000 });
      const want = f.ids ? new Set(f.ids) : undefined;
      for (const i of items)
        if ((!want || want.has(i.id)) && i.objectType !== 'membership')
          this.d.repos.links.setState(i.directoryId, i.objectType, i.localId, 'pending');
      return this.d.repos.outbox.retryFailed(f.directoryId, f.ids);
    });
    this.worker.wake();
    this.d.events.emit('app.changed', { what: 'outbox' });
    return { queued };
  }

  /**
   * Failed items the admin gives up on: removed from the outbox with any password they held, each with a
   * report line. A user being removed whose last refused removal is discarded is forgotten by the app.
   */
  discardFailed(ids: number[]): { discarded: number } {
    const discarded = this.d.db.transaction(() => {
      const items = this.d.repos.outbox.discardFailed(ids);
      for (const i of items) {
        const dir = this.d.repos.directories.get(i.directoryId);
        this.d.repos.reports.add({
          userIdentifier: itemIdentifier(i),
          objectType: i.objectType,
          action:
            i.op.split('.')[1] === 'add' || i.op.split('.')[1] === 'remove'
              ? `${i.op.split('.')[1]} member`
              : i.op.split('.')[1]!,
          application: dir?.config.name ?? '',
          directoryId: i.directoryId,
          status: 'skipped',
          message: 'Discarded by the admin after it failed; nothing more is tried.',
        });
        if (i.op === 'user.delete') this.d.repos.users.purgeRemoved(i.localId, i.id);
      }
      return items.length;
    });
    this.d.events.emit('app.changed', { what: 'outbox' });
    this.d.events.emit('app.changed', { what: 'users' });
    return { discarded };
  }

  /** Runs the outbox until nothing is due (the CLI, tests, bench). */
  drain(opts: { waitMs?: number } = {}): Promise<DrainResult> {
    return this.worker.drain(opts);
  }

  /** One user pushed to one directory now, with the trace of its steps. */
  async provisionOnDemand(userId: string, directoryId: string): Promise<OnDemandResult> {
    const steps: TraceStep[] = [];
    const user = this.d.repos.users.get(userId);
    if (!user) throw new AppError('not_found', 'The user was not found.', { id: userId });
    const dir = this.d.repos.directories.get(directoryId);
    if (!dir) throw new AppError('not_found', 'The directory was not found.', { id: directoryId });
    const t = dir.config.toggles.users;
    const link = this.d.repos.links.get(directoryId, 'user', userId);
    if (!t.create && !(t.edit && link)) {
      steps.push({
        step: 'scope',
        ok: false,
        detail: `User provisioning is off for ${dir.config.name}: turn on "Create users"${link ? ' or "Edit users"' : ''}.`,
      });
      return { ok: false, action: 'skipped', steps: steps as TraceStepView[] };
    }
    steps.push({
      step: 'scope',
      ok: true,
      detail: `${user.userName} is in scope for ${dir.config.name} (${t.create ? 'create' : ''}${t.create && t.edit ? ' and ' : ''}${t.edit ? 'edit' : ''} on).`,
    });
    const connector = this.d.connectorFor(directoryId);
    const ctx: ProvisionContext = {
      db: this.d.db,
      links: this.d.repos.links,
      reports: this.d.repos.reports,
      outbox: this.d.repos.outbox,
      users: this.d.repos.users,
      groups: this.d.repos.groups,
      cipher: this.d.cipher,
      directory: { id: dir.id, config: dir.config },
      connector,
    };
    try {
      const r = await upsertUser(ctx, user, { trace: steps });
      this.d.db.transaction(() => {
        const other = this.d.repos.links.byAnchor(directoryId, 'user', r.remote.anchor);
        if (other && other.localId !== userId) this.d.repos.links.delete(directoryId, 'user', other.localId);
        this.d.repos.links.upsert({
          directoryId,
          objectType: 'user',
          localId: userId,
          anchor: r.remote.anchor,
          ref: r.remote.ref,
          state: 'provisioned',
          reason: null,
          hash: null,
        });
        this.d.repos.reports.add({
          userIdentifier: user.userName,
          objectType: 'user',
          action: r.action === 'none' ? 'provision' : r.action,
          application: dir.config.name,
          directoryId,
          status: r.action === 'none' ? 'skipped' : 'success',
          message: `Provisioned on demand: ${r.remote.ref}.`,
          changes: r.changes,
        });
      });
      steps.push({ step: 'result', ok: true, detail: `Provisioned as ${r.remote.ref}.` });
      this.d.events.emit('app.changed', { what: 'users' });
      return { ok: true, action: r.action, steps: steps as TraceStepView[] };
    } catch (err) {
      const e = describeError(err);
      const text = errorText(e);
      this.d.db.transaction(() => {
        this.d.repos.links.setState(directoryId, 'user', userId, 'failed', text);
        this.d.repos.reports.add({
          userIdentifier: user.userName,
          objectType: 'user',
          action: 'provision',
          application: dir.config.name,
          directoryId,
          status: 'failure',
          message: text,
        });
      });
      steps.push({ step: 'result', ok: false, detail: text });
      return {
        ok: false,
        action: 'none',
        steps: steps as TraceStepView[],
        error: { code: e.code, message: e.message, details: e.server },
      };
    } finally {
      await connector.close().catch(() => undefined);
    }
  }
}

function lastErrorText(raw: string): string {
  try {
    const e = JSON.parse(raw) as { message?: string; server?: string };
    return e.message ? errorText({ message: e.message, server: e.server }) : raw;
  } catch {
    return raw;
  }
}

function toPlanRow(r: RowRecord, paths: () => string[]): PlanRow {
  const data = (r.data ?? {}) as { reason?: string };
  return {
    seq: r.seq,
    objectType: r.objectType,
    action: r.action,
    display: r.display,
    localId: r.localId ?? undefined,
    anchor: r.anchor ?? undefined,
    changes: rowChanges(r, paths) ?? undefined,
    reason: data.reason,
  };
}
