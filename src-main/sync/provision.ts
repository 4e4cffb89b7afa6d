// Runs one provisioning operation against one directory's connector: the
// shared core of the outbox worker, provision on demand and push. Creates are
// idempotent (an existing matching object is linked, not duplicated); every
// attempt writes a report entry; links carry the per-directory state.
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import type { User } from '../../src-preload/model.ts';
import type { BulkCreated, Connector, RemoteUser, RemoteUserData } from '../connectors/connector.ts';
import { ConnectorError } from '../connectors/connector.ts';
import type { Db } from '../store/db.ts';
import type { LinksRepo } from '../store/links.ts';
import type { OutboxItem, OutboxRepo } from '../store/outbox.ts';
import type { ReportsRepo, ReportEntryInput } from '../store/reports.ts';
import type { UsersRepo } from '../store/users.ts';
import type { GroupsRepo } from '../store/groups.ts';
import type { SecretCipher } from '../secrets/cipher.ts';
import { diff, exportPaths, toRemoteData } from './mapping.ts';
import { openPassword } from './recorder.ts';

export interface ProvisionContext {
  db: Db;
  /** Links (the worker writes a batch's upserts with one multi-row statement; reads see them first). */
  links: Pick<LinksRepo, 'get' | 'byAnchor' | 'forLocals' | 'upsert' | 'setState' | 'delete'>;
  /** Where report entries go (the worker gathers a batch's entries into one multi-row insert). */
  reports: Pick<ReportsRepo, 'add'>;
  /** The outbox (the worker gathers a batch's markDone calls into one statement). */
  outbox: Pick<OutboxRepo, 'markDone' | 'unfinishedFor' | 'add' | 'hasOtherUnfinished'>;
  users: Pick<UsersRepo, 'get' | 'changedSince' | 'purgeRemoved'>;
  groups: GroupsRepo;
  cipher: SecretCipher;
  directory: { id: string; config: DirectoryConfig };
  connector: Connector;
  runId?: string;
  /**
   * How an item's result is written (the worker batches them); default: its own transaction now.
   * `itemIds` are the items the write ends: should it fail, the worker puts them back to pending.
   */
  commit?: (fn: () => void, itemIds: readonly number[]) => void;
}

/** One line of a provision-on-demand trace. */
export interface TraceStep {
  step: 'scope' | 'match' | 'action' | 'result';
  ok: boolean;
  detail: string;
}

/** What running an item ended in; the worker turns it into outbox state. */
export type Outcome =
  | { kind: 'done'; message: string }
  /**
   * Run again after `delayMs`, or, with `untilCreatesLand`, as soon as the worker records creates of
   * this directory (what it waits for may be among them): a group waiting for its member users is
   * written right after the last of them, not up to a polling interval later.
   */
  | { kind: 'defer'; reason: string; delayMs: number; untilCreatesLand?: boolean };

/** The directory's own words for an error, for reports and failed states. */
export function describeError(err: unknown): {
  code: string;
  message: string;
  server?: string;
  transient: boolean;
  retryAfterMs?: number;
} {
  if (err instanceof ConnectorError) {
    const d = err.details as
      { serverMessage?: string; message?: string; diagnosticMessage?: string } | string | undefined;
    const server =
      typeof d === 'string'
        ? d
        : (d?.serverMessage ?? d?.diagnosticMessage ?? d?.message ?? (d ? JSON.stringify(d) : undefined));
    return { code: err.code, message: err.message, server, transient: err.transient, retryAfterMs: err.retryAfterMs };
  }
  const e = err as { code?: unknown; message?: unknown; details?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : 'unknown',
    message: typeof e?.message === 'string' ? e.message : String(err),
    server:
      e?.details === undefined ? undefined : typeof e.details === 'string' ? e.details : JSON.stringify(e.details),
    transient: false,
  };
}

export const errorText = (e: { message: string; server?: string }) =>
  e.server && e.server !== e.message ? `${e.message} (${e.server})` : e.message;

function managerRef(ctx: ProvisionContext, managerId: string | undefined): string | undefined {
  if (!managerId) return undefined;
  return ctx.links.get(ctx.directory.id, 'user', managerId)?.ref ?? undefined;
}

