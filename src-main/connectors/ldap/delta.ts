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
//   The token remembers the highest entryCSN seen (the per-change stamp with
//   microsecond resolution that syncrepl orders by; modifyTimestamp when the
//   server has no entryCSN, then with >= and its one-second boundary) and the
//   set of anchors (entryUUID) that were in scope, deflated. Next time:
//   - one light scan of the scope reads anchors and entryCSN only;
//   - changed = entries with entryCSN above the token's, read in full with a
//     server-side (entryCSN>=…) filter;
//   - removed = anchors in the token's set that the scan no longer finds
//     (deleted, moved or filtered out of scope).
//   The anchor set makes the token grow with the directory (about 18 bytes
//   per entry after deflate and base64): fine for the sizes this app serves,
//   and it needs no server-side change log.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { Control } from 'ldapts';
import type { DeltaResult, RemoteGroup, RemoteUser } from '../connector.ts';
import type { LdapSession } from './connection.ts';
import { andFilters, isWithin, ldapFilter } from './escape.ts';
import { guidToString } from './guid.ts';
import { attrMap, first, rawValues } from './mapping.ts';
import {
  anchorOf,
  entryToRemoteGroup,
  entryToRemoteUser,
  groupAttributes,
  groupDnSet,
  readEntry,
  searchPages,
  userAttributes,
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

const emptyResult = (nextToken: string, usable: boolean): DeltaResult => ({
  usable,
  users: { changed: [], removed: [] },
  groups: { changed: [], removed: [] },
  nextToken,
});

function parseToken(token: string): AdToken | LdapToken | undefined {
  try {
    const t = JSON.parse(token) as AdToken | LdapToken;
    return t && t.v === 1 && (t.t === 'ad' || t.t === 'ldap') ? t : undefined;
  } catch {
    return undefined;
  }
}

function pack(anchors: Iterable<string>): string {
  return deflateRawSync(Buffer.from([...anchors].sort().join('\n'), 'utf8')).toString('base64');
}
function unpack(s: string): Set<string> {
  if (!s) return new Set();
  const text = inflateRawSync(Buffer.from(s, 'base64')).toString('utf8');
  return new Set(text ? text.split('\n') : []);
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
  const root = await readEntry(session, '', ['dnsHostName', 'highestCommittedUSN', 'dsServiceName', 'defaultNamingContext']);
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

async function adDelta(session: LdapSession, s: LdapSettings, token: AdToken | undefined, signal?: AbortSignal): Promise<DeltaResult> {
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
  anchors: Set<string>;
  maxCsn: string;
  maxTs: string;
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
  const r: ScanResult = { anchors: new Set(), maxCsn: token?.csn ?? '', maxTs: token?.ts ?? '', changedDns: 0 };
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
      r.anchors.add(a);
      if (csn > r.maxCsn) r.maxCsn = csn;
      if (ts > r.maxTs) r.maxTs = ts;
      if (token && (token.csn ? csn > token.csn : ts >= token.ts)) r.changedDns++;
    }
  }
  return r;
}

/** The first value of an attribute as text (Buffers decoded as UTF-8). */
function firstText(v: unknown): string | undefined {
  const x: unknown = Array.isArray(v) ? v[0] : v;
  if (x === undefined || x === null) return undefined;
  return Buffer.isBuffer(x) ? x.toString('utf8') : String(x);
}

function changedFilter(token: LdapToken): string {
  return token.csn ? `(entryCSN>=${ldapFilter`${token.csn}`})` : `(modifyTimestamp>=${ldapFilter`${token.ts}`})`;
}

function isNewer(token: LdapToken, e: { dn: string } & Record<string, unknown>): boolean {
  const m = attrMap(e);
  if (token.csn) return (first(m, 'entryCSN') ?? '') > token.csn;
  return (first(m, 'modifyTimestamp') ?? '') >= token.ts;
}

async function ldapDelta(session: LdapSession, s: LdapSettings, token: LdapToken | undefined, signal?: AbortSignal): Promise<DeltaResult> {
  const users = await scan(session, s, s.userBase, s.userFilter, token, signal);
  const groupScan = await scan(session, s, s.groupBase, s.groupFilter, token, signal);
  const next: LdapToken = {
    v: 1,
    t: 'ldap',
    csn: users.maxCsn > groupScan.maxCsn ? users.maxCsn : groupScan.maxCsn,
    ts: users.maxTs > groupScan.maxTs ? users.maxTs : groupScan.maxTs,
    u: pack(users.anchors),
    g: pack(groupScan.anchors),
  };
  const result = emptyResult(JSON.stringify(next), true);
  if (!token) return result;

  if (users.changedDns > 0) {
    for await (const page of searchPages(session, {
      base: s.userBase,
      scope: s.scope,
      filter: andFilters(s.userFilter, changedFilter(token)),
      attributes: [...userAttributes(s), 'entryCSN', 'modifyTimestamp'],
      pageSize: s.pageSize,
      signal,
      baseIsConfig: true,
    })) {
      for (const e of page) {
        if (isExcluded(s, e.dn) || !isNewer(token, e)) continue;
        const u: RemoteUser | undefined = entryToRemoteUser(s, e);
        if (u) result.users.changed.push(u);
      }
    }
  }
  if (groupScan.changedDns > 0) {
    const groups = await groupDnSet(session, s, signal);
    for await (const page of searchPages(session, {
      base: s.groupBase,
      scope: s.scope,
      filter: andFilters(s.groupFilter, changedFilter(token)),
      attributes: [...groupAttributes(s), 'entryCSN', 'modifyTimestamp'],
      pageSize: Math.min(s.pageSize, 200),
      signal,
      baseIsConfig: true,
    })) {
      for (const e of page) {
        if (isExcluded(s, e.dn) || !isNewer(token, e)) continue;
        const g: RemoteGroup | undefined = await entryToRemoteGroup(session, s, e, groups);
        if (g) result.groups.changed.push(g);
      }
    }
  }
  for (const a of unpack(token.u)) if (!users.anchors.has(a)) result.users.removed.push(a);
  for (const a of unpack(token.g)) if (!groupScan.anchors.has(a)) result.groups.removed.push(a);
  return result;
}

export async function delta(session: LdapSession, s: LdapSettings, token: string | undefined, signal?: AbortSignal): Promise<DeltaResult> {
  const parsed = token === undefined ? undefined : parseToken(token);
  const wanted = s.isAd ? 'ad' : 'ldap';
  if (token !== undefined && (!parsed || parsed.t !== wanted)) {
    // Unknown or foreign token: start over with a full read.
    const fresh = s.isAd ? await adDelta(session, s, undefined, signal) : await ldapDelta(session, s, undefined, signal);
    return { ...fresh, usable: false };
  }
  return s.isAd ? adDelta(session, s, parsed as AdToken | undefined, signal) : ldapDelta(session, s, parsed as LdapToken | undefined, signal);
}
