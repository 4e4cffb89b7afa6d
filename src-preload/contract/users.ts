import { z } from 'zod';
import { channel } from './channel.ts';
import { userInputSchema, type User } from '../model.ts';

export const localId = z.string().min(1).max(64);

/** Provisioning state of one object in one directory. */
export interface ProvisioningState {
  directoryId: string;
  directoryName: string;
  /** skipped: deliberately not provisioned there (e.g. a disabled user the directory cannot hold), see reason. */
  state: 'provisioned' | 'pending' | 'failed' | 'skipped';
  reason?: string;
  updated: string;
}

/**
 * temporaryPassword: a temporary password was set and mailed (must be changed at next sign-in); no link.
 * passwordSet: the user chose a password, but the account cannot sign in everywhere yet (the reason says where).
 */
export type OnboardingStatus =
  'notInvited' | 'invited' | 'temporaryPassword' | 'passwordSet' | 'activated' | 'expired' | 'failed';

/** One row of the users list: small, so 100,000 rows stay light. */
export interface UserRow {
  id: string;
  userName: string;
  displayName: string;
  email: string;
  department: string;
  active: boolean;
  onboarding: OnboardingStatus;
  /** Directory ids with state, compact: [directoryId, 'provisioned'|'pending'|'failed'] */
  states: Array<[string, ProvisioningState['state']]>;
  /** Deleted in the app; kept until every directory has confirmed the disable or delete. */
  removing?: boolean;
}

export interface UserDetail {
  user: User;
  /** Deleted in the app; kept until every directory has confirmed the disable or delete. */
  removing?: boolean;
  provisioning: ProvisioningState[];
  onboarding: {
    status: OnboardingStatus;
    invitedAt?: string;
    activatedAt?: string;
    expiresAt?: string;
    reason?: string;
  };
}

export const usersContract = {
  'users.list': channel<UserRow[]>()(z.object({}).strict()),
  /** The first screen of the list by user name, and the count: shown while users.list loads. */
  'users.page': channel<{ rows: UserRow[]; total: number }>()(
    z
      .object({ offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1000).default(200) })
      .strict(),
  ),
  'users.get': channel<UserDetail>()(z.object({ id: localId }).strict()),
  'users.create': channel<User>()(
    z.object({ user: userInputSchema, password: z.string().max(256).optional() }).strict(),
  ),
  'users.update': channel<User>()(
    z.object({ id: localId, user: userInputSchema, expectedVersion: z.number().int().optional() }).strict(),
  ),
  /** `removing`: still listed, marked, until the directories with Delete on have confirmed it. */
  'users.delete': channel<{ deleted: true; removing: boolean }>()(z.object({ id: localId }).strict()),
  'users.setPassword': channel<{ queued: number }>()(
    z.object({ id: localId, password: z.string().min(1).max(256), mustChange: z.boolean().default(false) }).strict(),
  ),
};
