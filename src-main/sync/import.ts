// Import, step 1: read the directory and build a plan without changing the
// store (docs/architecture.md, "Sync"). Rows are kept as an import run: create /
// update (attribute old → new) / unchanged / missing / conflict for users and
// groups, add / remove for memberships. Matching: by link anchor, then by the
// directory's ordered rules; more than one candidate is a conflict.
// A preview reads either everything (full) or only what the directory reports
// changed or deleted since the last committed import (delta; rules in delta.ts).
import { randomUUID } from 'node:crypto';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import type { Progress } from '../../src-preload/contract/app.ts';
import type { BridgeError } from '../../src-preload/contract/channel.ts';
import type { PlanCounts, RunSummary } from '../../src-preload/contract/sync.ts';
import type { Connector, DeltaResult, RemoteGroup, RemoteUser } from '../connectors/connector.ts';
import { ConnectorError } from '../connectors/connector.ts';
import { AppError } from '../errors.ts';
import type { RowRecord } from '../store/runs.ts';
import { applyRemote, diff, importPaths, toRemoteData, userLabel } from './mapping.ts';
import { describeError, errorText } from './provision.ts';
import { emptyUser } from '../mapping/model-paths.ts';
import { emptyCounts, thresholdOf, type SyncDeps } from './common.ts';
import { chooseMode, readDeltaState, scopeConfigHash, type ImportMode } from './delta.ts';
import { planDownstream } from './downstream.ts';

const FLUSH = 500;
/** SQLite page cache (KiB) of the sync engine (set in SyncService) and during a preview. */
export const SYNC_CACHE_KIB = 65_536;
const PREVIEW_CACHE_KIB = 8_192;

/** What a user row carries to the commit. */
export interface UserRowData {
  anchor: string;
  ref: string;
  /** The remote data (create / update). */
  remote?: RemoteUser['data'];
  /** Unchanged but the link is new or its ref moved: commit records the link. */
  link?: boolean;
  /** Conflict / missing explanation. */
  reason?: string;
  candidates?: string[];
  /** missing: what the commit does. */
  deprovision?: 'disable' | 'delete';
  /**
   * A new user's row stores no changes: they are every mapped value of `remote` (old = null),
   * derived when the row is read (rowChanges). Keeps 100,000 create rows under half the size.
   */
  fromRemote?: true;
}

/** A new user's changes: every mapped path with a value, old null. */
export function createChanges(remote: RemoteUser['data'], paths: string[]): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const [k, [, v]] of Object.entries(diff(emptyUser(''), remote, paths))) changes[k] = [null, v];
  return changes;
}

/** A row's changes as the admin sees them (derived for new users' rows, see UserRowData.fromRemote). */
export function rowChanges(r: RowRecord, paths: () => string[]): Record<string, [unknown, unknown]> | null {
  if (r.changes) return r.changes;
  const d = r.data as UserRowData | null;
  if (r.objectType === 'user' && d?.fromRemote && d.remote) return createChanges(d.remote, paths());
  return null;
}
export interface GroupRowData {
  anchor: string;
  ref: string;
  remote?: { displayName: string; description?: string };
  link?: boolean;
  reason?: string;
}
export interface MembershipRowData {
  groupAnchor: string;
  groupLocalId?: string;
  groupName: string;
  memberAnchor?: string;
  memberLocalId?: string;
  memberType: 'User' | 'Group';
  memberName: string;
}

