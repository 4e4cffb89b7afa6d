// The pieces of "can this directory hold a disabled account?" that need no
// server: reading attribute type names out of a subschema, and the row that
// writes *active* — the engine's and the one the directory form shows agree.
import { describe, expect, it } from 'vitest';
import { attributeTypeNames } from '../../src-main/connectors/ldap/account-lock.ts';
import { implicitActiveRow } from '../../src-main/connectors/ldap/settings.ts';
import { engineActiveRow } from '../../src-renderer/pages/directories/form.ts';
import { directoryConfigSchema, type DirectoryConfig } from '../../src-preload/directory.ts';

const ldap = (over: Partial<DirectoryConfig> = {}): DirectoryConfig =>
  ({
    ...directoryConfigSchema.parse({
      kind: 'ldap',
      name: 'Lab',
      connection: { urls: ['ldap://lab:389'], bindDn: 'cn=admin,dc=lab', baseDn: 'dc=lab' },
    }),
    ...over,
  }) as DirectoryConfig;

describe('attribute types of a subschema', () => {
  it('reads single names and name lists, case-insensitively', () => {
    const names = attributeTypeNames([
      "( 1.3.6.1.4.1.42.2.27.8.1.17 NAME 'pwdAccountLockedTime' DESC 'The time an user account was locked' EQUALITY generalizedTimeMatch NO-USER-MODIFICATION USAGE directoryOperation )",
      "( 2.5.4.3 NAME ( 'cn' 'commonName' ) DESC 'RFC4519: common name(s)' SUP name )",
      '( 1.2.3 DESC no name )',
    ]);
    expect([...names].sort()).toEqual(['cn', 'commonname', 'pwdaccountlockedtime']);
  });
});

describe('the row that writes active', () => {
  const rowsOf = (c: DirectoryConfig) => (c.userMapping.length ? c.userMapping : []);
  it('generic LDAP without an active row: the ppolicy lock, in the engine and in the form', () => {
    const c = ldap();
    expect(implicitActiveRow(c)).toEqual({ model: 'active', remote: 'pwdAccountLockedTime', direction: 'both' });
    expect(engineActiveRow(c, rowsOf(c))?.row).toEqual(implicitActiveRow(c));
  });

  it('"created locked" names the attribute that is written instead', () => {
    const c = ldap({ disabledUsers: { whereNotWritable: 'createdLocked', lockAttribute: 'employeeType' } });
    expect(implicitActiveRow(c)?.remote).toBe('employeeType');
    expect(engineActiveRow(c, rowsOf(c))?.row).toEqual(implicitActiveRow(c));
  });

  it("the admin's own active row wins, and nothing is added", () => {
    const userMapping = [
      { model: 'userName', remote: 'uid', direction: 'both' as const },
      { model: 'active', remote: 'nsAccountLock', direction: 'both' as const },
    ];
    const c = ldap({
      userMapping,
      disabledUsers: { whereNotWritable: 'createdLocked', lockAttribute: 'employeeType' },
    });
    expect(implicitActiveRow(c)).toBeUndefined();
    expect(engineActiveRow(c, userMapping)).toBeUndefined();
  });

  it('Active Directory writes userAccountControl from its defaults: nothing added', () => {
    const c = { ...ldap(), kind: 'activeDirectory' } as DirectoryConfig;
    expect(implicitActiveRow(c)).toBeUndefined();
    expect(engineActiveRow(c, [])).toBeUndefined();
  });
});
