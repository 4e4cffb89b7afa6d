// Writing users and groups.
//
// Users: create (AD: created disabled, password set with unicodePwd over an
// encrypted connection, then enabled; OpenLDAP: password by the Password
// Modify extended operation, RFC 3062, so the server hashes it), update only
// the attributes whose mapped value changed, rename with modifyDN when the
// RDN value changes, enable/disable, delete, set password (must change at
// next logon: AD pwdLastSet = 0, OpenLDAP ppolicy pwdReset).
// Groups: create/delete, rename (modifyDN; AD's sAMAccountName follows when
// it was derived from the old name) and description; members added and
// removed one value per request; a member already there (or already gone)
// counts as success.
import { Attribute, BerWriter, Change, Control } from 'ldapts';
import type { CreateUserOptions, RemoteGroupChanges, RemoteGroupData, RemoteUserData } from '../connector.ts';
import { ConnectorError } from '../connector.ts';
import { getPath } from '../../mapping/model-paths.ts';
import type { LdapSession } from './connection.ts';
import { escapeDnValue, ldapFilter, parentDn, parseDn, rdnOf, rdnValue, sameDn } from './escape.ts';
import { toConnectorError } from './errors.ts';
import {
  activeRow,
  attrMap,
  diffUserAttributes,
  entryToGroupData,
  first,
  groupDataToAttributes,
  UAC_ACCOUNTDISABLE,
  UAC_NORMAL_ACCOUNT,
  userDataToAttributes,
  writeActive,
} from './mapping.ts';
import { PasswordPolicyRequest } from './ppolicy.ts';
import { readEntry, searchPages } from './read.ts';
import type { LdapSettings } from './settings.ts';

export const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';

// ---------------------------------------------------------------------------
// Names

/** Characters Active Directory refuses in sAMAccountName. */
export const SAM_FORBIDDEN = '"/\\[]:;|=,+*?<>';
export const SAM_MAX = 20;

/** Refuses a user logon name AD would reject, with the reason in the admin's words. */
export function checkSamAccountName(name: string): void {
  const bad = [...new Set([...name].filter((c) => SAM_FORBIDDEN.includes(c) || c.charCodeAt(0) < 0x20))];
  const problems: string[] = [];
  if ([...name].length > SAM_MAX)
    problems.push(`it is ${[...name].length} characters long and at most ${SAM_MAX} are allowed`);
  if (bad.length > 0)
    problems.push(
      `it contains characters Active Directory does not allow: ${bad.map((c) => (c < ' ' ? `\\x${c.charCodeAt(0).toString(16)}` : c)).join(' ')}`,
    );
  if (/^[. ]+$/.test(name) || name.endsWith('.'))
    problems.push('it may not consist of dots and spaces or end with a dot');
  if (problems.length > 0) {
    throw new ConnectorError(
      'invalid_value',
      `The user name "${name}" cannot be an Active Directory logon name (sAMAccountName): ${problems.join('; ')}.`,
      {
        details: { attribute: 'sAMAccountName', value: name, maxLength: SAM_MAX, forbidden: SAM_FORBIDDEN },
        transient: false,
      },
    );
  }
}

/** Longest sAMAccountName this connector derives for a group (AD's own tools stop at 64). */
export const GROUP_SAM_MAX = 64;

/** A group's sAMAccountName derived from its name: forbidden characters removed, at most 64 characters; '' when nothing is left. */
function cleanGroupSam(displayName: string): string {
  return [...displayName]
    .filter((c) => !SAM_FORBIDDEN.includes(c) && c.charCodeAt(0) >= 0x20)
    .join('')
    .trim()
    .replace(/\.+$/, '')
    .slice(0, GROUP_SAM_MAX)
    .trim()
    .replace(/\.+$/, '');
}

/** A sAMAccountName for a group derived from its name: forbidden characters removed. */
export function groupSamAccountName(displayName: string): string {
  return cleanGroupSam(displayName) || `group-${Date.now().toString(36)}`;
}

/** Renders an RDN template ("CN={displayName}", "uid={userName}") into [type, value]. */
export function renderRdn(
  template: string,
  lookup: (path: string) => string | undefined,
  fallback: string,
): [string, string] {
  const m = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*=(.*)$/.exec(template);
  if (!m)
    throw new ConnectorError(
      'invalid_value',
      `The RDN template "${template}" must look like cn={displayName} or uid={userName}.`,
    );
  const type = m[1] as string;
  // Spaces are kept (escaped in the DN); a value of only spaces falls back.
  const value = (m[2] as string).trim().replace(/\{([A-Za-z.]+)\}/g, (_, path: string) => lookup(path) ?? '');
  return [type, value.trim() ? value : fallback];
}