export async function previewImport(
  deps: SyncDeps,
  directoryId: string,
  opts: { signal?: AbortSignal; operationId?: string; mode?: ImportMode } = {},
): Promise<RunSummary> {
  const dir = deps.repos.directories.get(directoryId);
  if (!dir) throw new AppError('not_found', 'The directory was not found.', { id: directoryId });
  const config = dir.config;
  if (!config.toggles.users.import && !config.toggles.groups.import)
    throw new AppError(
      'import_off',
      `Import is switched off for "${config.name}". Turn on "Import users" or "Import groups" in its settings first.`,
    );

  const op = deps.operations.start();
  const operationId = opts.operationId ?? op.id;
  const signal = opts.signal ? AbortSignal.any([opts.signal, op.signal]) : op.signal;
  const runId = randomUUID();
  const started = Date.now();
  deps.repos.runs.create({ id: runId, directoryId, kind: 'import', baseChange: deps.db.localChange() });
  // A preview only appends rows: a small page cache is enough (the big one is for commits, see
  // SyncService), and a large preview stays much smaller in memory.
  deps.db.sqlite.exec(`PRAGMA cache_size = -${PREVIEW_CACHE_KIB}`);
  deps.events.emit('app.changed', { what: 'runs' });

  let connector: Connector | undefined;
  let planner: Planner | undefined;
  const read = () => planner?.read ?? { users: 0, groups: 0 };
  const progress = (phase: string, done: number, message?: string) => {
    const secs = (Date.now() - started) / 1000;
    const p: Progress = {
      operationId,
      operation: 'import',
      phase,
      done,
      ratePerSecond: secs > 0 ? Math.round(done / secs) : undefined,
      message,
    };
    deps.events.emit('app.progress', p);
  };
  try {
    connector = deps.connectorFor(directoryId);
    const c = connector;
    progress('connecting', 0, `Connecting to ${config.name}`);
    const configHash = scopeConfigHash(config);
    const delta = c.delta?.bind(c);
    let choice = chooseMode(opts.mode ?? 'auto', readDeltaState(dir), configHash, !!delta, config.name);
    let token: string | undefined;
    let fromListing = false;
    let changes: DeltaResult | undefined;
    if (choice.mode === 'delta' && delta) {
      progress('reading changes', 0, `Reading what changed in ${config.name} since the last import`);
      const d = await delta(choice.from?.token, { signal });
      checkAborted(signal);
      // Unusable: the directory's change tracking started over; d.nextToken is a fresh starting point,
      // taken before the full read below.
      token = d.nextToken;
      if (d.usable) changes = d;
      else choice = { mode: 'full', reason: resyncReason(config) };
    } else if (delta && (await tracksListing(c, signal))) {
      // The listing below carries the next delta's starting point (each object's change stamp as it was
      // read): nothing to ask before, and an object changed after it was listed differs next time.
      fromListing = true;
    } else if (delta) {
      // The next delta's starting point, taken BEFORE everything is read: a change made during the read
      // comes back in that delta instead of falling between the two.
      const started = await startTracking(delta, signal);
      token = started.token;
      if (started.problem) choice = { ...choice, reason: [choice.reason, started.problem].filter(Boolean).join(' ') };
    }
    deps.repos.runs.setDelta(runId, { token, configHash });
    // Graph's users/delta does not carry the manager (no $expand there): a delta keeps the local one.
    const p = new Planner(
      deps,
      runId,
      directoryId,
      config,
      changes ? { keepManager: config.kind === 'entra' } : undefined,
    );
    planner = p;
    if (changes) planChanges(p, config, changes, progress);
    else await planAll(p, config, c, signal, progress);
    p.flush();
    if (fromListing) {
      // Only a listing that ran to its end gives one (a cut one threw above: the run fails anyway).
      token = c.listingToken?.();
      if (token) deps.repos.runs.setDelta(runId, { token, configHash });
      else choice = { ...choice, reason: [choice.reason, NO_LISTING_TOKEN].filter(Boolean).join(' ') };
    }
    const counts = p.finish();
    counts.mode = choice.mode;
    if (choice.reason) counts.modeReason = choice.reason;
    if (choice.mode === 'delta' && choice.from?.at) counts.since = choice.from.at;
    progress(
      'checking other directories',
      p.read.users + p.read.groups,
      'Checking what the other directories will get',
    );
    const downstream = await planDownstream(deps, runId, dir);
    if (downstream.length > 0) counts.downstream = downstream;
    deps.repos.runs.finish(runId, 'previewed', counts as unknown as Record<string, unknown>);
    progress(
      'done',
      p.read.users + p.read.groups,
      choice.mode === 'delta' ? 'Preview of the changes ready' : 'Preview ready',
    );
    deps.events.emit('app.changed', { what: 'runs' });
    return summaryOf(deps, runId);
  } catch (err) {
    deps.repos.runs.deleteRows(runId);
    const cancelled = signal.aborted;
    const e = toImportError(err, cancelled, read());
    deps.repos.runs.finish(runId, cancelled ? 'cancelled' : 'failed', undefined, JSON.stringify(e));
    progress(cancelled ? 'cancelled' : 'failed', read().users + read().groups, e.message);
    deps.events.emit('app.changed', { what: 'runs' });
    throw new AppError(e.code, e.message, { ...(e.details as object), runId });
  } finally {
    deps.db.sqlite.exec(`PRAGMA cache_size = -${SYNC_CACHE_KIB}`);
    op.done();
    await connector?.close().catch(() => undefined);
  }
}

type ProgressFn = (phase: string, done: number, message?: string) => void;

/** Full: every object in scope; linked objects not read are missing. */
async function planAll(
  planner: Planner,
  config: DirectoryConfig,
  connector: Connector,
  signal: AbortSignal,
  progress: ProgressFn,
) {
  if (config.toggles.users.import) {
    for await (const page of connector.listUsers({ signal })) {
      checkAborted(signal);
      for (const u of page) planner.user(u);
      planner.flush();
      progress('reading users', planner.read.users);
    }
    checkAborted(signal);
    planner.missingUsers();
  }
  if (config.toggles.groups.import) {
    const groups: RemoteGroup[] = [];
    for await (const page of connector.listGroups({ signal })) {
      checkAborted(signal);
      groups.push(...page);
      progress('reading groups', groups.length);
    }
    checkAborted(signal);
    planner.groups(groups);
  }
}

