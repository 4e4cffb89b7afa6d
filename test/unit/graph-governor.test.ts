import { describe, expect, it } from 'vitest';
import { WriteGovernor, governorWait } from '../../src-main/connectors/graph/governor.ts';

/** A fake clock: sleep advances time instantly. */
function clock() {
  let t = 1_000_000;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
    advance: (ms: number) => (t += ms),
  };
}

describe('graph write governor', () => {
  it('computes the wait from the oldest finished writes', () => {
    const entries = [
      { at: 100, n: 10 },
      { at: 200, n: 10 },
    ];
    expect(governorWait(entries, 5, 30, 1000, 300)).toBe(0);
    expect(governorWait(entries, 15, 30, 1000, 300)).toBe(800); // the first 10 expire at 1100
    expect(governorWait(entries, 25, 30, 1000, 300)).toBe(900); // both must expire
    expect(governorWait([{ at: Infinity, n: 30 }], 1, 30, 1000, 300)).toBe(Infinity); // only in-flight block
    expect(governorWait(entries, 30, 30, 1000, 1200)).toBe(0); // all expired
  });

  it('never lets more than the limit into any window, counted from when answers arrive', async () => {
    const c = clock();
    const g = new WriteGovernor({ limit: 100, windowMs: 10_000, now: c.now, sleep: c.sleep });
    const grants: Array<{ at: number; n: number }> = [];
    for (let i = 0; i < 60; i++) {
      const t = await g.acquire(20);
      grants.push({ at: c.now(), n: 20 });
      c.advance(50); // latency
      t.release();
    }
    // Sliding check over every window start.
    for (const start of grants.map((x) => x.at)) {
      const inWindow = grants.filter((x) => x.at >= start && x.at < start + 10_000).reduce((s, x) => s + x.n, 0);
      expect(inWindow).toBeLessThanOrEqual(100);
    }
    // and it sustains close to the limit: 1,200 writes need ~11 windows
    const span = grants.at(-1)!.at - grants[0]!.at;
    expect(1200 / (span / 10_000 + 1)).toBeGreaterThan(90);
    expect(g.stats.granted).toBe(1200);
  });

  it('counts in-flight writes and wakes when one finishes', async () => {
    const c = clock();
    const g = new WriteGovernor({ limit: 20, windowMs: 1000, now: c.now, sleep: c.sleep });
    const first = await g.acquire(20);
    let granted = false;
    const second = g.acquire(1).then((t) => {
      granted = true;
      return t;
    });
    await new Promise((r) => setTimeout(r, 10));
    // still in flight: the window cannot have room (sleep ticks advance the fake clock but entry is Infinity)
    expect(g.inWindow()).toBeGreaterThanOrEqual(20);
    first.release();
    (await second).release();
    expect(granted).toBe(true);
  });

  it('honours a pause after a throttled answer', async () => {
    const c = clock();
    const g = new WriteGovernor({ limit: 1000, windowMs: 1000, now: c.now, sleep: c.sleep });
    const t0 = c.now();
    g.pauseUntil(t0 + 5000);
    (await g.acquire(1)).release();
    expect(c.now()).toBeGreaterThanOrEqual(t0 + 5000);
  });

  it('can be cancelled while waiting', async () => {
    const g = new WriteGovernor({ limit: 1, windowMs: 60_000 });
    (await g.acquire(1)).release();
    const ac = new AbortController();
    const p = g.acquire(1, ac.signal);
    ac.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
  });
});