function userLookup(u: RemoteUserData): (path: string) => string | undefined {
  return (path) => {
    if (path === 'givenName' || path === 'familyName') path = `name.${path}`;
    const v = getPath(u, path);
    if (path === 'displayName' && !v) {
      const parts = [u.name.givenName, u.name.familyName].filter(Boolean).join(' ');
      return parts || u.userName;
    }
    return Array.isArray(v) ? v[0] : typeof v === 'boolean' ? String(v) : v;
  };
}

function userRdn(s: LdapSettings, u: RemoteUserData): [string, string] {
  return renderRdn(s.userRdnTemplate, userLookup(u), u.userName);
}

function joinDn(type: string, value: string, parent: string): string {
  return parent ? `${type}=${escapeDnValue(value)},${parent}` : `${type}=${escapeDnValue(value)}`;
}

function samAttr(s: LdapSettings): string | undefined {
  return s.userMapping.find((r) => r.model === 'userName')?.remote;
}

// ---------------------------------------------------------------------------
// Low-level helpers

async function run<T>(session: LdapSession, action: string, dn: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toConnectorError(e, { action, dn, url: session.url });
  }
}

function replace(attribute: string, values: Array<string | Buffer>): Change {
  return new Change({
    operation: 'replace',
    modification: new Attribute({ type: attribute, values: values as string[] }),
  });
}

function requireTls(session: LdapSession, what: string): void {
  if (session.tls === 'none') {
    throw new ConnectorError(
      'tls_required',
      `${what} needs an encrypted connection: use an ldaps:// URL or switch on StartTLS for this directory.`,
      { details: { url: session.url }, transient: false },
    );
  }
}

/**
 * A password travels only over TLS. Active Directory refuses it anyway; other
 * servers would take it in clear, so that needs the admin's explicit
 * "allow passwords over an unencrypted connection" (a lab on this computer).
 */
function requirePasswordTls(session: LdapSession, s: LdapSettings): void {
  if (s.isAd) return requireTls(session, 'Setting an Active Directory password');
  if (session.tls !== 'none' || s.conn.allowPlainPasswords) return;
  throw new ConnectorError(
    'tls_required',
    'Setting a password needs an encrypted connection, or anyone on the network could read it: use an ldaps:// URL or switch on StartTLS for this directory (or, for a test server on this computer only, allow passwords over an unencrypted connection).',
    { details: { url: session.url }, transient: false },
  );
}

/** BER of the Password Modify request (RFC 3062): SEQUENCE { [0] userIdentity, [2] newPasswd }. */
export function passwordModifyRequest(userDn: string, newPassword: string, oldPassword?: string): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeString(userDn, 0x80);
  if (oldPassword !== undefined) w.writeString(oldPassword, 0x81);
  w.writeString(newPassword, 0x82);
  w.endSequence();
  return w.buffer;
}

function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

// ---------------------------------------------------------------------------
// Users

