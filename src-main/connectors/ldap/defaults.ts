// What a new Active Directory or generic LDAP directory starts with: object
// classes, filters, naming, anchor, page size and the attribute mapping.
// Plain data that imports only types, so the engine and the directory form can
// read a kind's defaults without loading the connector (connectors/defaults.ts).
import type { MappingRow } from '../../../src-preload/directory.ts';
import type { KindDefaults } from '../connector.ts';

export type LdapKind = 'activeDirectory' | 'ldap';

export const kindDefaults = {
  activeDirectory: {
    userClassFilter: '(&(objectClass=user)(!(objectClass=computer)))',
    groupClassFilter: '(objectClass=group)',
    userObjectClasses: ['top', 'person', 'organizationalPerson', 'user'],
    groupObjectClasses: ['top', 'group'],
    userRdnTemplate: 'CN={displayName}',
    groupRdnTemplate: 'CN={displayName}',
    anchor: 'objectGUID' as const,
    pageSize: 1000,
  },
  ldap: {
    userClassFilter: '(objectClass=inetOrgPerson)',
    groupClassFilter: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))',
    userObjectClasses: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
    groupObjectClasses: ['top', 'groupOfNames'],
    userRdnTemplate: 'uid={userName}',
    groupRdnTemplate: 'cn={displayName}',
    anchor: 'entryUUID' as const,
    pageSize: 500,
  },
};

export function defaultUserMapping(kind: LdapKind): MappingRow[] {
  const rows: Array<[string, string]> =
    kind === 'activeDirectory'
      ? [
          ['userName', 'sAMAccountName'],
          ['name.givenName', 'givenName'],
          ['name.familyName', 'sn'],
          ['displayName', 'displayName'],
          ['emails.work', 'mail'],
          ['phoneNumbers.work', 'telephoneNumber'],
          ['phoneNumbers.mobile', 'mobile'],
          ['title', 'title'],
          ['department', 'department'],
          ['employeeNumber', 'employeeID'],
          ['manager', 'manager'],
          ['active', 'userAccountControl'],
        ]
      : [
          ['userName', 'uid'],
          ['name.givenName', 'givenName'],
          ['name.familyName', 'sn'],
          ['displayName', 'displayName'],
          ['emails', 'mail'],
          ['phoneNumbers.work', 'telephoneNumber'],
          ['phoneNumbers.mobile', 'mobile'],
          ['title', 'title'],
          ['department', 'ou'],
          ['employeeNumber', 'employeeNumber'],
          ['manager', 'manager'],
        ];
  return rows.map(([model, remote]) => ({ model, remote, direction: 'both' as const }));
}

export function defaultGroupMapping(_kind: LdapKind): MappingRow[] {
  return [
    { model: 'displayName', remote: 'cn', direction: 'both' },
    { model: 'description', remote: 'description', direction: 'both' },
  ];
}

export function ldapDefaults(kind: 'activeDirectory' | 'ldap'): KindDefaults {
  const d = kindDefaults[kind];
  return {
    userMapping: defaultUserMapping(kind),
    groupMapping: defaultGroupMapping(kind),
    connection: {
      startTls: false,
      verifyCertificate: true,
      scope: 'sub',
      userFilter: '',
      groupFilter: '',
      userRdnTemplate: d.userRdnTemplate,
      groupRdnTemplate: d.groupRdnTemplate,
      pageSize: d.pageSize,
      timeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      /** Shown next to the filter fields: what the connector always adds. */
      userObjectFilter: d.userClassFilter,
      groupObjectFilter: d.groupClassFilter,
      anchor: d.anchor,
    },
  };
}
