// "Does it exist already?" for LDAP and Active Directory: the candidates are
// searched inside the directory's scope only (the user or group search base,
// its depth, the kind's and the admin's filter, the exclusions), by the
// attributes the matching rules map to; sync/matching.ts makes the decision.
// The filter is built as objects (values go out as raw bytes: nothing to
// escape, nothing to inject). A protected Active Directory object
// (protected.ts) is never taken as a match, and no write goes to it, nor to
// an object out of scope (assertMayWrite).
import { AndFilter, EqualityFilter, OrFilter, type Filter } from 'ldapts';
import { ConnectorError, type RemoteGroup, type RemoteUser, type RemoteUserData } from '../connector.ts';
import {
  candidateValues,
  matchKeys,
  matchRules,
  outOfScopeError,
  pickGroup,
  pickMatch,
  protectedWriteError,
  type MatchKey,
  type MatchRule,
} from '../../sync/matching.ts';
import type { LdapSession } from './connection.ts';
import { isWithin, parentDn, sameDn } from './escape.ts';
import { parseFilter } from './filter.ts';
import { rawValues, type LdapEntry } from './mapping.ts';
import { PROTECT_ATTRIBUTES, protectedReason } from './protected.ts';
import { entryToRemoteUser, getGroup, readEntry, searchPages, userAttributes } from './read.ts';
import { isExcluded, type LdapSettings } from './settings.ts';

/** True when the DN lies where the directory's listing reads (base, depth, exclusions). */
export function dnInScope(s: LdapSettings, dn: string, kind: 'user' | 'group'): boolean {
  const base = kind === 'user' ? s.userBase : s.groupBase;
  if (isExcluded(s, dn)) return false;
  if (s.scope === 'one') return sameDn(parentDn(dn), base);
  return isWithin(dn, base);
}

