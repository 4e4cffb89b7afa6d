// Verify Credentials against a real slapd with the ppolicy overlay: the bind
// carries the password-policy control, so a locked account, an expired
// password and a reset one that must be changed are each named, apart from a
// wrong password. The test's policy entry gets pwdLockout + pwdMaxFailure.
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { LdapConnector } from '../../src-main/connectors/ldap/index.ts';
import { emptyUser } from '../../src-main/mapping/model-paths.ts';
import { ldapConfig, randomTag } from './ldap-support.ts';

let srv: SlapdServer;
let admin: Client;
const PASSWORD = 'Corr3ct-Horse-Battery';

const asAdmin = () =>
  new LdapConnector(
    ldapConfig('ldap', {
      urls: [srv.ldapsUrl],
      caCertPem: srv.caCertPem,
      bindDn: srv.adminDn,
      baseDn: srv.baseDn,
      userTargetOu: srv.peopleDn,
    }),
    { bindPassword: srv.adminPassword },
  );
const asUser = (dn: string, password: string) =>
  new LdapConnector(
    ldapConfig('ldap', { urls: [srv.ldapsUrl], caCertPem: srv.caCertPem, bindDn: dn, baseDn: srv.baseDn }),
    { bindPassword: password },
  );
const replace = (dn: string, type: string, values: string[]) =>
  admin.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type, values }) }));

async function makeUser(prefix: string, mustChange = false): Promise<string> {
  const c = asAdmin();
  try {
    const u = await c.createUser(emptyUser(`${prefix}${randomTag()}`), {
      password: PASSWORD,
      mustChangePassword: mustChange,
    });
    return u.ref;
  } finally {
    await c.close();
  }
}

/** A bind as dn that is meant to fail (to count towards the lockout). */
async function failedBind(dn: string): Promise<void> {
  const c = new Client({ url: srv.url });
  await expect(c.bind(dn, 'not-the-password')).rejects.toThrow();
  await c.unbind().catch(() => {});
}

beforeAll(async () => {
  srv = await startSlapd();
  expect(srv.ppolicy, 'the test slapd loads ppolicy').toBe(true);
  admin = new Client({ url: srv.url });
  await admin.bind(srv.adminDn, srv.adminPassword);
  await replace(srv.policyDn!, 'pwdLockout', ['TRUE']);
  await replace(srv.policyDn!, 'pwdMaxFailure', ['3']);
});
afterAll(async () => {
  await admin?.unbind().catch(() => {});
  await srv?.stop();
});

describe('Verify Credentials names what the password policy says', () => {
  it('an account locked by pwdMaxFailure is named as locked, even with the right password; a wrong password is named as wrong', async () => {
    const dn = await makeUser('lock');
    const fine = await asUser(dn, PASSWORD).verify();
    expect(fine.ok, JSON.stringify(fine.error)).toBe(true);

    const wrong = await asUser(dn, 'not-the-password').verify();
    expect(wrong.error?.code).toBe('invalid_credentials');
    expect(wrong.error?.message).toContain('the password is wrong');
    expect(wrong.error?.message).not.toContain('locked');

    await failedBind(dn);
    await failedBind(dn); // with the verify above: 3 failures = pwdMaxFailure
    const locked = await asUser(dn, PASSWORD).verify();
    expect(locked.ok).toBe(false);
    expect(locked.error).toMatchObject({
      code: 'account_locked',
      details: { resultCode: 49, ppolicyError: 'accountLocked' },
    });
    expect(locked.error?.message).toContain('the account is locked');
    expect(locked.error?.hint).toBe('Fix the bind account in the directory, or use another one.');
    expect(locked.steps.at(-1)).toMatchObject({ name: 'Bind', ok: false });
    expect(String((await raw(dn)).pwdAccountLockedTime)).toMatch(/Z$/); // locked by the server itself
  });

  it('a password an admin set with "must change" is named as such (OpenLDAP binds it, restricted)', async () => {
    const dn = await makeUser('reset', true);
    const r = await asUser(dn, PASSWORD).verify();
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ code: 'password_must_change', details: { ppolicyError: 'changeAfterReset' } });
    expect(r.error?.message).toContain('must be changed before the account can be used');
  });

  it('an expired password is named as expired', async () => {
    const dn = await makeUser('old');
    const policy = `cn=short-${randomTag()},ou=Policies,${srv.baseDn}`;
    await admin.add(policy, {
      objectClass: ['organizationalRole', 'pwdPolicy'],
      cn: policy.slice(3, policy.indexOf(',')),
      pwdAttribute: 'userPassword',
      pwdMaxAge: '1',
    });
    await replace(dn, 'pwdPolicySubentry', [policy]);
    // Not a timing assertion: wait until the one-second maximum age has surely passed.
    await new Promise((r) => setTimeout(r, 2_500));
    const r = await asUser(dn, PASSWORD).verify();
    expect(r.error).toMatchObject({ code: 'password_expired', details: { ppolicyError: 'passwordExpired' } });
    expect(r.error?.message).toContain('the password has expired');
  });
});

async function raw(dn: string): Promise<Record<string, unknown>> {
  return (await admin.search(dn, { scope: 'base', attributes: ['pwdAccountLockedTime'] })).searchEntries[0]!;
}
