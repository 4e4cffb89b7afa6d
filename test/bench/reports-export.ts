// Reports bench: seeds 1,000,000 report entries into a temporary data folder
// (one transaction, one prepared statement), then exports all of them to CSV
// in a child process (test/bench/tasks/reports-export.ts through runTask), so
// the peak RSS reported is the exporting process's own.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../src-main/store/db.ts';
import { figure, round, runTask, type Measurement } from './harness.ts';

export const BENCH_REPORT_ENTRIES = 1_000_000;

const APPS = ['Corp AD', 'Entra ID (contoso)', 'LDAP, Lab', 'Partners "EU"', 'Zürich HR'];
const ACTIONS = ['create', 'update', 'update', 'update', 'disable', 'delete', 'password', 'addMember'];
const STATUSES = ['success', 'success', 'success', 'success', 'failure', 'skipped', 'pending'];

/**
 * Writes `count` entries over the last `days` days (newest has the highest id),
 * `users` distinct end users. Deterministic. Returns the seeding time.
 */
export function seedReportEntries(
  dataDir: string,
  count: number,
  opts: { users?: number; days?: number } = {},
): { ms: number } {
  const users = opts.users ?? 50_000;
  const days = opts.days ?? 170;
  const db = new Db(join(dataDir, 'provision-desk.sqlite'));
  // A large page cache keeps the one big transaction from spilling pages to the WAL early.
  db.sqlite.exec('PRAGMA cache_size = -262144');
  const started = performance.now();
  const insert = db.sqlite.prepare(
    `INSERT INTO report_entries (at, user_identifier, user_identifier_lc, object_type, action, application,
      application_lc, directory_id, status, message, run_id, request_id, changes)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)`,
  );
  const now = Date.now();
  const span = days * 24 * 3600_000;
  let seed = 42;
  const rnd = () => {
    // mulberry32: a small deterministic generator
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const at = new Date(now - span + Math.floor((span * i) / count)).toISOString();
      const u = Math.floor(rnd() * users);
      const user = `User${String(u).padStart(6, '0')}@Corp.Example`;
      const app = APPS[u % APPS.length]!;
      const action = ACTIONS[Math.floor(rnd() * ACTIONS.length)]!;
      const status = STATUSES[Math.floor(rnd() * STATUSES.length)]!;
      const message = status === 'failure' ? 'The server refused: "constraint violation", attribute mail' : '';
      const changes =
        action === 'update'
          ? JSON.stringify({ title: ['Engineer', 'Senior engineer, R&D'], department: ['IT', 'Ops'] })
          : null;
      insert.run(
        at,
        user,
        user.toLowerCase(),
        'user',
        action,
        app,
        app.toLowerCase(),
        status,
        message,
        `run-${Math.floor(i / 5000)}`,
        status === 'failure' ? `req-${i}` : null,
        changes,
      );
    }
  });
  const ms = performance.now() - started;
  db.close();
  return { ms };
}

export interface ReportsExportFigures {
  entries: number;
  ms: number;
  ratePerSecond: number;
  peakRssMb: number;
  /** Also reported: the seeding time and the CSV size. */
  seedMs: number;
  bytes: number;
}

async function exportOnce(dataDir: string, expected: number) {
  const out = join(dataDir, 'export.csv');
  const r = await runTask<{ entries: number; ms: number }>('reports-export', { dataDir, out, format: 'csv' });
  if (r.entries !== expected) throw new Error(`exported ${r.entries} entries, expected ${expected}`);
  const bytes = statSync(out).size;
  rmSync(out, { force: true });
  return {
    entries: r.entries,
    ms: round(r.ms),
    ratePerSecond: Math.round(r.entries / (r.ms / 1000)),
    peakRssMb: r.peakRssMb,
    bytes,
  };
}

/** Seeds a million entries and exports them all to CSV in a child process. */
export async function measureReportsExport(
  opts: { entries?: number; log?: (m: string) => void } = {},
): Promise<ReportsExportFigures> {
  const entries = opts.entries ?? BENCH_REPORT_ENTRIES;
  const dataDir = mkdtempSync(join(tmpdir(), 'pd-bench-reports-'));
  try {
    const seed = seedReportEntries(dataDir, entries);
    opts.log?.(`seeded ${entries} report entries in ${Math.round(seed.ms)} ms`);
    return { ...(await exportOnce(dataDir, entries)), seedMs: round(seed.ms) };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export const reportsExportMeasurement: Measurement = {
  name: 'reports-export',
  async run({ runs, log }) {
    const dataDir = mkdtempSync(join(tmpdir(), 'pd-bench-reports-'));
    try {
      const seed = seedReportEntries(dataDir, BENCH_REPORT_ENTRIES);
      log(`seeded ${BENCH_REPORT_ENTRIES} report entries in ${Math.round(seed.ms)} ms`);
      const all: Array<Awaited<ReturnType<typeof exportOnce>>> = [];
      for (let i = 0; i < Math.max(1, runs); i++) {
        const f = await exportOnce(dataDir, BENCH_REPORT_ENTRIES);
        log(
          `run ${i + 1}: exported ${f.entries} entries in ${Math.round(f.ms)} ms (${f.ratePerSecond}/s), peak RSS ${f.peakRssMb} MB`,
        );
        all.push(f);
      }
      const mid = [...all].sort((a, b) => a.ms - b.ms)[Math.floor((all.length - 1) / 2)]!;
      return [
        figure({
          name: `reports: export ${mid.entries} entries to CSV`,
          unit: 'ms',
          ours: mid.ms,
          peakRssMb: Math.max(...all.map((f) => f.peakRssMb)),
          runs: all.length,
          notes: `${mid.ratePerSecond} entries/s, ${Math.round(mid.bytes / 1048576)} MB CSV, seeding ${Math.round(seed.ms)} ms; RSS is the exporting process's own`,
        }),
      ];
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
