// Provisioning of new users with phase timings, for finding where the time
// goes (not part of `npm run bench`): SQLite CPU time per statement (CPU, not
// wall: the machine is shared), the rest of
// the main thread's busy time, and the event loop's idle time.
//   node test/bench/task-runner.ts sync-provision-profile '{"dataDir": "…", "count": 10000}'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Db } from '../../../src-main/store/db.ts';
import { createApp } from '../../../src-main/app.ts';
import { benchUsers } from './sync-provision.ts';

type Fn = (...a: unknown[]) => unknown;

export async function run(args: { dataDir: string; count: number }) {
  const perSql = new Map<string, { n: number; ms: number }>();
  let measuring = false;
  let depth = 0;
  const timed = (name: 'run' | 'get' | 'all' | 'transaction') => {
    const proto = Db.prototype as unknown as Record<string, Fn>;
    const orig = proto[name]!;
    proto[name] = function (this: Db, ...a: unknown[]) {
      if (!measuring || (depth > 0 && name === 'transaction')) return orig.apply(this, a);
      const nested = depth > 0;
      depth++;
      const t = process.cpuUsage();
      try {
        return orig.apply(this, a);
      } finally {
        depth--;
        const key =
          (nested ? '  (in a transaction) ' : '') +
          (name === 'transaction'
            ? `transaction (${(new Error().stack ?? '').split('\n')[2]?.trim()})`
            : String(a[0]).replace(/\s+/g, ' ').slice(0, 90));
        const s = perSql.get(key) ?? { n: 0, ms: 0 };
        s.n++;
        const c = process.cpuUsage(t);
        s.ms += (c.user + c.system) / 1000;
        perSql.set(key, s);
      }
    };
  };
  for (const n of ['run', 'get', 'all', 'transaction'] as const) timed(n);
  const users = benchUsers(args.count);
  const elu0 = { v: performance.eventLoopUtilization() };
  const h = monitorEventLoopDelay({ resolution: 10 });
  const cpu0 = { v: process.cpuUsage() };
  // As provisionCreatesAt (test/bench/sync-app.ts), with the counters started between the two parts.
  const app = createApp({ dataDir: args.dataDir, shell: 'cli' });
  // What-ifs for the store's connection settings (db.ts), e.g. PD_PRAGMAS="cache_size=-65536;wal_autocheckpoint=10000".
  for (const p of (process.env.PD_PRAGMAS ?? '').split(';').filter(Boolean)) app.db.sqlite.exec(`PRAGMA ${p}`);
  let r: { queueMs: number; runMs: number; done: number; failed: number };
  try {
    const t0 = performance.now();
    for (const u of users) app.users.create(u);
    const t1 = performance.now();
    measuring = true;
    elu0.v = performance.eventLoopUtilization();
    cpu0.v = process.cpuUsage();
    h.enable();
    const d = await app.sync.drain({ waitMs: 60_000 });
    r = { queueMs: t1 - t0, runMs: performance.now() - t1, done: d.done, failed: d.failed };
  } finally {
    measuring = false;
    await app.close();
  }
  h.disable();
  const elu = performance.eventLoopUtilization(elu0.v);
  const cpu = process.cpuUsage(cpu0.v);
  return {
    ...r,
    busyMs: Math.round(elu.active),
    idleMs: Math.round(elu.idle),
    cpuUserMs: Math.round(cpu.user / 1000),
    cpuSysMs: Math.round(cpu.system / 1000),
    sqlMs: Math.round([...perSql].filter(([k]) => !k.startsWith('  ')).reduce((n, [, s]) => n + s.ms, 0)),
    sql: [...perSql]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 30)
      .map(([k, s]) => `${s.ms.toFixed(0).padStart(6)} ms ${String(s.n).padStart(6)}× ${k}`),
  };
}
