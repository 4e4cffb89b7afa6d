import { describe, expect, it } from 'vitest';
import { userModelPaths } from '../../src-main/mapping/model-paths.ts';
import {
  attrMap,
  defaultUserMapping,
  diffUserAttributes,
  effectiveMapping,
  entryToUserData,
  readActive,
  userDataToAttributes,
  writeActive,
} from '../../src-main/connectors/ldap/mapping.ts';
import { ldapDefaults } from '../../src-main/connectors/ldap/index.ts';
import {
  checkSamAccountName,
  groupSamAccountName,
  passwordModifyRequest,
  renderRdn,
} from '../../src-main/connectors/ldap/write.ts';
import { BerReader } from 'ldapts';
import type { RemoteUserData } from '../../src-main/connectors/connector.ts';

describe('default mappings', () => {
  it('use model paths only', () => {
    for (const kind of ['activeDirectory', 'ldap'] as const) {
      for (const row of defaultUserMapping(kind)) expect(userModelPaths as readonly string[]).toContain(row.model);
    }
    const ad = ldapDefaults('activeDirectory');
    expect(ad.userMapping.find((r) => r.model === 'userName')?.remote).toBe('sAMAccountName');
    expect(ad.userMapping.find((r) => r.model === 'active')?.remote).toBe('userAccountControl');
    expect(ad.connection.anchor).toBe('objectGUID');
    const ldap = ldapDefaults('ldap');
    expect(ldap.userMapping.find((r) => r.model === 'userName')?.remote).toBe('uid');
    expect(ldap.connection.anchor).toBe('entryUUID');
  });

  it('the admin rows replace the defaults; invalid attribute names are dropped', () => {
    const rows = effectiveMapping(
      [
        { model: 'userName', remote: 'mail', direction: 'both' },
        { model: 'title', remote: 'bad name!', direction: 'both' },
      ],
      defaultUserMapping('ldap'),
    );
    expect(rows).toEqual([{ model: 'userName', remote: 'mail', direction: 'both' }]);
    expect(effectiveMapping([], defaultUserMapping('ldap'))).toEqual(defaultUserMapping('ldap'));
  });
});

describe('AD entry ↔ model', () => {
  const rows = defaultUserMapping('activeDirectory');
  const entry = {
    dn: 'CN=Zoë Ångström,OU=People,DC=ad,DC=example,DC=test',
    sAMAccountName: 'zangstrom5',
    givenName: 'Zoë',
    sn: 'Ångström',
    displayName: 'Zoë Ångström',
    mail: 'zangstrom5@ad.example.test',
    telephoneNumber: '+1 555 0105 1005',
    mobile: '+44 7700 900005',
    title: 'Designer',
    department: 'Design',
    employeeID: '100005',
    manager: 'CN=Boss\\, The,OU=People,DC=ad,DC=example,DC=test',
    userAccountControl: '514',
  };

  it('reads every mapped attribute, active from bit 0x2, manager DN as managerRef', () => {
    const u = entryToUserData(attrMap(entry), rows, 'x');
    expect(u).toMatchObject({
      userName: 'zangstrom5',
      name: { givenName: 'Zoë', familyName: 'Ångström' },
      displayName: 'Zoë Ångström',
      emails: [{ value: 'zangstrom5@ad.example.test', primary: true }],
      title: 'Designer',
      department: 'Design',
      employeeNumber: '100005',
      managerRef: 'CN=Boss\\, The,OU=People,DC=ad,DC=example,DC=test',
      active: false,
    });
    expect(u.phoneNumbers).toEqual([
      { value: '+1 555 0105 1005', type: 'work' },
      { value: '+44 7700 900005', type: 'mobile' },
    ]);
    expect(entryToUserData(attrMap({ ...entry, userAccountControl: '512' }), rows, 'x').active).toBe(true);
  });

  it('writes attributes back and diffs only what changed', () => {
    const u = entryToUserData(attrMap(entry), rows, 'x');
    const attrs = userDataToAttributes(u, rows);
    expect(attrs.get('sAMAccountName')).toEqual(['zangstrom5']);
    expect(attrs.get('mail')).toEqual(['zangstrom5@ad.example.test']);
    expect(attrs.has('userAccountControl')).toBe(false);
    const after: RemoteUserData = {
      ...u,
      title: 'Lead Designer',
      phoneNumbers: u.phoneNumbers.filter((p) => p.type !== 'mobile'),
    };
    expect(diffUserAttributes(u, after, rows)).toEqual([
      { attribute: 'mobile', values: [] },
      { attribute: 'title', values: ['Lead Designer'] },
    ]);
    expect(diffUserAttributes(u, u, rows)).toEqual([]);
  });

  it('userAccountControl keeps other bits', () => {
    expect(writeActive('userAccountControl', true, 514)).toEqual(['512']);
    expect(writeActive('userAccountControl', false, 512 | 0x10000)).toEqual([String(512 | 0x10000 | 2)]);
    expect(readActive(attrMap({ dn: '', pwdAccountLockedTime: '000001010000Z' }), 'pwdAccountLockedTime')).toBe(false);
    expect(writeActive('pwdAccountLockedTime', true)).toBeUndefined();
  });
});

describe('LDAP entry ↔ model', () => {
  it('reads multi-valued mail into emails and falls back to the RDN for userName', () => {
    const u = entryToUserData(
      attrMap({ dn: 'uid=a,dc=x', mail: ['a@x.test', 'a2@x.test'], cn: 'A' }),
      defaultUserMapping('ldap'),
      'fallback',
    );
    expect(u.userName).toBe('fallback');
    expect(u.emails.map((e) => e.value)).toEqual(['a@x.test', 'a2@x.test']);
    expect(u.active).toBe(true);
  });
});

describe('names', () => {
  it('refuses over-long or forbidden sAMAccountNames with the reason', () => {
    expect(() => checkSamAccountName('abcdefghijklmnopqrstu')).toThrow(/21 characters long and at most 20/);
    expect(() => checkSamAccountName('a/b[c]')).toThrow(/does not allow: \/ \[ \]/);
    expect(() => checkSamAccountName('jdoe')).not.toThrow();
    expect(groupSamAccountName('Sales, EMEA "Core" [x]')).toBe('Sales EMEA Core x');
  });

  it('renders RDN templates', () => {
    expect(renderRdn('CN={displayName}', (p) => (p === 'displayName' ? 'Smith, John' : undefined), 'js')).toEqual([
      'CN',
      'Smith, John',
    ]);
    expect(renderRdn('uid={userName}', () => undefined, 'fallback')).toEqual(['uid', 'fallback']);
    expect(() => renderRdn('nonsense', () => 'x', 'y')).toThrow(/RDN template/);
  });

  it('encodes the Password Modify request (RFC 3062)', () => {
    const ber = passwordModifyRequest('uid=a,dc=x', 'Sécret1!');
    const r = new BerReader(ber);
    expect(r.readSequence()).toBe(0x30);
    expect(r.readString(0x80)).toBe('uid=a,dc=x');
    expect(r.readString(0x82)).toBe('Sécret1!');
  });
});