export function remoteOf(ctx: ProvisionContext, u: User): RemoteUserData {
  return toRemoteData(u, managerRef(ctx, u.managerId));
}

function report(ctx: ProvisionContext, e: Omit<ReportEntryInput, 'application' | 'directoryId'>): void {
  ctx.reports.add({
    ...e,
    application: ctx.directory.config.name,
    directoryId: ctx.directory.id,
    runId: e.runId ?? ctx.runId,
  });
}

function linkUser(
  ctx: ProvisionContext,
  localId: string,
  remote: { anchor: string; ref: string },
  created = false,
): void {
  // An anchor linked to another local object (e.g. a re-created user) moves to this one
  // (an object the directory has just created has an anchor nobody holds yet).
  const other = created ? undefined : ctx.links.byAnchor(ctx.directory.id, 'user', remote.anchor);
  if (other && other.localId !== localId) ctx.links.delete(ctx.directory.id, 'user', other.localId);
  ctx.links.upsert({
    directoryId: ctx.directory.id,
    objectType: 'user',
    localId,
    anchor: remote.anchor,
    ref: remote.ref,
    state: 'provisioned',
    reason: null,
    hash: null,
  });
}

/**
 * Creates the user, or links the one already there (same userName / e-mail),
 * bringing its attributes in line. Returns the remote user and whether it was linked.
 */
export async function upsertUser(
  ctx: ProvisionContext,
  user: User,
  opts: { password?: string; mustChange?: boolean; trace?: TraceStep[] } = {},
): Promise<{
  remote: RemoteUser;
  action: 'create' | 'link' | 'update' | 'none';
  changes: Record<string, [unknown, unknown]>;
}> {
  const trace = opts.trace;
  const data = remoteOf(ctx, user);
  const link = ctx.links.get(ctx.directory.id, 'user', user.id);
  let existing: RemoteUser | undefined;
  if (link?.ref) {
    existing = await ctx.connector.getUser(link.ref).catch((e: unknown) => {
      if (e instanceof ConnectorError && e.code === 'not_found') return undefined;
      throw e;
    });
    trace?.push({
      step: 'match',
      ok: true,
      detail: existing ? `Linked object found: ${existing.ref}` : `Linked object ${link.ref} is gone`,
    });
  }
  if (!existing) {
    existing = await ctx.connector.findUser(data);
    trace?.push({
      step: 'match',
      ok: true,
      detail: existing
        ? `Matched an existing object by the directory's matching rules: ${existing.ref}`
        : 'No matching object in the directory',
    });
  }
  if (existing) {
    const changes = diff(existing.data, data, exportPaths(ctx.directory.config));
    let remote = existing;
    // The password goes first: an account a crash or outage left created but disabled (Active Directory
    // creates disabled, sets the password, then enables) can be enabled only once it has one.
    if (opts.password) await ctx.connector.setPassword(existing.ref, opts.password, { mustChange: opts.mustChange });
    if (Object.keys(changes).length > 0) remote = await ctx.connector.updateUser(existing.ref, existing.data, data);
    const action = link?.anchor === existing.anchor ? (Object.keys(changes).length > 0 ? 'update' : 'none') : 'link';
    trace?.push({
      step: 'action',
      ok: true,
      detail:
        action === 'link'
          ? `Linked the existing object${Object.keys(changes).length ? ` and updated ${Object.keys(changes).join(', ')}` : ''}`
          : action === 'update'
            ? `Updated ${Object.keys(changes).join(', ')}`
            : 'Nothing to change',
    });
    return { remote, action, changes };
  }
  let created: RemoteUser;
  try {
    created = await ctx.connector.createUser(data, { password: opts.password, mustChangePassword: opts.mustChange });
  } catch (err) {
    if (err instanceof ConnectorError && err.code === 'already_exists') {
      const found = await ctx.connector.findUser(data);
      if (!found) throw err;
      trace?.push({ step: 'action', ok: true, detail: `The object appeared meanwhile; linked ${found.ref}` });
      if (opts.password) await ctx.connector.setPassword(found.ref, opts.password, { mustChange: opts.mustChange });
      return { remote: found, action: 'link', changes: {} };
    }
    throw err;
  }
  trace?.push({ step: 'action', ok: true, detail: `Created ${created.ref}` });
  const changes: Record<string, [unknown, unknown]> = {};
  for (const [k, [, v]] of Object.entries(
    diff(
      { userName: '', name: {}, emails: [], phoneNumbers: [], active: true },
      data,
      exportPaths(ctx.directory.config),
    ),
  ))
    changes[k] = [null, v];
  return { remote: created, action: 'create', changes };
}