export async function createUser(
  session: LdapSession,
  s: LdapSettings,
  data: RemoteUserData,
  opts: CreateUserOptions & { controls?: Control[] } = {},
): Promise<string> {
  const sam = samAttr(s);
  if (s.isAd && sam?.toLowerCase() === 'samaccountname') checkSamAccountName(data.userName);
  if (opts.password !== undefined) requirePasswordTls(session, s);
  const [rdnType, rdnValue] = userRdn(s, data);
  const dn = joinDn(rdnType, rdnValue, s.userTargetOu);

  const attrs = userDataToAttributes(data, s.userMapping);
  // Attribute names as the mapping spells them, by lower case (names match case-insensitively).
  const spelled = new Map<string, string>();
  for (const k of attrs.keys()) spelled.set(k.toLowerCase(), k);
  const has = (a: string) => spelled.has(a.toLowerCase());
  const set = (a: string, v: string[]) => {
    const key = spelled.get(a.toLowerCase()) ?? a;
    spelled.set(a.toLowerCase(), key);
    attrs.set(key, v);
  };
  // The naming attribute must hold the RDN value.
  const rdnKey = spelled.get(rdnType.toLowerCase());
  if (!s.isAd || rdnType.toLowerCase() !== 'cn') {
    const cur = rdnKey ? (attrs.get(rdnKey) ?? []) : [];
    if (!cur.includes(rdnValue)) set(rdnType, [rdnValue, ...cur]);
  }
  if (s.isAd) {
    if (!has('userPrincipalName') && data.userName) set('userPrincipalName', [`${data.userName}@${s.upnSuffix}`]);
    set('userAccountControl', [String(UAC_NORMAL_ACCOUNT | UAC_ACCOUNTDISABLE)]);
  } else {
    if (!has('cn'))
      set('cn', [
        data.displayName || [data.name.givenName, data.name.familyName].filter(Boolean).join(' ') || data.userName,
      ]);
    if (!has('sn')) set('sn', [data.name.familyName || data.userName]);
    const act = activeRow(s.userMapping);
    if (act && act.direction !== 'import' && !data.active) {
      const v = writeActive(act.remote, false);
      if (v) set(act.remote, v);
    }
  }
  const entry: Record<string, string[]> = { objectClass: s.userObjectClasses };
  for (const [k, v] of attrs) entry[k] = v;

  try {
    await run(session, 'create user', dn, () => session.client.add(dn, entry, opts.controls));
  } catch (e) {
    const err = toConnectorError(e);
    if (!s.isAd && !data.active && lacksPpolicy(err, 'pwdAccountLockedTime'))
      throw cannotLock(dn, 'created disabled', err, e);
    throw err;
  }

  try {
    if (opts.password !== undefined)
      await setPassword(session, s, dn, opts.password, { mustChange: opts.mustChangePassword });
    else if (opts.mustChangePassword && s.isAd)
      await run(session, 'set must change password', dn, () => session.client.modify(dn, replace('pwdLastSet', ['0'])));
  } catch (e) {
    // Leave nothing half-made: the user would exist without the password the admin chose.
    await session.client.del(dn).catch(() => {});
    throw e;
  }
  if (s.isAd && data.active) {
    try {
      await setUserEnabled(session, s, dn, true);
    } catch (e) {
      const err = toConnectorError(e);
      // Without a password that meets the policy AD keeps the account disabled; report it as it is.
      if (opts.password !== undefined || !['password_policy', 'constraint'].includes(err.code)) {
        await session.client.del(dn).catch(() => {});
        throw err;
      }
    }
  }
  return dn;
}

/** Writes what differs between before and after; returns the (possibly new) DN. */
export async function updateUser(
  session: LdapSession,
  s: LdapSettings,
  ref: string,
  before: RemoteUserData,
  after: RemoteUserData,
): Promise<string> {
  const sam = samAttr(s);
  if (s.isAd && sam?.toLowerCase() === 'samaccountname' && before.userName !== after.userName)
    checkSamAccountName(after.userName);
  let dn = ref;
  const changes = diffUserAttributes(before, after, s.userMapping);

  // Rename when the RDN value given by the template changes.
  const [typeBefore, valueBefore] = userRdn(s, before);
  const [rdnType, valueAfter] = userRdn(s, after);
  const current = rdnOf(ref)?.[0];
  if (
    valueAfter !== valueBefore &&
    current &&
    !(current.type.toLowerCase() === rdnType.toLowerCase() && current.value === valueAfter)
  ) {
    const newRdn = `${rdnType}=${escapeDnValue(valueAfter)}`;
    const parent = parentDn(ref);
    const newDn = parent ? `${newRdn},${parent}` : newRdn;
    void typeBefore;
    await run(session, 'rename user', ref, () => session.client.modifyDN(ref, newDn));
    dn = newDn;
  }

  if (s.isAd && before.userName !== after.userName && sam?.toLowerCase() === 'samaccountname') {
    const e = await readEntry(session, dn, ['userPrincipalName']);
    const upn = e ? first(attrMap(e), 'userPrincipalName') : undefined;
    const mappedUpn = changes.some((c) => c.attribute.toLowerCase() === 'userprincipalname');
    if (!mappedUpn && upn && upn.toLowerCase().startsWith(`${before.userName.toLowerCase()}@`)) {
      changes.push({ attribute: 'userPrincipalName', values: [`${after.userName}${upn.slice(upn.indexOf('@'))}`] });
    }
  }

  // The naming attribute was set by modifyDN; writing it again would be refused on some servers.
  const list = changes.filter(
    (c) =>
      !(
        dn !== ref &&
        c.attribute.toLowerCase() === rdnType.toLowerCase() &&
        c.values.length === 1 &&
        c.values[0] === valueAfter
      ),
  );
  if (list.length > 0) {
    await run(session, 'update user', dn, () =>
      session.client.modify(
        dn,
        list.map((c) => replace(c.attribute, c.values)),
      ),
    );
  }
  if (before.active !== after.active && activeRow(s.userMapping)?.direction !== 'import') {
    await setUserEnabled(session, s, dn, after.active);
  }
  return dn;
}

