// Reading: users and groups streamed page by page ($select of the mapped
// properties only), group members (all pages), and delta for users and groups
// (the deltaLinks become the connector's DeltaToken, which the engine saves
// only after a run that succeeded).
import type {
  DeltaResult,
  DeltaToken,
  ListOptions,
  Page,
  RemoteGroup,
  RemoteMemberRef,
  RemoteUser,
  RemoteUserData,
} from '../connector.ts';
import { ConnectorError } from '../connector.ts';
import { runBatch } from './batch.ts';
import { enc, odataString, type GraphContext } from './context.ts';
import { isResyncRequired } from './errors.ts';
import { toMemberRef, toUpn } from './mapping.ts';
import { matchRules, pickGroup, pickMatch, type MatchKey } from '../../sync/matching.ts';

type Obj = Record<string, unknown>;

function userQuery(ctx: GraphContext): Record<string, string | number> {
  const q: Record<string, string | number> = { $select: ctx.users.select.join(',') };
  if (ctx.users.expandManager) q.$expand = 'manager($select=id)';
  return q;
}

export async function* listUsers(ctx: GraphContext, opts: ListOptions = {}): AsyncGenerator<Page<RemoteUser>> {
  for await (const page of ctx.http.pages<Obj>({
    url: '/users',
    query: { ...userQuery(ctx), $top: ctx.conn.pageSize },
    signal: opts.signal,
    what: 'list the users',
  })) {
    yield page.value.map((u) => ctx.users.fromGraph(u));
  }
}

export async function getUser(ctx: GraphContext, ref: string, signal?: AbortSignal): Promise<RemoteUser | undefined> {
  const res = await ctx.http.request<Obj>({
    url: `/users/${enc(ref)}`,
    query: userQuery(ctx),
    accept: [404],
    signal,
    what: 'read the user',
  });
  return res.status === 404 ? undefined : ctx.users.fromGraph(res.body);
}

/** One matching rule of the directory turned into a Graph property and this user's value for it. */
interface MatchClause extends MatchKey {
  prop: string;
}

/**
 * The directory's matching rules (config.matching, default userName then
 * email) for one user, in order: userName → the mapped userPrincipalName
 * (else userName as a UPN), email → mail, employeeNumber → its mapped
 * property (employeeId), displayName → displayName. Rules without a value
 * are left out.
 */
export function matchClauses(ctx: GraphContext, data: RemoteUserData): MatchClause[] {
  const out: MatchClause[] = [];
  for (const rule of matchRules(ctx.config)) {
    let prop: string | undefined;
    let value: unknown;
    if (rule === 'userName') {
      prop = 'userPrincipalName';
      const upn = ctx.users.remoteValue(data, 'userPrincipalName');
      value =
        typeof upn === 'string' && upn ? upn : data.userName ? toUpn(data.userName, ctx.conn.upnDomain) : undefined;
    } else if (rule === 'email') {
      prop = 'mail';
      value = ctx.users.remoteValue(data, 'mail') ?? data.emails.find((e) => e.primary)?.value ?? data.emails[0]?.value;
    } else if (rule === 'employeeNumber') {
      prop = ctx.users.remoteFor('employeeNumber') ?? 'employeeId';
      value = data.employeeNumber;
    } else if (rule === 'displayName') {
      prop = ctx.users.remoteFor('displayName') ?? 'displayName';
      value = data.displayName;
    }
    if (prop && typeof value === 'string' && value.trim()) out.push({ rule, prop, value });
  }
  return out;
}

/** `$filter` for a user's candidates: every rule's clause joined with `or` (one request per user). */
export function matchFilter(clauses: readonly MatchClause[]): string {
  return [
    ...new Map(
      clauses.map((c) => [`${c.prop}\u0000${c.value.toLowerCase()}`, `${c.prop} eq ${odataString(c.value)}`]),
    ).values(),
  ].join(' or ');
}

/** Candidates asked for per user: enough to see a conflict on every rule. */
const MATCH_TOP = 25;

/** A Graph object as a matching candidate: shown by its UPN (or name) and id. */
function candidate(h: Obj): { ref: string; obj: Obj } {
  const name = h.userPrincipalName ?? h.displayName;
  return { ref: name ? `${String(name)} (id ${String(h.id)})` : String(h.id), obj: h };
}

/**
 * Picks the match among a user's candidates by the ordered rules
 * (sync/matching.ts): the first rule with exactly one candidate wins; more
 * than one is a conflict (never a guess); none on any rule = no match.
 */
