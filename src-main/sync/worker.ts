// The outbox worker: claims due items per directory with bounded
// concurrency, runs them through the directory's connector, retries
// transient faults with backoff (honouring Retry-After), marks permanent
// faults failed with the directory's own message, and on start puts back any
// item a crash left running. Each claim names this worker as its owner, so a
// second process on the same data folder never runs (or resumes) its items.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Connector } from '../connectors/connector.ts';
import type { DirectoryRecord } from '../store/directories.ts';
import type { LinksRepo } from '../store/links.ts';
import type { OutboxItem, OutboxRepo } from '../store/outbox.ts';
import type { ReportEntryInput, ReportsRepo } from '../store/reports.ts';
import { withBulkReportUsers } from './common.ts';
import {
  describeError,
  errorText,
  itemIdentifier,
  reportObjectType,
  runItem,
  runMemberships,
  runUserCreates,
  type Outcome,
  type ProvisionContext,
} from './provision.ts';

/** The longest a server's Retry-After may hold an item back. */
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * User creates sent together to a connector that creates in bulk: Graph's $batch holds 20; an LDAP
 * batch costs one search for existing matches and its adds pipelined, so a bigger one spreads that
 * search and the batch's bookkeeping queries over more users,
 * and keeps more adds in flight while a flush holds this thread (the server idled through them).
 * In flight on one LDAP connection: concurrency × 75 = 600 adds, under OpenLDAP's 1,000 pending
 * requests per bound session (conn_max_pending_auth, past which it closes the session).
 */
const BULK_CREATES = { entra: 20, other: 75 };
/**
 * Results are written together, at most `flushItems` results or FLUSH_MS after the first one
 * finished. Each commit writes every page it touched, and links, outbox and report indexes are keyed
 * by random ids: a flush of 250 results rewrites nearly as many pages as one of 2,000 (and copies
 * them again at the checkpoint that follows). So the first flush of a run holds FLUSH_FIRST (its
 * first results show soon), each next one up to twice as many, to FLUSH_MAX. A crash loses at most
 * that window's bookkeeping, never an object: the items are still running in the table, resumed on
 * restart, and their creates link what the directory already holds.
 */
const FLUSH_FIRST = 250;
const FLUSH_MAX = 2000;
const FLUSH_MS = 300;
/** Change notices (the window refreshes its outbox view on each) go out at most this often. */
const CHANGED_MS = 250;

export interface WorkerDeps extends Omit<
  ProvisionContext,
  'directory' | 'connector' | 'runId' | 'reports' | 'outbox' | 'links'
> {
  links: LinksRepo;
  reports: ReportsRepo;
  outbox: OutboxRepo;
  directoryRecord(id: string): DirectoryRecord | undefined;
  connectorFor(id: string): Connector;
  onChanged?: () => void;
}

export interface WorkerOptions {
  /** Items run at once per directory (default 8). */
  concurrency?: number;
  /** Attempts before a transient fault is given up as failed (default 8). */
  maxAttempts?: number;
  /** First backoff delay; doubles per attempt up to maxBackoffMs (defaults 1 s and 5 min). */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Poll interval when idle (default 1 s). */
  idleMs?: number;
}