export async function setUserEnabled(
  session: LdapSession,
  s: LdapSettings,
  ref: string,
  enabled: boolean,
): Promise<void> {
  const row = activeRow(s.userMapping);
  if (!row) {
    throw new ConnectorError(
      'invalid_value',
      `This ${s.isAd ? 'directory' : 'LDAP directory'} has no attribute mapped to "active", so accounts cannot be ${enabled ? 'enabled' : 'disabled'}: map "active" to an attribute such as pwdAccountLockedTime (OpenLDAP password policy) or nsAccountLock.`,
      { transient: false },
    );
  }
  let currentUac: number | undefined;
  if (row.remote.toLowerCase() === 'useraccountcontrol') {
    const e = await readEntry(session, ref, ['userAccountControl']);
    if (!e) throw new ConnectorError('not_found', `The user ${ref} does not exist.`, { details: { dn: ref } });
    currentUac = Number(first(attrMap(e), 'userAccountControl') ?? UAC_NORMAL_ACCOUNT);
  }
  const v = writeActive(row.remote, enabled, currentUac);
  try {
    await session.client.modify(ref, replace(row.remote, v ?? []));
  } catch (e) {
    const err = toConnectorError(e, { action: enabled ? 'enable user' : 'disable user', dn: ref, url: session.url });
    if (!s.isAd && lacksPpolicy(err, row.remote)) {
      // Without the overlay no account can be locked, so there is nothing to unlock.
      if (enabled) return;
      throw cannotLock(ref, 'disabled', err, e);
    }
    if (enabled && s.isAd && (err.code === 'password_policy' || err.code === 'constraint')) {
      throw new ConnectorError(
        'password_policy',
        `The user ${ref} cannot be enabled: it has no password that meets the domain's password policy. Set a password first.`,
        {
          details: err.details,
          cause: e,
          transient: false,
        },
      );
    }
    throw err;
  }
}

/**
 * True when the server refused a ppolicy attribute (pwdAccountLockedTime,
 * pwdReset) because it does not know it: no password-policy overlay.
 */
function lacksPpolicy(err: ConnectorError, attribute: string): boolean {
  if (!/^pwd/i.test(attribute)) return false;
  const d = (err.details ?? {}) as { resultCode?: unknown; serverMessage?: unknown };
  return (
    d.resultCode === 17 ||
    (d.resultCode === 65 &&
      String(d.serverMessage ?? '')
        .toLowerCase()
        .includes(attribute.toLowerCase()))
  );
}

function cannotLock(dn: string, what: string, err: ConnectorError, cause: unknown): ConnectorError {
  return new ConnectorError(
    'constraint',
    `The user ${dn} cannot be ${what}: this LDAP server has no password policy overlay (ppolicy), which locks accounts with pwdAccountLockedTime. Load ppolicy on the server, or map "active" to an attribute of your own such as nsAccountLock.`,
    { details: err.details, cause, transient: false },
  );
}

export async function deleteEntry(session: LdapSession, ref: string, what: string): Promise<void> {
  try {
    await session.client.del(ref);
  } catch (e) {
    const err = toConnectorError(e, { action: `delete ${what}`, dn: ref, url: session.url });
    if (err.code === 'not_found') return; // already gone: idempotent
    throw err;
  }
}

