// Turns each local change into outbox items for every directory where that
// operation is switched on, inside the caller's transaction. Passwords are
// sealed with the app's cipher before they touch the table; they stay there
// until the item is done (or the admin discards it), so a retry can set them.
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import type { Group } from '../../src-preload/model.ts';
import type { Db } from '../store/db.ts';
import type { OutboxOp, OutboxRepo } from '../store/outbox.ts';
import type { LinksRepo } from '../store/links.ts';
import type { SecretCipher } from '../secrets/cipher.ts';
import type { ReportsRepo } from '../store/reports.ts';
import { AppError } from '../errors.ts';
import type { ChangeRecorder, LocalChange } from './changes.ts';
import { disabledNotWritable } from './account-lock.ts';

export interface ChangeRecorderDeps {
  db: Db;
  outbox: OutboxRepo;
  links: LinksRepo;
  cipher: SecretCipher;
  /** Where a user that is deliberately not created in a directory is recorded as skipped. */
  reports?: Pick<ReportsRepo, 'add'>;
  /** Called after a change queued work (the worker wakes up). */
  onQueued?: () => void;
}

export interface RecordOptions {
  /** The directory the change came from (an import): it gets no echo. */
  skipDirectoryId?: string;
  /** Filled per directory with what was queued and what was left out, for a commit's summary. */
  tally?: DownstreamTally;
}

/** What one directory gets from a batch of changes. */
export interface DirectoryTally {
  queued: Partial<Record<OutboxOp, number>>;
  /** Disabled users not created because the directory cannot hold a disabled account. */
  notCreated: number;
  /** Edits and memberships of those users, left out with them. */
  leftOutWithThem: number;
  /** Why (the directory's own sentence). */
  reason?: string;
}
export type DownstreamTally = Map<string, DirectoryTally>;

function count(tally: DownstreamTally | undefined, directoryId: string, op: OutboxOp): void {
  const t = tallyOf(tally, directoryId);
  if (t) t.queued[op] = (t.queued[op] ?? 0) + 1;
}

function tallyOf(tally: DownstreamTally | undefined, directoryId: string): DirectoryTally | undefined {
  if (!tally) return undefined;
  let t = tally.get(directoryId);
  if (!t) tally.set(directoryId, (t = { queued: {}, notCreated: 0, leftOutWithThem: 0 }));
  return t;
}

export interface SyncChangeRecorder extends ChangeRecorder {
  record(change: LocalChange, opts?: RecordOptions): number;
}

/** Which toggle switches an outbox operation on. */
export function toggleOn(config: DirectoryConfig, op: OutboxOp): boolean {
  const t = config.toggles;
  switch (op) {
    case 'user.create':
      return t.users.create;
    case 'user.update':
      return t.users.edit;
    case 'user.delete':
      return t.users.delete;
    case 'user.password':
      return t.users.passwordSync;
    case 'group.create':
      return t.groups.create;
    case 'group.update':
      // Renames and descriptions belong to group management (as in GCDS and Okta): no toggle of their own.
      return t.groups.create;
    case 'group.delete':
      return t.groups.delete;
    case 'membership.add':
    case 'membership.remove':
      return t.groups.membership;
  }
}

export function sealPassword(cipher: SecretCipher, password: string): string {
  return Buffer.from(cipher.encrypt(password)).toString('base64');
}
export function openPassword(cipher: SecretCipher, sealed: string): string {
  try {
    return cipher.decrypt(Buffer.from(sealed, 'base64'));
  } catch (err) {
    throw new AppError(
      'secret_unreadable',
      'The queued password cannot be decrypted: the key that sealed it is not available. Restore the key and retry, or set the password again.',
      err instanceof Error ? err.message : String(err),
    );
  }
}