/** (&<the kind's scope filter>(|(attr=value)…)) as filter objects. */
export function scopedFilter(s: LdapSettings, kind: 'user' | 'group', pairs: ReadonlyArray<[string, string]>): Filter {
  const seen = new Set<string>();
  const terms: Filter[] = [];
  for (const [attribute, value] of pairs) {
    const key = `${attribute.toLowerCase()}=${value.toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    terms.push(new EqualityFilter({ attribute, value }));
  }
  const any = terms.length === 1 ? terms[0]! : new OrFilter({ filters: terms });
  const scope = (kind === 'user' ? s.userFilter : s.groupFilter).trim();
  return scope ? new AndFilter({ filters: [parseFilter(scope), any] }) : any;
}

/** The entries in scope whose attribute equals one of the values. */
async function searchInScope(
  session: LdapSession,
  s: LdapSettings,
  kind: 'user' | 'group',
  pairs: ReadonlyArray<[string, string]>,
  attributes: string[],
): Promise<LdapEntry[]> {
  const out: LdapEntry[] = [];
  for await (const page of searchPages(session, {
    base: kind === 'user' ? s.userBase : s.groupBase,
    scope: s.scope,
    filter: scopedFilter(s, kind, pairs),
    attributes: s.isAd ? [...new Set([...attributes, ...PROTECT_ATTRIBUTES])] : attributes,
    baseIsConfig: true,
  })) {
    for (const e of page) if (!isExcluded(s, e.dn)) out.push(e);
  }
  return out;
}

/** The attribute the directory reads a rule's model value from, if mapped. */
function ruleAttribute(s: LdapSettings, rule: MatchRule): string | undefined {
  const read = (model: string) => s.userMapping.find((r) => r.model === model && r.direction !== 'export')?.remote;
  return rule === 'email' ? (read('emails.work') ?? read('emails')) : read(rule);
}

type LdapKey = MatchKey & { attribute: string };

function keysOf(s: LdapSettings, data: RemoteUserData): LdapKey[] {
  const out: LdapKey[] = [];
  for (const k of matchKeys(matchRules(s), data)) {
    const attribute = ruleAttribute(s, k.rule);
    if (attribute) out.push({ ...k, attribute });
  }
  return out;
}

/**
 * Values per OR filter (keeps requests small for any server: ~5 KB): a worker
 * batch of 75 users (a user name and an e-mail each) is one search.
 */
const FILTER_CHUNK = 150;

/** Users in scope with one of these attribute values, each flagged when protected. */
export async function usersInScope(
  session: LdapSession,
  s: LdapSettings,
  pairs: ReadonlyArray<[string, string]>,
): Promise<RemoteUser[]> {
  const out: RemoteUser[] = [];
  const attributes = userAttributes(s);
  for (let i = 0; i < pairs.length; i += FILTER_CHUNK) {
    for (const e of await searchInScope(session, s, 'user', pairs.slice(i, i + FILTER_CHUNK), attributes)) {
      const u = entryToRemoteUser(s, e);
      if (!u) continue;
      const why = protectedReason(s, e);
      out.push(why ? { ...u, protected: why } : u);
    }
  }
  return out;
}

/**
 * The existing user of each item by the directory's rules, inside its scope:
 * the match, undefined (none: create it), or that item's error (two
 * candidates, or a protected one). One search for the whole batch.
 */
export async function findUsers(
  session: LdapSession,
  s: LdapSettings,
  batch: ReadonlyArray<RemoteUserData>,
): Promise<Array<RemoteUser | ConnectorError | undefined>> {
  const keys = batch.map((d) => keysOf(s, d));
  const pairs = keys.flat().map((k): [string, string] => [k.attribute, k.value]);
  if (pairs.length === 0) return batch.map(() => undefined);
  const found = await usersInScope(session, s, pairs);
  return batch.map((d, i) =>
    pickMatch({ kind: 'user', name: d.userName, directory: s.name }, keys[i]!, found, (c, k) =>
      candidateValues(k.rule, c.data),
    ),
  );
}

/** findUser: the one match in scope, undefined, or throws the conflict / protected error. */
export async function findUser(
  session: LdapSession,
  s: LdapSettings,
  data: RemoteUserData,
): Promise<RemoteUser | undefined> {
  const [r] = await findUsers(session, s, [data]);
  if (r instanceof ConnectorError) throw r;
  return r;
}

/** The attribute a group's name is read from (the admin's mapping, else cn). */
function groupNameAttribute(s: LdapSettings): string {
  return s.groupMapping.find((r) => r.model === 'displayName' && r.direction !== 'export')?.remote ?? 'cn';
}

/** findGroup: by name inside the group scope; two candidates or a protected one throw. */
export async function findGroup(session: LdapSession, s: LdapSettings, name: string): Promise<RemoteGroup | undefined> {
  const attr = groupNameAttribute(s);
  const entries = await searchInScope(session, s, 'group', [[attr, name]], [attr]);
  const candidates = entries.map((e) => ({ ref: e.dn, protected: protectedReason(s, e), entry: e }));
  const pick = pickGroup({ name, directory: s.name }, candidates, (c) =>
    rawValues(c.entry, attr)
      .map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)))
      .find((v) => v.toLowerCase() === name.toLowerCase()),
  );
  if (pick instanceof ConnectorError) throw pick;
  return pick ? getGroup(session, s, pick.ref) : undefined;
}

/**
 * Refuses a write to an object outside the directory's scope, or (Active
 * Directory) to a protected one: whatever linked it (an import, a scope
 * changed since), the write never reaches it. One base read in AD.
 */
export async function assertMayWrite(
  session: LdapSession,
  s: LdapSettings,
  ref: string,
  kind: 'user' | 'group',
  what: string,
): Promise<void> {
  if (!dnInScope(s, ref, kind)) throw outOfScopeError(what, ref);
  if (!s.isAd) return;
  const e = await readEntry(session, ref, PROTECT_ATTRIBUTES);
  const why = e && protectedReason(s, e);
  if (why) throw protectedWriteError(what, ref, why);
}
