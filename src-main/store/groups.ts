// Groups and memberships repository.
import { randomUUID } from 'node:crypto';
import type { Group, GroupInput, GroupMember } from '../../src-preload/model.ts';
import type { GroupMemberView } from '../../src-preload/contract/groups.ts';
import { type Db, nowIso } from './db.ts';

interface GroupRowDb {
  id: string;
  display_name: string;
  description: string;
  created: string;
  modified: string;
  version: number;
}

export class GroupsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  get(id: string): Group | undefined {
    const r = this.db.get<GroupRowDb>('SELECT * FROM groups WHERE id = ?', id);
    return r && this.toGroup(r);
  }

  byName(displayName: string): Group | undefined {
    const r = this.db.get<GroupRowDb>('SELECT * FROM groups WHERE display_name = ?', displayName);
    return r && this.toGroup(r);
  }

  /** All groups without their member lists (cheap). */
  list(): Array<Omit<Group, 'members'> & { memberCount: number }> {
    return this.db
      .all<GroupRowDb & { n: number }>(
        `SELECT g.*, (SELECT count(*) FROM memberships m WHERE m.group_id = g.id) AS n FROM groups g ORDER BY g.display_name`,
      )
      .map((r) => ({ ...this.base(r), memberCount: r.n }));
  }

  insert(input: GroupInput, id: string = randomUUID()): Group {
    const now = nowIso();
    this.db.run(
      'INSERT INTO groups (id, display_name, description, created, modified) VALUES (?, ?, ?, ?, ?)',
      id,
      input.displayName,
      input.description ?? '',
      now,
      now,
    );
    return this.get(id)!;
  }

  update(id: string, input: GroupInput): Group {
    this.db.run(
      'UPDATE groups SET display_name = ?, description = ?, modified = ?, version = version + 1 WHERE id = ?',
      input.displayName,
      input.description ?? '',
      nowIso(),
      id,
    );
    return this.get(id)!;
  }

  delete(id: string): void {
    this.db.run('DELETE FROM memberships WHERE member_id = ?', id);
    this.db.run('DELETE FROM groups WHERE id = ?', id);
  }

  members(groupId: string): GroupMember[] {
    return this.db
      .all<{ member_id: string; member_type: 'User' | 'Group'; display: string | null }>(
        `SELECT m.member_id, m.member_type,
                COALESCE(NULLIF(u.display_name, ''), u.user_name, g.display_name) AS display
         FROM memberships m
         LEFT JOIN users u ON m.member_type = 'User' AND u.id = m.member_id
         LEFT JOIN groups g ON m.member_type = 'Group' AND g.id = m.member_id
         WHERE m.group_id = ? ORDER BY display`,
        groupId,
      )
      .map((r) => ({ value: r.member_id, type: r.member_type, display: r.display ?? undefined }));
  }

  /** Members with what tells them apart (user name, e-mail), in one query: a 5,000-member group opens in one read. */
  memberViews(groupId: string): GroupMemberView[] {
    return this.db
      .all<GroupMemberView>(
        `SELECT m.member_id AS id, m.member_type AS type,
              COALESCE(NULLIF(u.display_name, ''), u.user_name, g.display_name, m.member_id) AS displayName,
              COALESCE(u.user_name, '') AS userName, COALESCE(u.email, '') AS email
       FROM memberships m
       LEFT JOIN users u ON m.member_type = 'User' AND u.id = m.member_id
       LEFT JOIN groups g ON m.member_type = 'Group' AND g.id = m.member_id
       WHERE m.group_id = ? ORDER BY m.member_type, displayName, userName`,
        groupId,
      )
      .map((r) => ({ ...r }));
  }

  /** Groups that directly contain this member. */
  groupsOf(memberId: string): Array<{ id: string; displayName: string }> {
    return this.db.all<{ id: string; displayName: string }>(
      `SELECT g.id, g.display_name AS displayName FROM memberships m JOIN groups g ON g.id = m.group_id
       WHERE m.member_id = ? ORDER BY g.display_name`,
      memberId,
    );
  }

  /** Adds a member; false when it was already there. */
  addMember(groupId: string, member: GroupMember): boolean {
    return (
      this.db.run(
        'INSERT OR IGNORE INTO memberships (group_id, member_id, member_type) VALUES (?, ?, ?)',
        groupId,
        member.value,
        member.type,
      ).changes > 0
    );
  }

  /** Removes a member; false when it was not there. */
  removeMember(groupId: string, memberId: string): boolean {
    return this.db.run('DELETE FROM memberships WHERE group_id = ? AND member_id = ?', groupId, memberId).changes > 0;
  }

  touch(groupId: string): void {
    this.db.run('UPDATE groups SET modified = ?, version = version + 1 WHERE id = ?', nowIso(), groupId);
  }

  private base(r: GroupRowDb): Omit<Group, 'members'> {
    return {
      id: r.id,
      displayName: r.display_name,
      description: r.description || undefined,
      meta: { created: r.created, lastModified: r.modified, version: r.version },
    };
  }
  private toGroup(r: GroupRowDb): Group {
    return { ...this.base(r), members: this.members(r.id) };
  }
}
