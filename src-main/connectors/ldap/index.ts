// Placeholder until the LDAP connector lands (issue 3).
import type { DirectoryConfig, DirectorySecrets } from '../../../src-preload/directory.ts';
import type { Connector } from '../connector.ts';
import { ConnectorError } from '../connector.ts';
import type { KindDefaults } from '../registry.ts';

export function createLdapConnector(_config: DirectoryConfig, _secrets: DirectorySecrets): Connector {
  throw new ConnectorError('unknown', 'The LDAP connector is not built yet.');
}
export function ldapDefaults(_kind: 'activeDirectory' | 'ldap'): KindDefaults {
  return { userMapping: [], groupMapping: [], connection: {} };
}
