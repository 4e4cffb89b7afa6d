// A local change, as the users and groups services describe it to the
// provisioning side. Recorded inside the same transaction as the change, so
// the outbox and the store never disagree (docs/architecture.md, "Sync").
import type { Group, GroupMember, User } from '../../src-preload/model.ts';

export type LocalChange =
  | { type: 'user.create'; user: User; password?: string }
  | { type: 'user.update'; before: User; after: User }
  | { type: 'user.delete'; user: User }
  | { type: 'user.password'; user: User; password: string; mustChange: boolean }
  | { type: 'group.create'; group: Group }
  | { type: 'group.update'; before: Group; after: Group }
  | { type: 'group.delete'; group: Group }
  | { type: 'membership.add'; group: Group; member: GroupMember }
  | { type: 'membership.remove'; group: Group; member: GroupMember };

export interface ChangeRecorder {
  /** Called inside the caller's transaction; returns how many outbox items it queued. */
  record(change: LocalChange): number;
}