type UpsertResult = Awaited<ReturnType<typeof upsertUser>>;

/**
 * Runs many `user.create` items through the connector's bulk create: one
 * result per item, in order (an outcome, or the error for that item alone).
 * Items already linked take the one-by-one path (re-check, update). The bulk
 * create links a user that already exists by user name (a resend after a lost
 * answer, or one made meanwhile) instead of creating it twice; one found with
 * other values is brought in line, as upsertUser does.
 */
export async function runUserCreates(
  ctx: ProvisionContext,
  items: OutboxItem[],
): Promise<Array<{ outcome: Outcome } | { error: unknown }>> {
  const settle = (p: Promise<Outcome>) =>
    p.then(
      (outcome) => ({ outcome }),
      (error: unknown) => ({ error }),
    );
  const createUsers = ctx.connector.createUsers?.bind(ctx.connector);
  const out: Array<Promise<{ outcome: Outcome } | { error: unknown }>> = [];
  const todo: Array<{ k: number; item: OutboxItem; data: RemoteUserData; password?: string; mustChange?: boolean }> =
    [];
  // The batch's links in one query (a look-up per item showed in a 10,000-user run).
  const links = ctx.links.forLocals(
    ctx.directory.id,
    'user',
    items.filter((i) => i.op === 'user.create').map((i) => i.localId),
  );
  const parsed: Array<{ k: number; item: OutboxItem; p: Payloads['user.create'] }> = [];
  for (const item of items) {
    if (!createUsers || item.op !== 'user.create' || links.get(item.localId)?.ref) {
      out.push(settle(runItem(ctx, item)));
      continue;
    }
    try {
      const p = JSON.parse(item.payload) as Payloads['user.create'];
      identifiers.set(item, identifierOf(item, p as unknown as Record<string, unknown>));
      parsed.push({ k: out.length, item, p });
      out.push(Promise.resolve({ error: undefined })); // replaced below
    } catch (error) {
      out.push(Promise.resolve({ error }));
    }
  }
  // The freshest local copy wins over the item's snapshot: only users edited since are read (one query).
  const edited = ctx.users.changedSince(
    parsed.map(({ item, p }) => ({ id: item.localId, version: p.user?.meta?.version })),
  );
  for (const { k, item, p } of parsed) {
    try {
      const user = edited.get(item.localId) ?? p.user;
      const password = p.passwordSealed ? openPassword(ctx.cipher, p.passwordSealed) : undefined;
      todo.push({ k, item, data: remoteOf(ctx, user), password, mustChange: p.mustChange });
    } catch (error) {
      out[k] = Promise.resolve({ error });
    }
  }
  if (createUsers && todo.length > 0) {
    let results: Array<BulkCreated | ConnectorError> | undefined;
    let batchError: unknown;
    try {
      results = await createUsers(
        todo.map((x) => ({ data: x.data, opts: { password: x.password, mustChangePassword: x.mustChange } })),
      );
    } catch (err) {
      batchError = err;
    }
    const paths = exportPaths(ctx.directory.config);
    for (const [j, x] of todo.entries()) {
      const r = results?.[j];
      if (!r || r instanceof Error) {
        out[x.k] = Promise.resolve({
          error: r ?? batchError ?? new Error('The directory gave no answer for this user.'),
        });
        continue;
      }
      out[x.k] = settle(
        (async () => {
          // Graph answers a create with its default properties only: values it did return that differ
          // from ours mean an existing object was linked; bring it in line.
          // (The user name is the key the create matched on; the directory may spell it in full.)
          // (LDAP answers with the very values it was given: nothing to compare.)
          const given = r.data === x.data;
          const before = given ? x.data : { ...r.data, userName: x.data.userName };
          const returned = given ? {} : diff(before, x.data, paths);
          const differs = Object.values(returned).some(([was]) => was !== null);
          let result: UpsertResult;
          if (r.linked) {
            // Found before any create (same user name, e-mail… by the matching rules).
            // A user name that only differs by the directory's UPN suffix is the same name.
            const un = r.data.userName.toLowerCase();
            const ours = x.data.userName.toLowerCase();
            const was = un === ours || un.startsWith(`${ours}@`) ? { ...r.data, userName: x.data.userName } : r.data;
            const changes = diff(was, x.data, paths);
            const remote = Object.keys(changes).length > 0 ? await ctx.connector.updateUser(r.ref, was, x.data) : r;
            result = { remote, action: 'link', changes };
          } else if (differs) {
            const remote = await ctx.connector.updateUser(r.ref, before, x.data);
            result = { remote, action: 'link', changes: returned };
          } else {
            const changes: Record<string, [unknown, unknown]> = {};
            for (const [key, [, v]] of Object.entries(
              diff({ userName: '', name: {}, emails: [], phoneNumbers: [], active: true }, x.data, paths),
            ))
              changes[key] = [null, v];
            result = { remote: r, action: 'create', changes };
          }
          return runItem(ctx, x.item, result);
        })(),
      );
    }
  }
  return Promise.all(out);
}

