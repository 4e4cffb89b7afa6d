// Retention: report entries are kept for a configurable number of days (180
// by default, a row in settings) and older ones are purged — when the app
// starts and on demand. Deletes go in batches so a large purge never holds
// the write lock for long.
import type { Db } from '../store/db.ts';

export const RETENTION_KEY = 'reports.retentionDays';
export const DEFAULT_RETENTION_DAYS = 180;
const PURGE_BATCH = 5000;

export function retentionDays(db: Db): number {
  const row = db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', RETENTION_KEY);
  const n = row ? Number(row.value) : NaN;
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_RETENTION_DAYS;
}

export function setRetentionDays(db: Db, days: number): void {
  db.run(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    RETENTION_KEY,
    String(days),
  );
}

export function retentionCutoff(days: number, now = new Date()): string {
  return new Date(now.getTime() - days * 24 * 3600_000).toISOString();
}

/** Deletes entries older than the retention; returns how many and the cutoff. */
export async function purgeExpired(db: Db, now = new Date()): Promise<{ deleted: number; before: string }> {
  const before = retentionCutoff(retentionDays(db), now);
  let deleted = 0;
  for (;;) {
    const n = db.transaction(
      () =>
        db.run(
          'DELETE FROM report_entries WHERE id IN (SELECT id FROM report_entries WHERE at < ? ORDER BY at LIMIT ?)',
          before,
          PURGE_BATCH,
        ).changes,
    );
    deleted += n;
    if (n < PURGE_BATCH) break;
    await new Promise((r) => setImmediate(r)); // let other work in between
  }
  if (deleted > 0) {
    // Identifiers with no entry left no longer belong in the user search.
    db.transaction(() =>
      db.run(
        `DELETE FROM report_users WHERE NOT EXISTS
           (SELECT 1 FROM report_entries e WHERE e.user_identifier_lc = report_users.lc)`,
      ),
    );
  }
  return { deleted, before };
}