export function pickUser(
  ctx: GraphContext,
  data: RemoteUserData,
  clauses: readonly MatchClause[],
  hits: readonly Obj[],
): RemoteUser | ConnectorError | undefined {
  const found = pickMatch(
    { kind: 'user', name: data.userName, directory: ctx.config.name },
    clauses,
    hits.map(candidate),
    (c, k) => [typeof c.obj[k.prop] === 'string' ? (c.obj[k.prop] as string) : undefined],
  );
  return found && !(found instanceof ConnectorError) ? ctx.users.fromGraph(found.obj) : found;
}

/**
 * The existing user for an idempotent create, by the directory's matching
 * rules (one request: the rules' clauses joined with `or`). More than one
 * candidate on the deciding rule throws a `conflict` error.
 */
export async function findUser(
  ctx: GraphContext,
  data: RemoteUserData,
  signal?: AbortSignal,
): Promise<RemoteUser | undefined> {
  const clauses = matchClauses(ctx, data);
  if (clauses.length === 0) return undefined;
  const res = await ctx.http.request<{ value?: Obj[] }>({
    url: '/users',
    query: { $filter: matchFilter(clauses), ...userQuery(ctx), $top: MATCH_TOP },
    signal,
    what: `look up the user ${clauses[0]!.value}`,
  });
  const found = pickUser(ctx, data, clauses, res.body?.value ?? []);
  if (found instanceof ConnectorError) throw found;
  return found;
}

/**
 * `findUser` for many users at once: one GET per user (its rules joined with
 * `or`) sent through `$batch`, 20 per envelope, each retried on its own.
 * Results in input order: the match, undefined (none), or the error of that
 * one user (a conflict, or the lookup failing after its retries).
 */
export async function findUsers(
  ctx: GraphContext,
  batch: readonly RemoteUserData[],
  signal?: AbortSignal,
): Promise<Array<RemoteUser | ConnectorError | undefined>> {
  const out: Array<RemoteUser | ConnectorError | undefined> = batch.map(() => undefined);
  const asks: Array<{ index: number; clauses: MatchClause[] }> = [];
  batch.forEach((data, index) => {
    const clauses = matchClauses(ctx, data);
    if (clauses.length > 0) asks.push({ index, clauses });
  });
  if (asks.length === 0) return out;
  const q = userQuery(ctx);
  const results = await runBatch(
    ctx.http,
    asks.map((a) => ({
      method: 'GET' as const,
      url: `/users?${[['$filter', matchFilter(a.clauses)], ...Object.entries(q), ['$top', MATCH_TOP]]
        .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
        .join('&')}`,
      what: `look up the user ${a.clauses[0]!.value}`,
    })),
    { signal, concurrency: ctx.concurrency, stats: ctx.batchStats },
  );
  asks.forEach((a, k) => {
    const r = results[k]!;
    const data = batch[a.index]!;
    out[a.index] = r.error ?? pickUser(ctx, data, a.clauses, ((r.body ?? {}) as { value?: Obj[] }).value ?? []);
  });
  return out;
}

/** Every member of a group (users and groups, as Graph lists direct members), all pages. */
export async function listMembers(
  ctx: GraphContext,
  groupId: string,
  signal?: AbortSignal,
  firstUrl?: string,
): Promise<RemoteMemberRef[]> {
  const out: RemoteMemberRef[] = [];
  for await (const page of ctx.http.pages<Obj>(
    firstUrl
      ? { url: firstUrl, signal, what: 'list the group members' }
      : {
          url: `/groups/${enc(groupId)}/members`,
          query: { $select: 'id', $top: 999 },
          signal,
          what: 'list the group members',
        },
  )) {
    for (const m of page.value) out.push(toMemberRef(m));
  }
  return out;
}

/**
 * Members of several groups: the first page of each through $batch (20
 * groups per envelope), further pages followed one by one.
 */
async function membersOf(
  ctx: GraphContext,
  ids: string[],
  signal?: AbortSignal,
): Promise<Map<string, RemoteMemberRef[]>> {
  const out = new Map<string, RemoteMemberRef[]>();
  if (ids.length === 0) return out;
  const results = await runBatch(
    ctx.http,
    ids.map((id) => ({
      method: 'GET' as const,
      url: `/groups/${enc(id)}/members?$select=id&$top=999`,
      what: 'list the group members',
    })),
    { signal, concurrency: ctx.concurrency, stats: ctx.batchStats },
  );
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const r = results[i]!;
    if (r.error) {
      if (r.status === 404) {
        out.set(id, []);
        continue;
      }
      throw r.error;
    }
    const body = (r.body ?? {}) as { value?: Obj[]; '@odata.nextLink'?: string };
    const members = (body.value ?? []).map(toMemberRef);
    if (body['@odata.nextLink']) members.push(...(await listMembers(ctx, id, signal, body['@odata.nextLink'])));
    out.set(id, members);
  }
  return out;
}

