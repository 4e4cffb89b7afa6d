// Which connector serves which directory kind, and each kind's defaults.
import type { DirectoryConfig, DirectoryKind, DirectorySecrets } from '../../src-preload/directory.ts';
import type { Connector, KindDefaults } from './connector.ts';
import { createLdapConnector, ldapDefaults } from './ldap/index.ts';
import { createGraphConnector, graphDefaults } from './graph/index.ts';

export function createConnector(config: DirectoryConfig, secrets: DirectorySecrets): Connector {
  switch (config.kind) {
    case 'activeDirectory':
    case 'ldap':
      return createLdapConnector(config, secrets);
    case 'entra':
      return createGraphConnector(config, secrets);
  }
}

export function defaultsFor(kind: DirectoryKind): KindDefaults {
  return kind === 'entra' ? graphDefaults() : ldapDefaults(kind);
}