/** Delta: only what the directory reported; deletions of linked objects are missing. */
function planChanges(planner: Planner, config: DirectoryConfig, d: DeltaResult, progress: ProgressFn) {
  if (config.toggles.users.import) {
    for (const u of d.users.changed) planner.user(u);
    planner.flush();
    progress('reading users', planner.read.users);
    planner.removedUsers(d.users.removed);
  }
  if (config.toggles.groups.import) {
    planner.groups(d.groups.changed, d.groups.removed);
    progress('reading groups', planner.read.groups);
  }
}

const NO_LISTING_TOKEN = 'Change tracking could not start from this read; the next preview reads everything again.';

/**
 * Whether the connector takes the next token from its listing (Connector.trackListing). A failure to
 * find out is no failure of the read: the before-read token (startTracking) is asked for instead.
 */
async function tracksListing(connector: Connector, signal: AbortSignal): Promise<boolean> {
  if (!connector.trackListing || !connector.listingToken) return false;
  try {
    return await connector.trackListing({ signal });
  } catch {
    checkAborted(signal);
    return false;
  }
}

/** A token for "now"; a connector that cannot start tracking does not stop the full read. */
async function startTracking(
  delta: NonNullable<Connector['delta']>,
  signal: AbortSignal,
): Promise<{ token?: string; problem?: string }> {
  try {
    return { token: (await delta(undefined, { signal })).nextToken };
  } catch (err) {
    checkAborted(signal);
    const e = describeError(err);
    return { problem: `Change tracking could not start (${e.message}); the next preview reads everything again.` };
  }
}

function resyncReason(config: DirectoryConfig): string {
  return config.kind === 'entra'
    ? `Microsoft Entra ID no longer accepts the last delta link of ${config.name} (expired or reset); every object is read again.`
    : `The change tracking of ${config.name} started over (another domain controller, a restore from backup, or an unknown token); every object is read again.`;
}

function checkAborted(signal: AbortSignal) {
  if (signal.aborted) throw new AppError('cancelled', 'The preview was cancelled; nothing was changed.');
}

function toImportError(err: unknown, cancelled: boolean, read: { users: number; groups: number }): BridgeError {
  if (cancelled) return { code: 'cancelled', message: 'The preview was cancelled; nothing was changed.', details: {} };
  if (err instanceof AppError) return { code: err.code, message: err.message, details: err.details ?? {} };
  const e = describeError(err);
  const where = read.users + read.groups > 0 ? ` after ${read.users} users and ${read.groups} groups were read` : '';
  return {
    code: err instanceof ConnectorError ? 'source_failed' : 'internal',
    message:
      `Reading the directory failed${where}: ${e.message} ` +
      'Nothing was changed and nobody was marked missing; preview again when the directory answers.',
    details: { reason: e.code, server: e.server ?? errorText(e) },
  };
}

export function summaryOf(deps: SyncDeps, runId: string): RunSummary {
  const run = deps.repos.runs.get(runId);
  if (!run) throw new AppError('not_found', 'The run was not found.', { runId });
  const dir = deps.repos.directories.get(run.directoryId);
  const counts = { ...emptyCounts(), mode: 'full' as const, ...(run.counts as Partial<PlanCounts>) };
  return {
    runId: run.id,
    directoryId: run.directoryId,
    directoryName: dir?.config.name ?? '',
    kind: run.kind,
    status: run.status,
    created: run.created,
    finished: run.finished ?? undefined,
    error: run.error ? (JSON.parse(run.error) as RunSummary['error']) : undefined,
    ...counts,
  };
}

/** Why a protected directory object is neither imported nor linked, in the admin's words. */
function protectedReason(o: { ref: string; protected?: string }): string {
  return `${o.ref} is a protected object (${o.protected}): it is neither imported nor linked, so nothing is ever written to it.`;
}

