// The outbox: provisioning work written in the same transaction as the local
// change, then claimed and run by the worker (sync/worker.ts). Items of one
// object in one directory run in order; different objects run side by side.
//
// Only the first unfinished item of an object (its `head`) can be claimed, so
// a claim reads a short range of the `outbox_heads` index whatever the backlog.
// A group's membership changes are claimed together (up to MEMBERSHIP_BATCH
// in a row) so the worker writes them as one multi-value change.
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
  /** The process that claimed it (while running). */
  owner: string | null;
}

/** Membership changes of one group claimed together: one multi-value write each. */
export const MEMBERSHIP_BATCH = 500;

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
  owner: string | null;
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
  owner: r.owner,
});

const isMembership = (op: string) => op === 'membership.add' || op === 'membership.remove';

/**
 * Makes the first unfinished item of each object of the given items its head (one statement).
 * Called whenever items end or come back, so the next item of the object becomes claimable.
 */
const PROMOTE = `UPDATE outbox SET head = 1 WHERE head = 0 AND id IN (
  SELECT (SELECT n.id FROM outbox n WHERE n.directory_id = o.directory_id AND n.local_id = o.local_id
            AND n.open = 1 ORDER BY n.id LIMIT 1)
  FROM outbox o WHERE o.id IN (SELECT value FROM json_each(?)))`;

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
    // The head of its object when nothing of the object is unfinished (one seek on outbox_unfinished).
    return this.db.run(
      `INSERT INTO outbox (directory_id, object_type, local_id, op, payload, state, attempts, next_attempt_at, created, updated, head)
       VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6, ?6, NOT EXISTS (SELECT 1 FROM outbox p
         WHERE p.directory_id = ?1 AND p.local_id = ?3 AND p.open = 1))`,
      i.directoryId,
      i.objectType,
      i.localId,
      i.op,
      JSON.stringify(i.payload),
      now,
    ).lastInsertRowid;
  }

  get(id: number): OutboxItem | undefined {
    const r = this.db.get<OutboxDb>('SELECT * FROM outbox WHERE id = ?', id);
    return r && toItem(r);
  }

  /**
   * Claims up to `limit` due items of one directory (pending → running, owned by `owner`): the heads of
   * their objects, in id order. A membership head brings the membership changes of its group that
   * follow it (up to MEMBERSHIP_BATCH, stopping at the first other change, so order is kept).
   */
  claim(directoryId: string, limit: number, now = nowIso(), owner: string | null = null): OutboxItem[] {
    if (limit <= 0) return [];
    // Heads only, through the partial index outbox_heads: the walk stops after `limit` hits; the unary +
    // keeps next_attempt_at a filter (heads waiting for a retry are few: one per object at most).
    const heads = this.db.all<{ id: number; op: string; local_id: string }>(
      `SELECT id, op, local_id FROM outbox INDEXED BY outbox_heads
       WHERE directory_id = ? AND state = 'pending' AND head = 1 AND +next_attempt_at <= ?
       ORDER BY id LIMIT ?`,
      directoryId,
      now,
      limit,
    );
    const ids: number[] = [];
    for (const h of heads) {
      ids.push(h.id);
      if (isMembership(h.op)) ids.push(...this.followingMemberships(directoryId, h.local_id, h.id, now));
    }
    if (ids.length === 0) return [];
    const rows = this.db.all<OutboxDb>(
      // By rowid (the unary + keeps the planner from scanning every pending item on outbox_due instead).
      `UPDATE outbox SET state = 'running', owner = ?, updated = ?
       WHERE id IN (SELECT value FROM json_each(?)) AND +state = 'pending' RETURNING *`,
      owner,
      nowIso(),
      JSON.stringify(ids),
    );
    // RETURNING gives no order: sorted here.
    return rows.map(toItem).sort((a, b) => a.id - b.id);
  }

  /** The due membership changes right after `afterId` of one group, up to the first other change. */
  private followingMemberships(directoryId: string, localId: string, afterId: number, now: string): number[] {
    const next = this.db.all<{ id: number; op: string; state: string; next_attempt_at: string }>(
      `SELECT id, op, state, next_attempt_at FROM outbox INDEXED BY outbox_unfinished
       WHERE directory_id = ? AND local_id = ? AND open = 1 AND id > ?
       ORDER BY id LIMIT ?`,
      directoryId,
      localId,
      afterId,
      MEMBERSHIP_BATCH - 1,
    );
    const ids: number[] = [];
    for (const n of next) {
      if (!isMembership(n.op) || n.state !== 'pending' || n.next_attempt_at > now) break;
      ids.push(n.id);
    }
    return ids;
  }

  /** After items ended or came back: the first unfinished item of each of their objects becomes its head. */
  promoteHeads(ids: readonly number[]): void {
    if (ids.length > 0) this.db.run(PROMOTE, JSON.stringify(ids));
  }

  /** Directories with work due now, and the earliest time any claimable item becomes due. */
  due(now = nowIso()): { directories: string[]; nextAt?: string } {
    // Heads only: an item behind a running one of its object is not work anyone can start now.
    const dirs = this.db
      .all<{ id: string }>(
        `SELECT d.id FROM directories d WHERE EXISTS (SELECT 1 FROM outbox o INDEXED BY outbox_heads
           WHERE o.directory_id = d.id AND o.state = 'pending' AND o.head = 1 AND +o.next_attempt_at <= ?)`,
        now,
      )
      .map((r) => r.id);
    const next = this.db.get<{ t: string | null }>(
      "SELECT min(next_attempt_at) AS t FROM outbox INDEXED BY outbox_heads_due WHERE state = 'pending' AND head = 1",
    );
    return { directories: dirs, nextAt: next?.t ?? undefined };
  }

  markDone(id: number, payload?: string): void {
    this.db.run(
      "UPDATE outbox SET state = 'done', open = 0, attempts = attempts + 1, last_error = NULL, updated = ?, payload = COALESCE(?, payload) WHERE id = ?",
      nowIso(),
      payload ?? null,
      id,
    );
    this.promoteHeads([id]);
  }

  /** Many items done at once (payloads unchanged): one statement for a batch of results. */
  markDoneMany(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.db.run(
      `UPDATE outbox SET state = 'done', open = 0, attempts = attempts + 1, last_error = NULL, updated = ?
       WHERE id IN (SELECT value FROM json_each(?))`,
      nowIso(),
      JSON.stringify(ids),
    );
    this.promoteHeads(ids);
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
    // A deferred membership change of a batch whose head ended: it is the group's first unfinished now.
    this.promoteHeads([id]);
  }

  /**
   * A permanent failure. The payload stays as it is (a sealed password included): retrying the item must
   * be able to do the whole job; the secret is scrubbed only when the item is done or discarded.
   */
  markFailed(id: number, error: string): void {
    this.db.run(
      "UPDATE outbox SET state = 'failed', open = 0, attempts = attempts + 1, last_error = ?, updated = ? WHERE id = ?",
      error,
      nowIso(),
      id,
    );
    this.promoteHeads([id]);
  }

  /** Claimed items that were never started (or whose result could not be written) go back to pending. */
  /** Waiting items due now (a deferred item whose wait may be over). */
  dueNow(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.db.run(
      "UPDATE outbox SET next_attempt_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND +state = 'pending'",
      nowIso(),
      JSON.stringify(ids),
    );
  }

  release(ids: number[]): void {
    if (ids.length === 0) return;
    this.db.run(
      "UPDATE outbox SET state = 'pending', owner = NULL WHERE id IN (SELECT value FROM json_each(?)) AND +state = 'running'",
      JSON.stringify(ids),
    );
  }

  /**
   * After a crash or restart: items left running by an owner that is gone (or by `self`, a worker of
   * this process that stopped) go back to pending. Items another live process claimed stay its own.
   */
  resumeRunning(ownerAlive: (owner: string) => boolean = () => false, self?: string): number {
    const owners = this.db.all<{ owner: string | null }>("SELECT DISTINCT owner FROM outbox WHERE state = 'running'");
    let n = 0;
    for (const { owner } of owners) {
      if (owner !== null && owner !== self && ownerAlive(owner)) continue;
      n += this.db.run(
        "UPDATE outbox SET state = 'pending', owner = NULL, updated = ? WHERE state = 'running' AND owner IS ?",
        nowIso(),
        owner,
      ).changes;
    }
    return n;
  }

  /**
   * Failed items the admin gives up on: removed from the outbox, with any password they held. Returns
   * the removed items (for the report).
   */
  discardFailed(ids: readonly number[]): OutboxItem[] {
    if (ids.length === 0) return [];
    return this.db
      .all<OutboxDb>(
        "DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?)) AND +state = 'failed' RETURNING *",
        JSON.stringify(ids),
      )
      .map(toItem);
  }

  /** Failed items (of one directory, or all) are queued again; heads are set again for their objects. */
  retryFailed(directoryId?: string, ids?: number[]): number {
    const now = nowIso();
    const before = this.db.all<{ id: number }>(
      ids && ids.length > 0
        ? "SELECT id FROM outbox WHERE id IN (SELECT value FROM json_each(?)) AND +state = 'failed'"
        : directoryId
          ? "SELECT id FROM outbox WHERE state = 'failed' AND directory_id = ?"
          : "SELECT id FROM outbox WHERE state = 'failed'",
      ...(ids && ids.length > 0 ? [JSON.stringify(ids)] : directoryId ? [directoryId] : []),
    );
    const chosen = JSON.stringify(before.map((r) => r.id));
    const n = this.db.run(
      `UPDATE outbox SET state = 'pending', open = 1, attempts = 0, next_attempt_at = ?, updated = ?
       WHERE id IN (SELECT value FROM json_each(?))`,
      now,
      now,
      chosen,
    ).changes;
    if (n > 0) this.resetHeads(before.map((r) => r.id));
    return n;
  }

  /** An earlier item came back: each object's head is its first unfinished item again, and only it. */
  private resetHeads(ids: readonly number[]): void {
    const json = JSON.stringify(ids);
    this.db.run(
      `UPDATE outbox SET head = 0 WHERE head = 1 AND open = 1 AND (directory_id, local_id) IN
         (SELECT directory_id, local_id FROM outbox WHERE id IN (SELECT value FROM json_each(?)))`,
      json,
    );
    this.promoteHeads(ids);
  }

  /** Is anything of this object still unfinished, apart from the given items? */
  hasOtherUnfinished(directoryId: string, localId: string, except: readonly number[]): boolean {
    return !!this.db.get(
      `SELECT 1 AS x FROM outbox INDEXED BY outbox_unfinished WHERE directory_id = ? AND local_id = ?
         AND open = 1 AND id NOT IN (SELECT value FROM json_each(?)) LIMIT 1`,
      directoryId,
      localId,
      JSON.stringify(except),
    );
  }

  /** Unfinished work for an object (any directory, or one). */
  unfinishedFor(localId: string, directoryId?: string): OutboxItem[] {
    return (
      directoryId
        ? this.db.all<OutboxDb>(
            'SELECT * FROM outbox INDEXED BY outbox_unfinished WHERE directory_id = ? AND local_id = ? AND open = 1 ORDER BY id',
            directoryId,
            localId,
          )
        : this.db.all<OutboxDb>(
            "SELECT * FROM outbox WHERE local_id = ? AND state IN ('pending','running') ORDER BY id",
            localId,
          )
    ).map(toItem);
  }

  /** Items one worker has claimed and not finished. */
  runningBy(owner: string): number {
    return this.db.get<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE state = 'running' AND owner = ?", owner)!
      .n;
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
