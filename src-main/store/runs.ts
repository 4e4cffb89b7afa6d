// Import and push runs: a plan (rows) kept with its counts, committed by row
// selection. Rows are written while the plan is built, in batches.
import type { Db } from './db.ts';
import { nowIso } from './db.ts';

export type RunKind = 'import' | 'push';
export type RunStatus =
  'running' | 'previewed' | 'committed' | 'failed' | 'cancelled' | 'stale' | 'superseded' | 'discarded';
export type RowObjectType = 'user' | 'group' | 'membership';
export type RowAction = 'create' | 'update' | 'unchanged' | 'missing' | 'conflict' | 'add' | 'remove' | 'delete';

/**
 * The change-tracking token an import preview obtained, and the hash of the directory's mapping /
 * matching / scope it was read with. Internal: never part of a RunSummary (tokens stay in main).
 */
export interface RunDelta {
  token?: string;
  configHash: string;
}

export interface RunRecord {
  id: string;
  directoryId: string;
  kind: RunKind;
  status: RunStatus;
  baseChange: number;
  counts: Record<string, unknown>;
  error: string | null;
  created: string;
  finished: string | null;
  /** Insertion order: a later run of the same directory has a larger seq. */
  seq: number;
  delta?: RunDelta;
}

export interface RowRecord {
  runId: string;
  seq: number;
  objectType: RowObjectType;
  action: RowAction;
  localId: string | null;
  anchor: string | null;
  display: string;
  /** attribute → [old, new] */
  changes: Record<string, [unknown, unknown]> | null;
  data: unknown;
}

interface RunDb {
  rowid: number;
  id: string;
  directory_id: string;
  kind: RunKind;
  status: RunStatus;
  base_change: number;
  counts: string;
  error: string | null;
  created: string;
  finished: string | null;
  delta: string | null;
}
interface RowDb {
  run_id: string;
  seq: number;
  object_type: RowObjectType;
  action: RowAction;
  local_id: string | null;
  anchor: string | null;
  display: string;
  changes: string | null;
  data: string | null;
}

const toRun = (r: RunDb): RunRecord => ({
  id: r.id,
  directoryId: r.directory_id,
  kind: r.kind,
  status: r.status,
  baseChange: r.base_change,
  counts: JSON.parse(r.counts) as Record<string, unknown>,
  error: r.error,
  created: r.created,
  finished: r.finished,
  seq: r.rowid,
  delta: r.delta ? (JSON.parse(r.delta) as RunDelta) : undefined,
});
const toRow = (r: RowDb): RowRecord => ({
  runId: r.run_id,
  seq: r.seq,
  objectType: r.object_type,
  action: r.action,
  localId: r.local_id,
  anchor: r.anchor,
  display: r.display,
  changes: r.changes ? (JSON.parse(r.changes) as Record<string, [unknown, unknown]>) : null,
  data: r.data ? (JSON.parse(r.data) as unknown) : null,
});

export interface RowFilter {
  objectType?: RowObjectType;
  actions?: RowAction[];
  /** Case-insensitive substring of the display text. */
  text?: string;
  limit?: number;
  offset?: number;
}