/** Who claims: host, process and this worker, e.g. `ws01/4242/1f3a9c2e`. */
function newOwner(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/**
 * Whether the worker that claimed items is still there: a process on this host that still runs (a worker
 * of another host sharing the folder, which the folder lock prevents, is taken as alive).
 */
export function ownerAlive(owner: string): boolean {
  const [host, pid] = owner.split('/');
  if (host !== hostname()) return true;
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) return false;
  if (n === process.pid) return true;
  try {
    process.kill(n, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DrainResult {
  done: number;
  failed: number;
  /** Still pending (waiting for a retry that is further off than the drain waits). */
  pending: number;
}

export class OutboxWorker {
  private readonly d: WorkerDeps;
  private readonly o: Required<WorkerOptions>;
  /** This worker's name on the items it claims. */
  readonly owner = newOwner();
  /** Items whose result could not be written and that could not be put back yet (the database was busy). */
  private unreleased: number[] = [];
  /** Deferred items to run again as soon as a flush records done items (a group waiting for its members). */
  private waitingForCreates = new Set<number>();
  private readonly inflight = new Map<string, number>();
  private readonly connectors = new Map<string, { connector: Connector; modified: string }>();
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private wakePending = false;
  private resumed = false;
  private stats = { done: 0, failed: 0 };
  private idleWaiters: Array<() => void> = [];
  /** Claimed (state running) but not started yet, per directory. */
  private readonly queued = new Map<string, OutboxItem[]>();
  /** Results of finished items, written together in one transaction (write-behind), with the items they end. */
  private writes: Array<{ fn: () => void; ids: readonly number[] }> = [];
  /** While a flush runs them: their report entries, done items and new links, each written by one statement. */
  private gathered?: { reports: ReportEntryInput[]; done: number[]; links: Array<Parameters<LinksRepo['upsert']>[0]> };
  private readonly reports: Pick<ReportsRepo, 'add'> = {
    add: (e) => {
      if (!this.gathered) return this.d.reports.add(e);
      this.gathered.reports.push(e);
      return 0;
    },
  };
  private readonly outbox: ProvisionContext['outbox'] = {
    markDone: (id, payload) => {
      if (this.gathered && payload === undefined) this.gathered.done.push(id);
      else this.d.outbox.markDone(id, payload);
    },
    unfinishedFor: (localId, directoryId) => this.d.outbox.unfinishedFor(localId, directoryId),
    hasOtherUnfinished: (...a) => this.d.outbox.hasOtherUnfinished(...a),
    add: (i) => {
      const id = this.d.outbox.add(i);
      this.wake();
      return id;
    },
  };
  /**
   * Links as the items see them: upserts made while a flush runs are gathered into multi-row
   * statements; any other read or write of links first writes what was gathered, so it sees them.
   */
  private readonly links: ProvisionContext['links'] = {
    get: (...a) => (this.putLinks(), this.d.links.get(...a)),
    byAnchor: (...a) => (this.putLinks(), this.d.links.byAnchor(...a)),
    forLocals: (...a) => (this.putLinks(), this.d.links.forLocals(...a)),
    setState: (...a) => (this.putLinks(), this.d.links.setState(...a)),
    delete: (...a) => (this.putLinks(), this.d.links.delete(...a)),
    upsert: (l) => {
      if (this.gathered) this.gathered.links.push(l);
      else this.d.links.upsert(l);
    },
  };
  private putLinks(): void {
    const g = this.gathered;
    if (!g || g.links.length === 0) return;
    const links = g.links;
    g.links = [];
    this.d.links.upsertMany(links);
  }
  private flushTimer?: NodeJS.Timeout;
  /** A change notice is due (they go out at most every CHANGED_MS: a run must not flood the window). */
  private changedDue = false;
  private changedTimer?: NodeJS.Timeout;

  constructor(deps: WorkerDeps, opts: WorkerOptions = {}) {
    this.d = deps;
    this.o = {
      concurrency: opts.concurrency ?? 8,
      maxAttempts: opts.maxAttempts ?? 8,
      baseBackoffMs: opts.baseBackoffMs ?? 1000,
      maxBackoffMs: opts.maxBackoffMs ?? 5 * 60_000,
      idleMs: opts.idleMs ?? 1000,
    };
  }

  /** Starts the background loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (!this.resumed) {
      this.resumed = true;
      if (this.d.outbox.resumeRunning(ownerAlive, this.owner) > 0) this.changed();
    }
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    this.loop = undefined;
    // Let items in flight end (their results are written) before connectors close.
    while (this.totalInflight() > 0) await new Promise((r) => setTimeout(r, 20));
    this.flush();
    const unstarted = [...this.queued.values()].flat().map((i) => i.id);
    this.queued.clear();
    if (unstarted.length > 0) this.d.outbox.release(unstarted);
    for (const { connector } of this.connectors.values()) await connector.close().catch(() => undefined);
    this.connectors.clear();
    if (this.changedTimer) clearTimeout(this.changedTimer);
    this.changedTimer = undefined;
    if (this.changedDue) {
      this.changedDue = false;
      this.d.onChanged?.();
    }
  }

  /** Tells the shell the outbox changed: at once, then at most every CHANGED_MS while changes go on. */
  private changed(): void {
    if (this.changedTimer) {
      this.changedDue = true;
      return;
    }
    this.d.onChanged?.();
    const tick = () => {
      if (!this.changedDue) {
        this.changedTimer = undefined;
        return;
      }
      this.changedDue = false;
      this.d.onChanged?.();
      this.changedTimer = setTimeout(tick, CHANGED_MS);
      this.changedTimer.unref?.();
    };
    this.changedTimer = setTimeout(tick, CHANGED_MS);
    this.changedTimer.unref?.();
  }

  /** New work was queued. */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    if (w) w();
    else this.wakePending = true;
  }

  /**
   * Runs until nothing is due and nothing runs; items waiting for a retry
   * due within `waitMs` (default 2 min) are waited for.
   */
  async drain(opts: { waitMs?: number } = {}): Promise<DrainResult> {
    const before = { ...this.stats };
    const wasRunning = this.running;
    const waitMs = opts.waitMs ?? 120_000;
    const deadline = Date.now() + waitMs;
    this.start();
    for (;;) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        this.wake();
      });
      // Items another live worker claimed are its own to finish: not waited for here.
      const c = { ...this.d.outbox.counts(), running: this.d.outbox.runningBy(this.owner) };
      if (c.pending === 0 && c.running === 0) break;
      const next = this.d.outbox.due().nextAt;
      if (c.running === 0 && (!next || Date.parse(next) > deadline)) break;
      if (c.running === 0 && next) {
        // Nothing due right now: sleep until the next retry is due.
        const wait = Math.max(20, Math.min(1000, Date.parse(next) - Date.now()));
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    if (!wasRunning) await this.stop();
    const c = this.d.outbox.counts();
    return {
      done: this.stats.done - before.done,
      failed: this.stats.failed - before.failed,
      pending: c.pending + c.running,
    };
  }

  private totalInflight(): number {
    let n = 0;
    for (const v of this.inflight.values()) n += v;
    return n;
  }

  /** Results the next flush waits for (FLUSH_FIRST when a run starts, doubling to FLUSH_MAX). */
  private flushItems = FLUSH_FIRST;
  /**
   * Everything due is claimed: the run is in its tail. Its flushes go back to FLUSH_FIRST, written
   * while the last batches are still out; the last flush, which nothing overlaps, stays small.
   */
  private draining = false;

  /** Queues a finished item's writes; they land together (at most FLUSH_MS or flushItems items later). */
  private write(fn: () => void, ids: readonly number[]): void {
    this.writes.push({ fn, ids });
    if (this.writes.length >= this.flushItems) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /**
   * Writes the queued results in one transaction. `then` (the loop's next claim) joins that
   * transaction: the outbox pages a claim touches are the ones the results just touched, and one
   * commit is cheaper than two.
   */
  private flush(then?: () => void): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const ws = this.writes;
    this.writes = [];
    if (ws.length > 0) this.flushItems = this.draining ? FLUSH_FIRST : Math.min(FLUSH_MAX, this.flushItems * 2);
    if (ws.length === 0) {
      if (then) this.d.db.transaction(then);
      return;
    }
    try {
      this.d.db.transaction(() => {
        withBulkReportUsers(this.d.db, () => {
          const gathered: NonNullable<OutboxWorker['gathered']> = { reports: [], done: [], links: [] };
          this.gathered = gathered;
          try {
            for (const w of ws) w.fn();
            this.putLinks();
          } finally {
            this.gathered = undefined;
          }
          this.d.outbox.markDoneMany(gathered.done);
          this.d.reports.addMany(gathered.reports);
          if (gathered.done.length > 0) this.wakeWaiting();
        });
        then?.();
      });
    } catch {
      // One bad write must not lose the others: apply them one by one. A result that cannot be written
      // (the database busy beyond its timeout, say) puts its items back to pending: they run again, and
      // their creates link what the directory already holds. Nothing stays stranded in `running`.
      for (const w of ws) {
        try {
          this.d.db.transaction(w.fn);
        } catch (err) {
          console.error('[outbox] could not record a result:', err instanceof Error ? err.message : err);
          this.putBack(w.ids);
        }
      }
      if (then) this.tryTransaction(then);
    }
    this.changed();
    if (!then) this.wake();
  }

  /** Deferred items that wait for creates are due again: the creates just recorded may be theirs. */
  private wakeWaiting(): void {
    if (this.waitingForCreates.size === 0) return;
    this.d.outbox.dueNow([...this.waitingForCreates]);
    this.waitingForCreates.clear();
  }

  /** Items back to pending; if even that cannot be written now, the loop tries again. */
  private putBack(ids: readonly number[]): void {
    this.unreleased.push(...ids);
    const todo = this.unreleased;
    this.unreleased = [];
    try {
      this.d.outbox.release(todo);
    } catch {
      this.unreleased = todo;
    }
  }

  private tryTransaction(fn: () => void): void {
    try {
      this.d.db.transaction(fn);
    } catch (err) {
      console.error('[outbox] bookkeeping failed:', err instanceof Error ? err.message : err);
    }
  }

  private async run(): Promise<void> {
    let checkDue = true;
    while (this.running) {
      let started = 0;
      if (this.unreleased.length > 0) this.putBack([]);
      try {
        // Refill the per-directory queues in batches (one claim transaction for many items).
        if (checkDue) {
          // Results waiting to be written go first, in the same transaction as the claim.
          const { directories } = this.d.outbox.due();
          this.draining = directories.length === 0;
          if (this.draining) this.flushItems = FLUSH_FIRST;
          const low = directories.filter((dirId) => (this.queued.get(dirId)?.length ?? 0) < this.o.concurrency);
          if (low.length > 0) {
            // Queued only once the claim is committed (a rolled-back claim left them pending).
            let claimed: Array<[string, OutboxItem[]]> = [];
            const claim = () => {
              claimed = low.map((dirId) => {
                const want = this.bulk(dirId) ? this.o.concurrency * this.bulkSize(dirId) : this.o.concurrency * 4;
                const room = want - (this.queued.get(dirId)?.length ?? 0);
                return [dirId, this.d.outbox.claim(dirId, room, undefined, this.owner)];
              });
            };
            if (this.writes.length >= this.flushItems / 2) this.flush(claim);
            else this.d.db.transaction(claim);
            for (const [dirId, items] of claimed) {
              if (items.length === 0) continue;
              const q = this.queued.get(dirId) ?? [];
              q.push(...items);
              this.queued.set(dirId, q);
            }
          }
        }
        for (const [dirId, q] of this.queued) {
          while (q.length > 0 && (this.inflight.get(dirId) ?? 0) < this.o.concurrency) {
            const items = this.take(dirId, q);
            started++;
            this.inflight.set(dirId, (this.inflight.get(dirId) ?? 0) + 1);
            const unit =
              items[0]!.objectType === 'membership'
                ? this.executeMemberships(items)
                : items.length > 1
                  ? this.executeCreates(items)
                  : this.execute(items[0]!);
            void unit.finally(() => {
              this.inflight.set(dirId, (this.inflight.get(dirId) ?? 1) - 1);
              this.wake();
            });
          }
          if (q.length === 0) this.queued.delete(dirId);
        }
      } catch (err) {
        console.error('[outbox] worker loop error:', err instanceof Error ? err.message : err);
      }
      const queuedCount = [...this.queued.values()].reduce((n, q) => n + q.length, 0);
      if (started > 0 || queuedCount > 0) {
        // Wait for a slot to free up; claim again only when a queue runs low.
        checkDue = queuedCount < this.o.concurrency;
        await this.sleep(this.o.idleMs);
        continue;
      }
      checkDue = true;
      if (this.totalInflight() === 0) {
        this.flush();
        this.flushItems = FLUSH_FIRST; // nothing runs: the next run starts small again
        if (this.idleWaiters.length > 0) {
          const ws = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of ws) w();
        }
      }
      const next = this.d.outbox.due().nextAt;
      const untilNext = next ? Math.max(10, Date.parse(next) - Date.now()) : this.o.idleMs;
      await this.sleep(Math.min(untilNext, this.o.idleMs));
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private connector(dir: DirectoryRecord): Connector {
    const cached = this.connectors.get(dir.id);
    if (cached && cached.modified === dir.modified) return cached.connector;
    if (cached) void cached.connector.close().catch(() => undefined);
    const connector = this.d.connectorFor(dir.id);
    this.connectors.set(dir.id, { connector, modified: dir.modified });
    return connector;
  }

  private dirCache = new Map<string, { at: number; dir: DirectoryRecord | undefined }>();
  /** Directory records, re-read at most every 500 ms (config changes apply to the next items). */
  private directory(id: string): DirectoryRecord | undefined {
    const c = this.dirCache.get(id);
    if (c && Date.now() - c.at < 500) return c.dir;
    const dir = this.d.directoryRecord(id);
    this.dirCache.set(id, { at: Date.now(), dir });
    return dir;
  }

  /** Whether the directory's connector creates users in bulk (decides how many items to claim). */
  private bulk(dirId: string): boolean {
    try {
      const dir = this.directory(dirId);
      return !!dir && !!this.connector(dir).createUsers;
    } catch {
      return false;
    }
  }

  private bulkSize(dirId: string): number {
    return this.directory(dirId)?.config.kind === 'entra' ? BULK_CREATES.entra : BULK_CREATES.other;
  }

  /**
   * The next unit of work: one item; a group's membership changes claimed together (they run as one
   * multi-value write); or up to BULK_CREATES user creates for a bulk connector.
   */
  private take(dirId: string, q: OutboxItem[]): OutboxItem[] {
    const first = q.shift()!;
    if (first.objectType === 'membership') {
      const batch = [first];
      for (let k = 0; k < q.length;) {
        if (q[k]!.objectType === 'membership' && q[k]!.localId === first.localId) batch.push(q.splice(k, 1)[0]!);
        else k++;
      }
      return batch;
    }
    if (first.op !== 'user.create' || !this.bulk(dirId)) return [first];
    const items = [first];
    const size = this.bulkSize(dirId);
    for (let k = 0; k < q.length && items.length < size;) {
      if (q[k]!.op === 'user.create') items.push(q.splice(k, 1)[0]!);
      else k++;
    }
    return items;
  }

  private context(dir: DirectoryRecord): ProvisionContext {
    return {
      ...this.d,
      links: this.links,
      reports: this.reports,
      outbox: this.outbox,
      directory: { id: dir.id, config: dir.config },
      connector: this.connector(dir),
      commit: (fn, ids) => this.write(fn, ids),
    };
  }

  private settle(item: OutboxItem, dir: DirectoryRecord, r: { outcome: Outcome } | { error: unknown }): void {
    try {
      if ('error' in r) return this.fail(item, dir, r.error);
    } catch (err) {
      // The failure itself could not be recorded (a busy database): the item runs again later.
      console.error('[outbox] could not record a failure:', err instanceof Error ? err.message : err);
      return this.putBack([item.id]);
    }
    try {
      if (r.outcome.kind === 'defer') {
        this.d.outbox.markRetry(
          item.id,
          new Date(Date.now() + r.outcome.delayMs).toISOString(),
          r.outcome.reason,
          false,
        );
        if (r.outcome.untilCreatesLand) this.waitingForCreates.add(item.id);
      } else {
        // The shell hears of it when its result is written (flush).
        this.stats.done++;
      }
    } catch (err) {
      console.error('[outbox] could not record a result:', err instanceof Error ? err.message : err);
      this.putBack([item.id]);
    }
  }

  private async execute(item: OutboxItem): Promise<void> {
    const dir = this.directory(item.directoryId);
    if (!dir) return; // the directory was removed; its items went with it (cascade)
    let r: { outcome: Outcome } | { error: unknown };
    try {
      r = { outcome: await runItem(this.context(dir), item) };
    } catch (error) {
      r = { error };
    }
    this.settle(item, dir, r);
  }

  /** User creates of one directory through the connector's bulk create; each item ends on its own. */
  private async executeCreates(items: OutboxItem[]): Promise<void> {
    const dir = this.directory(items[0]!.directoryId);
    if (!dir) return;
    let results: Array<{ outcome: Outcome } | { error: unknown }>;
    try {
      results = await runUserCreates(this.context(dir), items);
    } catch (error) {
      results = items.map(() => ({ error }));
    }
    items.forEach((item, k) => this.settle(item, dir, results[k] ?? { error: new Error('No result for this item.') }));
  }

  /** A group's membership changes as one unit; each item still ends on its own (done, deferred, failed). */
  private async executeMemberships(items: OutboxItem[]): Promise<void> {
    const dir = this.directory(items[0]!.directoryId);
    if (!dir) return;
    let results: Array<{ outcome: Outcome } | { error: unknown }>;
    try {
      results = await runMemberships(this.context(dir), items);
    } catch (error) {
      results = items.map(() => ({ error }));
    }
    items.forEach((item, k) => this.settle(item, dir, results[k] ?? { error: new Error('No result for this item.') }));
  }

  private fail(item: OutboxItem, dir: DirectoryRecord, err: unknown): void {
    const e = describeError(err);
    const text = errorText(e);
    const attempts = item.attempts + 1;
    const linkType = item.objectType === 'membership' ? undefined : item.objectType;
    const base = {
      userIdentifier: itemIdentifier(item),
      objectType: reportObjectType(item),
      action:
        item.op.split('.')[1] === 'add' || item.op.split('.')[1] === 'remove'
          ? `${item.op.split('.')[1]} member`
          : item.op.split('.')[1]!,
      application: dir.config.name,
      directoryId: dir.id,
    };
    this.d.db.transaction(() => {
      if (e.transient && attempts < this.o.maxAttempts) {
        const backoff = Math.min(this.o.maxBackoffMs, this.o.baseBackoffMs * 2 ** (attempts - 1));
        // A server's Retry-After is honoured up to an hour: a huge one must not park the item for good.
        const delay = Math.max(backoff, Math.min(e.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
        this.d.outbox.markRetry(
          item.id,
          new Date(Date.now() + delay).toISOString(),
          JSON.stringify({ code: e.code, message: e.message, server: e.server }),
        );
        this.d.reports.add({
          ...base,
          status: 'pending',
          message: `Temporary failure (attempt ${attempts}), retrying in ${Math.round(delay / 1000)} s: ${text}`,
        });
      } else {
        // The payload stays whole (a sealed password included): a retry does the whole job.
        this.d.outbox.markFailed(item.id, JSON.stringify({ code: e.code, message: e.message, server: e.server }));
        if (linkType && item.op !== 'user.delete' && item.op !== 'group.delete')
          this.d.links.setState(dir.id, linkType, item.localId, 'failed', text);
        else if (linkType && this.d.links.get(dir.id, linkType, item.localId))
          this.d.links.setState(dir.id, linkType, item.localId, 'failed', text);
        this.d.reports.add({ ...base, status: 'failure', message: text });
        this.stats.failed++;
      }
    });
    this.changed();
  }
}
