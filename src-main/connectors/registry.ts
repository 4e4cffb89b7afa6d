// Which connector serves which directory kind, and each kind's defaults.
import type { DirectoryConfig, DirectoryKind, DirectorySecrets, MappingRow } from '../../src-preload/directory.ts';
import type { Connector } from './connector.ts';
import { createLdapConnector, ldapDefaults } from './ldap/index.ts';
import { createGraphConnector, graphDefaults } from './graph/index.ts';

export interface KindDefaults {
  userMapping: MappingRow[];
  groupMapping: MappingRow[];
  /** Connection fields prefilled in the form. */
  connection: Record<string, unknown>;
}

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
