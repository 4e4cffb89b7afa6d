// The scheduler: runs each directory's scheduled import when it is due, one
// directory at a time, keeps failures in a row and the quarantine, and tells
// the admin (notices, mail) about held and failed runs. It runs inside the
// desktop app and browser mode while they are open (start/stop), and once per
// call from `provision-desk sync` (runDue).
import type {
  DirectoryScheduleView,
  ReviewItem,
  ScheduleOverview,
  ScheduledOutcome,
} from '../../src-preload/contract/schedule.ts';
import type { RunSummary } from '../../src-preload/contract/sync.ts';
import { scheduleOf, type DirectoryConfig } from '../../src-preload/directory.ts';
import { AppError } from '../errors.ts';
import type { DirectoriesRepo } from '../store/directories.ts';
import type { RunsRepo } from '../store/runs.ts';
import type { SyncService } from '../sync/service.ts';
import type { Clock } from './clock.ts';
import { backoffMs, fullReadDue, isDue, MINUTE_MS, nextDueAt } from './due.ts';
import { noticeFor, type RunNotice } from './notices.ts';
import { runOnce } from './run.ts';
import type { ScheduleStateRepo } from './state.ts';

export interface SchedulerDeps {
  clock: Clock;
  state: ScheduleStateRepo;
  directories: DirectoriesRepo;
  runs: RunsRepo;
  sync: SyncService;
  /**
   * Holds the data folder for one run: the release function, or undefined when another process holds it
   * (then nothing runs). The seam for the data-folder lock.
   */
  holdFolder: () => (() => void) | undefined;
  /** Mails a notice to the directory's admin addresses (the app's mail transport). */
  mail?: (to: string[], notice: RunNotice) => Promise<void>;
  onChanged?: () => void;
}

const TICK_MS = MINUTE_MS;

export class Scheduler {
  private readonly d: SchedulerDeps;
  private timer: unknown;
  private running: Promise<unknown> | undefined;
  private readonly listeners = new Set<(n: RunNotice) => void>();

  constructor(deps: SchedulerDeps) {
    this.d = deps;
  }

  /** Checks every minute for due schedules (the desktop app and browser mode). */
  start(): void {
    if (this.timer !== undefined) return;
    const loop = () => {
      this.timer = this.d.clock.setTimeout(() => {
        void this.tick().finally(() => {
          if (this.timer !== undefined) loop();
        });
      }, TICK_MS);
    };
    loop();
    void this.tick();
  }