/** Builds the rows as the listing streams by; holds only indexes, not the objects. */
class Planner {
  private readonly deps: SyncDeps;
  private readonly runId: string;
  private readonly dirId: string;
  private readonly config: DirectoryConfig;
  private readonly paths: string[];
  private seq = 0;
  private buffer: RowRecord[] = [];
  readonly read = { users: 0, groups: 0 };
  private readonly counts: PlanCounts = emptyCounts();
  /** anchor → local id, from links, extended by this plan's matches. */
  private readonly userAnchorToLocal = new Map<string, string>();
  private readonly localToUserAnchor = new Map<string, string>();
  /** lower-cased remote ref → anchor of users read. */
  private readonly userRefToAnchor = new Map<string, string>();
  private readonly userNames = new Map<string, string>();
  private readonly seenUsers = new Set<string>();
  /** local id → seq of the row that claimed it (two claims = conflict). */
  private readonly claimed = new Map<
    string,
    { seq: number; action: string; unlisted?: { anchor: string; display: string } }
  >();
  /** local id → ref of its link in this directory. */
  private readonly linkRefs = new Map<string, string | null>();
  /** lower-cased userName → seq of the create row that uses it (two creates with one name = conflict). */
  private readonly createNames = new Map<string, number>();
  private linkedUsers = 0;
  private linkedGroups = 0;
  /** Delta: linked users reported deleted (anchor → local id), for their memberships. */
  private readonly goneUsers = new Map<string, string>();
  /** An empty store (a first import) needs no matching lookups at all. */
  private readonly localUsers: number;
  /** Set for a delta plan: only reported objects are read; nothing is missing unless reported deleted. */
  private readonly delta?: { keepManager: boolean };

  constructor(deps: SyncDeps, runId: string, dirId: string, config: DirectoryConfig, delta?: { keepManager: boolean }) {
    this.deps = deps;
    this.runId = runId;
    this.dirId = dirId;
    this.config = config;
    this.delta = delta;
    this.paths = importPaths(config);
    this.localUsers = deps.repos.users.count();
    for (const l of deps.repos.links.forDirectory(dirId, 'user')) {
      if (!l.anchor) continue;
      this.userAnchorToLocal.set(l.anchor, l.localId);
      this.localToUserAnchor.set(l.localId, l.anchor);
      this.linkRefs.set(l.localId, l.ref);
      this.linkedUsers++;
    }
  }

  private push(r: Omit<RowRecord, 'runId' | 'seq'>): RowRecord {
    const row: RowRecord = { runId: this.runId, seq: ++this.seq, ...r };
    this.buffer.push(row);
    if (this.buffer.length >= FLUSH) this.flush();
    return row;
  }

  flush(): void {
    const rows = this.buffer;
    this.buffer = [];
    this.deps.repos.runs.addRows(rows);
  }

  /** Turns an already-written (or still buffered) row into a conflict. */
  private toConflict(
    seq: number,
    from: string,
    reason: string,
    unlisted?: { anchor: string; display: string; localId: string },
  ): void {
    const buffered = this.buffer.find((r) => r.seq === seq);
    if (unlisted) {
      this.buffer.push({
        runId: this.runId,
        seq,
        objectType: 'user',
        action: 'conflict',
        localId: unlisted.localId,
        anchor: unlisted.anchor,
        display: unlisted.display,
        changes: null,
        data: { reason },
      });
    } else if (buffered) {
      buffered.action = 'conflict';
      buffered.data = { ...((buffered.data as object) ?? {}), reason };
    } else {
      const written = this.deps.repos.runs.row(this.runId, seq);
      this.deps.repos.runs.setRowAction(this.runId, seq, 'conflict', { ...((written?.data as object) ?? {}), reason });
    }
    const c = this.counts.users as unknown as Record<string, number>;
    c[from] = (c[from] ?? 1) - 1;
    this.counts.users.conflict++;
  }

  private matchByRules(remote: RemoteUser): { localId?: string; candidates: string[]; rule?: string } {
    if (this.localUsers === 0) return { candidates: [] };
    const db = this.deps.db;
    for (const rule of this.config.matching) {
      let ids: string[] = [];
      const d = remote.data;
      if (rule === 'userName' && d.userName)
        ids = db.all<{ id: string }>('SELECT id FROM users WHERE user_name = ?', d.userName).map((r) => r.id);
      else if (rule === 'email') {
        const mail = (d.emails.find((e) => e.primary) ?? d.emails[0])?.value;
        if (mail) ids = db.all<{ id: string }>('SELECT id FROM users WHERE email = ?', mail).map((r) => r.id);
      } else if (rule === 'employeeNumber' && d.employeeNumber)
        ids = db
          .all<{ id: string }>('SELECT id FROM users WHERE employee_number = ?', d.employeeNumber)
          .map((r) => r.id);
      else if (rule === 'displayName' && d.displayName)
        ids = db.all<{ id: string }>('SELECT id FROM users WHERE display_name = ?', d.displayName).map((r) => r.id);
      // A local user linked to another remote object is not a candidate.
      ids = ids.filter((id) => {
        const a = this.localToUserAnchor.get(id);
        return a === undefined || a === remote.anchor;
      });
      if (ids.length > 1) return { candidates: ids, rule };
      if (ids.length === 1) return { localId: ids[0], candidates: ids, rule };
    }
    return { candidates: [] };
  }