export async function setPassword(
  session: LdapSession,
  s: LdapSettings,
  ref: string,
  password: string,
  opts: { mustChange?: boolean } = {},
): Promise<void> {
  requirePasswordTls(session, s);
  if (s.isAd) {
    const changes = [replace('unicodePwd', [unicodePwd(password)])];
    await run(session, 'set password', ref, () => session.client.modify(ref, changes));
    if (opts.mustChange !== undefined) {
      await run(session, 'set must change password', ref, () =>
        session.client.modify(ref, replace('pwdLastSet', [opts.mustChange ? '0' : '-1'])),
      );
    }
    return;
  }
  // ppolicy unlocks an account whose password an admin sets: a disabled
  // account must stay disabled, so its lock is read first and put back after.
  const lock = await readPpolicyLock(session, s, ref);
  // With the password-policy control the server says why a password is refused (too short, in history…).
  const policy = new PasswordPolicyRequest();
  try {
    await session.client.exop(PASSWORD_MODIFY_OID, passwordModifyRequest(ref, password), [policy]);
  } catch (e) {
    throw toConnectorError(e, { action: 'set password', dn: ref, url: session.url, ppolicy: policy.response });
  }
  if (lock)
    await run(session, 'keep the account disabled', ref, () =>
      session.client.modify(ref, replace(lock.attribute, lock.values)),
    );
  if (opts.mustChange !== undefined) {
    // ppolicy: pwdReset TRUE after an admin's password set = "must change at next logon";
    // the user's own change clears it. A policy with pwdMustChange TRUE sets it by
    // itself, so an explicit "no" removes it. Left to the policy when not said.
    try {
      await session.client.modify(ref, replace('pwdReset', opts.mustChange ? ['TRUE'] : []));
    } catch (e) {
      const err = toConnectorError(e, { action: 'set must change password', dn: ref, url: session.url });
      if (!lacksPpolicy(err, 'pwdReset')) throw err;
      if (!opts.mustChange) return; // no policy, so nothing forces a change
      throw new ConnectorError(
        'constraint',
        'The password was set, but this LDAP server cannot record "must change at next logon" (it needs the password policy overlay, ppolicy).',
        { details: { dn: ref, serverMessage: (e as Error).message }, cause: e, transient: false },
      );
    }
  }
}

/** The value of a ppolicy lock (pwdAccountLockedTime) when "active" is mapped to it and the account is locked. */
async function readPpolicyLock(
  session: LdapSession,
  s: LdapSettings,
  ref: string,
): Promise<{ attribute: string; values: string[] } | undefined> {
  const row = activeRow(s.userMapping);
  if (!row || row.direction === 'import' || row.remote.toLowerCase() !== 'pwdaccountlockedtime') return undefined;
  const e = await readEntry(session, ref, [row.remote]);
  const values = e ? (attrMap(e).get(row.remote.toLowerCase()) ?? []) : [];
  return values.length ? { attribute: row.remote, values } : undefined;
}

// ---------------------------------------------------------------------------
// Groups

/** Empty DN kept as the only member of an LDAP group whose class must have one. */
const PLACEHOLDER = '';

type MemberAttribute = 'member' | 'uniqueMember';

/**
 * The object classes and membership attribute of the groups this directory
 * writes. Generic LDAP: groupOfUniqueNames / uniqueMember when the admin's
 * group filter selects that class (and not groupOfNames), else groupOfNames /
 * member. Active Directory: group / member.
 */
export function groupClassOf(s: LdapSettings): { objectClasses: string[]; memberAttribute: MemberAttribute } {
  // Only what the filter asks for counts: a negated item such as (!(objectClass=groupOfNames)) does not.
  const f = s.conn.groupFilter.replace(/\(\s*!\s*\([^()]*\)\s*\)/g, '');
  const names = (c: string) => new RegExp(`\\(\\s*objectClass\\s*=\\s*${c}\\s*\\)`, 'i').test(f);
  if (!s.isAd && names('groupOfUniqueNames') && !names('groupOfNames'))
    return { objectClasses: ['top', 'groupOfUniqueNames'], memberAttribute: 'uniqueMember' };
  return { objectClasses: s.groupObjectClasses, memberAttribute: 'member' };
}

/** The membership attribute of one existing group, by its object class (a directory may hold both kinds). */
async function memberAttributeOf(session: LdapSession, groupRef: string): Promise<MemberAttribute | undefined> {
  const e = await readEntry(session, groupRef, ['objectClass']);
  const classes = e ? (attrMap(e).get('objectclass') ?? []).map((c) => c.toLowerCase()) : [];
  if (classes.includes('groupofuniquenames') && !classes.includes('groupofnames')) return 'uniqueMember';
  if (classes.includes('groupofnames') || classes.includes('group')) return 'member';
  return undefined;
}

const resultCode = (err: ConnectorError) => (err.details as { resultCode?: number } | undefined)?.resultCode;