  /** A schedule was switched on or changed: look now instead of at the next minute (only while started). */
  poke(): void {
    if (this.timer !== undefined && !this.running) queueMicrotask(() => void this.tick());
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Desktop notifications and in-app notices subscribe here. */
  onNotice(l: (n: RunNotice) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Runs every due schedule once (one at a time; a tick while one runs is skipped). */
  async tick(): Promise<ScheduledOutcome[]> {
    if (this.running) return [];
    return this.exclusive(() => this.runDueNow({}));
  }

  /**
   * `provision-desk sync`: the named directories (or all with a schedule), those due — or all of them
   * with `now`, quarantine or not.
   */
  runDue(opts: { directoryIds?: string[]; now?: boolean } = {}): Promise<ScheduledOutcome[]> {
    return this.exclusive(() => this.runDueNow(opts));
  }

  /** "Retry now": runs the directory's scheduled import at once and lifts its quarantine if it succeeds. */
  async runNow(directoryId: string): Promise<ScheduledOutcome> {
    const dir = this.d.directories.get(directoryId);
    if (!dir) throw new AppError('not_found', 'The directory was not found.', { id: directoryId });
    const [o] = await this.exclusive(() => this.runDueNow({ directoryIds: [directoryId], now: true }));
    return o!;
  }

  /** A held run set aside by the admin: kept for reading, never committed. */
  discard(runId: string): { discarded: true } {
    const run = this.d.runs.get(runId);
    if (!run || !(run.counts as { held?: unknown }).held)
      throw new AppError('not_found', 'That held run was not found.', { runId });
    if (run.status !== 'previewed')
      throw new AppError('stale_plan', `This run is ${run.status} already; there is nothing to discard.`, { runId });
    this.d.runs.setStatus(runId, 'discarded');
    this.d.onChanged?.();
    return { discarded: true };
  }

  overview(): ScheduleOverview {
    const directories: DirectoryScheduleView[] = [];
    const review: ReviewItem[] = [];
    for (const dir of this.d.directories.all()) {
      const s = scheduleOf(dir.config);
      const st = this.d.state.get(dir.id);
      const next = st && s.mode !== 'off' ? nextDueAt(s, st) : undefined;
      directories.push({
        directoryId: dir.id,
        directoryName: dir.config.name,
        mode: s.mode,
        description: describe(dir.config),
        autoCommit: s.autoCommit,
        nextRunAt: next !== undefined ? new Date(next).toISOString() : undefined,
        lastRunAt: st?.lastRunAt,
        lastOutcome: st?.lastOutcome,
        failures: st?.failures ?? 0,
        quarantinedUntil: st?.quarantinedUntil,
        lastError: st?.lastError,
      });
      review.push(...this.reviewOf(dir.id, dir.config.name, st?.lastOutcome === 'failed' ? st.lastRunId : undefined));
    }
    review.sort((a, b) => b.created.localeCompare(a.created));
    return { directories, review };
  }

  private reviewOf(directoryId: string, name: string, failedRunId: string | undefined): ReviewItem[] {
    const items: ReviewItem[] = [];
    for (const r of this.d.runs.list({ directoryId, kind: 'import', limit: 20 })) {
      const c = r.counts as Partial<RunSummary>;
      const s = this.d.sync.run(r.id);
      if (r.status === 'previewed' && c.held)
        items.push({ ...itemBase(s, name), kind: 'held', reason: c.held.reason, message: c.held.message });
      else if (r.id === failedRunId && s.error)
        items.push({
          ...itemBase(s, name),
          kind: 'failed',
          reason: s.error.code === 'empty_source' || s.error.code === 'source_failed' ? s.error.code : 'failed',
          message: s.error.message,
        });
    }
    return items;
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.running) await this.running.catch(() => undefined);
    const p = fn();
    this.running = p;
    try {
      return await p;
    } finally {
      this.running = undefined;
    }
  }

  private async runDueNow(opts: { directoryIds?: string[]; now?: boolean }): Promise<ScheduledOutcome[]> {
    const out: ScheduledOutcome[] = [];
    const wanted = opts.directoryIds ? new Set(opts.directoryIds) : undefined;
    for (const dir of this.d.directories.all()) {
      if (wanted && !wanted.has(dir.id)) continue;
      const s = scheduleOf(dir.config);
      if (s.mode === 'off') {
        this.d.state.disarm(dir.id);
        if (!(wanted && opts.now)) continue;
      }
      const now = this.d.clock.now();
      const st = s.mode === 'off' ? (this.d.state.get(dir.id) ?? { failures: 0 }) : this.d.state.ensure(dir.id, now);
      if (!opts.now && !isDue(s, st, now)) continue;
      if (this.previewRunning(dir.id, now)) {
        out.push({
          directoryId: dir.id,
          directoryName: dir.config.name,
          status: 'skipped',
          skipped: 'A preview of this directory is running; the scheduled run waits for the next check.',
        });
        continue;
      }
      const release = this.d.holdFolder();
      if (!release) {
        out.push({
          directoryId: dir.id,
          directoryName: dir.config.name,
          status: 'skipped',
          skipped: 'Another Provision Desk process holds the data folder; the scheduled run waits for it.',
        });
        continue;
      }
      try {
        out.push(await this.runOne(dir, fullReadDue(s, st, now)));
      } finally {
        release();
      }
    }
    return out;
  }

  /**
   * An admin's preview in progress: a scheduled one now would make it stale before it can be committed. A run
   * left 'running' by a crash counts only for an hour.
   */
  private previewRunning(directoryId: string, now: number): boolean {
    const latest = this.d.runs.latest(directoryId, 'import');
    return latest?.status === 'running' && now - Date.parse(latest.created) < 60 * MINUTE_MS;
  }

  private async runOne(dir: { id: string; config: DirectoryConfig }, full: boolean): Promise<ScheduledOutcome> {
    const o = await runOnce({ sync: this.d.sync, runs: this.d.runs }, dir, { full });
    const at = new Date(this.d.clock.now()).toISOString();
    const prev = this.d.state.get(dir.id) ?? { failures: 0 };
    if (o.status === 'failed') {
      const failures = prev.failures + 1;
      const wait = backoffMs(failures);
      const quarantinedUntil = wait > 0 ? new Date(this.d.clock.now() + wait).toISOString() : undefined;
      o.quarantinedUntil = quarantinedUntil;
      this.d.state.update(dir.id, {
        lastRunAt: at,
        lastOutcome: 'failed',
        lastRunId: o.runId,
        failures,
        quarantinedUntil,
        lastError: o.error,
      });
    } else
      this.d.state.update(dir.id, {
        lastRunAt: at,
        lastOutcome: o.status === 'held' ? 'held' : 'committed',
        lastRunId: o.runId,
        failures: 0,
        quarantinedUntil: undefined,
        lastError: undefined,
        ...(o.mode === 'full' ? { lastFullAt: at } : {}),
      });
    this.d.onChanged?.();
    await this.tell(dir.config, o);
    return o;
  }

  private async tell(config: DirectoryConfig, o: ScheduledOutcome): Promise<void> {
    const n = noticeFor(o);
    if (!n) return;
    for (const l of this.listeners) {
      try {
        l(n);
      } catch {
        // A broken listener (a closed window) must not stop the schedule.
      }
    }
    const to = scheduleOf(config).notify;
    if (to.length > 0 && this.d.mail) await this.d.mail(to, n).catch(() => undefined);
  }
}

function itemBase(s: RunSummary, name: string) {
  return {
    runId: s.runId,
    directoryId: s.directoryId,
    directoryName: name,
    created: s.created,
    users: s.users,
    deletions: s.deletions,
  };
}

/** The schedule in the admin's words. */
export function describe(config: DirectoryConfig): string {
  const s = scheduleOf(config);
  if (s.mode === 'off') return 'Off';
  const when = s.mode === 'interval' ? `Every ${s.everyMinutes} minutes` : `Daily at ${s.dailyAt}`;
  return `${when}; ${s.autoCommit === 'safe' ? 'commits safe runs' : 'holds every run for review'}`;
}