const opLabel: Record<OutboxItem['op'], string> = {
  'user.create': 'create',
  'user.update': 'update',
  'user.delete': 'delete',
  'user.password': 'password',
  'group.create': 'create',
  'group.update': 'update',
  'group.delete': 'delete',
  'membership.add': 'add member',
  'membership.remove': 'remove member',
};

interface Payloads {
  /** `hasPassword`: a password was given; should its sealed copy be gone, it must be set again. */
  'user.create': { user: User; passwordSealed?: string; hasPassword?: boolean; mustChange?: boolean };
  'user.update': { before: User; after: User };
  'user.delete': { user: User };
  'user.password': { userName: string; passwordSealed?: string; hasPassword?: boolean; mustChange?: boolean };
  'group.create': { group: { id: string; displayName: string; description?: string } };
  'group.delete': { group: { id: string; displayName: string; description?: string } };
  'group.update': { before: Payloads['group.delete']['group']; after: Payloads['group.delete']['group'] };
  'membership.add': {
    groupId: string;
    groupName: string;
    memberId: string;
    memberType: 'User' | 'Group';
    memberName: string;
  };
  'membership.remove': Payloads['membership.add'];
}

/** Identifiers already read from an item's payload (parsing a whole user's JSON again per report entry shows in a 10,000-user run). */
const identifiers = new WeakMap<OutboxItem, string>();

/** Identifier the report shows for an item (the end user's name where there is one). */
export function itemIdentifier(item: OutboxItem): string {
  let id = identifiers.get(item);
  if (id === undefined) {
    id = identifierOf(item, JSON.parse(item.payload) as Record<string, unknown>);
    identifiers.set(item, id);
  }
  return id;
}

function identifierOf(item: OutboxItem, p: Record<string, unknown>): string {
  switch (item.op) {
    case 'user.create':
    case 'user.delete':
      return (p.user as User).userName;
    case 'user.update':
      return (p.after as User).userName;
    case 'user.password':
      return String(p.userName);
    case 'group.create':
    case 'group.delete':
      return (p.group as { displayName: string }).displayName;
    case 'group.update':
      return (p.after as { displayName: string }).displayName;
    default:
      return String(p.memberName);
  }
}

export function reportObjectType(item: OutboxItem): ReportEntryInput['objectType'] {
  return item.objectType === 'membership' ? 'membership' : item.objectType;
}

/** Payload with any sealed password removed: what stays in the table after the item ends. */
export function scrubbed(item: OutboxItem): string | undefined {
  if (!item.payload.includes('passwordSealed')) return undefined;
  const p = JSON.parse(item.payload) as Record<string, unknown>;
  delete p.passwordSealed;
  return JSON.stringify(p);
}

/**
 * Runs one outbox item. Throws on failure (the worker classifies the error);
 * returns done (state + report written here, in one transaction) or defer.
 */
