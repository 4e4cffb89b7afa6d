// Changes since the last run.
//
// Active Directory (MS-ADTS change tracking by USN):
//   The token remembers the DC (dnsHostName), its invocationId (read from the
//   NTDS Settings object named by the rootDSE's dsServiceName) and the
//   rootDSE's highestCommittedUSN. Next time, on the same DC:
//   - changed = objects in scope with uSNChanged >= usn+1;
//   - removed = tombstones (Show Deleted control 1.2.840.113556.1.4.417,
//     isDeleted=TRUE, uSNChanged >= usn+1, searched from the naming context
//     root where CN=Deleted Objects lives) plus objects changed since the
//     token that are no longer in scope (moved out, filtered out, excluded);
//   - a different DC or invocationId (restore from backup) makes the token
//     unusable: the engine does a full read.
//
// OpenLDAP and other LDAP servers (no USN, no tombstones without accesslog):
//   Token v2 (servers with entryCSN, the per-change stamp with microsecond
//   resolution that syncrepl orders by) remembers each object in scope with
//   its entryCSN AS IT WAS READ: anchor (entryUUID) → entryCSN, users and
//   groups apart, sorted and deflated. Next time:
//   - one light scan of the scope reads anchors and entryCSN only;
//   - changed = anchors that are new or whose entryCSN differs from the
//     token's, read in full (a server-side (entryCSN>=oldest changed stamp)
//     filter keeps that read small);
//   - removed = anchors in the token that the scan no longer finds
//     (deleted, moved or filtered out of scope).
//   A full preview builds this token from its own listing (trackListing /
//   listingToken in index.ts): no separate scan before the read, and no
//   change is lost to it — an entry changed after the listing read it carries
//   another entryCSN next time. A type the listing did not read (groups whose
//   import is off) is left out of the token and a delta reports nothing for it.
//   Token v1 (still read, and still written for servers without entryCSN)
//   remembers the highest entryCSN seen (modifyTimestamp when the server has
//   none, then compared with >= and its one-second boundary) and the set of
//   anchors in scope; it is taken by a scan BEFORE the full read. Servers with
//   modifyTimestamp only keep that path: a change made in the same second as
//   the listing read an entry leaves the entry's timestamp as the listing saw
//   it, so a per-entry timestamp taken from the listing could miss it, and the
//   server does not tell us its clock to know which entries are at risk. The
//   v1 threshold, taken before the read and compared with >=, catches it.
//   Either token grows with the directory (a few bytes per entry after
//   front coding, deflate and base64): fine for the sizes this app serves, and it needs no server-side change log.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Control } from 'ldapts';
import type { DeltaResult, RemoteGroup, RemoteUser } from '../connector.ts';
import type { LdapSession } from './connection.ts';
import { andFilters, isWithin, ldapFilter } from './escape.ts';
import { guidToString } from './guid.ts';
import { attrMap, first, rawValues, type LdapEntry } from './mapping.ts';
import {
  anchorOf,
  entryCsnOf,
  entryToRemoteGroup,
  entryToRemoteUser,
  firstText,
  groupAttributes,
  groupDnSet,
  readEntry,
  searchPages,
  userAttributes,
  type StampSink,
} from './read.ts';
import { isExcluded, type LdapSettings } from './settings.ts';

export const SHOW_DELETED_OID = '1.2.840.113556.1.4.417';

interface AdToken {
  v: 1;
  t: 'ad';
  dc: string;
  inv: string;
  usn: number;
}
interface LdapToken {
  v: 1;
  t: 'ldap';
  /** Highest entryCSN seen ('' when the server has none). */
  csn: string;
  /** Highest modifyTimestamp seen. */
  ts: string;
  /** Deflated, newline-joined anchors in scope. */
  u: string;
  g: string;
}
/** Each object's entryCSN as it was read (see the header). */
interface LdapStampToken {
  v: 2;
  t: 'ldap';
  /** packStamps of the users; absent: users were not read, a delta reports none. */
  u?: string;
  /** Likewise for groups. */
  g?: string;
}

