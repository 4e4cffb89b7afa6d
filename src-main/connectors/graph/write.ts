// Writing users, groups and memberships. Idempotent where Graph allows it:
// a create that meets "already exists" finds the object and returns it (the
// engine links it); "already a member" and "not a member / not found" on
// removal count as success.
import { randomInt } from 'node:crypto';
import type {
  CreateUserOptions,
  RemoteGroup,
  RemoteGroupChanges,
  RemoteGroupData,
  RemoteUser,
  RemoteUserData,
} from '../connector.ts';
import { ConnectorError, type BulkCreated } from '../connector.ts';
import { chunk, runBatch, type BatchItem } from './batch.ts';
import { enc, type GraphContext } from './context.ts';
import { graphError, isAlreadyExists } from './errors.ts';
import { findGroup, findUser, findUsers, listMembers } from './read.ts';
import { sleep } from './retry.ts';

type Obj = Record<string, unknown>;

/** A random password that meets Entra's complexity rule (3 of 4 classes, 8–256 chars): 20 chars, all 4 classes. */
export function generatePassword(length = 20): string {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!@#$%^&*-_=+?'];
  const all = sets.join('');
  const chars = sets.map((s) => s[randomInt(s.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

function createBody(ctx: GraphContext, data: RemoteUserData, opts: CreateUserOptions = {}): Obj {
  const body = ctx.users.toCreateBody(data);
  body.passwordProfile = {
    password: opts.password ?? generatePassword(),
    forceChangePasswordNextSignIn: opts.mustChangePassword ?? true,
  };
  return body;
}

const upnOf = (body: Obj): string => String(body.userPrincipalName ?? '');

async function linkExisting(
  ctx: GraphContext,
  data: RemoteUserData,
  err: ConnectorError,
  signal?: AbortSignal,
): Promise<RemoteUser> {
  const existing = await findUser(ctx, data, signal);
  if (existing) return existing;
  // The clash is on another property (e.g. mailNickname / proxy address): report it as it is.
  throw err;
}

async function setManager(
  ctx: GraphContext,
  ref: string,
  managerRef: string | undefined,
  signal?: AbortSignal,
): Promise<void> {
  if (managerRef) {
    await ctx.http.request({
      method: 'PUT',
      url: `/users/${enc(ref)}/manager/$ref`,
      body: { '@odata.id': ctx.http.objectUrl(managerRef) },
      signal,
      what: 'set the manager of the user',
    });
  } else {
    await ctx.http.request({
      method: 'DELETE',
      url: `/users/${enc(ref)}/manager/$ref`,
      accept: [404],
      signal,
      what: 'remove the manager of the user',
    });
  }
}

export async function createUser(
  ctx: GraphContext,
  data: RemoteUserData,
  opts: CreateUserOptions = {},
  signal?: AbortSignal,
): Promise<RemoteUser> {
  const body = createBody(ctx, data, opts);
  const res = await ctx.http.request<Obj>({
    method: 'POST',
    url: '/users',
    body,
    accept: [400, 409],
    // A create repeated after a lost answer meets "already exists" and is linked: safe to resend.
    retryUnsafe: true,
    signal,
    what: `create the user ${upnOf(body)}`,
  });
  if (res.status >= 400) {
    const err = graphError(res.status, res.body, {
      what: `create the user ${upnOf(body)}`,
      requestId: res.requestId,
      clientRequestId: res.clientRequestId,
      method: 'POST',
      url: '/users',
    });
    if (isAlreadyExists(res.status, res.body)) return linkExisting(ctx, data, err, signal);
    throw err;
  }
  const user = ctx.users.fromGraph(res.body);
  const managerRef = ctx.users.remoteFor('manager') ? data.managerRef : undefined;
  if (managerRef) {
    await setManager(ctx, user.ref, managerRef, signal);
    user.data.managerRef = managerRef;
  }
  return user;
}

/**
 * Bulk create through $batch (20 per envelope, each sub-request retried on
 * its own). First the batch's existing users are looked up by the
 * directory's matching rules (findUsers: one GET per user, 20 per envelope):
 * a match is returned flagged `linked` (its password set when the item
 * carries one, also batched) and not created; more than one candidate is a
 * `constraint` error for that user. The others are created. Results in input
 * order: the user (created, found, or found when the create met "already
 * exists") or the ConnectorError for that one user.
 */
export async function createUsers(
  ctx: GraphContext,
  batch: ReadonlyArray<{ data: RemoteUserData; opts?: CreateUserOptions }>,
  signal?: AbortSignal,
): Promise<Array<BulkCreated | ConnectorError>> {
  const found = await findUsers(
    ctx,
    batch.map((b) => b.data),
    signal,
  );
  const final: Array<BulkCreated | ConnectorError | undefined> = found.map((f) =>
    f === undefined ? undefined : f instanceof ConnectorError ? f : Object.assign(f, { linked: true as const }),
  );
  // A matched user keeps its account; the password the admin chose for it still applies.
  const passwords = batch
    .map((b, index) => ({ index, opts: b.opts, user: final[index] }))
    .filter(
      (p): p is { index: number; opts: CreateUserOptions & { password: string }; user: BulkCreated } =>
        p.user !== undefined && !(p.user instanceof ConnectorError) && typeof p.opts?.password === 'string',
    );
  if (passwords.length > 0) {
    const pres = await runBatch(
      ctx.http,
      passwords.map((p) => ({
        method: 'PATCH' as const,
        url: `/users/${enc(p.user.ref)}`,
        body: {
          passwordProfile: {
            password: p.opts.password,
            forceChangePasswordNextSignIn: p.opts.mustChangePassword ?? false,
          },
        },
        what: 'set the password of the user',
      })),
      { signal, concurrency: ctx.concurrency, stats: ctx.batchStats },
    );
    passwords.forEach((p, k) => {
      const e = pres[k]!.error;
      if (e) final[p.index] = passwordError(e);
    });
  }
  const todo = batch.map((b, index) => ({ ...b, index })).filter((b) => final[b.index] === undefined);
  if (todo.length > 0) {
    const created = await createNew(ctx, todo, signal);
    todo.forEach((b, k) => (final[b.index] = created[k]));
  }
  return final.map(
    (r) => r ?? new ConnectorError('unknown', 'The directory gave no answer for this user.', { transient: true }),
  );
}

function passwordError(err: ConnectorError): ConnectorError {
  if (err.code !== 'permission_missing') return err;
  return new ConnectorError(
    'permission_missing',
    'The app may not reset passwords: grant it User-PasswordProfile.ReadWrite.All, or assign it the User Administrator role (Privileged Authentication Administrator for administrators).',
    { details: err.details, transient: false, cause: err },
  );
}

/** The creates of a bulk create (users not found first), results in input order. */
async function createNew(
  ctx: GraphContext,
  batch: ReadonlyArray<{ data: RemoteUserData; opts?: CreateUserOptions }>,
  signal?: AbortSignal,
): Promise<Array<RemoteUser | ConnectorError>> {
  const bodies = batch.map((b) => createBody(ctx, b.data, b.opts));
  const items: BatchItem[] = bodies.map((body) => ({
    method: 'POST',
    url: '/users',
    body,
    what: `create the user ${upnOf(body)}`,
  }));
  const results = await runBatch(ctx.http, items, { signal, concurrency: ctx.concurrency, stats: ctx.batchStats });
  const out: Array<RemoteUser | ConnectorError> = [];
  const managers: Array<{ index: number; ref: string; managerRef: string }> = [];
  const mapsManager = Boolean(ctx.users.remoteFor('manager'));
  for (let i = 0; i < batch.length; i++) {
    const r = results[i]!;
    const data = batch[i]!.data;
    if (!r.error) {
      const user = ctx.users.fromGraph((r.body ?? {}) as Obj);
      out.push(user);
      if (mapsManager && data.managerRef) managers.push({ index: i, ref: user.ref, managerRef: data.managerRef });
      continue;
    }
    if (isAlreadyExists(r.status, r.body)) {
      try {
        out.push(await linkExisting(ctx, data, r.error, signal));
      } catch (err) {
        out.push(err instanceof ConnectorError ? err : r.error);
      }
      continue;
    }
    out.push(r.error);
  }
  if (managers.length > 0) {
    const mres = await runBatch(
      ctx.http,
      managers.map((m) => ({
        method: 'PUT' as const,
        url: `/users/${enc(m.ref)}/manager/$ref`,
        body: { '@odata.id': ctx.http.objectUrl(m.managerRef) },
        what: 'set the manager of the user',
      })),
      { signal, concurrency: ctx.concurrency, stats: ctx.batchStats },
    );
    managers.forEach((m, k) => {
      const r = mres[k]!;
      const u = out[m.index];
      if (r.error) out[m.index] = r.error;
      else if (u && !(u instanceof ConnectorError)) u.data.managerRef = m.managerRef;
    });
  }
  return out;
}

export async function updateUser(
  ctx: GraphContext,
  ref: string,
  before: RemoteUserData,
  after: RemoteUserData,
  signal?: AbortSignal,
): Promise<RemoteUser> {
  const { patch, manager } = ctx.users.diff(before, after);
  if (Object.keys(patch).length > 0) {
    await ctx.http.request({
      method: 'PATCH',
      url: `/users/${enc(ref)}`,
      body: patch,
      signal,
      what: 'update the user',
    });
  }
  if (manager) await setManager(ctx, ref, 'set' in manager ? manager.set : undefined, signal);
  return { anchor: ref, ref, data: structuredClone(after) };
}

export async function setUserEnabled(
  ctx: GraphContext,
  ref: string,
  enabled: boolean,
  signal?: AbortSignal,
): Promise<void> {
  await ctx.http.request({
    method: 'PATCH',
    url: `/users/${enc(ref)}`,
    body: { accountEnabled: enabled },
    signal,
    what: enabled ? 'enable the user' : 'disable the user',
  });
}

export async function deleteUser(ctx: GraphContext, ref: string, signal?: AbortSignal): Promise<void> {
  await ctx.http.request({
    method: 'DELETE',
    url: `/users/${enc(ref)}`,
    accept: [404],
    signal,
    what: 'delete the user',
  });
}

export async function setPassword(
  ctx: GraphContext,
  ref: string,
  password: string,
  mustChange = false,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await ctx.http.request({
      method: 'PATCH',
      url: `/users/${enc(ref)}`,
      body: { passwordProfile: { password, forceChangePasswordNextSignIn: mustChange } },
      signal,
      what: 'set the password of the user',
    });
  } catch (err) {
    throw err instanceof ConnectorError ? passwordError(err) : err;
  }
}

// ---- groups ----

export async function createGroup(
  ctx: GraphContext,
  data: RemoteGroupData,
  initialMembers: string[] = [],
  signal?: AbortSignal,
): Promise<RemoteGroup> {
  const members = [...new Set(initialMembers)];
  const first = members.slice(0, 20);
  const body: Obj = ctx.groups.toCreateBody(data);
  if (first.length) body['members@odata.bind'] = first.map((id) => ctx.http.objectUrl(id));
  const res = await ctx.http.request<Obj>({
    method: 'POST',
    url: '/groups',
    body,
    accept: [400, 409],
    signal,
    what: `create the group ${data.displayName}`,
  });
  if (res.status >= 400) {
    const err = graphError(res.status, res.body, {
      what: `create the group ${data.displayName}`,
      requestId: res.requestId,
      clientRequestId: res.clientRequestId,
      method: 'POST',
      url: '/groups',
    });
    if (isAlreadyExists(res.status, res.body)) {
      const existing = await findGroup(ctx, data.displayName, signal);
      if (existing) {
        await addMembers(ctx, existing.ref, members, signal);
        return {
          ...existing,
          members: mergeMembers(
            existing.members.map((m) => m.ref),
            members,
          ),
        };
      }
    }
    throw err;
  }
  const group = ctx.groups.fromGraph(
    res.body,
    first.map((ref) => ({ ref })),
  );
  if (members.length > 20) await addMembers(ctx, group.ref, members.slice(20), signal);
  group.members = members.map((ref) => ({ ref }));
  return group;
}

function mergeMembers(a: string[], b: string[]): Array<{ ref: string }> {
  return [...new Set([...a, ...b])].map((ref) => ({ ref }));
}

/**
 * Renames a group and/or rewrites its description: the group is read first
 * (with its mailNickname), then one PATCH carries only what differs
 * (204 No Content). Members are untouched.
 */
export async function updateGroup(
  ctx: GraphContext,
  ref: string,
  changes: RemoteGroupChanges,
  signal?: AbortSignal,
): Promise<RemoteGroup> {
  const select = [...new Set([...ctx.groups.select, 'mailNickname'])].join(',');
  const res = await ctx.http.request<Obj>({
    url: `/groups/${enc(ref)}`,
    query: { $select: select },
    signal,
    what: 'read the group',
  });
  const patch = ctx.groups.toPatchBody(res.body, changes);
  let current = res.body;
  if (Object.keys(patch).length > 0) {
    await ctx.http.request({
      method: 'PATCH',
      url: `/groups/${enc(ref)}`,
      body: patch,
      signal,
      what: 'update the group',
    });
    current = { ...current, ...patch };
  }
  return ctx.groups.fromGraph(current, await listMembers(ctx, ref, signal));
}

export async function deleteGroup(ctx: GraphContext, ref: string, signal?: AbortSignal): Promise<void> {
  await ctx.http.request({
    method: 'DELETE',
    url: `/groups/${enc(ref)}`,
    accept: [404],
    signal,
    what: 'delete the group',
  });
}

/** Graph's replication delay: a group made seconds ago may answer 404 for references. */
const REPLICATION_WAITS = [1000, 2000, 4000];

/**
 * Adds members 20 at a time with members@odata.bind. A chunk refused because
 * one of them is already a member is redone member by member ($batch of
 * POST members/$ref) where "already exists" counts as success.
 */
export async function addMembers(
  ctx: GraphContext,
  groupRef: string,
  memberRefs: string[],
  signal?: AbortSignal,
): Promise<void> {
  const refs = [...new Set(memberRefs)];
  for (const part of chunk(refs, 20)) {
    for (let attempt = 0; ; attempt++) {
      const res = await ctx.http.request({
        method: 'PATCH',
        url: `/groups/${enc(groupRef)}`,
        body: { 'members@odata.bind': part.map((id) => ctx.http.objectUrl(id)) },
        accept: [400, 404],
        signal,
        what: 'add members to the group',
      });
      if (res.status < 400) break;
      if (isAlreadyExists(res.status, res.body)) {
        await addOneByOne(ctx, groupRef, part, signal);
        break;
      }
      if (res.status === 404 && attempt < REPLICATION_WAITS.length) {
        await sleep(REPLICATION_WAITS[attempt]!, signal);
        continue;
      }
      throw graphError(res.status, res.body, {
        what: 'add members to the group',
        requestId: res.requestId,
        clientRequestId: res.clientRequestId,
        method: 'PATCH',
        url: `/groups/${groupRef}`,
      });
    }
  }
}

async function addOneByOne(ctx: GraphContext, groupRef: string, refs: string[], signal?: AbortSignal): Promise<void> {
  const results = await runBatch(
    ctx.http,
    refs.map((id) => ({
      method: 'POST' as const,
      url: `/groups/${enc(groupRef)}/members/$ref`,
      body: { '@odata.id': ctx.http.objectUrl(id) },
      what: `add ${id} to the group`,
    })),
    { signal, concurrency: 1, stats: ctx.batchStats },
  );
  const failed = results.find((r) => r.error && !isAlreadyExists(r.status, r.body));
  if (failed?.error) throw failed.error;
}

/** Removes members ($batch of DELETE members/{id}/$ref); ones not there count as success. */
export async function removeMembers(
  ctx: GraphContext,
  groupRef: string,
  memberRefs: string[],
  signal?: AbortSignal,
): Promise<void> {
  const refs = [...new Set(memberRefs)];
  if (refs.length === 0) return;
  const results = await runBatch(
    ctx.http,
    refs.map((id) => ({
      method: 'DELETE' as const,
      url: `/groups/${enc(groupRef)}/members/${enc(id)}/$ref`,
      what: `remove ${id} from the group`,
    })),
    { signal, concurrency: 1, stats: ctx.batchStats },
  );
  const failed = results.find((r) => r.error && r.status !== 404);
  if (failed?.error) throw failed.error;
}