export async function runItem(ctx: ProvisionContext, item: OutboxItem, created?: UpsertResult): Promise<Outcome> {
  const dirId = ctx.directory.id;
  let after: (() => void) | undefined;
  const finish = (
    message: string,
    extra: { status?: ReportEntryInput['status']; changes?: Record<string, [unknown, unknown]>; action?: string } = {},
  ) => {
    const write = () => {
      ctx.outbox.markDone(item.id, scrubbed(item));
      report(ctx, {
        userIdentifier: itemIdentifier(item),
        objectType: reportObjectType(item),
        action: extra.action ?? opLabel[item.op],
        status: extra.status ?? 'success',
        message,
        changes: extra.changes,
      });
      after?.();
    };
    if (ctx.commit) ctx.commit(write, [item.id]);
    else ctx.db.transaction(write);
    return { kind: 'done' as const, message };
  };

  switch (item.op) {
    case 'user.create': {
      if (created) {
        // Made (or matched) by a bulk create (runUserCreates): only the bookkeeping is left.
        after = () => linkUser(ctx, item.localId, created.remote, created.action === 'create');
        return finish(
          created.action === 'create'
            ? `Created ${created.remote.ref}.`
            : `An existing object was linked: ${created.remote.ref}.`,
          {
            changes: created.changes,
          },
        );
      }
      const p = JSON.parse(item.payload) as Payloads['user.create'];
      const link = ctx.links.get(dirId, 'user', item.localId);
      if (link?.ref && link.state === 'provisioned' && !p.passwordSealed && !p.hasPassword)
        return finish('Already provisioned; nothing to do.', { status: 'skipped' });
      // The freshest local copy wins over the snapshot (later edits are queued after us anyway).
      const user = ctx.users.get(item.localId) ?? p.user;
      const password = p.passwordSealed ? openPassword(ctx.cipher, p.passwordSealed) : undefined;
      const r = await upsertUser(ctx, user, { password, mustChange: p.mustChange });
      if (p.hasPassword && !p.passwordSealed) {
        // The account is there, but without the password it was meant to get: never "Created".
        ctx.db.transaction(() => linkUser(ctx, item.localId, r.remote));
        throw passwordGone(user.userName, r.remote.ref);
      }
      after = () => linkUser(ctx, item.localId, r.remote);
      return finish(
        r.action === 'create' ? `Created ${r.remote.ref}.` : `An existing object was linked: ${r.remote.ref}.`,
        { changes: r.changes },
      );
    }
    case 'user.update': {
      const p = JSON.parse(item.payload) as Payloads['user.update'];
      const link = ctx.links.get(dirId, 'user', item.localId);
      if (!link?.ref) throw notProvisioned('user', p.after.userName);
      const before = remoteOf(ctx, p.before);
      const afterData = remoteOf(ctx, p.after);
      const changes = diff(before, afterData, exportPaths(ctx.directory.config));
      if (Object.keys(changes).length === 0) {
        after = () => ctx.links.setState(dirId, 'user', item.localId, 'provisioned');
        return finish('No mapped attribute changed.', { status: 'skipped' });
      }
      const remote = await ctx.connector.updateUser(link.ref, before, afterData);
      after = () => linkUser(ctx, item.localId, remote);
      return finish(`Updated ${Object.keys(changes).join(', ')}.`, { changes });
    }
    case 'user.delete': {
      const link = ctx.links.get(dirId, 'user', item.localId);
      if (!link?.ref) {
        after = () => {
          ctx.links.delete(dirId, 'user', item.localId);
          ctx.users.purgeRemoved(item.localId, item.id);
        };
        return finish('The user was never provisioned here; nothing to delete.', { status: 'skipped' });
      }
      const mode = ctx.directory.config.safety.deprovision;
      try {
        if (mode === 'delete') await ctx.connector.deleteUser(link.ref);
        else await ctx.connector.setUserEnabled(link.ref, false);
      } catch (err) {
        if (!(err instanceof ConnectorError && err.code === 'not_found')) throw err;
      }
      after = () => {
        ctx.links.delete(dirId, 'user', item.localId);
        // The last directory to confirm the removal lets the app forget the user.
        ctx.users.purgeRemoved(item.localId, item.id);
      };
      return finish(mode === 'delete' ? `Deleted ${link.ref}.` : `Disabled ${link.ref}.`, {
        action: mode === 'delete' ? 'delete' : 'disable',
        changes: mode === 'delete' ? undefined : { active: [true, false] },
      });
    }
    case 'user.password': {
      const p = JSON.parse(item.payload) as Payloads['user.password'];
      const link = ctx.links.get(dirId, 'user', item.localId);
      if (!link?.ref) throw notProvisioned('user', p.userName);
      if (!p.passwordSealed) throw passwordGone(p.userName, link.ref);
      await ctx.connector.setPassword(link.ref, openPassword(ctx.cipher, p.passwordSealed), {
        mustChange: p.mustChange,
      });
      after = () => ctx.links.setState(dirId, 'user', item.localId, 'provisioned');
      return finish('Password set.', { changes: { password: [undefined, '(set)'] } });
    }
    case 'group.create': {
      const p = JSON.parse(item.payload) as Payloads['group.create'];
      const link = ctx.links.get(dirId, 'group', item.localId);
      if (link?.ref && link.state === 'provisioned')
        return finish('Already provisioned; nothing to do.', { status: 'skipped' });
      const current = ctx.groups.get(item.localId);
      const data = {
        displayName: current?.displayName ?? p.group.displayName,
        description: current?.description ?? p.group.description,
      };
      const members = membersToCreateWith(ctx, current?.members ?? []);
      if (members.waitingFor)
        return {
          kind: 'defer',
          reason: `Waiting for its members (${members.waitingFor} and others) to be provisioned first, to create the group with them.`,
          // The worker wakes it when creates land; the delay covers creates recorded elsewhere (another
          // process) or in a flush that ran just before this deferral was recorded.
          delayMs: 250,
          untilCreatesLand: true,
        };
      let remote = await ctx.connector.findGroup(data);
      let action = 'linked';
      if (!remote) {
        const memberRefs = members.refs;
        try {
          remote = await ctx.connector.createGroup(data, memberRefs);
          action = 'created';
        } catch (err) {
          if (!(err instanceof ConnectorError && err.code === 'already_exists')) throw err;
          remote = await ctx.connector.findGroup(data);
          if (!remote) throw err;
        }
      }
      const g = remote;
      // A linked group gets its members through the queue; a created one already holds the linked members,
      // and the member groups still being created follow as membership changes.
      const later =
        action === 'created'
          ? members.waitingGroups
          : (current?.members ?? []).filter((m) => !(m.type === 'Group' && m.value === item.localId));
      const groupName = data.displayName;
      after = () => {
        const other = ctx.links.byAnchor(dirId, 'group', g.anchor);
        if (other && other.localId !== item.localId) ctx.links.delete(dirId, 'group', other.localId);
        ctx.links.upsert({
          directoryId: dirId,
          objectType: 'group',
          localId: item.localId,
          anchor: g.anchor,
          ref: g.ref,
          // Provisioned once its membership there is complete, not while member adds are still queued.
          state: later.length > 0 ? 'pending' : 'provisioned',
          reason: later.length > 0 ? `${later.length} member(s) still to add.` : null,
          hash: null,
        });
        for (const m of later)
          ctx.outbox.add({
            directoryId: dirId,
            objectType: 'membership',
            localId: item.localId,
            op: 'membership.add',
            payload: {
              groupId: item.localId,
              groupName,
              memberId: m.value,
              memberType: m.type,
              memberName: m.display ?? m.value,
            },
          });
      };
      return finish(action === 'created' ? `Created ${g.ref}.` : `An existing group was linked: ${g.ref}.`, {
        changes: action === 'created' ? { displayName: [null, data.displayName] } : undefined,
      });
    }
    case 'group.update': {
      // Renames and descriptions (the connector reads the object and writes only what differs).
      const p = JSON.parse(item.payload) as Payloads['group.update'];
      const link = ctx.links.get(dirId, 'group', item.localId);
      if (!link?.ref) throw notProvisioned('group', p.after.displayName);
      const changes: Record<string, [unknown, unknown]> = {};
      const write: { displayName?: string; description?: string } = {};
      for (const k of ['displayName', 'description'] as const) {
        if ((p.before[k] ?? '') === (p.after[k] ?? '')) continue;
        changes[k] = [p.before[k] ?? null, p.after[k] ?? null];
        write[k] = p.after[k] ?? '';
      }
      const l = link;
      const relink = (ref: string) => () =>
        ctx.links.upsert({
          directoryId: dirId,
          objectType: 'group',
          localId: item.localId,
          anchor: l.anchor,
          ref,
          state: 'provisioned',
          reason: null,
          hash: l.hash,
        });
      if (Object.keys(write).length === 0) {
        after = relink(link.ref);
        return finish('No group attribute changed.', { status: 'skipped' });
      }
      const g = await ctx.connector.updateGroup(link.ref, write);
      after = relink(g.ref);
      return finish(g.ref === link.ref ? `Updated ${g.ref}.` : `Renamed ${link.ref} to ${g.ref}.`, { changes });
    }
    case 'group.delete': {
      const link = ctx.links.get(dirId, 'group', item.localId);
      if (!link?.ref) {
        after = () => ctx.links.delete(dirId, 'group', item.localId);
        return finish('The group was never provisioned here; nothing to delete.', { status: 'skipped' });
      }
      try {
        await ctx.connector.deleteGroup(link.ref);
      } catch (err) {
        if (!(err instanceof ConnectorError && err.code === 'not_found')) throw err;
      }
      after = () => ctx.links.delete(dirId, 'group', item.localId);
      return finish(`Deleted ${link.ref}.`);
    }
    case 'membership.add':
    case 'membership.remove': {
      const [r] = await runMemberships(ctx, [item]);
      if (r && 'error' in r) throw r.error;
      return r!.outcome;
    }
  }
}

