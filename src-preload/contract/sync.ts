// Sync area of the bridge: import (preview → rows → commit), provisioning
// (outbox, provision on demand), push/reconcile, runs.
//
// Flow for the Import screen:
//   1. 'import.preview' { directoryId, mode? } → RunSummary (status 'previewed'). mode 'auto' (default) reads
//      only the changes since the last committed import when the directory's change-tracking token allows it
//      (a "delta" run: summary.mode 'delta', rows for the changed and deleted objects only), else everything
//      (mode 'full', with modeReason saying why); 'full' always reads everything; 'delta' is 'auto' that
//      says why when it cannot be a delta. The token only advances when a run is committed whole. While it runs, 'app.progress'
//      events carry { operationId, phase: 'connecting'|'reading users'|'reading groups'|'done'|'failed'|'cancelled',
//      done: objects read, ratePerSecond }. The operation id is in the first progress event; cancel with
//      'app.cancel' { operationId }. A failed read rejects with code 'source_failed' (or 'empty_source'),
//      and the run is kept with status 'failed' and no rows: nobody is ever marked missing by a failed read.
//   2. 'import.rows' { runId, objectType?, actions?, text?, offset, limit } → RowsPage (filterable table).
//      Unchanged objects are counted in the summary but listed only when the commit would link them
//      (matched by a rule, or their DN moved): a steady-state run of 100,000 users lists what changes.
//      'import.exportCsv' { runId, ... same filter, excluded? } → { filename, csv } of the (filtered) plan,
//                         UTF-8 with BOM, a selected column, formula-like cells made text.
//   3. 'import.commit' { runId, seqs?, allowDeletes? } → CommitResult. seqs = the selected rows (omit = all).
//      Errors: 'stale_plan' ("preview again": the store changed, or a newer preview exists, or it was
//      already committed), 'threshold' (the selection deletes/disables more than the directory's limit:
//      details { deletions, limitCount, limitPercent, percent }; repeat with allowDeletes: true).
// Provisioning screen / user detail:
//   'provision.outbox' → OutboxView (counts + recent items); 'provision.retryFailed' { directoryId?, ids? };
//   'provision.onDemand' { userId, directoryId } → OnDemandResult with the step trace.
// Push / reconcile: 'push.preview' { directoryId } → RunSummary (kind 'push'; rows via 'import.rows');
//   'push.apply' { runId, seqs?, allowDeletes? } → PushApplyResult (work queued to the outbox).
// Runs: 'runs.list' { directoryId?, kind? } → RunSummary[].
import { z } from 'zod';
import { channel } from './channel.ts';
import { localId } from './users.ts';

export interface ActionCounts {
  create: number;
  update: number;
  unchanged: number;
  missing: number;
  conflict: number;
}

export interface ThresholdCheck {
  /** True when the run deletes/disables more than the limit: commit/push needs allowDeletes. */
  exceeded: boolean;
  deletions: number;
  /** Deletions as a percentage of the objects linked to the directory. */
  percent: number;
  limitCount: number;
  limitPercent: number;
}

export interface PlanCounts {
  users: ActionCounts;
  groups: ActionCounts;
  memberships: { add: number; remove: number };
  /** Objects read from the directory. */
  read: { users: number; groups: number };
  /** Objects linked to the directory before the run. */
  linked: { users: number; groups: number };
  /** Missing users (disabled or deleted per the directory's deprovision setting) + missing groups. */
  deletions: number;
  threshold: ThresholdCheck;
  /** What a commit / apply did (set once committed). */
  committed?: CommittedCounts;
  /**
   * Import runs: 'delta' = only the objects the directory reported changed or deleted since `since` were
   * read (unchanged objects are neither listed nor counted); 'full' = everything. Absent on push runs.
   */
  mode?: 'full' | 'delta';
  /** Why a run is full although a delta was asked for or possible (or why a delta could not start). */
  modeReason?: string;
  /** Delta runs: when the committed import this run's changes are counted from was committed. */
  since?: string;
  /**
   * Set when the run was committed: whether its change-tracking token became the directory's
   * ('advanced'), or the previous one was kept because rows were left unapplied ('held').
   */
  deltaToken?: 'advanced' | 'held' | 'none';
  /** Import runs: per other directory, what committing the whole plan will queue there and what it cannot do. */
  downstream?: DownstreamPlan[];
}

