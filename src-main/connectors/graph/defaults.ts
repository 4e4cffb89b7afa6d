// What a new Microsoft Entra ID directory starts with: connection fields and
// the attribute mapping. Plain data that imports only types (connectors/defaults.ts).
import type { MappingRow } from '../../../src-preload/directory.ts';
import type { KindDefaults } from '../connector.ts';

export function defaultUserMapping(): MappingRow[] {
  const both = (model: string, remote: string): MappingRow => ({ model, remote, direction: 'both' });
  return [
    both('userName', 'userPrincipalName'),
    both('displayName', 'displayName'),
    both('name.givenName', 'givenName'),
    both('name.familyName', 'surname'),
    both('emails.work', 'mail'),
    { model: 'userName', remote: 'mailNickname', direction: 'export' },
    both('title', 'jobTitle'),
    both('department', 'department'),
    both('employeeNumber', 'employeeId'),
    both('phoneNumbers.mobile', 'mobilePhone'),
    both('phoneNumbers.work', 'businessPhones'),
    both('manager', 'manager'),
    both('active', 'accountEnabled'),
  ];
}

export function defaultGroupMapping(): MappingRow[] {
  return [
    { model: 'displayName', remote: 'displayName', direction: 'both' },
    { model: 'description', remote: 'description', direction: 'both' },
  ];
}

export function graphDefaults(): KindDefaults {
  return {
    userMapping: defaultUserMapping(),
    groupMapping: defaultGroupMapping(),
    connection: { credential: 'secret', cloud: 'global', upnDomain: '', pageSize: 999, timeoutMs: 30_000 },
  };
}