function passwordGone(userName: string, ref: string): ConnectorError {
  return new ConnectorError(
    'invalid_value',
    `The password for ${userName} is no longer stored (${ref} exists without it): set the password again.`,
    { transient: false },
  );
}

/**
 * The members a new group is created with: those already provisioned here. Users still being created
 * are waited for (the group is then written once, with them); member groups still being created are
 * added after both exist (waiting for them could wait forever on groups that hold each other).
 */
function membersToCreateWith(
  ctx: ProvisionContext,
  members: ReadonlyArray<{ value: string; type: 'User' | 'Group'; display?: string }>,
): { refs: string[]; waitingFor?: string; waitingGroups: typeof members } {
  const dirId = ctx.directory.id;
  const users = ctx.links.forLocals(
    dirId,
    'user',
    members.filter((m) => m.type === 'User').map((m) => m.value),
  );
  const groups = ctx.links.forLocals(
    dirId,
    'group',
    members.filter((m) => m.type === 'Group').map((m) => m.value),
  );
  const refs: string[] = [];
  const waitingGroups: Array<(typeof members)[number]> = [];
  for (const m of members) {
    const ref = (m.type === 'User' ? users : groups).get(m.value)?.ref;
    if (ref) refs.push(ref);
    else if (beingCreated(ctx, m.value)) {
      // One user still being created is enough to wait (checked again shortly): no need to count them all.
      if (m.type === 'User') return { refs: [], waitingFor: m.display ?? m.value, waitingGroups: [] };
      waitingGroups.push(m);
    }
  }
  return { refs, waitingGroups };
}