/**
 * What a commit will queue for one OTHER directory (where those operations are on), and what cannot be
 * done there — said before anything is queued. Counts are of outbox work: users and groups to create,
 * edits of objects that directory holds, memberships of groups it holds or gets.
 */
export interface DownstreamPlan {
  directoryId: string;
  directoryName: string;
  users: { create: number; update: number; deprovision: number };
  groups: { create: number; update: number; delete: number };
  memberships: { add: number; remove: number };
  /** Disabled users among the creates. */
  disabledUsers: number;
  /**
   * What they become there: created disabled (or locked), not created (the directory cannot hold a
   * disabled account and the admin's choice is "not created"), or unknown (could not be checked: queued).
   */
  disabled: 'created' | 'notCreated' | 'unknown';
  /** Users not created there, and the edits and memberships left out with them. */
  notCreated: number;
  leftOutWithThem: number;
  /** Where they are created disabled: the attribute that holds it (userAccountControl, pwdAccountLockedTime, …). */
  lockedThrough?: string;
  /** The directory's own sentence about disabled accounts (why they are not created). */
  reason?: string;
  /** The one line the admin reads, e.g. "Lab LDAP: 3,990 users to create; 210 disabled users not created (…)". */
  line: string;
}

/** What a commit queued for one other directory, and what it left out there. */
export interface DownstreamQueued {
  directoryId: string;
  directoryName: string;
  /** Outbox items queued, by operation (user.create, membership.add, …). */
  queued: Record<string, number>;
  notCreated: number;
  leftOutWithThem: number;
  reason?: string;
  line: string;
}

export interface CommittedCounts {
  users: { create: number; update: number; link: number; disable: number; delete: number };
  groups: { create: number; update: number; link: number; delete: number };
  memberships: { add: number; remove: number };
  /** Rows that could not apply (e.g. a membership whose member row was not selected). */
  skipped: number;
  /** Outbox items queued for other directories by this commit (or by a push apply). */
  queued: number;
  /** Per other directory: what was queued and what was left out there (import commits). */
  downstream?: DownstreamQueued[];
}

export type RunKind = 'import' | 'push';
/** superseded: a held scheduled run a newer run replaced; discarded: a held run the admin set aside. */
export type RunStatus =
  'running' | 'previewed' | 'committed' | 'failed' | 'cancelled' | 'stale' | 'superseded' | 'discarded';

export interface RunSummary extends PlanCounts {
  /** Always set on a summary ('full' for push runs and for runs made before delta imports). */
  mode: 'full' | 'delta';
  runId: string;
  directoryId: string;
  directoryName: string;
  kind: RunKind;
  status: RunStatus;
  created: string;
  finished?: string;
  error?: { code: string; message: string; details?: unknown };
  /** 'scheduled' for a run its directory's schedule started; absent for the admin's own. */
  trigger?: 'scheduled';
  /** A scheduled run left for review, and why. */
  held?: { reason: 'threshold' | 'conflicts' | 'policy'; message: string };
}

export type RowObjectType = 'user' | 'group' | 'membership';
/** Users/groups: create, update, unchanged, missing, conflict. Memberships: add, remove. Push also: delete. */
export type RowAction = 'create' | 'update' | 'unchanged' | 'missing' | 'conflict' | 'add' | 'remove' | 'delete';

export interface PlanRow {
  seq: number;
  objectType: RowObjectType;
  action: RowAction;
  /** What the admin reads: "Display Name (userName)", group name, "Group ← member". */
  display: string;
  localId?: string;
  anchor?: string;
  /** attribute → [old, new]; null where there was no value. */
  changes?: Record<string, [unknown, unknown]>;
  /** Why a conflict / missing row is what it is. */
  reason?: string;
}