export async function* listGroups(ctx: GraphContext, opts: ListOptions = {}): AsyncGenerator<Page<RemoteGroup>> {
  for await (const page of ctx.http.pages<Obj>({
    url: '/groups',
    query: { $select: ctx.groups.select.join(','), $top: ctx.conn.pageSize },
    signal: opts.signal,
    what: 'list the groups',
  })) {
    const members = await membersOf(
      ctx,
      page.value.map((g) => String(g.id)),
      opts.signal,
    );
    yield page.value.map((g) => ctx.groups.fromGraph(g, members.get(String(g.id)) ?? []));
  }
}

export async function getGroup(ctx: GraphContext, ref: string, signal?: AbortSignal): Promise<RemoteGroup | undefined> {
  const res = await ctx.http.request<Obj>({
    url: `/groups/${enc(ref)}`,
    query: { $select: ctx.groups.select.join(',') },
    accept: [404],
    signal,
    what: 'read the group',
  });
  if (res.status === 404) return undefined;
  return ctx.groups.fromGraph(res.body, await listMembers(ctx, ref, signal));
}

/** Candidates asked for per group name: two are enough to see a conflict, a few more to show them. */
const GROUP_MATCH_TOP = 5;

/** The group of that name, if exactly one; two or more are a `conflict` (both ids shown), never a guess. */
export async function findGroup(
  ctx: GraphContext,
  displayName: string,
  signal?: AbortSignal,
): Promise<RemoteGroup | undefined> {
  const res = await ctx.http.request<{ value?: Obj[] }>({
    url: '/groups',
    query: {
      $filter: `${ctx.groups.nameProperty} eq ${odataString(displayName)}`,
      $select: ctx.groups.select.join(','),
      $top: GROUP_MATCH_TOP,
    },
    signal,
    what: `look up the group ${displayName}`,
  });
  const found = pickGroup(
    { name: displayName, directory: ctx.config.name },
    (res.body?.value ?? []).map((h) => ({
      ref: `${String(h.displayName ?? displayName)} (id ${String(h.id)})`,
      obj: h,
    })),
    (c) => {
      const v = c.obj[ctx.groups.nameProperty];
      return typeof v === 'string' ? v : undefined;
    },
  );
  if (found instanceof ConnectorError) throw found;
  if (!found) return undefined;
  const id = String(found.obj.id);
  return ctx.groups.fromGraph(found.obj, await listMembers(ctx, id, signal));
}

// ---- delta ----

interface TokenState {
  v: 1;
  users: string;
  groups: string;
}

export function encodeDeltaToken(s: Omit<TokenState, 'v'>): DeltaToken {
  return JSON.stringify({ v: 1, ...s });
}

export function decodeDeltaToken(token: DeltaToken): TokenState | undefined {
  try {
    const s = JSON.parse(token) as Partial<TokenState>;
    if (s.v === 1 && typeof s.users === 'string' && typeof s.groups === 'string') return s as TokenState;
  } catch {
    /* not ours */
  }
  return undefined;
}

class ResyncRequired extends Error {}

