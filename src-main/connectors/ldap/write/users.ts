// Users: create (AD: created disabled, password set with unicodePwd over an encrypted connection, then
// enabled; OpenLDAP: password by the Password Modify extended operation, RFC 3062, so the server hashes
// it), update only the attributes whose mapped value changed, rename with modifyDN when the RDN value
// changes, enable/disable, delete, set password (must change at next logon: AD pwdLastSet = 0,
// OpenLDAP ppolicy pwdReset).
import { Control } from 'ldapts';
import type { CreateUserOptions, RemoteUserData } from '../../connector.ts';
import { ConnectorError } from '../../connector.ts';
import type { LdapSession } from '../connection.ts';
import { escapeDnValue, parentDn, rdnOf } from '../escape.ts';
import { toConnectorError } from '../errors.ts';
import {
  activeRow,
  attrMap,
  diffUserAttributes,
  first,
  UAC_ACCOUNTDISABLE,
  UAC_NORMAL_ACCOUNT,
  userDataToAttributes,
  writeActive,
} from '../mapping.ts';
import { PasswordPolicyRequest } from '../ppolicy.ts';
import { readEntry } from '../read.ts';
import type { LdapSettings } from '../settings.ts';
import { joinDn, samAttr, userRdn, checkSamAccountName } from './names.ts';
import {
  PASSWORD_MODIFY_OID,
  passwordModifyRequest,
  replace,
  requirePasswordTls,
  run,
  unicodePwd,
} from './requests.ts';
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
