// Turns each local change into outbox items for every directory where that
// operation is switched on, inside the caller's transaction. Passwords are
// sealed with the app's cipher before they touch the table; they stay there
// until the item is done (or the admin discards it), so a retry can set them.
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import type { Db } from '../store/db.ts';
import type { OutboxOp, OutboxRepo } from '../store/outbox.ts';
import type { LinksRepo } from '../store/links.ts';
import type { SecretCipher } from '../secrets/cipher.ts';
import type { ChangeRecorder, LocalChange } from './changes.ts';

export interface ChangeRecorderDeps {
  db: Db;
  outbox: OutboxRepo;
  links: LinksRepo;
  cipher: SecretCipher;
  /** Called after a change queued work (the worker wakes up). */
  onQueued?: () => void;
}

export interface RecordOptions {
  /** The directory the change came from (an import): it gets no echo. */
  skipDirectoryId?: string;
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
  return cipher.decrypt(Buffer.from(sealed, 'base64'));
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
      for (const d of directories()) {
        if (d.id === opts.skipDirectoryId) continue;
        if (!toggleOn(d.config, op)) continue;
        const item = itemFor(change, d.id);
        if (!item) continue;
        // Edits, passwords, deletes and membership changes apply only to objects that are (or are
        // about to be) provisioned in that directory: an object it never held is left alone there.
        const creates = op === 'user.create' || op === 'group.create';
        const linkType = item.objectType === 'membership' ? 'group' : item.objectType;
        if (!creates && !known(d.id, linkType, item.localId)) continue;
        // A group whose create has not started yet is created with the members it has by then: its
        // membership changes are not queued a second time.
        if (item.objectType === 'membership' && createWaiting(d.id, item.localId)) continue;
        deps.outbox.add({ directoryId: d.id, ...item });
        // A group with membership changes queued is not complete there until they are written.
        deps.links.setState(d.id, linkType, item.localId, 'pending');
        queued++;
      }
      if (queued > 0) deps.onQueued?.();
      return queued;
    },
  };

  // Both look-ups seek outbox_creates: a group with thousands of queued changes costs no more.
  function createWaiting(directoryId: string, groupId: string): boolean {
    return !!deps.db.get(
      `SELECT 1 AS x FROM outbox INDEXED BY outbox_creates WHERE directory_id = ? AND local_id = ?
         AND op IN ('user.create','group.create') AND state IN ('pending','running') AND state = 'pending'`,
      directoryId,
      groupId,
    );
  }

  function known(directoryId: string, type: 'user' | 'group', localId: string): boolean {
    if (deps.links.get(directoryId, type, localId)?.anchor) return true;
    return !!deps.db.get(
      `SELECT 1 AS x FROM outbox INDEXED BY outbox_creates WHERE directory_id = ? AND local_id = ?
         AND op IN ('user.create','group.create') AND state IN ('pending','running')`,
      directoryId,
      localId,
    );
  }

  function itemFor(
    change: LocalChange,
    _directoryId: string,
  ): { objectType: 'user' | 'group' | 'membership'; localId: string; op: OutboxOp; payload: unknown } | undefined {
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

const stripMembers = (g: { id: string; displayName: string; description?: string }) => ({
  id: g.id,
  displayName: g.displayName,
  description: g.description,
});
