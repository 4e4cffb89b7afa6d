// Which connector serves which directory kind. Only the composition root
// (app.ts) loads this; everything else gets connectors handed in.
import type { DirectoryConfig, DirectorySecrets } from '../../src-preload/directory.ts';
import type { Connector } from './connector.ts';
import { createLdapConnector } from './ldap/index.ts';
import { createGraphConnector } from './graph/index.ts';

export function createConnector(config: DirectoryConfig, secrets: DirectorySecrets): Connector {
  switch (config.kind) {
    case 'activeDirectory':
    case 'ldap':
      return createLdapConnector(config, secrets);
    case 'entra':
      return createGraphConnector(config, secrets);
  }
}
