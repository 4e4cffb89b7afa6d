// The write governor: keeps sustained writes under Graph's documented identity
// write limit (3,000 per 150 s per app and tenant) so throttling is the
// exception, not the steady state. A sliding-window log: every granted write
// is counted from the moment its answer arrived (in-flight writes count as
// "now" until they finish), so our window never expires an entry before the
// server's does, whatever the latency.
import { sleep as defaultSleep } from './retry.ts';

export interface GovernorOptions {
  /** Writes allowed per window. */
  limit: number;
  windowMs: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const documentedWriteLimit = { limit: 3000, windowMs: 150_000 } as const;

interface Entry {
  /** When the answer arrived; Infinity while in flight. */
  at: number;
  n: number;
}

/**
 * How long to wait before `n` more writes fit. Pure: `entries` are the live
 * grants (finished ones with their time, in-flight with Infinity).
 * Returns 0 when they fit now, Infinity when only in-flight ones block.
 */
export function governorWait(
  entries: readonly Entry[],
  n: number,
  limit: number,
  windowMs: number,
  now: number,
): number {
  let used = 0;
  const finished: Entry[] = [];
  for (const e of entries) {
    if (e.at !== Infinity && e.at + windowMs <= now) continue;
    used += e.n;
    if (e.at !== Infinity) finished.push(e);
  }
  const need = used + n - limit;
  if (need <= 0) return 0;
  finished.sort((a, b) => a.at - b.at);
  let freed = 0;
  for (const e of finished) {
    freed += e.n;
    if (freed >= need) return Math.max(1, e.at + windowMs - now);
  }
  return Infinity;
}

export interface WriteTicket {
  /** Call when the answer arrived (success or not): the window counts from then. */
  release(): void;
}

export class WriteGovernor {
  readonly limit: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private entries: Entry[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | undefined;
  private pausedUntil = 0;
  /** Figures for the bench and the report. */
  readonly stats = { granted: 0, waits: 0, waitedMs: 0 };

  constructor(opts: GovernorOptions) {
    if (!(opts.limit >= 1) || !(opts.windowMs >= 1))
      throw new Error('write governor: limit and windowMs must be positive');
    this.limit = Math.floor(opts.limit);
    this.windowMs = opts.windowMs;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? defaultSleep;
  }

  /** Waits (first come, first served) until n writes fit in the window, then counts them as in flight. */
  acquire(n: number, signal?: AbortSignal): Promise<WriteTicket> {
    const want = Math.max(1, Math.min(Math.floor(n), this.limit));
    const run = this.tail.then(() => this.grant(want, signal));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** The server said to stop writing until then (a 429 on the window itself). */
  pauseUntil(at: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, at);
  }

  /** Writes counted in the current window (in flight included). */
  inWindow(): number {
    const now = this.now();
    return this.entries.reduce((s, e) => (e.at === Infinity || e.at + this.windowMs > now ? s + e.n : s), 0);
  }

  private async grant(n: number, signal?: AbortSignal): Promise<WriteTicket> {
    for (;;) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      const now = this.now();
      this.entries = this.entries.filter((e) => e.at === Infinity || e.at + this.windowMs > now);
      let wait = Math.max(0, this.pausedUntil - now);
      if (wait === 0) wait = governorWait(this.entries, n, this.limit, this.windowMs, now);
      if (wait === 0) break;
      this.stats.waits++;
      const started = this.now();
      if (wait === Infinity) {
        // Only in-flight writes block: wait (in real time) for one to finish, or a short tick.
        const ac = new AbortController();
        const onAbort = (): void => ac.abort(signal?.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          await Promise.race([
            new Promise<void>((r) => (this.wake = r)),
            defaultSleep(250, ac.signal).catch(() => undefined),
          ]);
        } finally {
          ac.abort();
          signal?.removeEventListener('abort', onAbort);
        }
      } else {
        await this.sleep(wait, signal);
      }
      this.stats.waitedMs += this.now() - started;
    }
    const entry: Entry = { at: Infinity, n };
    this.entries.push(entry);
    this.stats.granted += n;
    let done = false;
    return {
      release: () => {
        if (done) return;
        done = true;
        entry.at = this.now();
        const w = this.wake;
        this.wake = undefined;
        w?.();
      },
    };
  }
}
