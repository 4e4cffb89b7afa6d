// One scheduled run of one directory: preview (the changes only, or
// everything when a full read is due), then commit on its own only when the
// plan is safe (no conflicts, under the deletion threshold, auto-commit on);
// otherwise the run is held for the admin. A newer run supersedes older held
// ones (they stay readable, marked superseded). The engine's own preview and
// commit do the work.
import type { RunSummary } from '../../src-preload/contract/sync.ts';
import type { HeldReason, ScheduledOutcome } from '../../src-preload/contract/schedule.ts';
import { scheduleOf, type DirectoryConfig } from '../../src-preload/directory.ts';
import { toBridgeError } from '../errors.ts';
import type { SyncService } from '../sync/service.ts';
import type { RunsRepo } from '../store/runs.ts';

export interface RunDeps {
  sync: SyncService;
  runs: RunsRepo;
}

/** The reason a safe-looking plan still needs the admin, or undefined when it may be committed. */
export function holdReason(
  config: DirectoryConfig,
  plan: RunSummary,
): { reason: HeldReason; message: string } | undefined {
  const conflicts = plan.users.conflict + plan.groups.conflict;
  if (plan.threshold.exceeded)
    return {
      reason: 'threshold',
      message: `It would delete or disable ${plan.threshold.deletions} objects (${plan.threshold.percent}% of those linked), above the limit of ${plan.threshold.limitCount} or ${plan.threshold.limitPercent}%.`,
    };
  if (conflicts > 0)
    return {
      reason: 'conflicts',
      message: `${conflicts} ${conflicts === 1 ? 'object matches' : 'objects match'} more than one local object or another's link.`,
    };
  if (scheduleOf(config).autoCommit === 'hold')
    return {
      reason: 'policy',
      message: 'Auto-commit is off for this directory: every scheduled run waits for review.',
    };
  return undefined;
}

/** Held import runs of a directory that a newer run replaces. */
function supersede(deps: RunDeps, directoryId: string, newer: string): string[] {
  const done: string[] = [];
  for (const r of deps.runs.list({ directoryId, kind: 'import', limit: 200 })) {
    if (r.id === newer || r.status !== 'previewed' || !(r.counts as { held?: unknown }).held) continue;
    deps.runs.setStatus(r.id, 'superseded');
    deps.runs.mergeCounts(r.id, { supersededBy: newer });
    done.push(r.id);
  }
  return done;
}

export async function runOnce(
  deps: RunDeps,
  dir: { id: string; config: DirectoryConfig },
  opts: { full: boolean },
): Promise<ScheduledOutcome> {
  const base = { directoryId: dir.id, directoryName: dir.config.name };
  let plan: RunSummary;
  try {
    plan = await deps.sync.previewImport(dir.id, { mode: opts.full ? 'full' : 'auto' });
  } catch (err) {
    const error = toBridgeError(err);
    const runId = (error.details as { runId?: string } | undefined)?.runId;
    // The failed run is now the directory's latest: a held run before it can no longer be committed.
    const superseded = runId
      ? (deps.runs.mergeCounts(runId, { trigger: 'scheduled' }), supersede(deps, dir.id, runId))
      : [];
    return { ...base, status: 'failed', runId, superseded, error };
  }
  deps.runs.mergeCounts(plan.runId, { trigger: 'scheduled' });
  const superseded = supersede(deps, dir.id, plan.runId);
  const held = holdReason(dir.config, plan);
  if (held) {
    deps.runs.mergeCounts(plan.runId, { held });
    return { ...base, status: 'held', runId: plan.runId, mode: plan.mode, held, superseded, plan: countsOf(plan) };
  }
  try {
    const c = deps.sync.commitImport({ runId: plan.runId });
    return {
      ...base,
      status: 'committed',
      runId: plan.runId,
      mode: plan.mode,
      superseded,
      plan: countsOf(plan),
      committed: c.committed,
    };
  } catch (err) {
    return { ...base, status: 'failed', runId: plan.runId, mode: plan.mode, superseded, error: toBridgeError(err) };
  }
}

function countsOf(p: RunSummary): ScheduledOutcome['plan'] {
  return { users: p.users, groups: p.groups, memberships: p.memberships, deletions: p.deletions };
}
