// Reading: paged searches streamed page by page (ldapts searchPaginated,
// never the whole result in memory), entries mapped to RemoteUser /
// RemoteGroup, objectGUID as its canonical string, group membership complete
// through ranged retrieval (member;range=low-high, the returned range parsed
// and followed until it ends in '*'), members that are groups typed 'Group'.
// A server size limit surfaces as a 'size_limit' error, never as a short list.
import type { Control, Filter } from 'ldapts';
import { ConnectorError, type RemoteGroup, type RemoteMemberRef, type RemoteUser } from '../connector.ts';
import type { LdapSession } from './connection.ts';
import { canonicalDn, normalizeDn, parentDn, rdnValue } from './escape.ts';
import { toConnectorError } from './errors.ts';
import { parseFilter } from './filter.ts';
import { guidToString } from './guid.ts';
import {
  attrMap,
  entryToGroupData,
  entryToUserData,
  groupReadAttributes,
  rawValues,
  userReadAttributes,
  type LdapEntry,
} from './mapping.ts';
import { PROTECT_ATTRIBUTES, protectedReason } from './protected.ts';
import { isExcluded, type LdapSettings } from './settings.ts';

export interface SearchOptions {
  base: string;
  scope: 'base' | 'one' | 'sub';
  /** Text (parsed by filter.ts), or filter objects built by the caller. */
  filter: string | Filter;
  attributes: string[];
  pageSize?: number;
  signal?: AbortSignal;
  controls?: Control[];
  /** The base is configuration (a missing one is 'base_not_found'). */
  baseIsConfig?: boolean;
}

const BUFFER_ATTRIBUTES = ['objectGUID', 'objectguid', 'ObjectGUID', 'objectSid', 'invocationId'];

/**
 * The most entries asked for per page on the wire, whatever the configured page size: a page's
 * entries (and the caller's work on them) stay alive until the whole page has been handled, and a
 * page of 1,000 outlives V8's young generation, so its garbage is promoted and the heap grows.
 * Smaller pages keep both the listing's and the import preview's peak memory lower, with less
 * CPU (`npm run bench` measures it).
 */
export const WIRE_PAGE_MAX = 100;

/** Streams the entries of a paged search, one page at a time. */
export async function* searchPages(session: LdapSession, o: SearchOptions): AsyncGenerator<LdapEntry[]> {
  const ctx = { action: 'search', url: session.url, base: o.baseIsConfig ? o.base : undefined, dn: o.base };
  let iter: AsyncGenerator<{ searchEntries: LdapEntry[] }>;
  try {
    iter = session.client.searchPaginated(
      o.base,
      {
        scope: o.scope,
        filter: typeof o.filter === 'string' ? parseFilter(o.filter) : o.filter,
        attributes: o.attributes,
        paged: { pageSize: Math.min(o.pageSize ?? 500, WIRE_PAGE_MAX) },
        timeLimit: 0,
        sizeLimit: 0,
        explicitBufferAttributes: BUFFER_ATTRIBUTES,
      },
      o.controls,
    ) as AsyncGenerator<{ searchEntries: LdapEntry[] }>;
  } catch (e) {
    throw toConnectorError(e, ctx);
  }
  // One page is read ahead: the server sends the next page while the caller works on this one
  // (at most two pages in memory). A failure of the page read ahead surfaces when it is reached.
  type Next = Promise<IteratorResult<{ searchEntries: LdapEntry[] }>>;
  const ahead = (): Next => {
    const p = iter.next();
    p.catch(() => {}); // handled where it is awaited
    return p;
  };
  let pending: Next | undefined = ahead();
  try {
    for (;;) {
      if (o.signal?.aborted) throw new ConnectorError('cancelled', 'The listing was cancelled.');
      let r: IteratorResult<{ searchEntries: LdapEntry[] }>;
      try {
        r = await pending;
      } catch (e) {
        pending = undefined;
        throw toConnectorError(e, ctx);
      }
      if (r.done) {
        pending = undefined;
        return;
      }
      pending = ahead();
      if (r.value.searchEntries.length > 0) yield r.value.searchEntries;
    }
  } finally {
    // Stopped early (cancel, an error in the caller, break): end the search.
    if (pending) await iter.return?.(undefined).catch(() => {});
  }
}

/** One base-scope read; undefined when the entry does not exist. */
export async function readEntry(
  session: LdapSession,
  dn: string,
  attributes: string[],
  controls?: Control[],
): Promise<LdapEntry | undefined> {
  try {
    const r = await session.client.search(
      dn,
      {
        scope: 'base',
        filter: parseFilter('(objectClass=*)'),
        attributes,
        timeLimit: 0,
        explicitBufferAttributes: BUFFER_ATTRIBUTES,
      },
      controls,
    );
    return r.searchEntries[0] as LdapEntry | undefined;
  } catch (e) {
    const err = toConnectorError(e, { action: 'read', dn, url: session.url });
    if (err.code === 'not_found') return undefined;
    throw err;
  }
}

