// The outbox: provisioning work written in the same transaction as the local
// change, then claimed and run by the worker (sync/worker.ts). Items of one
// object in one directory run in order; different objects run side by side.
import type { Db } from './db.ts';
import { nowIso } from './db.ts';

export type OutboxOp =
  | 'user.create'
  | 'user.update'
  | 'user.delete'
  | 'user.password'
  | 'group.create'
  | 'group.update'
  | 'group.delete'
  | 'membership.add'
  | 'membership.remove';

export type OutboxState = 'pending' | 'running' | 'done' | 'failed';

export interface OutboxItem {
  id: number;
  directoryId: string;
  objectType: 'user' | 'group' | 'membership';
  localId: string;
  op: OutboxOp;
  /** JSON; a password rides sealed (cipher-encrypted, base64) and is scrubbed when the item ends. */
  payload: string;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  created: string;
  updated: string;
}

interface OutboxDb {
  id: number;
  directory_id: string;
  object_type: OutboxItem['objectType'];
  local_id: string;
  op: OutboxOp;
  payload: string;
  state: OutboxState;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created: string;
  updated: string;
}

const toItem = (r: OutboxDb): OutboxItem => ({
  id: r.id,
  directoryId: r.directory_id,
  objectType: r.object_type,
  localId: r.local_id,
  op: r.op,
  payload: r.payload,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  created: r.created,
  updated: r.updated,
});

export interface OutboxCounts {
  pending: number;
  running: number;
  done: number;
  failed: number;
}