  user(remote: RemoteUser): void {
    this.read.users++;
    if (this.seenUsers.has(remote.anchor)) return; // a directory listing an object twice (paging edge)
    this.seenUsers.add(remote.anchor);
    this.userRefToAnchor.set(remote.ref.toLowerCase(), remote.anchor);
    const display = userLabel(remote.data);
    const base = { anchor: remote.anchor, ref: remote.ref };
    let localId = this.userAnchorToLocal.get(remote.anchor);
    let linked = localId !== undefined;
    const local = localId ? this.deps.repos.users.get(localId) : undefined;
    if (localId && !local) {
      localId = undefined; // the link points at a user deleted locally: treat as new
      linked = false;
    }
    if (!localId && remote.protected) {
      // Never linked: whatever the app would later write through the link (a password, a rename…).
      this.counts.users.conflict++;
      this.push({
        objectType: 'user',
        action: 'conflict',
        localId: null,
        anchor: remote.anchor,
        display,
        changes: null,
        data: { ...base, remote: remote.data, reason: protectedReason(remote) } satisfies UserRowData,
      });
      return;
    }
    if (!localId) {
      const m = this.matchByRules(remote);
      if (m.candidates.length > 1) {
        this.counts.users.conflict++;
        this.push({
          objectType: 'user',
          action: 'conflict',
          localId: null,
          anchor: remote.anchor,
          display,
          changes: null,
          data: {
            ...base,
            remote: remote.data,
            reason: `More than one local user has the same ${m.rule}.`,
            candidates: m.candidates,
          } satisfies UserRowData,
        });
        return;
      }
      localId = m.localId;
    }
    if (localId) {
      const prior = this.claimed.get(localId);
      const user = local ?? this.deps.repos.users.get(localId)!;
      const localData = toRemoteData(user, this.managerRefOf(user.managerId));
      // A delta that does not carry the manager (Graph's users/delta) leaves the local one as it is.
      const remoteData = this.delta?.keepManager
        ? { ...remote.data, managerRef: localData.managerRef }
        : this.withKnownManager(remote.data);
      const changes = diff(localData, remoteData, this.paths);
      const changed = Object.keys(changes).length > 0;
      // Only a change needs validating (unchanged values are the store's own).
      const applied = changed ? applyRemote(localData, remoteData, this.paths) : ({ ok: true } as const);
      let action: 'update' | 'unchanged' | 'conflict' = changed ? 'update' : 'unchanged';
      let reason: string | undefined;
      if (!applied.ok) {
        action = 'conflict';
        reason = `The directory's values are not valid here: ${applied.problems.join('; ')}`;
      } else if (changes.userName) {
        const other = this.deps.repos.users.byUserName(String(changes.userName[1] ?? ''));
        if (other && other.id !== localId) {
          action = 'conflict';
          reason = `Another local user is already named "${String(changes.userName[1])}".`;
        }
      }
      if (prior) {
        this.toConflict(
          prior.seq,
          prior.action,
          'Another object in the directory matches the same local user.',
          prior.unlisted && { ...prior.unlisted, localId },
        );
        action = 'conflict';
        reason = 'Another object in the directory matches the same local user.';
      }
      this.counts.users[action]++;
      this.localToUserAnchor.set(localId, remote.anchor);
      this.userAnchorToLocal.set(remote.anchor, localId);
      const link = !linked || this.linkRefs.get(localId) !== remote.ref;
      if (action === 'unchanged' && !link) {
        // Counted, not listed: a steady-state import of 100,000 users writes no rows for them.
        this.claimed.set(localId, { seq: ++this.seq, action, unlisted: { anchor: remote.anchor, display } });
        return;
      }
      const row = this.push({
        objectType: 'user',
        action,
        localId,
        anchor: remote.anchor,
        display,
        changes: action === 'unchanged' ? null : changes,
        data:
          action === 'unchanged'
            ? ({ ...base, link: true } satisfies UserRowData)
            : ({ ...base, remote: remote.data, reason, link: link || undefined } satisfies UserRowData),
      });
      this.claimed.set(localId, { seq: row.seq, action });
      return;
    }
    // New here.
    const applied = applyRemote(undefined, remote.data, this.paths);
    let reason: string | undefined;
    if (!applied.ok) reason = `The directory's values are not valid here: ${applied.problems.join('; ')}`;
    else if (this.localUsers > 0 && this.deps.repos.users.byUserName(applied.input.userName))
      reason = `A local user named "${applied.input.userName}" exists but is linked to another object in this directory.`;
    const key = remote.data.userName.toLowerCase();
    const dup = this.createNames.get(key);
    if (!reason && dup !== undefined) {
      this.toConflict(dup, 'create', `Two objects in the directory have the user name "${remote.data.userName}".`);
      reason = `Two objects in the directory have the user name "${remote.data.userName}".`;
    }
    const action = reason ? 'conflict' : 'create';
    this.counts.users[action]++;
    const row = this.push({
      objectType: 'user',
      action,
      localId: null,
      anchor: remote.anchor,
      display,
      // Valid: the changes are derived from remote when read (rowChanges); invalid: none.
      changes: applied.ok ? null : {},
      data: { ...base, remote: remote.data, reason, fromRemote: applied.ok ? true : undefined } satisfies UserRowData,
    });
    if (action === 'create') this.createNames.set(key, row.seq);
    this.userNames.set(remote.anchor, remote.data.userName);
  }

