// Placeholder until the Graph connector lands (issue 4).
import type { DirectoryConfig, DirectorySecrets } from '../../../src-preload/directory.ts';
import type { Connector } from '../connector.ts';
import { ConnectorError } from '../connector.ts';
import type { KindDefaults } from '../registry.ts';

export function createGraphConnector(_config: DirectoryConfig, _secrets: DirectorySecrets): Connector {
  throw new ConnectorError('unknown', 'The Microsoft Graph connector is not built yet.');
}
export function graphDefaults(): KindDefaults {
  return { userMapping: [], groupMapping: [], connection: {} };
}
