// Streams every user of an LDAP directory through the connector, page by
// page, keeping nothing: the figure is read time and this process's RSS.
import { createLdapConnector } from '../../../src-main/connectors/ldap/index.ts';
import type { DirectoryConfig } from '../../../src-preload/directory.ts';

export async function run(args: { config: DirectoryConfig; password: string }) {
  const connector = createLdapConnector(args.config, { bindPassword: args.password });
  const started = performance.now();
  let count = 0;
  for await (const page of connector.listUsers()) count += page.length;
  const ms = performance.now() - started;
  await connector.close();
  return { count, ms };
}
