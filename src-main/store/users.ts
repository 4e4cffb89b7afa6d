// Users repository: SCIM-shaped documents plus the columns lists and
// matching search on. No business rules here; see users/service.ts.
import { randomUUID } from 'node:crypto';
import type { User, UserInput } from '../../src-preload/model.ts';
import { primaryEmail } from '../../src-preload/model.ts';
import { type Db, nowIso } from './db.ts';

interface UserRowDb {
  id: string;
  data: string;
  created: string;
  modified: string;
  version: number;
}

const toUser = (r: UserRowDb): User => ({
  ...(JSON.parse(r.data) as UserInput),
  id: r.id,
  meta: { created: r.created, lastModified: r.modified, version: r.version },
});

export class UsersRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  get(id: string): User | undefined {
    const r = this.db.get<UserRowDb>('SELECT id, data, created, modified, version FROM users WHERE id = ?', id);
    return r && toUser(r);
  }

  /**
   * Of these users (id and the version the caller holds), the stored ones whose version differs:
   * edited since, read in one query. A user that is unchanged, or deleted, is absent — the caller's
   * copy stands (a batch of provisioning items carries each user; parsing it again is work for nothing).
   */
  changedSince(known: ReadonlyArray<{ id: string; version: number | undefined }>): Map<string, User> {
    const out = new Map<string, User>();
    if (known.length === 0) return out;
    for (const r of this.db.all<UserRowDb>(
      `SELECT u.id, u.data, u.created, u.modified, u.version FROM json_each(?) k
       JOIN users u ON u.id = k.value ->> '$[0]' WHERE u.version IS NOT k.value ->> '$[1]'`,
      JSON.stringify(known.map((k) => [k.id, k.version ?? null])),
    ))
      out.set(r.id, toUser(r));
    return out;
  }

  byUserName(userName: string): User | undefined {
    const r = this.db.get<UserRowDb>(
      'SELECT id, data, created, modified, version FROM users WHERE user_name = ?',
      userName,
    );
    return r && toUser(r);
  }

  /** Users whose primary e-mail is this address (case-insensitive). */
  byEmail(email: string): User[] {
    return this.db
      .all<UserRowDb>('SELECT id, data, created, modified, version FROM users WHERE email = ?', email)
      .map(toUser);
  }

  byEmployeeNumber(employeeNumber: string): User[] {
    return this.db
      .all<UserRowDb>(
        'SELECT id, data, created, modified, version FROM users WHERE employee_number = ?',
        employeeNumber,
      )
      .map(toUser);
  }

  all(): User[] {
    return this.db.all<UserRowDb>('SELECT id, data, created, modified, version FROM users').map(toUser);
  }

  count(): number {
    return this.db.get<{ n: number }>('SELECT count(*) AS n FROM users')!.n;
  }

  insert(input: UserInput, id: string = randomUUID()): User {
    return toUser(this.write(input, id));
  }

  /**
   * Inserts without reading the user back or parsing it (an import commit's 100,000 creates):
   * the returned function gives the stored user, for the few callers that need all of it.
   */
  insertLazy(input: UserInput, id: string): () => User {
    const row = this.write(input, id);
    return () => toUser(row);
  }

  /** The row as stored: toUser of it is what a read-back would return. */
  private write(input: UserInput, id: string): UserRowDb {
    const now = nowIso();
    const data = JSON.stringify(input);
    this.db.run(
      `INSERT INTO users (id, user_name, display_name, email, employee_number, active, data, created, modified, version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
      id,
      input.userName,
      input.displayName ?? '',
      primaryEmail(input) ?? '',
      input.employeeNumber ?? '',
      input.active ? 1 : 0,
      data,
      now,
      now,
    );
    return { id, data, created: now, modified: now, version: 1 };
  }

  update(id: string, input: UserInput): User {
    this.db.run(
      `UPDATE users SET user_name = ?, display_name = ?, email = ?, employee_number = ?, active = ?, data = ?,
       modified = ?, version = version + 1 WHERE id = ?`,
      input.userName,
      input.displayName ?? '',
      primaryEmail(input) ?? '',
      input.employeeNumber ?? '',
      input.active ? 1 : 0,
      JSON.stringify(input),
      nowIso(),
      id,
    );
    return this.get(id)!;
  }

  delete(id: string): void {
    this.db.run('DELETE FROM memberships WHERE member_id = ?', id);
    this.db.run('DELETE FROM users WHERE id = ?', id);
  }

  /**
   * Deleted in the app, not yet in every directory: out of its groups here, kept (marked) until the
   * directories have confirmed the disable or delete.
   */
  markRemoving(id: string): void {
    this.db.run('DELETE FROM memberships WHERE member_id = ?', id);
    this.db.run('UPDATE users SET removing = 1 WHERE id = ?', id);
  }

  isRemoving(id: string): boolean {
    return !!this.db.get('SELECT 1 AS x FROM users WHERE id = ? AND removing = 1', id);
  }

  /**
   * Forgets a user being removed once no directory has its removal still to do or refused (`except`:
   * the item confirming it now, not yet marked done).
   */
  purgeRemoved(id: string, except: number): void {
    this.db.run(
      `DELETE FROM users WHERE id = ?1 AND removing = 1 AND NOT EXISTS (SELECT 1 FROM outbox
         WHERE local_id = ?1 AND op = 'user.delete' AND id != ?2 AND state IN ('pending','running','failed'))`,
      id,
      except,
    );
  }
}