/** Counts the entries a search finds (DNs only, paged). */
export async function countEntries(session: LdapSession, o: Omit<SearchOptions, 'attributes'>): Promise<number> {
  let n = 0;
  for await (const page of searchPages(session, { ...o, attributes: ['1.1'] })) n += page.length;
  return n;
}

// ---------------------------------------------------------------------------
// Anchors

export function anchorOf(s: LdapSettings, entry: LdapEntry): string | undefined {
  const v = rawValues(entry, s.anchorAttribute)[0];
  if (v === undefined) return undefined;
  if (s.anchorAttribute === 'objectGUID') {
    if (Buffer.isBuffer(v) && v.length === 16) return guidToString(v);
    return undefined;
  }
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

// ---------------------------------------------------------------------------
// Change stamps (delta.ts: a full listing that carries the next delta's token)

/** Receives each listed object's anchor with its entry, and hears when the listing ran to the end. */
export interface StampSink {
  add(anchor: string, entry: LdapEntry): void;
  complete(): void;
}

/** The entry's entryCSN (OpenLDAP's per-change stamp), if the server sent one. */
export function entryCsnOf(entry: LdapEntry): string | undefined {
  let v = entry.entryCSN;
  if (v === undefined) {
    for (const k in entry) if (k.toLowerCase() === 'entrycsn') v = entry[k];
  }
  return firstText(v) || undefined;
}

/** The first value of an attribute as text (Buffers decoded as UTF-8). */
export function firstText(v: unknown): string | undefined {
  const x: unknown = Array.isArray(v) ? v[0] : v;
  if (x === undefined || x === null) return undefined;
  return Buffer.isBuffer(x) ? x.toString('utf8') : String(x);
}

/** The attributes a listing asks for: with entryCSN when it collects stamps (mapping reads rows only, so it ignores it). */
function withStamp(attributes: string[], stamps: StampSink | undefined): string[] {
  return stamps ? [...attributes, 'entryCSN'] : attributes;
}

// ---------------------------------------------------------------------------
// Users

function rdnFallback(dn: string): string {
  try {
    return rdnValue(dn) ?? '';
  } catch {
    return ''; // odd DN: keep ''
  }
}

export function userAttributes(s: LdapSettings): string[] {
  // AD: what tells a protected account too (flagged on the user: never linked nor written).
  const extra = s.isAd ? ['userAccountControl', 'sAMAccountName', 'userPrincipalName', ...PROTECT_ATTRIBUTES] : [];
  // Only what the mapping reads (objectClass is not: 100,000 entries × its values is work for nothing).
  return dedupe([...userReadAttributes(s.userMapping), s.anchorAttribute, ...extra]);
}

function dedupe(list: string[]): string[] {
  const seen = new Map<string, string>();
  for (const a of list) if (!seen.has(a.toLowerCase())) seen.set(a.toLowerCase(), a);
  return [...seen.values()];
}

export function entryToRemoteUser(s: LdapSettings, entry: LdapEntry): RemoteUser | undefined {
  const anchor = anchorOf(s, entry);
  if (!anchor) return undefined;
  const m = attrMap(entry);
  const data = entryToUserData(m, s.userMapping, '');
  if (!data.userName) data.userName = rdnFallback(entry.dn);
  if (data.managerRef) data.managerRef = canonicalDn(data.managerRef);
  const why = protectedReason(s, entry);
  return why
    ? { anchor, ref: canonicalDn(entry.dn), data, protected: why }
    : { anchor, ref: canonicalDn(entry.dn), data };
}

/** Every user in scope, page by page; `stamps` collects each one's entryCSN as read (see delta.ts). */
export async function* listUsers(
  session: LdapSession,
  s: LdapSettings,
  signal?: AbortSignal,
  stamps?: StampSink,
): AsyncGenerator<RemoteUser[]> {
  for await (const page of searchPages(session, {
    base: s.userBase,
    scope: s.scope,
    filter: s.userFilter,
    attributes: withStamp(userAttributes(s), stamps),
    pageSize: s.pageSize,
    signal,
    baseIsConfig: true,
  })) {
    const out: RemoteUser[] = [];
    for (const e of page) {
      if (isExcluded(s, e.dn)) continue;
      const u = entryToRemoteUser(s, e);
      if (!u) continue;
      out.push(u);
      stamps?.add(u.anchor, e);
    }
    if (out.length > 0) yield out;
  }
  stamps?.complete();
}

export async function getUser(session: LdapSession, s: LdapSettings, dn: string): Promise<RemoteUser | undefined> {
  const e = await readEntry(session, dn, userAttributes(s));
  return e ? entryToRemoteUser(s, e) : undefined;
}

// ---------------------------------------------------------------------------
// Groups

const RANGE_RE = /^(member|uniquemember);range=(\d+)-(\d+|\*)$/i;

export function groupAttributes(s: LdapSettings): string[] {
  const members = s.isAd ? [`member;range=0-${s.rangeSize - 1}`] : ['member', 'uniqueMember'];
  const protect = s.isAd ? PROTECT_ATTRIBUTES : [];
  return dedupe([...groupReadAttributes(s.groupMapping), s.anchorAttribute, 'objectClass', ...members, ...protect]);
}

/** Parses member values and range markers of a group entry. */
export function memberValuesOf(entry: LdapEntry): { values: string[]; next?: { attr: string; from: number } } {
  const vals: string[] = [];
  let next: { attr: string; from: number } | undefined;
  for (const [k, v] of Object.entries(entry)) {
    if (k === 'dn') continue;
    const list = (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
    const range = RANGE_RE.exec(k);
    if (range) {
      if (list.length === 0) continue; // requested but absent (ldapts fills [])
      vals.push(...list);
      if (range[3] !== '*') next = { attr: range[1] as string, from: Number(range[3]) + 1 };
    } else if (/^(member|uniquemember)$/i.test(k)) {
      vals.push(...list);
    }
  }
  return { values: vals, next };
}

/** All member DNs of a group: the values already read plus the remaining ranges. */
export async function completeMembers(session: LdapSession, s: LdapSettings, entry: LdapEntry): Promise<string[]> {
  let { values: all, next } = memberValuesOf(entry);
  let guard = 0;
  while (next) {
    if (++guard > 100_000)
      throw new ConnectorError('unknown', `The ranged member retrieval of ${entry.dn} does not end.`);
    const attr = `${next.attr};range=${next.from}-${next.from + s.rangeSize - 1}`;
    const e = await readEntry(session, entry.dn, [attr]);
    if (!e) break;
    const r = memberValuesOf(e);
    if (r.values.length === 0 && r.next === undefined) {
      // Past the end: some servers answer an empty attribute instead of '*'.
      break;
    }
    all = all.concat(r.values);
    next = r.next;
  }
  // Placeholder members (empty DN for groupOfNames kept non-empty) and uniqueMember's #'bits'B suffix.
  return all.map((v) => v.replace(/#'[01]*'B$/, '')).filter((v) => v.trim() !== '');
}

/** Normalized DNs of every group under the base DN (to type nested members). */
export async function groupDnSet(session: LdapSession, s: LdapSettings, signal?: AbortSignal): Promise<Set<string>> {
  const set = new Set<string>();
  for await (const page of searchPages(session, {
    base: s.baseDn,
    scope: 'sub',
    filter: s.anyGroupFilter,
    attributes: ['1.1'],
    pageSize: s.pageSize,
    signal,
    baseIsConfig: true,
  })) {
    for (const e of page) set.add(normalizeDn(e.dn));
  }
  return set;
}

export async function entryToRemoteGroup(
  session: LdapSession,
  s: LdapSettings,
  entry: LdapEntry,
  groups: Set<string>,
): Promise<RemoteGroup | undefined> {
  const anchor = anchorOf(s, entry);
  if (!anchor) return undefined;
  const m = attrMap(entry);
  let fallback = '';
  try {
    fallback = rdnValue(entry.dn) ?? '';
  } catch {
    /* keep '' */
  }
  const dns = await completeMembers(session, s, entry);
  const members: RemoteMemberRef[] = dns.map((ref) => ({
    ref: canonicalDn(ref),
    type: groups.has(normalizeDn(ref)) ? 'Group' : 'User',
  }));
  const group: RemoteGroup = {
    anchor,
    ref: canonicalDn(entry.dn),
    data: entryToGroupData(m, s.groupMapping, fallback),
    members,
  };
  const why = protectedReason(s, entry);
  if (why) group.protected = why;
  return group;
}

export async function* listGroups(
  session: LdapSession,
  s: LdapSettings,
  signal?: AbortSignal,
  stamps?: StampSink,
): AsyncGenerator<RemoteGroup[]> {
  const groups = await groupDnSet(session, s, signal);
  for await (const page of searchPages(session, {
    base: s.groupBase,
    scope: s.scope,
    filter: s.groupFilter,
    attributes: withStamp(groupAttributes(s), stamps),
    pageSize: Math.min(s.pageSize, 200),
    signal,
    baseIsConfig: true,
  })) {
    const out: RemoteGroup[] = [];
    for (const e of page) {
      if (isExcluded(s, e.dn)) continue;
      const g = await entryToRemoteGroup(session, s, e, groups);
      if (!g) continue;
      out.push(g);
      stamps?.add(g.anchor, e);
    }
    if (out.length > 0) yield out;
  }
  stamps?.complete();
}

export async function getGroup(session: LdapSession, s: LdapSettings, dn: string): Promise<RemoteGroup | undefined> {
  const e = await readEntry(session, dn, groupAttributes(s));
  if (!e) return undefined;
  const groups = await groupDnSet(session, s);
  return entryToRemoteGroup(session, s, e, groups);
}

export { parentDn };