  private managerRefOf(managerId: string | undefined): string | undefined {
    if (!managerId) return undefined;
    return this.deps.repos.links.get(this.dirId, 'user', managerId)?.ref ?? undefined;
  }

  /** The remote manager counts only when it is a user known here (read in this run or linked). */
  private withKnownManager(d: RemoteUser['data']): RemoteUser['data'] {
    if (!d.managerRef || !this.paths.includes('manager')) return d;
    const known =
      this.userRefToAnchor.has(d.managerRef.toLowerCase()) ||
      this.deps.repos.links.byRef(this.dirId, 'user', d.managerRef);
    return known ? d : { ...d, managerRef: undefined };
  }

  missingUsers(): void {
    if (this.read.users === 0 && this.linkedUsers > 0)
      throw new AppError(
        'empty_source',
        `The directory returned no users although ${this.linkedUsers} are linked to it. The import stopped so that nobody is marked missing; check the search base and filter, then preview again.`,
      );
    const mode = this.config.safety.deprovision;
    for (const l of this.deps.repos.links.forDirectory(this.dirId, 'user')) {
      if (!l.anchor || this.seenUsers.has(l.anchor)) continue;
      const u = this.deps.repos.users.get(l.localId);
      if (!u) continue;
      this.counts.users.missing++;
      this.push({
        objectType: 'user',
        action: 'missing',
        localId: l.localId,
        anchor: l.anchor,
        display: userLabel(u),
        changes: mode === 'disable' ? (u.active ? { active: [true, false] } : {}) : null,
        data: {
          anchor: l.anchor,
          ref: l.ref ?? '',
          deprovision: mode,
          reason: 'Gone from the directory (or out of its scope).',
        } satisfies UserRowData,
      });
    }
  }

  /** Delta: users the directory reported deleted (or moved out of scope) that are linked here. */
  removedUsers(anchors: string[]): void {
    const mode = this.config.safety.deprovision;
    for (const anchor of new Set(anchors)) {
      if (this.seenUsers.has(anchor)) continue; // deleted and back in the same round: it is there
      const l = this.deps.repos.links.byAnchor(this.dirId, 'user', anchor);
      const u = l && this.deps.repos.users.get(l.localId);
      if (!l || !u) continue;
      this.goneUsers.set(anchor, l.localId);
      this.counts.users.missing++;
      this.push({
        objectType: 'user',
        action: 'missing',
        localId: l.localId,
        anchor,
        display: userLabel(u),
        changes: mode === 'disable' ? (u.active ? { active: [true, false] } : {}) : null,
        data: {
          anchor,
          ref: l.ref ?? '',
          deprovision: mode,
          reason: 'Deleted in the directory (or moved out of its scope).',
        } satisfies UserRowData,
      });
    }
  }