export async function createGroup(
  session: LdapSession,
  s: LdapSettings,
  data: RemoteGroupData,
  initialMembers: string[] = [],
): Promise<string> {
  const [type, value] = renderRdn(
    s.groupRdnTemplate,
    (p) => (p === 'displayName' ? data.displayName : p === 'description' ? data.description : undefined),
    data.displayName,
  );
  const dn = joinDn(type, value, s.groupTargetOu);
  const attrs = groupDataToAttributes(data, s.groupMapping);
  const cls = groupClassOf(s);
  const entry: Record<string, string[]> = { objectClass: cls.objectClasses };
  for (const [k, v] of attrs) entry[k] = v;
  const cnKey = Object.keys(entry).find((k) => k.toLowerCase() === type.toLowerCase());
  if (!cnKey) entry[type] = [value];
  else if (!entry[cnKey]?.includes(value)) entry[cnKey] = [value, ...(entry[cnKey] ?? [])];
  for (const m of initialMembers) parseDn(m); // refuse a malformed DN before anything reaches the server
  initialMembers = distinctDns(initialMembers);
  // The group is written with its members (up to one request's worth; the rest follow in requests of many).
  const first = initialMembers.slice(0, MEMBER_VALUES_PER_REQUEST);
  const rest = initialMembers.slice(first.length);
  if (s.isAd) {
    entry.sAMAccountName = [groupSamAccountName(data.displayName)];
    if (first.length > 0) entry.member = first;
  } else {
    // groupOfNames and groupOfUniqueNames must have a member: the members, or the empty-DN placeholder.
    entry[cls.memberAttribute] = first.length > 0 ? first : [PLACEHOLDER];
  }
  try {
    await run(session, 'create group', dn, () => session.client.add(dn, entry));
  } catch (e) {
    // Too many values for one add (Active Directory's limit): the group is written with a part of its
    // members and the rest follow in modify requests, which split themselves as far as needed.
    if (!(e instanceof ConnectorError) || resultCode(e) !== ADMIN_LIMIT_EXCEEDED || first.length <= 1) throw e;
    const part = first.slice(0, Math.ceil(first.length / 4));
    const memberKey = s.isAd ? 'member' : cls.memberAttribute;
    await run(session, 'create group', dn, () => session.client.add(dn, { ...entry, [memberKey]: part }));
    await addMembers(session, s, dn, [...first.slice(part.length), ...rest]);
    return dn;
  }
  if (rest.length > 0) await addMembers(session, s, dn, rest);
  return dn;
}

/** The attribute a group's model field is written to (the admin's mapping), if any. */
function groupRemote(s: LdapSettings, model: 'displayName' | 'description'): string | undefined {
  return s.groupMapping.find((r) => r.model === model && r.direction !== 'import')?.remote;
}

const groupLookup = (g: RemoteGroupData) => (p: string) =>
  p === 'displayName' ? g.displayName : p === 'description' ? g.description : undefined;

/**
 * Renames a group and/or rewrites its description; returns the (possibly
 * new) DN. The current entry is read first, so only what really differs is
 * written. A new name renames the entry (modifyDN, same parent) when the RDN
 * template gives a new value; members stay (they are values of the entry).
 * Active Directory: the pre-Windows 2000 name (sAMAccountName) follows the
 * new name when it was derived from the old one (forbidden characters
 * removed, at most 64 characters), and is checked to be free first, so a
 * clash stops the change before anything is written.
 */
