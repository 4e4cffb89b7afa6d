// The local store: one SQLite file (node:sqlite, no native module), WAL mode,
// versioned migrations. Repositories take a Db and never open their own.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { migrations } from './migrations.ts';
import { AppError } from '../errors.ts';

/** A WAL bigger than this after a bulk write is copied into the database file on another thread. */
const BACKGROUND_CHECKPOINT_BYTES = 32 * 1024 * 1024;
// Its own connection: a PASSIVE checkpoint never blocks this one's readers or writers, and while
// it runs this connection's own automatic checkpoints are skipped, not waited for.
const CHECKPOINT_WORKER = `
const { DatabaseSync } = require('node:sqlite');
const { workerData } = require('node:worker_threads');
try {
  const db = new DatabaseSync(workerData);
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  db.close();
} catch {
  // The next checkpoint (any later commit, or closing the store) copies those pages instead.
}
`;

export class Db {
  readonly sqlite: DatabaseSync;
  private readonly file: string;
  private readonly statements = new Map<string, StatementSync>();
  private depth = 0;
  /** The WAL size (pages) at which SQLite checkpoints by itself, as the connection was opened with. */
  private readonly autoCheckpoint: number;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.file = file;
    try {
      this.sqlite = new DatabaseSync(file);
      this.sqlite.exec('PRAGMA journal_mode = WAL');
    } catch (err) {
      throw new AppError(
        'store_unreadable',
        `The store ${file} cannot be opened: it is damaged or is not a Provision Desk store. Restore it from a backup, or start with another data folder (--data-dir).`,
        err instanceof Error ? err.message : String(err),
      );
    }
    this.sqlite.exec('PRAGMA synchronous = NORMAL');
    this.sqlite.exec('PRAGMA foreign_keys = ON');
    this.sqlite.exec('PRAGMA busy_timeout = 5000');
    this.autoCheckpoint = (
      this.sqlite.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }
    ).wal_autocheckpoint;
    this.migrate();
  }

  /** Prepared statements are cached by their SQL text. */
  prepare(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.sqlite.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.prepare(sql).all(...params) as T[];
  }
  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return this.prepare(sql).get(...params) as T | undefined;
  }
  run(sql: string, ...params: SqlValue[]): { changes: number; lastInsertRowid: number } {
    const r = this.prepare(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /** Runs fn in one transaction; nested calls join the outer one. */
  transaction<T>(fn: () => T): T {
    if (this.depth > 0) {
      this.depth++;
      try {
        return fn();
      } finally {
        this.depth--;
      }
    }
    this.sqlite.exec('BEGIN IMMEDIATE');
    this.depth = 1;
    try {
      const result = fn();
      this.sqlite.exec('COMMIT');
      return result;
    } catch (err) {
      this.sqlite.exec('ROLLBACK');
      throw err;
    } finally {
      this.depth = 0;
    }
  }

  /**
   * A transaction that writes a lot (an import commit of a large directory)
   * with a page cache big enough for its working set, so the random-order index pages it touches
   * stay in memory instead of being spilled to the WAL and read back again and again (with the
   * default cache that cost seconds of system time on a large import). Temporary B-trees
   * (statement journals) live in memory too. Both are set back once it ends; the pages are only
   * allocated as they are used.
   *
   * Its commit does not wait for the automatic checkpoint (copying the WAL's pages into the
   * database file and syncing it, long for a large import): a big WAL is checkpointed on a worker
   * thread right after, a small one here. Durability is unchanged (synchronous = NORMAL: a commit
   * is in the WAL either way; the checkpoint is what a power cut needs).
   */
  bulkTransaction<T>(fn: () => T, cacheMb = 64): T {
    if (this.depth > 0) return this.transaction(fn);
    const pragma = (name: string) =>
      Math.trunc(Object.values(this.sqlite.prepare(`PRAGMA ${name}`).get()!)[0] as number);
    const cache = pragma('cache_size');
    const temp = pragma('temp_store');
    // The connection's own setting, not what the pragma says now: a bulk commit whose WAL is still
    // being copied on the worker thread has it switched off until that copy ends.
    const autoCheckpoint = this.autoCheckpoint;
    this.sqlite.exec(`PRAGMA cache_size = ${-Math.round(cacheMb * 1024)}`);
    this.sqlite.exec('PRAGMA temp_store = MEMORY');
    this.sqlite.exec('PRAGMA wal_autocheckpoint = 0');
    try {
      return this.transaction(fn);
    } finally {
      this.sqlite.exec(`PRAGMA temp_store = ${temp}`);
      this.sqlite.exec(`PRAGMA cache_size = ${cache}`);
      this.checkpointSoon(autoCheckpoint);
    }
  }

  /**
   * Copies a big WAL into the database file on a worker thread; until it is done this connection
   * makes no automatic checkpoint of its own (the next small commit would otherwise do all of it
   * here). A small WAL is checkpointed here, as the automatic checkpoint would have.
   */
  private checkpointSoon(autoCheckpoint: number): void {
    const restore = () => {
      if (this.sqlite.isOpen) this.sqlite.exec(`PRAGMA wal_autocheckpoint = ${autoCheckpoint}`);
    };
    let wal = 0;
    try {
      if (this.file !== ':memory:') wal = statSync(`${this.file}-wal`).size;
    } catch {
      // No WAL file: nothing to copy.
    }
    const here = () => {
      restore();
      if (autoCheckpoint > 0 && wal > 0) this.sqlite.exec('PRAGMA wal_checkpoint(PASSIVE)');
    };
    if (autoCheckpoint <= 0 || wal < BACKGROUND_CHECKPOINT_BYTES) return here();
    let worker: Worker;
    try {
      worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: this.file });
    } catch {
      // No thread to be had (resource limits): the transaction is committed all the same, so this
      // must not throw; the copy is made here, as the automatic checkpoint would have.
      return here();
    }
    worker.on('error', () => undefined);
    worker.on('exit', restore);
    worker.unref();
  }

  /**
   * Runs fn, inside the caller's transaction, with these secondary indexes of `table` dropped and
   * built again from their own stored SQL once it returns: one sort per index instead of an index
   * insert per row, for a bulk write of `adding` rows. Worth it for keys that arrive in random
   * order (anchors, DNs, e-mails: each insert lands on another page); an index whose keys arrive
   * in order (ids, one commit's time) costs less kept than rebuilt. A name the schema no longer
   * has is skipped. Only when the table holds no more rows than that, so the rebuild costs
   * less than what it saves; otherwise fn just runs. The caller guarantees that fn reads nothing
   * of the table through those indexes (it would scan the table instead). Unique indexes are
   * checked when built again: a duplicate then fails with an AppError 'conflict' (the table's rows
   * as before fn, indexes back), as a row-by-row write would have failed; nothing outside the
   * transaction ever sees them missing.
   */
  withoutIndexes<T>(table: string, names: readonly string[], adding: number, fn: () => T): T {
    if (!this.sqlite.isTransaction) throw new Error('withoutIndexes runs inside a transaction');
    const held = this.get<{ n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM "${table}" LIMIT ?)`, adding + 1)!.n;
    if (held > adding || adding === 0) return fn();
    const indexes = this.all<{ name: string; sql: string }>(
      `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL
       AND name IN (SELECT value FROM json_each(?))`,
      table,
      JSON.stringify(names),
    );
    if (indexes.length === 0) return fn();
    // In a savepoint: whatever fn or a rebuild throws, the indexes are back before the error leaves.
    return this.savepoint('without_indexes', () => {
      for (const i of indexes) this.sqlite.exec(`DROP INDEX "${i.name}"`);
      const result = fn();
      for (const i of indexes) rebuild(this.sqlite, i);
      return result;
    });
  }

  /**
   * Runs fn in a savepoint of the caller's transaction: when it throws, its writes — schema
   * changes included — are undone before the error leaves, even for a caller that catches the
   * error inside a joined transaction and then commits.
   */
  savepoint<T>(name: string, fn: () => T): T {
    if (!/^[a-z_]+$/.test(name)) throw new Error(`Bad savepoint name: ${name}`);
    this.sqlite.exec(`SAVEPOINT ${name}`);
    try {
      const result = fn();
      this.sqlite.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      this.sqlite.exec(`ROLLBACK TO ${name}`);
      this.sqlite.exec(`RELEASE ${name}`);
      throw err;
    }
  }

  /** Bumps the counter every local change moves, so stale plans are seen. */
  bumpLocalChange(): number {
    this.run("UPDATE counters SET value = value + 1 WHERE name = 'localChange'");
    return this.localChange();
  }
  localChange(): number {
    return this.get<{ value: number }>("SELECT value FROM counters WHERE name = 'localChange'")!.value;
  }

  close(): void {
    this.statements.clear();
    this.sqlite.close();
  }

  private migrate(): void {
    const current = (this.sqlite.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    // A newer version's store may hold data this one would misread or undo: refuse, change nothing.
    if (current > migrations.length) {
      this.sqlite.close();
      throw new AppError(
        'store_too_new',
        `The store ${this.file} was written by a newer version of Provision Desk (store version ${current}; this version knows up to ${migrations.length}). Update Provision Desk to open it.`,
      );
    }
    for (let v = current; v < migrations.length; v++) {
      this.transaction(() => {
        this.sqlite.exec(migrations[v]!);
        this.sqlite.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
  }
}

export type SqlValue = string | number | bigint | null | Uint8Array;

/** Builds a dropped index again; a unique one that two new rows break says so in the admin's words. */
function rebuild(sqlite: DatabaseSync, index: { name: string; sql: string }): void {
  try {
    sqlite.exec(index.sql);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!/UNIQUE/i.test(message)) throw err;
    throw new AppError(
      'conflict',
      'Two of the objects written together hold the same value where it must be unique; nothing was changed.',
      {
        index: index.name,
        message,
      },
    );
  }
}

// The same text within a millisecond: a bulk write asks for the time once per row.
let lastMs = NaN;
let lastIso = '';
export const nowIso = (): string => {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
};
