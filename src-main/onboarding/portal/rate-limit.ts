// Sliding-window attempt counters for the reset portal: per address and per
// token. In memory only: a restart forgets them, which is acceptable for a
// 256-bit token (the limits are there to stop guessing at the policy and
// hammering the directories, not to protect the token's entropy).
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  readonly limit: number;
  readonly windowMs: number;
  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Records an attempt; false when the key is over its limit (the attempt is refused). */
  hit(key: string, now = Date.now()): boolean {
    const since = now - this.windowMs;
    const list = (this.hits.get(key) ?? []).filter((t) => t > since);
    const allowed = list.length < this.limit;
    if (allowed) list.push(now);
    this.hits.set(key, list);
    if (this.hits.size > 50_000) this.prune(now);
    return allowed;
  }

  /** Milliseconds until the key may try again (0 when it may now). */
  retryAfterMs(key: string, now = Date.now()): number {
    const list = (this.hits.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length < this.limit) return 0;
    return Math.max(0, list[0]! + this.windowMs - now);
  }

  private prune(now: number): void {
    for (const [k, list] of this.hits) if (!list.some((t) => t > now - this.windowMs)) this.hits.delete(k);
  }
}