  /** Full: every group in scope. Delta (removed given): the reported groups, and those deleted. */
  groups(remoteGroups: RemoteGroup[], removed?: string[]): void {
    const dirId = this.dirId;
    const links = this.deps.repos.links;
    const groupAnchorToLocal = new Map<string, string>();
    const localToGroupAnchor = new Map<string, string>();
    for (const l of links.forDirectory(dirId, 'group')) {
      if (!l.anchor) continue;
      groupAnchorToLocal.set(l.anchor, l.localId);
      localToGroupAnchor.set(l.localId, l.anchor);
      this.linkedGroups++;
    }
    const groupRefToAnchor = new Map<string, string>();
    const groupNames = new Map<string, string>();
    for (const g of remoteGroups) {
      groupRefToAnchor.set(g.ref.toLowerCase(), g.anchor);
      groupNames.set(g.anchor, g.data.displayName);
    }
    this.read.groups = remoteGroups.length;
    if (!removed && remoteGroups.length === 0 && this.linkedGroups > 0)
      throw new AppError(
        'empty_source',
        `The directory returned no groups although ${this.linkedGroups} are linked to it. The import stopped so that no group is marked missing; check the group search base and filter, then preview again.`,
      );
    const seen = new Set<string>();
    const claimedNames = new Set<string>();
    // Groups
    const planned: Array<{ g: RemoteGroup; localId?: string }> = [];
    for (const g of remoteGroups) {
      if (seen.has(g.anchor)) continue;
      seen.add(g.anchor);
      let localId = groupAnchorToLocal.get(g.anchor);
      let local = localId ? this.deps.repos.groups.get(localId) : undefined;
      const linked = !!local;
      if (!local) {
        const byName = this.deps.repos.groups.byName(g.data.displayName);
        const a = byName ? localToGroupAnchor.get(byName.id) : undefined;
        if (byName && (a === undefined || a === g.anchor)) local = byName;
        else if (byName) {
          this.counts.groups.conflict++;
          this.push({
            objectType: 'group',
            action: 'conflict',
            localId: byName.id,
            anchor: g.anchor,
            display: g.data.displayName,
            changes: null,
            data: {
              anchor: g.anchor,
              ref: g.ref,
              remote: g.data,
              reason: 'A local group of that name is linked to another group in this directory.',
            } satisfies GroupRowData,
          });
          continue;
        }
      }
      if (!linked && g.protected) {
        this.counts.groups.conflict++;
        this.push({
          objectType: 'group',
          action: 'conflict',
          localId: null,
          anchor: g.anchor,
          display: g.data.displayName,
          changes: null,
          data: { anchor: g.anchor, ref: g.ref, remote: g.data, reason: protectedReason(g) } satisfies GroupRowData,
        });
        continue;
      }
      const nameKey = g.data.displayName.toLowerCase();
      if (claimedNames.has(nameKey)) {
        this.counts.groups.conflict++;
        this.push({
          objectType: 'group',
          action: 'conflict',
          localId: local?.id ?? null,
          anchor: g.anchor,
          display: g.data.displayName,
          changes: null,
          data: {
            anchor: g.anchor,
            ref: g.ref,
            remote: g.data,
            reason: 'Two groups in the directory have this name.',
          } satisfies GroupRowData,
        });
        continue;
      }
      claimedNames.add(nameKey);
      localId = local?.id;
      if (local) {
        localToGroupAnchor.set(local.id, g.anchor);
        const changes: Record<string, [unknown, unknown]> = {};
        if (local.displayName !== g.data.displayName) changes.displayName = [local.displayName, g.data.displayName];
        if ((local.description ?? '') !== (g.data.description ?? ''))
          changes.description = [local.description ?? null, g.data.description ?? null];
        const action = Object.keys(changes).length > 0 ? 'update' : 'unchanged';
        const link = !linked || links.get(dirId, 'group', local.id)?.ref !== g.ref;
        this.counts.groups[action]++;
        if (action === 'unchanged' && !link) {
          planned.push({ g, localId: local.id });
          continue;
        }
        this.push({
          objectType: 'group',
          action,
          localId: local.id,
          anchor: g.anchor,
          display: g.data.displayName,
          changes: action === 'update' ? changes : null,
          data:
            action === 'unchanged' && !link
              ? null
              : ({ anchor: g.anchor, ref: g.ref, remote: g.data, link: link || undefined } satisfies GroupRowData),
        });
      } else {
        this.counts.groups.create++;
        const changes: Record<string, [unknown, unknown]> = { displayName: [null, g.data.displayName] };
        if (g.data.description) changes.description = [null, g.data.description];
        this.push({
          objectType: 'group',
          action: 'create',
          localId: null,
          anchor: g.anchor,
          display: g.data.displayName,
          changes,
          data: { anchor: g.anchor, ref: g.ref, remote: g.data } satisfies GroupRowData,
        });
      }
      planned.push({ g, localId });
    }
    // Missing groups: every linked group not read (full), or those reported deleted (delta).
    const gone = removed
      ? [...new Set(removed)].flatMap((a) => links.byAnchor(dirId, 'group', a) ?? [])
      : links.forDirectory(dirId, 'group');
    for (const l of gone) {
      if (!l.anchor || seen.has(l.anchor)) continue;
      const g = this.deps.repos.groups.get(l.localId);
      if (!g) continue;
      this.counts.groups.missing++;
      this.push({
        objectType: 'group',
        action: 'missing',
        localId: l.localId,
        anchor: l.anchor,
        display: g.displayName,
        changes: null,
        data: {
          anchor: l.anchor,
          ref: l.ref ?? '',
          reason: removed
            ? 'Deleted in the directory (or moved out of its scope).'
            : 'Gone from the directory (or out of its scope).',
        } satisfies GroupRowData,
      });
    }
    // Memberships of the groups that stay
    for (const { g, localId } of planned) {
      const remoteMembers = new Map<string, { anchor: string; type: 'User' | 'Group' }>();
      for (const m of g.members) {
        const ref = m.ref.toLowerCase();
        let anchor: string | undefined;
        let type: 'User' | 'Group' | undefined;
        if (m.type !== 'Group' && (anchor = this.userRefToAnchor.get(ref))) type = 'User';
        else if (m.type !== 'User' && (anchor = groupRefToAnchor.get(ref))) type = 'Group';
        else {
          // A delta reads only the changed groups: a nested group of unknown type may be a linked one.
          const l =
            links.byRef(dirId, m.type === 'Group' ? 'group' : 'user', m.ref) ??
            (removed && !m.type ? links.byRef(dirId, 'group', m.ref) : undefined);
          if (l?.anchor) {
            anchor = l.anchor;
            type = l.objectType === 'group' ? 'Group' : 'User';
          }
        }
        if (anchor && type) remoteMembers.set(anchor, { anchor, type });
      }
      const localMembers = localId ? this.deps.repos.groups.members(localId) : [];
      const localMemberIds = new Set(localMembers.map((m) => m.value));
      const localMemberAnchors = new Map<string, { id: string; type: 'User' | 'Group'; display?: string }>();
      for (const m of localMembers) {
        const a = m.type === 'User' ? this.localToUserAnchor.get(m.value) : localToGroupAnchor.get(m.value);
        if (a) localMemberAnchors.set(a, { id: m.value, type: m.type, display: m.display });
      }
      for (const rm of remoteMembers.values()) {
        if (localMemberAnchors.has(rm.anchor)) continue;
        const memberLocalId =
          rm.type === 'User' ? this.userAnchorToLocal.get(rm.anchor) : groupAnchorToLocal.get(rm.anchor);
        const memberName =
          rm.type === 'User'
            ? (this.userNames.get(rm.anchor) ??
              (memberLocalId ? this.deps.repos.users.get(memberLocalId)?.userName : undefined) ??
              rm.anchor)
            : (groupNames.get(rm.anchor) ?? rm.anchor);
        if (memberLocalId && localMemberIds.has(memberLocalId)) continue;
        this.membershipRow('add', {
          groupAnchor: g.anchor,
          groupLocalId: localId,
          groupName: g.data.displayName,
          memberAnchor: rm.anchor,
          memberLocalId,
          memberType: rm.type,
          memberName,
        });
      }
      for (const [anchor, lm] of localMemberAnchors) {
        if (remoteMembers.has(anchor)) continue;
        const memberName =
          lm.type === 'User'
            ? (this.deps.repos.users.get(lm.id)?.userName ?? lm.display ?? lm.id)
            : (lm.display ?? lm.id);
        this.membershipRow('remove', {
          groupAnchor: g.anchor,
          groupLocalId: localId,
          groupName: g.data.displayName,
          memberAnchor: anchor,
          memberLocalId: lm.id,
          memberType: lm.type,
          memberName,
        });
      }
    }
    if (removed) this.goneMemberships(new Set(planned.map((p) => p.g.anchor)), localToGroupAnchor);
  }

