import { z } from 'zod';
import { channel } from './channel.ts';
import { groupInputSchema, type Group } from '../model.ts';
import { localId, type ProvisioningState } from './users.ts';

export interface GroupRow {
  id: string;
  displayName: string;
  description: string;
  memberCount: number;
  states: Array<[string, ProvisioningState['state']]>;
}

/** A member as the group's panel lists it: user name and e-mail tell apart people of the same name. */
export interface GroupMemberView {
  id: string;
  type: 'User' | 'Group';
  displayName: string;
  /** Empty for a nested group. */
  userName: string;
  email: string;
}

export interface GroupDetail {
  group: Group;
  /** Nested groups first, then users, by name. */
  members: GroupMemberView[];
  provisioning: ProvisioningState[];
  /** Groups this group is a member of. */
  memberOf: Array<{ id: string; displayName: string }>;
}

export const groupsContract = {
  'groups.list': channel<GroupRow[]>()(z.object({}).strict()),
  'groups.get': channel<GroupDetail>()(z.object({ id: localId }).strict()),
  'groups.create': channel<Group>()(z.object({ group: groupInputSchema }).strict()),
  'groups.update': channel<Group>()(z.object({ id: localId, group: groupInputSchema }).strict()),
  'groups.delete': channel<{ deleted: true }>()(z.object({ id: localId }).strict()),
  'groups.addMembers': channel<Group>()(
    z.object({ id: localId, memberIds: z.array(localId).min(1).max(5000) }).strict(),
  ),
  'groups.removeMembers': channel<Group>()(
    z.object({ id: localId, memberIds: z.array(localId).min(1).max(5000) }).strict(),
  ),
};