const emptyResult = (nextToken: string, usable: boolean): DeltaResult => ({
  usable,
  users: { changed: [], removed: [] },
  groups: { changed: [], removed: [] },
  nextToken,
});

type AnyToken = AdToken | LdapToken | LdapStampToken;

function parseToken(token: string): AnyToken | undefined {
  try {
    const t = JSON.parse(token) as AnyToken;
    if (!t || typeof t !== 'object') return undefined;
    if (t.v === 1 && (t.t === 'ad' || t.t === 'ldap')) return t;
    if (t.v === 2 && t.t === 'ldap') return t;
    return undefined;
  } catch {
    return undefined;
  }
}

/** A token whose packed anchors cannot be read back (damaged in storage): like an unknown token, it means a full read. */
class UnreadableToken extends Error {}

function inflate(s: unknown): string {
  try {
    return inflateRawSync(Buffer.from(s as string, 'base64')).toString('utf8');
  } catch {
    throw new UnreadableToken('The change-tracking token cannot be read.');
  }
}

function pack(anchors: Iterable<string>): string {
  return deflateRawSync(Buffer.from([...anchors].sort().join('\n'), 'utf8')).toString('base64');
}
function unpack(s: string): Set<string> {
  if (!s) return new Set();
  const text = inflate(s);
  return new Set(text ? text.split('\n') : []);
}

/**
 * anchor → entryCSN ('' = none: read again next time) as text, deflated and base64: the anchors
 * sorted, then the stamps in the same order, each column front-coded (a character saying how much
 * of the previous value is kept, then the rest). Sorted time-based entryUUIDs and the CSN dates of
 * neighbours share long beginnings, so the packed token is much smaller than the plain text
 * (the highest deflate level saves little more and costs much more time).
 */
export function packStamps(stamps: ReadonlyMap<string, string>): string {
  const anchors = [...stamps.keys()].sort();
  const csns = anchors.map((a) => stamps.get(a) ?? '');
  const text = frontCode(anchors) + '\n\n' + frontCode(csns);
  return deflateRawSync(Buffer.from(text, 'utf8')).toString('base64');
}
export function unpackStamps(s: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!s) return out;
  const text = inflate(s);
  const cut = text.indexOf('\n\n');
  if (cut < 0) return out;
  const anchors = frontDecode(text.slice(0, cut));
  const csns = frontDecode(text.slice(cut + 2));
  for (let i = 0; i < anchors.length; i++) out.set(anchors[i] as string, csns[i] ?? '');
  return out;
}

/** Kept-prefix length as one character from '0' (capped so it never reaches a line break or a surrogate). */
const KEEP_MAX = 4000;
function frontCode(values: string[]): string {
  let prev = '';
  const out = new Array<string>(values.length);
  for (let n = 0; n < values.length; n++) {
    const v = values[n] as string;
    const max = Math.min(v.length, prev.length, KEEP_MAX);
    let i = 0;
    while (i < max && v.charCodeAt(i) === prev.charCodeAt(i)) i++;
    out[n] = String.fromCharCode(48 + i) + v.slice(i);
    prev = v;
  }
  return out.join('\n');
}
function frontDecode(text: string): string[] {
  if (text === '') return [];
  let prev = '';
  return text.split('\n').map((line) => {
    const keep = line.charCodeAt(0) - 48;
    prev = prev.slice(0, keep) + line.slice(1);
    return prev;
  });
}

/**
 * What a scan finds against a v2 token: changed = anchors new or with another stamp (or without
 * any: such an entry is always read again); removed = the token's anchors no longer there.
 */
export function compareStamps(
  before: ReadonlyMap<string, string>,
  now: ReadonlyMap<string, string>,
): { changed: string[]; removed: string[] } {
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [a, csn] of now) if (!csn || before.get(a) !== csn) changed.push(a);
  for (const a of before.keys()) if (!now.has(a)) removed.push(a);
  return { changed, removed };
}