export function createChangeRecorder(deps: ChangeRecorderDeps): SyncChangeRecorder {
  // Directory configs, re-read only when the directories table changed.
  let cacheKey = '';
  let cache: Array<{ id: string; config: DirectoryConfig }> = [];
  const directories = () => {
    const k = deps.db.get<{ k: string }>(
      "SELECT count(*) || '|' || COALESCE(max(modified), '') AS k FROM directories",
    )!.k;
    if (k !== cacheKey) {
      cache = deps.db
        .all<{ id: string; config: string }>('SELECT id, config FROM directories ORDER BY name')
        .map((r) => ({ id: r.id, config: JSON.parse(r.config) as DirectoryConfig }));
      cacheKey = k;
    }
    return cache;
  };

  return {
    record(change: LocalChange, opts: RecordOptions = {}): number {
      const op: OutboxOp = change.type;
      let queued = 0;
      const queue = (directoryId: string, item: QueuedItem) => {
        deps.outbox.add({ directoryId, ...item });
        // A group with membership changes queued is not complete there until they are written.
        const linkType = item.objectType === 'membership' ? 'group' : item.objectType;
        deps.links.setState(directoryId, linkType, item.localId, 'pending');
        count(opts.tally, directoryId, item.op);
        queued++;
      };
      for (const d of directories()) {
        if (d.id === opts.skipDirectoryId) continue;
        const left = leftOut(change, d, opts.tally);
        if (left === 'activated') {
          // A user left out while disabled is created once it is active, with its memberships there.
          for (const item of createdLate(change as Extract<LocalChange, { type: 'user.update' }>, d)) queue(d.id, item);
          continue;
        }
        if (left) continue;
        if (!toggleOn(d.config, op)) continue;
        const item = itemFor(change, d.id);
        if (!item) continue;
        // Edits, passwords, deletes and membership changes apply only to objects that are (or are
        // about to be) provisioned in that directory: an object it never held is left alone there.
        const creates = op === 'user.create' || op === 'group.create';
        const linkType = item.objectType === 'membership' ? 'group' : item.objectType;
        if (!creates && !known(d.id, linkType, item.localId)) continue;
        // A group whose create has not started yet is created with the members it has by then: its
        // membership changes are not queued a second time (the summary still counts them as added).
        if (item.objectType === 'membership' && createWaiting(d.id, item.localId)) {
          count(opts.tally, d.id, item.op);
          continue;
        }
        queue(d.id, item);
      }
      if (queued > 0) deps.onQueued?.();
      return queued;
    },
  };

  // Both look-ups seek outbox_creates: a group with thousands of queued changes costs no more.
  function createWaiting(directoryId: string, groupId: string): boolean {
    return !!deps.db.get(
      `SELECT 1 AS x FROM outbox INDEXED BY outbox_creates WHERE directory_id = ? AND local_id = ?
         AND op IN ('user.create','group.create') AND open = 1 AND state = 'pending'`,
      directoryId,
      groupId,
    );
  }

  /**
   * Disabled users where a directory cannot hold a disabled account (as last checked, see
   * account-lock.ts): the create is not queued — a link 'skipped' with the reason and a skipped
   * report entry say so — and that user's edits, password and memberships there are left out with
   * it instead of failing one by one. An edit that makes the user active creates it ('activated').
   */
  function leftOut(
    change: LocalChange,
    d: { id: string; config: DirectoryConfig },
    tally: DownstreamTally | undefined,
  ): boolean | 'activated' {
    const userId = skippableUserOf(change);
    if (userId === undefined) return false;
    if (change.type === 'user.create') {
      if (change.user.active || !toggleOn(d.config, 'user.create')) return false;
      const reason = disabledNotWritable(deps.db, d.id, d.config);
      if (!reason) return false;
      deps.links.upsert({
        directoryId: d.id,
        objectType: 'user',
        localId: userId,
        anchor: null,
        ref: null,
        state: 'skipped',
        reason: `Not created while disabled: ${reason}`,
        hash: null,
      });
      deps.reports?.add({
        userIdentifier: change.user.userName,
        objectType: 'user',
        action: 'create',
        application: d.config.name,
        directoryId: d.id,
        status: 'skipped',
        message: `Not created in ${d.config.name} while disabled: ${reason}`,
      });
      const t = tallyOf(tally, d.id);
      if (t) {
        t.notCreated++;
        t.reason = reason;
      }
      return true;
    }
    const link = deps.links.get(d.id, 'user', userId);
    if (link?.state !== 'skipped' || link.anchor) return false;
    if (change.type === 'user.update' && change.after.active && toggleOn(d.config, 'user.create')) return 'activated';
    if (change.type === 'user.delete') deps.links.delete(d.id, 'user', userId);
    // Counted where the change would have gone: a membership only where that directory holds the group.
    const wouldGo =
      toggleOn(d.config, change.type) &&
      (change.type !== 'membership.add' && change.type !== 'membership.remove'
        ? true
        : known(d.id, 'group', change.group.id));
    if (wouldGo) {
      const t = tallyOf(tally, d.id);
      if (t) t.leftOutWithThem++;
    }
    return true;
  }

  /** The create of a user left out while disabled, then its memberships of groups that directory holds. */
  function createdLate(
    change: Extract<LocalChange, { type: 'user.update' }>,
    d: { id: string; config: DirectoryConfig },
  ) {
    const items: QueuedItem[] = [itemFor({ type: 'user.create', user: change.after }, d.id)!];
    if (!toggleOn(d.config, 'membership.add')) return items;
    const groups = deps.db.all<{ id: string; display_name: string }>(
      'SELECT g.id, g.display_name FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.member_id = ?',
      change.after.id,
    );
    for (const g of groups) {
      // A group still waiting to be created picks its members up itself.
      if (!known(d.id, 'group', g.id) || createWaiting(d.id, g.id)) continue;
      const member = { value: change.after.id, type: 'User' as const, display: change.after.userName };
      // Only the group's id and name go into the item.
      const group = { id: g.id, displayName: g.display_name, members: [] } as unknown as Group;
      items.push(itemFor({ type: 'membership.add', group, member }, d.id)!);
    }
    return items;
  }

  function known(directoryId: string, type: 'user' | 'group', localId: string): boolean {
    if (deps.links.get(directoryId, type, localId)?.anchor) return true;
    return !!deps.db.get(
      `SELECT 1 AS x FROM outbox INDEXED BY outbox_creates WHERE directory_id = ? AND local_id = ?
         AND op IN ('user.create','group.create') AND open = 1`,
      directoryId,
      localId,
    );
  }

  function itemFor(change: LocalChange, _directoryId: string): QueuedItem | undefined {
    switch (change.type) {
      case 'user.create':
        return {
          objectType: 'user',
          localId: change.user.id,
          op: 'user.create',
          payload: {
            user: change.user,
            ...(change.password
              ? { passwordSealed: sealPassword(deps.cipher, change.password), hasPassword: true, mustChange: false }
              : {}),
          },
        };
      case 'user.update':
        return {
          objectType: 'user',
          localId: change.after.id,
          op: 'user.update',
          payload: { before: change.before, after: change.after },
        };
      case 'user.delete':
        return { objectType: 'user', localId: change.user.id, op: 'user.delete', payload: { user: change.user } };
      case 'user.password':
        return {
          objectType: 'user',
          localId: change.user.id,
          op: 'user.password',
          payload: {
            userName: change.user.userName,
            passwordSealed: sealPassword(deps.cipher, change.password),
            hasPassword: true,
            mustChange: change.mustChange,
          },
        };
      case 'group.create':
        return {
          objectType: 'group',
          localId: change.group.id,
          op: 'group.create',
          payload: { group: stripMembers(change.group) },
        };
      case 'group.update':
        return {
          objectType: 'group',
          localId: change.after.id,
          op: 'group.update',
          payload: { before: stripMembers(change.before), after: stripMembers(change.after) },
        };
      case 'group.delete':
        return {
          objectType: 'group',
          localId: change.group.id,
          op: 'group.delete',
          payload: { group: stripMembers(change.group) },
        };
      case 'membership.add':
      case 'membership.remove':
        return {
          objectType: 'membership',
          // Keyed by the group: a group's membership changes run in order.
          localId: change.group.id,
          op: change.type,
          payload: {
            groupId: change.group.id,
            groupName: change.group.displayName,
            memberId: change.member.value,
            memberType: change.member.type,
            memberName: change.member.display ?? change.member.value,
          },
        };
      default:
        return undefined;
    }
  }
}

type QueuedItem = { objectType: 'user' | 'group' | 'membership'; localId: string; op: OutboxOp; payload: unknown };

/** The user a change is about, when that user may have been left out of a directory (see leftOut). */
function skippableUserOf(change: LocalChange): string | undefined {
  switch (change.type) {
    case 'user.create':
      return change.user.id;
    case 'user.update':
      return change.after.id;
    case 'user.delete':
    case 'user.password':
      return change.user.id;
    case 'membership.add':
    case 'membership.remove':
      return change.member.type === 'User' ? change.member.value : undefined;
    default:
      return undefined;
  }
}

const stripMembers = (g: { id: string; displayName: string; description?: string }) => ({
  id: g.id,
  displayName: g.displayName,
  description: g.description,
});