const beingCreated = (ctx: ProvisionContext, localId: string) =>
  ctx.outbox.unfinishedFor(localId, ctx.directory.id).some((i) => i.op === 'user.create' || i.op === 'group.create');

type ItemResult = { outcome: Outcome } | { error: unknown };

/**
 * Runs a group's membership changes (claimed together, in order) as at most two writes: the members
 * whose last change is a removal are removed, then those whose last change is an add are added (the
 * connectors write many values per request and treat "already a member" / "not a member" as done).
 * A member whose own create is still queued is waited for; its changes keep their place in order.
 */
export async function runMemberships(ctx: ProvisionContext, items: OutboxItem[]): Promise<ItemResult[]> {
  const dirId = ctx.directory.id;
  const results: ItemResult[] = new Array<ItemResult>(items.length);
  const parsed = items.map((item) => JSON.parse(item.payload) as Payloads['membership.add']);
  // The last change of each member decides (an add then a remove of one member leaves it out).
  const members = new Map<string, { p: Payloads['membership.add']; op: OutboxItem['op']; at: number[] }>();
  parsed.forEach((p, k) => {
    const key = `${p.memberType}:${p.memberId}`;
    const m = members.get(key) ?? { p, op: items[k]!.op, at: [] };
    m.op = items[k]!.op;
    m.at.push(k);
    members.set(key, m);
  });
  const linkOf = {
    user: ctx.links.forLocals(
      dirId,
      'user',
      parsed.filter((p) => p.memberType === 'User').map((p) => p.memberId),
    ),
    group: ctx.links.forLocals(
      dirId,
      'group',
      parsed.filter((p) => p.memberType === 'Group').map((p) => p.memberId),
    ),
  };
  const first = parsed[0]!;
  const gLink = ctx.links.get(dirId, 'group', first.groupId);
  const writes = { add: [] as string[], remove: [] as string[] };
  const written: Array<{ k: number; message: string; skipped?: boolean }> = [];
  for (const m of members.values()) {
    const type = m.p.memberType === 'User' ? 'user' : 'group';
    const ref = linkOf[type].get(m.p.memberId)?.ref;
    if (!ref && beingCreated(ctx, m.p.memberId)) {
      for (const k of m.at)
        results[k] = {
          outcome: { kind: 'defer', reason: `Waiting for ${m.p.memberName} to be provisioned first.`, delayMs: 500 },
        };
      continue;
    }
    if (!gLink?.ref) {
      for (const k of m.at) results[k] = { error: notProvisioned('group', first.groupName) };
      continue;
    }
    if (!ref) {
      for (const k of m.at)
        if (m.op === 'membership.remove')
          written.push({ k, message: `${m.p.memberName} is not provisioned here; nothing to remove.`, skipped: true });
        else results[k] = { error: notProvisioned(type, m.p.memberName) };
      continue;
    }
    writes[m.op === 'membership.add' ? 'add' : 'remove'].push(ref);
    for (const k of m.at)
      written.push({
        k,
        message:
          items[k]!.op === 'membership.add' ? `Added to ${first.groupName}.` : `Removed from ${first.groupName}.`,
      });
  }
  try {
    if (gLink?.ref && writes.remove.length > 0) await ctx.connector.removeMembers(gLink.ref, writes.remove);
    if (gLink?.ref && writes.add.length > 0) await ctx.connector.addMembers(gLink.ref, writes.add);
  } catch (error) {
    for (const w of written) results[w.k] = { error };
    return results;
  }
  if (written.length === 0) return results;
  const ended = items.filter((_, k) => !(results[k] && 'outcome' in results[k])).map((i) => i.id);
  const failedAny = results.some((r) => r && 'error' in r);
  const write = () => {
    for (const w of written) {
      const item = items[w.k]!;
      ctx.outbox.markDone(item.id);
      report(ctx, {
        userIdentifier: itemIdentifier(item),
        objectType: 'membership',
        action: opLabel[item.op],
        status: w.skipped ? 'skipped' : 'success',
        message: w.message,
        changes: w.skipped
          ? undefined
          : { [`member of ${first.groupName}`]: item.op === 'membership.add' ? [false, true] : [true, false] },
      });
    }
    // The group is provisioned here once nothing of its membership is left to write.
    if (gLink?.ref && !failedAny && !ctx.outbox.hasOtherUnfinished(dirId, first.groupId, ended))
      ctx.links.setState(dirId, 'group', first.groupId, 'provisioned');
  };
  const ids = written.map((w) => items[w.k]!.id);
  if (ctx.commit) ctx.commit(write, ids);
  else ctx.db.transaction(write);
  for (const w of written) results[w.k] = { outcome: { kind: 'done', message: w.message } };
  return results;
}

function notProvisioned(what: 'user' | 'group', name: string): ConnectorError {
  return new ConnectorError(
    'not_found',
    `The ${what} "${name}" is not provisioned in this directory yet, so this change cannot be written there.`,
    { transient: false },
  );
}