/** Walks a delta round to its deltaLink; `onPage` sees every page. */
async function walkDelta(
  ctx: GraphContext,
  first: { url: string; query?: Record<string, string | number> },
  onPage: (items: Obj[]) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<string> {
  let url: string | undefined = first.url;
  let query = first.query;
  for (;;) {
    const res: { status: number; body: { value?: Obj[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string } } =
      await ctx.http.request({
        url: url!,
        query,
        signal,
        accept: [400, 404, 410],
        what: 'read the changes since the last run',
      });
    if (res.status >= 400) {
      if (isResyncRequired(res.status, res.body) || query === undefined) throw new ResyncRequired();
      throw new ConnectorError('invalid_value', 'Microsoft Entra ID refused the change-tracking request.', {
        details: (res.body as { error?: unknown })?.error,
        transient: false,
      });
    }
    await onPage(res.body?.value ?? []);
    if (res.body['@odata.deltaLink']) return res.body['@odata.deltaLink'];
    url = res.body['@odata.nextLink'];
    query = undefined;
    if (!url)
      throw new ConnectorError('unknown', 'Microsoft Graph ended a change-tracking round without a delta link.', {
        transient: true,
      });
  }
}

const userDeltaQuery = (ctx: GraphContext): Record<string, string | number> => ({
  $select: ctx.users.select.join(','),
  // manager is not selectable with $expand in delta; it is read with the users list instead.
});
const groupDeltaQuery = (ctx: GraphContext): Record<string, string | number> => ({
  $select: [...new Set([...ctx.groups.select, 'members'])].join(','),
});

async function deltaRound(
  ctx: GraphContext,
  links: { users: string | undefined; groups: string | undefined },
  signal?: AbortSignal,
): Promise<DeltaResult> {
  const result: DeltaResult = {
    usable: true,
    users: { changed: [], removed: [] },
    groups: { changed: [], removed: [] },
    nextToken: '',
  };
  const usersLink = await walkDelta(
    ctx,
    links.users ? { url: links.users } : { url: '/users/delta', query: userDeltaQuery(ctx) },
    (items) => {
      for (const u of items) {
        if (u['@removed']) result.users.removed.push(String(u.id));
        else result.users.changed.push(ctx.users.fromGraph(u));
      }
    },
    signal,
  );
  const changedGroups: Obj[] = [];
  const groupsLink = await walkDelta(
    ctx,
    links.groups ? { url: links.groups } : { url: '/groups/delta', query: groupDeltaQuery(ctx) },
    (items) => {
      for (const g of items) {
        if (g['@removed']) result.groups.removed.push(String(g.id));
        else changedGroups.push(g);
      }
    },
    signal,
  );
  // Complete membership of each changed group (members@delta carries only the changes).
  const byId = new Map<string, Obj>();
  for (const g of changedGroups) byId.set(String(g.id), { ...byId.get(String(g.id)), ...g });
  const ids = [...byId.keys()];
  const members = await membersOf(ctx, ids, signal);
  // A group seen only with members@delta may lack its name: read those.
  for (const id of ids) {
    const g = byId.get(id)!;
    if (typeof g.displayName !== 'string') {
      const full = await getGroup(ctx, id, signal);
      if (full) result.groups.changed.push(full);
      continue;
    }
    result.groups.changed.push(ctx.groups.fromGraph(g, members.get(id) ?? []));
  }
  result.nextToken = encodeDeltaToken({ users: usersLink, groups: groupsLink });
  return result;
}

/** A token for "now" without reading everything: $deltatoken=latest where Graph supports it. */
async function latestLink(
  ctx: GraphContext,
  path: string,
  query: Record<string, string | number>,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const res = await ctx.http.request<{ '@odata.deltaLink'?: string; '@odata.nextLink'?: string; value?: unknown[] }>({
    url: path,
    query: { ...query, $deltatoken: 'latest' },
    accept: [400, 404, 410, 501],
    signal,
    what: 'start change tracking',
  });
  if (res.status >= 400) return undefined;
  if (res.body?.['@odata.deltaLink'] && (res.body.value?.length ?? 0) === 0) return res.body['@odata.deltaLink'];
  return undefined;
}

export async function delta(
  ctx: GraphContext,
  token: DeltaToken | undefined,
  opts: ListOptions = {},
): Promise<DeltaResult> {
  const signal = opts.signal;
  if (token === undefined) {
    const u = await latestLink(ctx, '/users/delta', userDeltaQuery(ctx), signal);
    const g = u ? await latestLink(ctx, '/groups/delta', groupDeltaQuery(ctx), signal) : undefined;
    if (u && g) {
      return {
        usable: true,
        users: { changed: [], removed: [] },
        groups: { changed: [], removed: [] },
        nextToken: encodeDeltaToken({ users: u, groups: g }),
      };
    }
    // No "latest" support: walk a first round; what it returns is the whole directory, given as changed.
    return deltaRound(ctx, { users: undefined, groups: undefined }, signal);
  }
  const state = decodeDeltaToken(token);
  if (state) {
    try {
      return await deltaRound(ctx, state, signal);
    } catch (err) {
      if (!(err instanceof ResyncRequired)) throw err;
    }
  }
  // Token unusable (expired, foreign): a fresh round; the engine does a full read.
  const fresh = await deltaRound(ctx, { users: undefined, groups: undefined }, signal);
  return { ...fresh, usable: false };
}
