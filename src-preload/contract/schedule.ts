// Schedules area of the bridge: what each directory's schedule is doing, the
// runs waiting for review, and the admin's "Retry now" / "Discard".
//   'schedule.overview' → ScheduleOverview: per directory its schedule, last outcome, next run, failures in a
//      row and quarantine; `review`: held scheduled runs (open them with 'import.rows' / 'import.commit' like any
//      preview) and failed ones, newest first, each with why.
//   'schedule.runNow' { directoryId } → ScheduledOutcome: runs the directory's scheduled import now; lifts a
//      quarantine ("Retry now").
//   'schedule.discard' { runId } → { discarded: true }: a held run the admin does not want; its changes come
//      back in the next run (the directory's change-tracking point did not move).
import { z } from 'zod';
import { channel } from './channel.ts';
import { localId } from './users.ts';
import type { ActionCounts, CommittedCounts } from './sync.ts';

/** Why a scheduled run waits for the admin. */
export type HeldReason = 'threshold' | 'conflicts' | 'policy';

export interface ScheduledOutcome {
  directoryId: string;
  directoryName: string;
  /** committed: applied on its own; held: waits for review; failed: the source or the commit failed; skipped: not run. */
  status: 'committed' | 'held' | 'failed' | 'skipped';
  runId?: string;
  mode?: 'full' | 'delta';
  held?: { reason: HeldReason; message: string };
  /** Held runs this one replaced. */
  superseded?: string[];
  plan?: {
    users: ActionCounts;
    groups: ActionCounts;
    memberships: { add: number; remove: number };
    deletions: number;
  };
  committed?: CommittedCounts;
  error?: { code: string; message: string; details?: unknown };
  /** Set when this failure put (or kept) the directory in quarantine. */
  quarantinedUntil?: string;
  /** Why it was skipped (another process holds the data folder, schedule off). */
  skipped?: string;
}

export interface DirectoryScheduleView {
  directoryId: string;
  directoryName: string;
  mode: 'off' | 'interval' | 'daily';
  /** "Every 60 minutes", "Daily at 02:30", "Off". */
  description: string;
  autoCommit: 'safe' | 'hold';
  nextRunAt?: string;
  lastRunAt?: string;
  lastOutcome?: 'committed' | 'held' | 'failed';
  failures: number;
  quarantinedUntil?: string;
  lastError?: { code: string; message: string; details?: unknown };
}

export interface ReviewItem {
  runId: string;
  directoryId: string;
  directoryName: string;
  created: string;
  /** held: can be opened, committed (a selection) or discarded; failed: read the error, Retry now. */
  kind: 'held' | 'failed';
  reason: HeldReason | 'source_failed' | 'empty_source' | 'failed';
  message: string;
  users: ActionCounts;
  deletions: number;
}

export interface ScheduleOverview {
  directories: DirectoryScheduleView[];
  review: ReviewItem[];
}

export const scheduleContract = {
  'schedule.overview': channel<ScheduleOverview>()(z.object({}).strict()),
  'schedule.runNow': channel<ScheduledOutcome>()(z.object({ directoryId: localId }).strict()),
  'schedule.discard': channel<{ discarded: true }>()(z.object({ runId: z.string().min(1).max(64) }).strict()),
};