export function stampToken(
  users: ReadonlyMap<string, string> | undefined,
  groups: ReadonlyMap<string, string> | undefined,
): string {
  const t: LdapStampToken = { v: 2, t: 'ldap' };
  if (users) t.u = packStamps(users);
  if (groups) t.g = packStamps(groups);
  return JSON.stringify(t);
}

/**
 * Collects the stamps a full listing reads (generic LDAP with entryCSN), users and groups apart.
 * A type counts once its listing ran to the end; token() is undefined while any listing started is
 * unfinished (cut, cancelled or failed), so a partial read never becomes a starting point.
 */
export class ListingStamps {
  private readonly kinds = new Map<'users' | 'groups', { stamps: Map<string, string>; complete: boolean }>();
  private cached?: string;

  /** A listing of this type starts (again): what an earlier one collected is dropped. */
  start(kind: 'users' | 'groups'): StampSink {
    const k = { stamps: new Map<string, string>(), complete: false };
    this.kinds.set(kind, k);
    this.cached = undefined;
    return {
      add: (anchor, entry) => {
        k.stamps.set(anchor, entryCsnOf(entry) ?? '');
      },
      complete: () => {
        k.complete = true;
        this.cached = undefined;
      },
    };
  }

  token(): string | undefined {
    if (this.kinds.size === 0) return undefined;
    for (const k of this.kinds.values()) if (!k.complete) return undefined;
    this.cached ??= stampToken(this.kinds.get('users')?.stamps, this.kinds.get('groups')?.stamps);
    return this.cached;
  }
}

/**
 * Whether the server stamps entries with entryCSN (read on the user base): then a full listing can
 * carry the next token itself. Servers with modifyTimestamp only answer false (see the header).
 */
export async function hasEntryCsn(session: LdapSession, s: LdapSettings): Promise<boolean> {
  const e = await readEntry(session, s.userBase, ['entryCSN']);
  return e !== undefined && entryCsnOf(e) !== undefined;
}

// ---------------------------------------------------------------------------
// Active Directory

export interface AdState {
  dc: string;
  invocationId: string;
  usn: number;
  namingContext: string;
}

export async function readAdState(session: LdapSession, s: LdapSettings): Promise<AdState> {
  const root = await readEntry(session, '', [
    'dnsHostName',
    'highestCommittedUSN',
    'dsServiceName',
    'defaultNamingContext',
  ]);
  const m = root ? attrMap(root) : new Map<string, string[]>();
  const dsServiceName = first(m, 'dsServiceName');
  let invocationId = '';
  if (dsServiceName) {
    const ntds = await readEntry(session, dsServiceName, ['invocationId']);
    const v = ntds ? rawValues(ntds, 'invocationId')[0] : undefined;
    if (Buffer.isBuffer(v) && v.length === 16) invocationId = guidToString(v);
  }
  const nc = first(m, 'defaultNamingContext') ?? s.baseDn;
  return {
    dc: first(m, 'dnsHostName') ?? session.url,
    invocationId,
    usn: Number(first(m, 'highestCommittedUSN') ?? 0),
    namingContext: isWithin(s.baseDn, nc) ? nc : s.baseDn,
  };
}

