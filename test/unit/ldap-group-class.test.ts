// Which object class and member attribute new groups get, from the admin's group filter
// (groupOfUniqueNames directories write uniqueMember; the real servers are in
// test/integration/ldap-groups-slapd.test.ts).
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src-main/connectors/ldap/settings.ts';
import { groupClassOf } from '../../src-main/connectors/ldap/write.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';

const settings = (kind: 'ldap' | 'activeDirectory', groupFilter: string) =>
  resolveSettings({
    kind,
    name: 'Groups',
    connection: {
      urls: ['ldaps://127.0.0.1:6360'],
      startTls: false,
      verifyCertificate: true,
      bindDn: 'cn=admin,dc=example,dc=test',
      baseDn: 'dc=example,dc=test',
      userSearchBase: '',
      userFilter: '',
      groupSearchBase: '',
      groupFilter,
      scope: 'sub',
      exclusions: [],
      userTargetOu: '',
      groupTargetOu: '',
      userRdnTemplate: '',
      groupRdnTemplate: '',
      upnSuffix: '',
      pageSize: 500,
      timeoutMs: 30_000,
      connectTimeoutMs: 10_000,
    },
    userMapping: [],
    groupMapping: [],
  } as unknown as DirectoryConfig);

describe('group class from the group filter', () => {
  it('writes groupOfNames with member by default', () => {
    expect(groupClassOf(settings('ldap', ''))).toEqual({
      objectClasses: ['top', 'groupOfNames'],
      memberAttribute: 'member',
    });
  });

  it('writes groupOfUniqueNames with uniqueMember when the filter selects that class', () => {
    const unique = { objectClasses: ['top', 'groupOfUniqueNames'], memberAttribute: 'uniqueMember' };
    expect(groupClassOf(settings('ldap', '(objectClass=groupOfUniqueNames)'))).toEqual(unique);
    // A class the filter excludes does not count as asked for.
    expect(groupClassOf(settings('ldap', '(&(objectClass=groupOfUniqueNames)(!(objectClass=groupOfNames)))'))).toEqual(
      unique,
    );
  });

  it('keeps member when the filter takes both classes, and on Active Directory', () => {
    const both = '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))';
    expect(groupClassOf(settings('ldap', both)).memberAttribute).toBe('member');
    expect(groupClassOf(settings('activeDirectory', '(objectClass=groupOfUniqueNames)')).memberAttribute).toBe(
      'member',
    );
  });
});
