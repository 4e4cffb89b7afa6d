// What the sync engine needs from the composition root, and small shared rules.
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import type { PlanCounts, ThresholdCheck } from '../../src-preload/contract/sync.ts';
import type { Connector } from '../connectors/connector.ts';
import type { Db } from '../store/db.ts';
import type { UsersRepo } from '../store/users.ts';
import type { GroupsRepo } from '../store/groups.ts';
import type { LinksRepo } from '../store/links.ts';
import type { ReportsRepo } from '../store/reports.ts';
import type { DirectoriesRepo } from '../store/directories.ts';
import type { OutboxRepo } from '../store/outbox.ts';
import type { RunsRepo } from '../store/runs.ts';
import type { SecretCipher } from '../secrets/cipher.ts';
import type { EventBus } from '../events/bus.ts';
import type { Operations } from '../events/operations.ts';
import type { SyncChangeRecorder } from './recorder.ts';

export interface SyncDeps {
  db: Db;
  repos: {
    users: UsersRepo;
    groups: GroupsRepo;
    links: LinksRepo;
    reports: ReportsRepo;
    directories: DirectoriesRepo;
    outbox: OutboxRepo;
    runs: RunsRepo;
  };
  cipher: SecretCipher;
  events: EventBus;
  operations: Operations;
  changes: SyncChangeRecorder;
  /** A connector for a saved directory (with its stored secrets). */
  connectorFor(directoryId: string): Connector;
}

export function emptyCounts(): PlanCounts {
  const a = () => ({ create: 0, update: 0, unchanged: 0, missing: 0, conflict: 0 });
  return {
    users: a(),
    groups: a(),
    memberships: { add: 0, remove: 0 },
    read: { users: 0, groups: 0 },
    linked: { users: 0, groups: 0 },
    deletions: 0,
    threshold: { exceeded: false, deletions: 0, percent: 0, limitCount: 500, limitPercent: 10 },
  };
}

/**
 * The deletion threshold: more than `deleteThresholdCount` deletions/disables,
 * or more than `deleteThresholdPercent` of the linked objects, stops the run.
 */
export function thresholdOf(config: DirectoryConfig, deletions: number, linked: number): ThresholdCheck {
  const limitCount = config.safety.deleteThresholdCount;
  const limitPercent = config.safety.deleteThresholdPercent;
  const percent = linked > 0 ? Math.round((deletions / linked) * 10_000) / 100 : deletions > 0 ? 100 : 0;
  return {
    exceeded: deletions > 0 && (deletions > limitCount || percent > limitPercent),
    deletions,
    percent,
    limitCount,
    limitPercent,
  };
}

/**
 * Runs fn — many report entry writes, inside the caller's transaction — with the
 * trigram search table (report_users) filled once at the end by one INSERT … SELECT
 * instead of a trigger per row (FTS5 flushes at every statement; migration 4).
 * The flag is set and reset inside the transaction: no other writer ever sees it.
 *
 * For an import commit's 100,000 entries (opts.entries: about how many fn writes):
 * - the trigger is dropped for the transaction and created again from its own stored SQL
 *   before it ends, because even skipped it costs a counters look-up per row, a
 *   sizeable share of a multi-row insert);
 * - into a table that holds no more entries than that, the index on identifiers (the one whose
 *   keys come in random order) is built again at the end instead of kept row by row
 *   (Db.withoutIndexes): nothing reads report entries by it inside fn.
 * These are schema changes, so not for frequent small batches (every prepared statement of
 * the connection is prepared again once); nothing outside the transaction ever sees them, and a
 * caller that catches fn's error inside its transaction still finds the trigger and flag as before.
 */
export function withBulkReportUsers<T>(db: Db, fn: () => T, opts: { entries?: number } = {}): T {
  if (!db.sqlite.isTransaction) throw new Error('withBulkReportUsers runs inside a transaction');
  const from = db.get<{ id: number | null }>('SELECT max(id) AS id FROM report_entries')?.id ?? 0;
  const trigger =
    opts.entries === undefined
      ? undefined
      : db.get<{ sql: string }>("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'report_entries_user'")
          ?.sql;
  // In a savepoint: if fn throws, the trigger and the flag are back before the error leaves.
  return db.savepoint('bulk_report_users', () => {
    if (trigger) db.sqlite.exec('DROP TRIGGER report_entries_user');
    else db.run("UPDATE counters SET value = 1 WHERE name = 'reportUsersDeferred'");
    const result =
      opts.entries === undefined ? fn() : db.withoutIndexes('report_entries', ['report_user_at'], opts.entries, fn);
    db.run('INSERT OR IGNORE INTO report_users(lc) SELECT user_identifier_lc FROM report_entries WHERE id > ?', from);
    if (trigger) db.sqlite.exec(trigger);
    else db.run("UPDATE counters SET value = 0 WHERE name = 'reportUsersDeferred'");
    return result;
  });
}