async function adDelta(
  session: LdapSession,
  s: LdapSettings,
  token: AdToken | undefined,
  signal?: AbortSignal,
): Promise<DeltaResult> {
  const state = await readAdState(session, s);
  const next: AdToken = { v: 1, t: 'ad', dc: state.dc, inv: state.invocationId, usn: state.usn };
  const nextToken = JSON.stringify(next);
  if (!token) return emptyResult(nextToken, true);
  if (token.dc.toLowerCase() !== state.dc.toLowerCase() || token.inv !== state.invocationId || !state.invocationId) {
    return emptyResult(nextToken, false);
  }
  const since = `(uSNChanged>=${ldapFilter`${String(token.usn + 1)}`})`;
  const result = emptyResult(nextToken, true);

  // Changed, in scope.
  const changedUsers = new Set<string>();
  for await (const page of searchPages(session, {
    base: s.userBase,
    scope: s.scope,
    filter: andFilters(s.userFilter, since),
    attributes: userAttributes(s),
    pageSize: s.pageSize,
    signal,
    baseIsConfig: true,
  })) {
    for (const e of page) {
      if (isExcluded(s, e.dn)) continue;
      const u = entryToRemoteUser(s, e);
      if (u) {
        result.users.changed.push(u);
        changedUsers.add(u.anchor);
      }
    }
  }
  const groups = await groupDnSet(session, s, signal);
  const changedGroups = new Set<string>();
  for await (const page of searchPages(session, {
    base: s.groupBase,
    scope: s.scope,
    filter: andFilters(s.groupFilter, since),
    attributes: groupAttributes(s),
    pageSize: Math.min(s.pageSize, 200),
    signal,
    baseIsConfig: true,
  })) {
    for (const e of page) {
      if (isExcluded(s, e.dn)) continue;
      const g = await entryToRemoteGroup(session, s, e, groups);
      if (g) {
        result.groups.changed.push(g);
        changedGroups.add(g.anchor);
      }
    }
  }

  // Changed but no longer in scope (moved, filtered or excluded): removed.
  for (const [filter, changed, out] of [
    [s.anyUserFilter, changedUsers, result.users.removed],
    [s.anyGroupFilter, changedGroups, result.groups.removed],
  ] as const) {
    for await (const page of searchPages(session, {
      base: state.namingContext,
      scope: 'sub',
      filter: andFilters(filter, since),
      attributes: [s.anchorAttribute],
      pageSize: s.pageSize,
      signal,
    })) {
      for (const e of page) {
        const a = anchorOf(s, e);
        if (a && !changed.has(a)) out.push(a);
      }
    }
  }

  // Deleted: tombstones.
  for await (const page of searchPages(session, {
    base: state.namingContext,
    scope: 'sub',
    filter: `(&(isDeleted=TRUE)${since})`,
    attributes: [s.anchorAttribute, 'objectClass'],
    pageSize: s.pageSize,
    signal,
    controls: [new Control(SHOW_DELETED_OID, { critical: true })],
  })) {
    for (const e of page) {
      const a = anchorOf(s, e);
      if (!a) continue;
      const classes = (attrMap(e).get('objectclass') ?? []).map((c) => c.toLowerCase());
      if (classes.includes('group')) result.groups.removed.push(a);
      else if (classes.includes('user') && !classes.includes('computer')) result.users.removed.push(a);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------
// OpenLDAP and generic LDAP

interface ScanResult {
  /** anchor → entryCSN ('' when the entry has none). */
  stamps: Map<string, string>;
  maxCsn: string;
  maxTs: string;
  /** Entries without entryCSN (a server with modifyTimestamp only). */
  withoutCsn: number;
  /** Against a v1 token: entries newer than it. */
  changedDns: number;
}

async function scan(
  session: LdapSession,
  s: LdapSettings,
  base: string,
  filter: string,
  token: LdapToken | undefined,
  signal?: AbortSignal,
): Promise<ScanResult> {
  const r: ScanResult = {
    stamps: new Map(),
    maxCsn: token?.csn ?? '',
    maxTs: token?.ts ?? '',
    withoutCsn: 0,
    changedDns: 0,
  };
  const anchorKey = s.anchorAttribute.toLowerCase();
  for await (const page of searchPages(session, {
    base,
    scope: s.scope,
    filter,
    attributes: [s.anchorAttribute, 'entryCSN', 'modifyTimestamp'],
    pageSize: Math.max(s.pageSize, 1000),
    signal,
    baseIsConfig: true,
  })) {
    for (const e of page) {
      if (isExcluded(s, e.dn)) continue;
      // Read straight off the entry (no attribute map per entry: this runs for every entry in scope).
      let a: string | undefined;
      let csn = '';
      let ts = '';
      for (const k in e) {
        const key = k.toLowerCase();
        if (key === anchorKey) a = anchorKey === 'objectguid' ? anchorOf(s, e) : firstText(e[k]);
        else if (key === 'entrycsn') csn = firstText(e[k]) ?? '';
        else if (key === 'modifytimestamp') ts = firstText(e[k]) ?? '';
      }
      if (!a) continue;
      r.stamps.set(a, csn);
      if (!csn) r.withoutCsn++;
      if (csn > r.maxCsn) r.maxCsn = csn;
      if (ts > r.maxTs) r.maxTs = ts;
      if (token && (token.csn ? csn > token.csn : ts >= token.ts)) r.changedDns++;
    }
  }
  return r;
}

function changedFilter(token: LdapToken): string {
  return token.csn ? `(entryCSN>=${ldapFilter`${token.csn}`})` : `(modifyTimestamp>=${ldapFilter`${token.ts}`})`;
}

function isNewer(token: LdapToken, e: { dn: string } & Record<string, unknown>): boolean {
  const m = attrMap(e);
  if (token.csn) return (first(m, 'entryCSN') ?? '') > token.csn;
  return (first(m, 'modifyTimestamp') ?? '') >= token.ts;
}

/**
 * The token after a scan: v2 (stamps) when every entry carries an entryCSN, else v1 (threshold and
 * anchor set, see the header). `groups` undefined: groups are not tracked (a v2 token without them).
 */
function tokenAfterScan(users: ScanResult, groups: ScanResult | undefined): string {
  if (users.withoutCsn === 0 && (groups?.withoutCsn ?? 0) === 0) return stampToken(users.stamps, groups?.stamps);
  const g = groups ?? users;
  const v1: LdapToken = {
    v: 1,
    t: 'ldap',
    csn: users.maxCsn > g.maxCsn ? users.maxCsn : g.maxCsn,
    ts: users.maxTs > g.maxTs ? users.maxTs : g.maxTs,
    u: pack(users.stamps.keys()),
    g: pack(groups ? groups.stamps.keys() : []),
  };
  return JSON.stringify(v1);
}

/** What to read in full for the entries that changed since a token, and which of them to keep. */
interface ChangedRead {
  filter?: string;
  keep(e: LdapEntry): boolean;
}

function changedSinceV1(token: LdapToken): ChangedRead {
  return { filter: changedFilter(token), keep: (e) => isNewer(token, e) };
}

/**
 * Against a v2 token: entries whose stamp differs from the token's. An entry changed again between
 * the scan and this read differs too and is kept (its newer stamp is after the oldest one asked for).
 */
function changedSinceV2(
  s: LdapSettings,
  before: ReadonlyMap<string, string>,
  now: ReadonlyMap<string, string>,
  changed: string[],
): ChangedRead {
  let oldest: string | undefined;
  let unstamped = false;
  for (const a of changed) {
    const csn = now.get(a) ?? '';
    if (!csn) unstamped = true;
    else if (oldest === undefined || csn < oldest) oldest = csn;
  }
  return {
    // An entry without entryCSN cannot be found by it: then the read takes the whole scope.
    filter: !unstamped && oldest !== undefined ? `(entryCSN>=${ldapFilter`${oldest}`})` : undefined,
    keep: (e) => {
      const a = anchorOf(s, e);
      if (a === undefined) return false;
      const csn = entryCsnOf(e) ?? '';
      return !csn || before.get(a) !== csn;
    },
  };
}

async function readChangedUsers(
  session: LdapSession,
  s: LdapSettings,
  read: ChangedRead,
  out: RemoteUser[],
  signal?: AbortSignal,
) {
  for await (const page of searchPages(session, {
    base: s.userBase,
    scope: s.scope,
    filter: read.filter ? andFilters(s.userFilter, read.filter) : s.userFilter,
    attributes: [...userAttributes(s), 'entryCSN', 'modifyTimestamp'],
    pageSize: s.pageSize,
    signal,
    baseIsConfig: true,
  })) {
    for (const e of page) {
      if (isExcluded(s, e.dn) || !read.keep(e)) continue;
      const u: RemoteUser | undefined = entryToRemoteUser(s, e);
      if (u) out.push(u);
    }
  }
}

async function readChangedGroups(
  session: LdapSession,
  s: LdapSettings,
  read: ChangedRead,
  out: RemoteGroup[],
  signal?: AbortSignal,
) {
  const groups = await groupDnSet(session, s, signal);
  for await (const page of searchPages(session, {
    base: s.groupBase,
    scope: s.scope,
    filter: read.filter ? andFilters(s.groupFilter, read.filter) : s.groupFilter,
    attributes: [...groupAttributes(s), 'entryCSN', 'modifyTimestamp'],
    pageSize: Math.min(s.pageSize, 200),
    signal,
    baseIsConfig: true,
  })) {
    for (const e of page) {
      if (isExcluded(s, e.dn) || !read.keep(e)) continue;
      const g: RemoteGroup | undefined = await entryToRemoteGroup(session, s, e, groups);
      if (g) out.push(g);
    }
  }
}

async function ldapDelta(
  session: LdapSession,
  s: LdapSettings,
  token: LdapToken | LdapStampToken | undefined,
  signal?: AbortSignal,
): Promise<DeltaResult> {
  const v1 = token?.v === 1 ? token : undefined;
  // A v2 token without groups: they were not read when it was taken (their import is off).
  const withGroups = token?.v !== 2 || token.g !== undefined;
  const users = await scan(session, s, s.userBase, s.userFilter, v1, signal);
  const groupScan = withGroups ? await scan(session, s, s.groupBase, s.groupFilter, v1, signal) : undefined;
  const result = emptyResult(tokenAfterScan(users, groupScan), true);
  if (!token) return result;

  if (token.v === 1) {
    if (users.changedDns > 0) await readChangedUsers(session, s, changedSinceV1(token), result.users.changed, signal);
    if (groupScan && groupScan.changedDns > 0)
      await readChangedGroups(session, s, changedSinceV1(token), result.groups.changed, signal);
    for (const a of unpack(token.u)) if (!users.stamps.has(a)) result.users.removed.push(a);
    for (const a of unpack(token.g)) if (!groupScan?.stamps.has(a)) result.groups.removed.push(a);
    return result;
  }

  if (token.u !== undefined) {
    const before = unpackStamps(token.u);
    const { changed, removed } = compareStamps(before, users.stamps);
    if (changed.length > 0)
      await readChangedUsers(
        session,
        s,
        changedSinceV2(s, before, users.stamps, changed),
        result.users.changed,
        signal,
      );
    result.users.removed.push(...removed);
  }
  if (groupScan && token.g !== undefined) {
    const before = unpackStamps(token.g);
    const { changed, removed } = compareStamps(before, groupScan.stamps);
    if (changed.length > 0)
      await readChangedGroups(
        session,
        s,
        changedSinceV2(s, before, groupScan.stamps, changed),
        result.groups.changed,
        signal,
      );
    result.groups.removed.push(...removed);
  }
  return result;
}

export async function delta(
  session: LdapSession,
  s: LdapSettings,
  token: string | undefined,
  signal?: AbortSignal,
): Promise<DeltaResult> {
  const parsed = token === undefined ? undefined : parseToken(token);
  const wanted = s.isAd ? 'ad' : 'ldap';
  const startOver = async () => {
    const fresh = s.isAd
      ? await adDelta(session, s, undefined, signal)
      : await ldapDelta(session, s, undefined, signal);
    return { ...fresh, usable: false };
  };
  // Unknown or foreign token: start over with a full read.
  if (token !== undefined && (!parsed || parsed.t !== wanted)) return startOver();
  if (parsed?.t === 'ad') return adDelta(session, s, parsed, signal);
  if (parsed?.t === 'ldap') {
    try {
      return await ldapDelta(session, s, parsed, signal);
    } catch (e) {
      if (e instanceof UnreadableToken) return startOver();
      throw e;
    }
  }
  return s.isAd ? adDelta(session, s, undefined, signal) : ldapDelta(session, s, undefined, signal);
}
