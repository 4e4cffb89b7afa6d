// Delta imports: which kind of read a preview does, and when a change-tracking
// token becomes the directory's. The rules (a token is kept only after a run
// succeeds):
// - a preview asks the connector for a token BEFORE it reads anything, keeps it
//   with its run (import_runs.delta), and never touches the directory's token;
//   a connector that tracks its listing (Connector.trackListing: generic LDAP
//   with entryCSN) instead gives the token its complete full listing built,
//   each object's change stamp as read, which misses no change made during the
//   read either; a listing cut short gives none;
// - the token becomes the directory's (directories.delta_state) only when that
//   run is committed whole: every row selected and no conflict left. A partial
//   commit keeps the previous token, so what was left behind comes back in the
//   next delta just as it would in a full read;
// - a delta starts only from a token of a committed import whose mapping,
//   matching and scope (hashed with the token) are still the directory's.
import { createHash } from 'node:crypto';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import type { PlanCounts } from '../../src-preload/contract/sync.ts';
import type { DirectoryRecord } from '../store/directories.ts';
import type { RunsRepo } from '../store/runs.ts';
import type { DirectoriesRepo } from '../store/directories.ts';
import { groupMapping, userMapping } from './mapping.ts';

export type ImportMode = 'auto' | 'full' | 'delta';

/** What directories.delta_state holds. */
export interface DeltaState {
  v: 1;
  /** The token of the last import committed whole; absent when none yet. */
  token?: string;
  configHash?: string;
  /** The run it came from and when that run was committed. */
  runId?: string;
  at?: string;
  /** The last commit that could not advance the token, and why (shown in the next full run's reason). */
  held?: { runId: string; at: string; reason: string };
}

export function readDeltaState(dir: Pick<DirectoryRecord, 'deltaState'>): DeltaState {
  if (!dir.deltaState) return { v: 1 };
  try {
    const s = JSON.parse(dir.deltaState) as DeltaState;
    return s && s.v === 1 ? s : { v: 1 };
  } catch {
    return { v: 1 };
  }
}

/**
 * What decides which objects and values a read returns: the effective mappings (the kind's
 * defaults when empty), matching, which object types are imported, and the search scope. A
 * token read under other settings says nothing about objects the new settings bring in.
 * Connection details that do not change the scope (servers, credentials, timeouts, page size,
 * target OUs) are left out, so editing them keeps delta imports going.
 */
export function scopeConfigHash(config: DirectoryConfig): string {
  const c = config.connection as Record<string, unknown>;
  const scope =
    config.kind === 'entra'
      ? { tenantId: c.tenantId, cloud: c.cloud, graphUrl: c.graphUrl ?? null }
      : {
          baseDn: c.baseDn,
          userSearchBase: c.userSearchBase,
          userFilter: c.userFilter,
          groupSearchBase: c.groupSearchBase,
          groupFilter: c.groupFilter,
          scope: c.scope,
          exclusions: c.exclusions,
        };
  const basis = {
    kind: config.kind,
    import: { users: config.toggles.users.import, groups: config.toggles.groups.import },
    userMapping: userMapping(config),
    groupMapping: groupMapping(config),
    matching: config.matching,
    scope,
  };
  return createHash('sha256').update(JSON.stringify(basis)).digest('base64url');
}

export interface ModeChoice {
  mode: 'full' | 'delta';
  /** The directory's token to read changes from (delta only). */
  from?: DeltaState;
  /** Why full (when a delta was asked for or would have been possible). */
  reason?: string;
}

/** Full or delta, before anything is read. */
export function chooseMode(
  requested: ImportMode,
  state: DeltaState,
  configHash: string,
  canTrack: boolean,
  directoryName: string,
): ModeChoice {
  if (requested === 'full') return { mode: 'full', reason: 'A full preview was asked for.' };
  if (!canTrack) return { mode: 'full', reason: `${directoryName} does not report changes; every object is read.` };
  if (!state.token) {
    const held = state.held ? ` The last commit could not be the starting point: ${state.held.reason}` : '';
    return {
      mode: 'full',
      reason: `No import of ${directoryName} has been committed whole yet, so there is no starting point for changes.${held}`,
    };
  }
  if (state.configHash !== configHash)
    return {
      mode: 'full',
      reason: `The mapping, matching or scope of ${directoryName} changed since the last committed import; every object is read again.`,
    };
  return { mode: 'delta', from: state };
}

/** Why a commit leaves the directory's token where it was (undefined: the run's token may advance). */
export function holdReason(counts: Partial<PlanCounts>, totalRows: number, selectedRows: number): string | undefined {
  const conflicts = (counts.users?.conflict ?? 0) + (counts.groups?.conflict ?? 0);
  const left = totalRows - selectedRows;
  const rows = (n: number) => (n === 1 ? '1 row was' : `${n} rows were`);
  const again = 'the next preview reads them again.';
  if (left > 0 && conflicts > 0) return `${rows(left)} not applied (${conflicts} of them conflicts); ${again}`;
  if (left > 0) return `${rows(left)} not selected; ${again}`;
  if (conflicts > 0)
    return `${conflicts === 1 ? '1 conflict was' : `${conflicts} conflicts were`} left unresolved; ${again}`;
  return undefined;
}

/**
 * At the end of a commit's transaction (`selected`: how many of the run's rows it applied): the run's
 * token becomes the directory's when the whole plan was applied; otherwise the previous token stays and
 * the reason is kept. One transaction with the commit: the token never moves without the objects, nor
 * the objects without it. Returns what happened, also merged into the run's counts (deltaToken).
 */
export function promoteToken(
  repos: { runs: RunsRepo; directories: DirectoriesRepo },
  runId: string,
  selected: number,
): 'advanced' | 'held' | 'none' {
  const run = repos.runs.get(runId);
  const dir = run && repos.directories.get(run.directoryId);
  if (!run || !dir || run.status !== 'committed') return 'none';
  const total = repos.runs.countRows(runId);
  const state = readDeltaState(dir);
  const reason = holdReason(run.counts as Partial<PlanCounts>, total, selected);
  const at = run.finished ?? new Date().toISOString();
  let outcome: 'advanced' | 'held' | 'none';
  if (!run.delta?.token) outcome = 'none';
  else if (reason) {
    repos.directories.setDeltaState(
      dir.id,
      JSON.stringify({ ...state, held: { runId, at, reason } } satisfies DeltaState),
    );
    outcome = 'held';
  } else {
    const next: DeltaState = { v: 1, token: run.delta.token, configHash: run.delta.configHash, runId, at };
    repos.directories.setDeltaState(dir.id, JSON.stringify(next));
    outcome = 'advanced';
  }
  repos.runs.mergeCounts(runId, { deltaToken: outcome });
  return outcome;
}