export async function updateGroup(
  session: LdapSession,
  s: LdapSettings,
  ref: string,
  changes: RemoteGroupChanges,
): Promise<string> {
  const nameAttr = groupRemote(s, 'displayName');
  const descAttr = groupRemote(s, 'description');
  const [rdnType] = renderRdn(s.groupRdnTemplate, () => 'x', 'x');
  const attrs = [
    ...new Set([nameAttr, descAttr, rdnType, ...(s.isAd ? ['sAMAccountName'] : [])].filter((a): a is string => !!a)),
  ];
  const e = await readEntry(session, ref, attrs);
  if (!e)
    throw new ConnectorError('not_found', `The group ${ref} does not exist.`, {
      details: { dn: ref },
      transient: false,
    });
  const m = attrMap(e);
  const current = entryToGroupData(m, s.groupMapping, rdnValue(ref) ?? '');
  const next: RemoteGroupData = {
    displayName: changes.displayName?.trim() || current.displayName,
    description: changes.description === undefined ? current.description : changes.description || undefined,
  };
  const renamed = next.displayName !== current.displayName;
  const list: Change[] = [];

  // sAMAccountName first: a clash must stop the rename before anything is written.
  if (s.isAd && renamed) {
    const sam = first(m, 'sAMAccountName');
    const derived =
      sam !== undefined &&
      [cleanGroupSam(current.displayName), current.displayName].some((v) => v.toLowerCase() === sam.toLowerCase());
    const newSam = cleanGroupSam(next.displayName);
    if (derived && newSam && newSam !== sam) {
      await checkSamFree(session, s, newSam, ref, next.displayName);
      list.push(replace('sAMAccountName', [newSam]));
    }
  }

  let dn = ref;
  const [type, valueBefore] = renderRdn(s.groupRdnTemplate, groupLookup(current), current.displayName);
  const [, valueAfter] = renderRdn(s.groupRdnTemplate, groupLookup(next), next.displayName);
  const rdnNow = rdnOf(ref)?.[0];
  const rdnFollows = !!rdnNow && rdnNow.type.toLowerCase() === type.toLowerCase() && rdnNow.value !== valueAfter;
  if (valueAfter !== valueBefore && rdnFollows) {
    const parent = parentDn(ref);
    const newDn = joinDn(type, valueAfter, parent);
    // A change of letter case only is the same DN to OpenLDAP (modifyDN would say "exists"); AD renames it.
    if (s.isAd || !sameDn(newDn, ref)) {
      await run(session, 'rename group', ref, () => session.client.modifyDN(ref, newDn)).catch(
        (err: ConnectorError) => {
          if (err.code !== 'already_exists') throw err;
          throw new ConnectorError(
            'already_exists',
            `The group cannot be renamed to "${next.displayName}": ${newDn} already exists.`,
            {
              details: err.details,
              cause: err,
              transient: false,
            },
          );
        },
      );
      dn = newDn;
    }
  }
  // The naming attribute was set by modifyDN (and AD refuses a write of it outside modifyDN).
  const setByRename = (a: string) => a.toLowerCase() === type.toLowerCase() && (dn !== ref || s.isAd);
  if (renamed && nameAttr && !setByRename(nameAttr)) list.push(replace(nameAttr, [next.displayName]));
  if (descAttr && (next.description ?? '') !== (current.description ?? ''))
    list.push(replace(descAttr, next.description ? [next.description] : []));
  if (list.length > 0) await run(session, 'update group', dn, () => session.client.modify(dn, list));
  return dn;
}

/** Refuses a group sAMAccountName another object of the domain already has. */
async function checkSamFree(
  session: LdapSession,
  s: LdapSettings,
  sam: string,
  self: string,
  name: string,
): Promise<void> {
  const filter = `(sAMAccountName=${ldapFilter`${sam}`})`;
  for await (const page of searchPages(session, {
    base: s.baseDn,
    scope: 'sub',
    filter,
    attributes: ['1.1'],
    pageSize: 2,
    baseIsConfig: true,
  })) {
    const other = page.find((x) => !sameDn(x.dn, self));
    if (other) {
      throw new ConnectorError(
        'already_exists',
        `The group cannot be renamed to "${name}": its pre-Windows 2000 name "${sam}" (sAMAccountName) is already used by ${other.dn}.`,
        { details: { attribute: 'sAMAccountName', value: sam, usedBy: other.dn }, transient: false },
      );
    }
  }
}

/**
 * Permissive Modify (AD, Samba and OpenLDAP): adding a value that is there or deleting one that is not
 * succeeds instead of failing the whole request, so a group's membership changes go in one request.
 * Not critical: a server without it answers as usual, and the split below finds the values at fault.
 */
const PERMISSIVE_MODIFY = new Control('1.2.840.113556.1.4.1413', { critical: false });
/**
 * Member values per add or modify request: a 5,000-member group goes out in one request, as ldapadd
 * would write it (each further request into a big group makes the server compare against every value
 * it holds). Active Directory may refuse so many linked values at once as adminLimitExceeded: such a
 * request is split in halves (below).
 */
export const MEMBER_VALUES_PER_REQUEST = 5000;
/** LDAP result code adminLimitExceeded: the request carries more than the server takes at once. */
const ADMIN_LIMIT_EXCEEDED = 11;

const membersChange = (operation: 'add' | 'delete', type: MemberAttribute, dns: string[]) =>
  new Change({ operation, modification: new Attribute({ type, values: dns }) });

