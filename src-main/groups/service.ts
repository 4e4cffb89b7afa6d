// Local group management and membership; nested groups allowed, cycles not.
import { groupInputSchema, type Group, type GroupInput, type GroupMember } from '../../src-preload/model.ts';
import type { GroupDetail, GroupRow } from '../../src-preload/contract/groups.ts';
import { AppError, notFound } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { GroupsRepo } from '../store/groups.ts';
import type { UsersRepo } from '../store/users.ts';
import type { LinksRepo } from '../store/links.ts';
import type { ChangeRecorder } from '../sync/changes.ts';
import type { EventBus } from '../events/bus.ts';

export interface GroupsServiceDeps {
  db: Db;
  groups: GroupsRepo;
  users: UsersRepo;
  links: LinksRepo;
  changes: ChangeRecorder;
  events: EventBus;
}

export class GroupsService {
  private readonly d: GroupsServiceDeps;
  constructor(deps: GroupsServiceDeps) {
    this.d = deps;
  }

  list(): GroupRow[] {
    const states = this.d.links.compactStates('group');
    return this.d.groups.list().map((g) => ({
      id: g.id,
      displayName: g.displayName,
      description: g.description ?? '',
      memberCount: g.memberCount,
      states: states.get(g.id) ?? [],
    }));
  }

  get(id: string): GroupDetail {
    const group = this.d.groups.get(id);
    if (!group) throw notFound('The group', id);
    return {
      group,
      members: this.d.groups.memberViews(id),
      provisioning: this.d.links.statesOf(id),
      memberOf: this.d.groups.groupsOf(id),
    };
  }

  create(raw: GroupInput): Group {
    const input = this.validate(raw);
    const group = this.d.db.transaction(() => {
      this.assertUnique(input);
      const g = this.d.groups.insert(input);
      this.d.db.bumpLocalChange();
      this.d.changes.record({ type: 'group.create', group: g });
      return g;
    });
    this.changed();
    return group;
  }

  update(id: string, raw: GroupInput): Group {
    const input = this.validate(raw);
    const group = this.d.db.transaction(() => {
      const before = this.d.groups.get(id);
      if (!before) throw notFound('The group', id);
      this.assertUnique(input, id);
      const after = this.d.groups.update(id, input);
      this.d.db.bumpLocalChange();
      this.d.changes.record({ type: 'group.update', before, after });
      return after;
    });
    this.changed();
    return group;
  }

  delete(id: string): void {
    this.d.db.transaction(() => {
      const group = this.d.groups.get(id);
      if (!group) throw notFound('The group', id);
      this.d.changes.record({ type: 'group.delete', group });
      this.d.groups.delete(id);
      this.d.db.bumpLocalChange();
    });
    this.changed();
  }

  addMembers(id: string, memberIds: string[]): Group {
    const group = this.d.db.transaction(() => {
      const group = this.d.groups.get(id);
      if (!group) throw notFound('The group', id);
      for (const memberId of memberIds) {
        const member = this.resolveMember(memberId);
        if (member.type === 'Group') this.assertNoCycle(id, memberId);
        if (this.d.groups.addMember(id, member)) this.d.changes.record({ type: 'membership.add', group, member });
      }
      this.d.groups.touch(id);
      this.d.db.bumpLocalChange();
      return this.d.groups.get(id)!;
    });
    this.changed();
    return group;
  }

  removeMembers(id: string, memberIds: string[]): Group {
    const group = this.d.db.transaction(() => {
      const group = this.d.groups.get(id);
      if (!group) throw notFound('The group', id);
      const current = new Map(group.members.map((m) => [m.value, m]));
      for (const memberId of memberIds) {
        const member = current.get(memberId);
        if (member && this.d.groups.removeMember(id, memberId))
          this.d.changes.record({ type: 'membership.remove', group, member });
      }
      this.d.groups.touch(id);
      this.d.db.bumpLocalChange();
      return this.d.groups.get(id)!;
    });
    this.changed();
    return group;
  }

  private resolveMember(memberId: string): GroupMember {
    const user = this.d.users.get(memberId);
    if (user) return { value: memberId, type: 'User', display: user.displayName ?? user.userName };
    const group = this.d.groups.get(memberId);
    if (group) return { value: memberId, type: 'Group', display: group.displayName };
    throw new AppError('validation', 'A member to add is neither a user nor a group here.', { memberId });
  }

  /** Adding `memberId` to `groupId` must not make a group contain itself. */
  private assertNoCycle(groupId: string, memberId: string): void {
    if (groupId === memberId) throw new AppError('validation', 'A group cannot be a member of itself.');
    const seen = new Set<string>();
    const stack = [groupId];
    while (stack.length) {
      const g = stack.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      for (const parent of this.d.groups.groupsOf(g)) {
        if (parent.id === memberId)
          throw new AppError('validation', 'That would make the groups contain each other (a cycle).');
        stack.push(parent.id);
      }
    }
  }

  private validate(raw: GroupInput): GroupInput {
    const parsed = groupInputSchema.safeParse(raw);
    if (!parsed.success)
      throw new AppError('validation', 'Some fields are not valid.', { fields: parsed.error.issues });
    return parsed.data;
  }

  private assertUnique(input: GroupInput, selfId?: string): void {
    const other = this.d.groups.byName(input.displayName);
    if (other && other.id !== selfId)
      throw new AppError('conflict', `A group named "${input.displayName}" already exists.`, { field: 'displayName' });
  }

  private changed(): void {
    this.d.events.emit('app.changed', { what: 'groups' });
  }
}