  /**
   * Delta: a deleted user leaves the groups it was in, as a full read would show. Its groups may not be
   * among the reported ones (a server need not report a group whose member link went with the user).
   */
  private goneMemberships(reported: Set<string>, localToGroupAnchor: Map<string, string>): void {
    for (const [anchor, userId] of this.goneUsers) {
      const memberName = this.deps.repos.users.get(userId)?.userName ?? anchor;
      for (const g of this.deps.repos.groups.groupsOf(userId)) {
        const groupAnchor = localToGroupAnchor.get(g.id);
        if (!groupAnchor || reported.has(groupAnchor)) continue;
        this.membershipRow('remove', {
          groupAnchor,
          groupLocalId: g.id,
          groupName: g.displayName,
          memberAnchor: anchor,
          memberLocalId: userId,
          memberType: 'User',
          memberName,
        });
      }
    }
  }

  /** One membership row of the plan: a member added to or removed from a group, counted. */
  private membershipRow(action: 'add' | 'remove', d: MembershipRowData): void {
    this.counts.memberships[action]++;
    this.push({
      objectType: 'membership',
      action,
      localId: d.groupLocalId ?? null,
      anchor: d.groupAnchor,
      display: `${d.groupName} ← ${d.memberName}`,
      changes: { [`member of ${d.groupName}`]: action === 'add' ? [false, true] : [true, false] },
      data: d,
    });
  }

  finish(): PlanCounts {
    const c = this.counts;
    c.read = { ...this.read };
    c.linked = { users: this.linkedUsers, groups: this.linkedGroups };
    c.deletions = c.users.missing + c.groups.missing;
    c.threshold = thresholdOf(this.config, c.deletions, this.linkedUsers + this.linkedGroups);
    return c;
  }
}