/** Each DN once (DNs compare case-insensitively), in their first order. */
function distinctDns(dns: readonly string[]): string[] {
  const seen = new Set<string>();
  return dns.filter((dn) => {
    const k = dn.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < list.length; k += size) out.push(list.slice(k, k + size));
  return out;
}

/**
 * Writes member values in requests of up to MEMBER_VALUES_PER_REQUEST. A request the server refuses
 * because some value is already there (add) or already gone (delete) is split in halves until the
 * values at fault stand alone; `harmless` decides whether a single value's refusal means "done".
 */
async function writeMembers(
  session: LdapSession,
  groupRef: string,
  values: string[],
  write: (dns: string[]) => Promise<void>,
  harmless: (err: ConnectorError) => Promise<boolean>,
  action: string,
): Promise<void> {
  const go = async (dns: string[]): Promise<void> => {
    try {
      await write(dns);
    } catch (e) {
      const err = e instanceof ConnectorError ? e : toConnectorError(e, { action, dn: groupRef, url: session.url });
      const tooMany = resultCode(err) === ADMIN_LIMIT_EXCEEDED && dns.length > 1;
      if (tooMany || (await harmless(err))) {
        if (dns.length === 1) return;
        const half = Math.ceil(dns.length / 2);
        await go(dns.slice(0, half));
        await go(dns.slice(half));
        return;
      }
      throw err;
    }
  };
  for (const c of chunks(values, MEMBER_VALUES_PER_REQUEST)) await go(c);
}

/**
 * Adds members, many values per request. The configured attribute is tried first; a group of the other
 * class (the server refuses the attribute) is asked its class once and written with its own attribute.
 */
export async function addMembers(
  session: LdapSession,
  s: LdapSettings,
  groupRef: string,
  memberRefs: string[],
): Promise<void> {
  if (memberRefs.length === 0) return;
  for (const m of memberRefs) parseDn(m); // refuse a malformed DN before anything reaches the server
  // A value twice in one request is refused outright by some servers (Active Directory among them).
  memberRefs = distinctDns(memberRefs);
  let attr = groupClassOf(s).memberAttribute;
  let classChecked = s.isAd;
  const modify = async (dns: string[]) => {
    try {
      await session.client.modify(groupRef, membersChange('add', attr, dns), PERMISSIVE_MODIFY);
    } catch (e) {
      const err = toConnectorError(e, { action: 'add member', dn: groupRef, url: session.url });
      if (!classChecked && resultCode(err) === 65) {
        classChecked = true;
        const other = await memberAttributeOf(session, groupRef);
        if (other && other !== attr) {
          attr = other;
          return modify(dns);
        }
      }
      throw err;
    }
  };
  // "Already a member" is success; for a request of many values, split to find the values at fault.
  await writeMembers(session, groupRef, memberRefs, modify, async (err) => err.code === 'already_exists', 'add member');
  // The empty-DN placeholder that kept an empty groupOfNames valid goes once it has a real member.
  if (!s.isAd)
    await session.client
      .modify(groupRef, membersChange('delete', attr, [PLACEHOLDER]), PERMISSIVE_MODIFY)
      .catch(() => {});
}

/**
 * Removes members, many values per request; one that is not there counts as success (after checking,
 * once, that the group does not use the other membership attribute). Removing the last members of a
 * groupOfNames / groupOfUniqueNames leaves the empty-DN placeholder in their place.
 */
export async function removeMembers(
  session: LdapSession,
  s: LdapSettings,
  groupRef: string,
  memberRefs: string[],
): Promise<void> {
  if (memberRefs.length === 0) return;
  memberRefs = distinctDns(memberRefs);
  // Under Permissive Modify, deleting values of an attribute the entry does not use succeeds without
  // removing anything: outside AD the group's own membership attribute is read first (one read a batch).
  const attr = s.isAd ? 'member' : ((await memberAttributeOf(session, groupRef)) ?? groupClassOf(s).memberAttribute);
  const modify = async (dns: string[]): Promise<void> => {
    try {
      await session.client.modify(groupRef, membersChange('delete', attr, dns), PERMISSIVE_MODIFY);
    } catch (e) {
      const err = toConnectorError(e, { action: 'remove member', dn: groupRef, url: session.url });
      if (!s.isAd && err.code === 'invalid_value' && resultCode(err) === 65) {
        // The last members: keep the placeholder in their place.
        await run(session, 'remove member', groupRef, () =>
          session.client.modify(
            groupRef,
            [membersChange('add', attr, [PLACEHOLDER]), membersChange('delete', attr, dns)],
            PERMISSIVE_MODIFY,
          ),
        );
        return;
      }
      throw err;
    }
  };
  // "Not a member" is success (a server without Permissive Modify says so per value).
  const notThere = async (err: ConnectorError): Promise<boolean> =>
    (err.code === 'not_found' && resultCode(err) === 16) ||
    (s.isAd &&
      err.code === 'constraint' &&
      /member|0000055|NOT_IN_GROUP/i.test(String((err.details as { serverMessage?: string })?.serverMessage)));
  await writeMembers(session, groupRef, memberRefs, modify, notThere, 'remove member');
}

export { sameDn };