export class OutboxRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  add(i: {
    directoryId: string;
    objectType: OutboxItem['objectType'];
    localId: string;
    op: OutboxOp;
    payload: unknown;
  }): number {
    const now = nowIso();
    return this.db.run(
      `INSERT INTO outbox (directory_id, object_type, local_id, op, payload, state, attempts, next_attempt_at, created, updated)
       VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
      i.directoryId,
      i.objectType,
      i.localId,
      i.op,
      JSON.stringify(i.payload),
      now,
      now,
      now,
    ).lastInsertRowid;
  }

  get(id: number): OutboxItem | undefined {
    const r = this.db.get<OutboxDb>('SELECT * FROM outbox WHERE id = ?', id);
    return r && toItem(r);
  }

  /**
   * Claims up to `limit` due items of one directory (pending → running) whose
   * object has no earlier unfinished item, skipping objects already running.
   */
  claim(directoryId: string, limit: number, now = nowIso()): OutboxItem[] {
    if (limit <= 0) return [];
    // One statement picks and marks them, returning the rows as written (a SELECT, then an UPDATE
    // by the list of ids, looked every item up twice). Picked in id order on outbox_dir_state (the
    // unary + keeps the planner off outbox_due, which would check and sort every pending item of
    // the directory on each claim: quadratic over a 10,000-item run); it stops after `limit` hits.
    // RETURNING gives no order: sorted here.
    const rows = this.db.all<OutboxDb>(
      `UPDATE outbox SET state = 'running', updated = ?4 WHERE id IN (
         SELECT o.id FROM outbox o
         WHERE o.directory_id = ?1 AND o.state = 'pending' AND +o.next_attempt_at <= ?2
           AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.directory_id = o.directory_id AND p.local_id = o.local_id
                           AND p.id < o.id AND p.state IN ('pending','running'))
         ORDER BY o.id LIMIT ?3)
       RETURNING *`,
      directoryId,
      now,
      limit,
      nowIso(),
    );
    return rows.map(toItem).sort((a, b) => a.id - b.id);
  }

  /** Directories with work due now, and the earliest time any pending item becomes due. */
  due(now = nowIso()): { directories: string[]; nextAt?: string } {
    // Per directory, one seek on outbox_dir_state finds the first due item (rather than a
    // DISTINCT over every pending item, which a 10,000-item run pays at each claim).
    const dirs = this.db
      .all<{ id: string }>(
        `SELECT d.id FROM directories d WHERE EXISTS (SELECT 1 FROM outbox o
           WHERE o.directory_id = d.id AND o.state = 'pending' AND +o.next_attempt_at <= ?)`,
        now,
      )
      .map((r) => r.id);
    const next = this.db.get<{ t: string | null }>(
      "SELECT min(next_attempt_at) AS t FROM outbox WHERE state = 'pending'",
    );
    return { directories: dirs, nextAt: next?.t ?? undefined };
  }

  markDone(id: number, payload?: string): void {
    this.db.run(
      "UPDATE outbox SET state = 'done', attempts = attempts + 1, last_error = NULL, updated = ?, payload = COALESCE(?, payload) WHERE id = ?",
      nowIso(),
      payload ?? null,
      id,
    );
  }

  /** Many items done at once (payloads unchanged): one statement for a batch of results. */
  markDoneMany(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.db.run(
      `UPDATE outbox SET state = 'done', attempts = attempts + 1, last_error = NULL, updated = ?
       WHERE id IN (SELECT value FROM json_each(?))`,
      nowIso(),
      JSON.stringify(ids),
    );
  }

  /** A transient fault: back to pending, due again at `nextAt`. */
  markRetry(id: number, nextAt: string, error: string, countAttempt = true): void {
    this.db.run(
      "UPDATE outbox SET state = 'pending', attempts = attempts + ?, next_attempt_at = ?, last_error = ?, updated = ? WHERE id = ?",
      countAttempt ? 1 : 0,
      nextAt,
      error,
      nowIso(),
      id,
    );
  }

  markFailed(id: number, error: string, payload?: string): void {
    this.db.run(
      "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, updated = ?, payload = COALESCE(?, payload) WHERE id = ?",
      error,
      nowIso(),
      payload ?? null,
      id,
    );
  }

  /** Claimed items that were never started go back to pending. */
  release(ids: number[]): void {
    this.db.transaction(() => {
      for (const id of ids) this.db.run("UPDATE outbox SET state = 'pending' WHERE id = ? AND state = 'running'", id);
    });
  }

  /** After a crash or restart: items left running go back to pending. */
  resumeRunning(): number {
    return this.db.run("UPDATE outbox SET state = 'pending', updated = ? WHERE state = 'running'", nowIso()).changes;
  }

  /** Failed items (of one directory, or all) are queued again. */
  retryFailed(directoryId?: string, ids?: number[]): number {
    const now = nowIso();
    if (ids && ids.length > 0) {
      let n = 0;
      this.db.transaction(() => {
        for (const id of ids)
          n += this.db.run(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated = ? WHERE id = ? AND state = 'failed'",
            now,
            now,
            id,
          ).changes;
      });
      return n;
    }
    if (directoryId)
      return this.db.run(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated = ? WHERE state = 'failed' AND directory_id = ?",
        now,
        now,
        directoryId,
      ).changes;
    return this.db.run(
      "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated = ? WHERE state = 'failed'",
      now,
      now,
    ).changes;
  }

  /** Is there unfinished work for this object before item `beforeId`? */
  hasEarlierUnfinished(directoryId: string, localId: string, beforeId: number): boolean {
    return !!this.db.get(
      "SELECT 1 AS x FROM outbox WHERE directory_id = ? AND local_id = ? AND id < ? AND state IN ('pending','running')",
      directoryId,
      localId,
      beforeId,
    );
  }

  /** Unfinished work for an object (any directory, or one). */
  unfinishedFor(localId: string, directoryId?: string): OutboxItem[] {
    return (
      directoryId
        ? this.db.all<OutboxDb>(
            "SELECT * FROM outbox WHERE local_id = ? AND directory_id = ? AND state IN ('pending','running') ORDER BY id",
            localId,
            directoryId,
          )
        : this.db.all<OutboxDb>(
            "SELECT * FROM outbox WHERE local_id = ? AND state IN ('pending','running') ORDER BY id",
            localId,
          )
    ).map(toItem);
  }

  counts(directoryId?: string): OutboxCounts {
    const rows = directoryId
      ? this.db.all<{ state: OutboxState; n: number }>(
          'SELECT state, count(*) AS n FROM outbox WHERE directory_id = ? GROUP BY state',
          directoryId,
        )
      : this.db.all<{ state: OutboxState; n: number }>('SELECT state, count(*) AS n FROM outbox GROUP BY state');
    const c: OutboxCounts = { pending: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) c[r.state] = r.n;
    return c;
  }

  list(f: { directoryId?: string; states?: OutboxState[]; limit?: number; offset?: number } = {}): OutboxItem[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (f.directoryId) {
      where.push('directory_id = ?');
      params.push(f.directoryId);
    }
    if (f.states && f.states.length > 0) {
      where.push(`state IN (${f.states.map(() => '?').join(',')})`);
      params.push(...f.states);
    }
    params.push(f.limit ?? 500, f.offset ?? 0);
    return this.db
      .all<OutboxDb>(
        `SELECT * FROM outbox ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ? OFFSET ?`,
        ...params,
      )
      .map(toItem);
  }
}