export interface RowsPage {
  total: number;
  rows: PlanRow[];
}

export interface CommitResult {
  runId: string;
  committed: CommittedCounts;
}

export interface OutboxItemView {
  id: number;
  directoryId: string;
  directoryName: string;
  objectType: 'user' | 'group' | 'membership';
  localId: string;
  op: string;
  /** Who/what it is about (userName, group name, member name). */
  identifier: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  /** The directory's own message when it failed (or the last transient fault). */
  lastError?: string;
  created: string;
  updated: string;
}

export interface OutboxView {
  counts: { pending: number; running: number; done: number; failed: number };
  items: OutboxItemView[];
}

export interface TraceStepView {
  step: 'scope' | 'match' | 'action' | 'result';
  ok: boolean;
  detail: string;
}

export interface OnDemandResult {
  ok: boolean;
  action: 'create' | 'link' | 'update' | 'none' | 'skipped';
  steps: TraceStepView[];
  error?: { code: string; message: string; details?: unknown };
}

export interface PushApplyResult {
  runId: string;
  /** Outbox items queued (they run in the background worker; see provision.outbox). */
  queued: number;
}

const runId = z.string().min(1).max(64);
const rowFilter = {
  objectType: z.enum(['user', 'group', 'membership']).optional(),
  actions: z
    .array(z.enum(['create', 'update', 'unchanged', 'missing', 'conflict', 'add', 'remove', 'delete']))
    .max(8)
    .optional(),
  text: z.string().max(256).optional(),
};

export const syncContract = {
  'import.preview': channel<RunSummary>()(
    z.object({ directoryId: localId, mode: z.enum(['auto', 'full', 'delta']).default('auto') }).strict(),
  ),
  'import.rows': channel<RowsPage>()(
    z
      .object({
        runId,
        ...rowFilter,
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(5000).default(200),
      })
      .strict(),
  ),
  'import.exportCsv': channel<{ filename: string; csv: string }>()(
    z
      .object({
        runId,
        ...rowFilter,
        /** Rows the admin unticked: the CSV's "selected" column says no for them. */
        excluded: z.array(z.number().int().min(1)).max(1_000_000).default([]),
      })
      .strict(),
  ),
  'import.commit': channel<CommitResult>()(
    z
      .object({
        runId,
        seqs: z.array(z.number().int().min(1)).max(1_000_000).optional(),
        allowDeletes: z.boolean().default(false),
      })
      .strict(),
  ),
  'runs.list': channel<RunSummary[]>()(
    z.object({ directoryId: localId.optional(), kind: z.enum(['import', 'push']).optional() }).strict(),
  ),
  'provision.outbox': channel<OutboxView>()(
    z
      .object({
        directoryId: localId.optional(),
        states: z
          .array(z.enum(['pending', 'running', 'done', 'failed']))
          .max(4)
          .optional(),
        limit: z.number().int().min(1).max(2000).default(200),
      })
      .strict(),
  ),
  'provision.retryFailed': channel<{ queued: number }>()(
    z.object({ directoryId: localId.optional(), ids: z.array(z.number().int()).max(10_000).optional() }).strict(),
  ),
  /** Failed items the admin gives up on: removed, with any password they held (a report line each). */
  'provision.discardFailed': channel<{ discarded: number }>()(
    z.object({ ids: z.array(z.number().int().min(1)).min(1).max(10_000) }).strict(),
  ),
  'provision.onDemand': channel<OnDemandResult>()(z.object({ userId: localId, directoryId: localId }).strict()),
  'push.preview': channel<RunSummary>()(z.object({ directoryId: localId }).strict()),
  'push.apply': channel<PushApplyResult>()(
    z
      .object({
        runId,
        seqs: z.array(z.number().int().min(1)).max(1_000_000).optional(),
        allowDeletes: z.boolean().default(false),
      })
      .strict(),
  ),
};