type SqlParam = string | number | null;
const ROWS_PER_INSERT = 50;
const insertSql = new Map<number, string>();
/** INSERT of n plan rows (the text is cached: the Db caches its prepared statement by it). */
function insertRowsSql(n: number): string {
  let sql = insertSql.get(n);
  if (!sql) {
    sql = `INSERT INTO import_rows (run_id, seq, object_type, action, local_id, anchor, display, changes, data) VALUES ${Array(n).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
    insertSql.set(n, sql);
  }
  return sql;
}

export class RunsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  create(r: { id: string; directoryId: string; kind: RunKind; baseChange: number }): RunRecord {
    this.db.run(
      "INSERT INTO import_runs (id, directory_id, kind, status, base_change, counts, created) VALUES (?, ?, ?, 'running', ?, '{}', ?)",
      r.id,
      r.directoryId,
      r.kind,
      r.baseChange,
      nowIso(),
    );
    return this.get(r.id)!;
  }

  get(id: string): RunRecord | undefined {
    const r = this.db.get<RunDb>('SELECT rowid, * FROM import_runs WHERE id = ?', id);
    return r && toRun(r);
  }

  /** Latest run of a directory and kind (by insertion order). */
  latest(directoryId: string, kind: RunKind): RunRecord | undefined {
    const r = this.db.get<RunDb>(
      'SELECT rowid, * FROM import_runs WHERE directory_id = ? AND kind = ? ORDER BY rowid DESC LIMIT 1',
      directoryId,
      kind,
    );
    return r && toRun(r);
  }

  list(f: { directoryId?: string; kind?: RunKind; limit?: number } = {}): RunRecord[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (f.directoryId) {
      where.push('directory_id = ?');
      params.push(f.directoryId);
    }
    if (f.kind) {
      where.push('kind = ?');
      params.push(f.kind);
    }
    params.push(f.limit ?? 50);
    return this.db
      .all<RunDb>(
        `SELECT rowid, * FROM import_runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY rowid DESC LIMIT ?`,
        ...params,
      )
      .map(toRun);
  }

  finish(id: string, status: RunStatus, counts?: Record<string, unknown>, error?: string): void {
    this.db.run(
      'UPDATE import_runs SET status = ?, counts = COALESCE(?, counts), error = ?, finished = ? WHERE id = ?',
      status,
      counts ? JSON.stringify(counts) : null,
      error ?? null,
      nowIso(),
      id,
    );
  }

  /**
   * Keeps the token a preview obtained with its run (see RunDelta), and drops those of the directory's
   * earlier runs: none of them can be committed any more (a newer preview exists), and a committed one's
   * token already lives in directories.delta_state. An OpenLDAP token holds the anchor set (a few bytes
   * per entry), so runs do not each keep one.
   */
  setDelta(id: string, delta: RunDelta): void {
    this.db.transaction(() => {
      this.db.run(
        // Earlier runs only: two previews finishing out of order never drop the newer one's token.
        `UPDATE import_runs SET delta = NULL
         WHERE delta IS NOT NULL AND directory_id = (SELECT directory_id FROM import_runs WHERE id = ?)
           AND rowid < (SELECT rowid FROM import_runs WHERE id = ?)`,
        id,
        id,
      );
      this.db.run('UPDATE import_runs SET delta = ? WHERE id = ?', JSON.stringify(delta), id);
    });
  }

  /** Adds fields to a run's counts (e.g. what its commit did with the delta token). */
  mergeCounts(id: string, extra: Record<string, unknown>): void {
    const run = this.get(id);
    if (run)
      this.db.run('UPDATE import_runs SET counts = ? WHERE id = ?', JSON.stringify({ ...run.counts, ...extra }), id);
  }

  setStatus(id: string, status: RunStatus): void {
    this.db.run('UPDATE import_runs SET status = ? WHERE id = ?', status, id);
  }

  /**
   * Writes plan rows, ROWS_PER_INSERT per statement (one prepared statement per size, cached by the
   * Db): a 100,000-user preview makes 2,000 statement calls instead of 100,000.
   */
  addRows(rows: RowRecord[]): void {
    if (rows.length === 0) return;
    this.db.transaction(() => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const n = Math.min(ROWS_PER_INSERT, rows.length - i);
        const params: SqlParam[] = new Array(n * 9);
        for (let j = 0; j < n; j++) {
          const r = rows[i + j]!;
          const o = j * 9;
          params[o] = r.runId;
          params[o + 1] = r.seq;
          params[o + 2] = r.objectType;
          params[o + 3] = r.action;
          params[o + 4] = r.localId;
          params[o + 5] = r.anchor;
          params[o + 6] = r.display;
          params[o + 7] = r.changes ? JSON.stringify(r.changes) : null;
          params[o + 8] = r.data === null || r.data === undefined ? null : JSON.stringify(r.data);
        }
        this.db.run(insertRowsSql(n), ...params);
      }
    });
  }

  setRowAction(runId: string, seq: number, action: RowAction, data?: unknown): void {
    this.db.run(
      'UPDATE import_rows SET action = ?, data = COALESCE(?, data) WHERE run_id = ? AND seq = ?',
      action,
      data === undefined ? null : JSON.stringify(data),
      runId,
      seq,
    );
  }

  deleteRows(runId: string): void {
    this.db.run('DELETE FROM import_rows WHERE run_id = ?', runId);
  }

  row(runId: string, seq: number): RowRecord | undefined {
    const r = this.db.get<RowDb>('SELECT * FROM import_rows WHERE run_id = ? AND seq = ?', runId, seq);
    return r && toRow(r);
  }

  rows(runId: string, f: RowFilter = {}): RowRecord[] {
    const { sql, params } = this.where(runId, f);
    params.push(f.limit ?? 1_000_000, f.offset ?? 0);
    return this.db.all<RowDb>(`SELECT * FROM import_rows ${sql} ORDER BY seq LIMIT ? OFFSET ?`, ...params).map(toRow);
  }

  countRows(runId: string, f: RowFilter = {}): number {
    const { sql, params } = this.where(runId, f);
    return this.db.get<{ n: number }>(`SELECT count(*) AS n FROM import_rows ${sql}`, ...params)!.n;
  }

  /** Streams rows in seq order without holding them all (commit of large plans). */
  *iterate(runId: string, f: RowFilter = {}): Generator<RowRecord> {
    const { sql, params } = this.where(runId, f);
    for (const r of this.db.prepare(`SELECT * FROM import_rows ${sql} ORDER BY seq`).iterate(...params))
      yield toRow(r as unknown as RowDb);
  }

  private where(runId: string, f: RowFilter): { sql: string; params: Array<string | number> } {
    const where = ['run_id = ?'];
    const params: Array<string | number> = [runId];
    if (f.objectType) {
      where.push('object_type = ?');
      params.push(f.objectType);
    }
    if (f.actions && f.actions.length > 0) {
      where.push(`action IN (${f.actions.map(() => '?').join(',')})`);
      params.push(...f.actions);
    }
    if (f.text) {
      where.push("display LIKE ? ESCAPE '\\'");
      params.push('%' + f.text.replace(/[\\%_]/g, (c) => '\\' + c) + '%');
    }
    return { sql: 'WHERE ' + where.join(' AND '), params };
  }
}
