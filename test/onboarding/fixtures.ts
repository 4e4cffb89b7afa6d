// Shared set-up of the onboarding integration tests: an app on a fresh data
// folder, directory configs for the Graph emulator, slapd and Samba.
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src-main/app.ts';
import { directoryConfigSchema, type DirectoryConfig } from '../../src-preload/directory.ts';
import type { PortalLimits } from '../../src-main/onboarding/portal/server.ts';
import type { GraphEmulator } from '../graph-emulator/index.ts';

export const GRAPH_ROLES = ['User.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All', 'Mail.Send'];

export function testApp(portalLimits?: Partial<PortalLimits>): { app: App; dispose(): Promise<void> } {
  const dataDir = mkdtempSync(join(tmpdir(), 'pd-onboarding-'));
  const app = createApp({ dataDir, shell: 'test', portalLimits });
  return {
    app,
    async dispose() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function entraConfig(
  emu: GraphEmulator,
  clientId: string,
  extra: Record<string, unknown> = {},
): DirectoryConfig {
  return directoryConfigSchema.parse({
    name: 'Entra (emulator)',
    kind: 'entra',
    connection: {
      tenantId: emu.tenantId,
      clientId,
      credential: 'secret',
      cloud: 'custom',
      authorityUrl: emu.baseUrl,
      graphUrl: emu.baseUrl,
      caCertPem: emu.caCertPem,
      upnDomain: emu.tenantDomain,
      mailFrom: `helpdesk@${emu.tenantDomain}`,
    },
    toggles: { users: { passwordSync: true } },
    ...extra,
  });
}

export function ldapDirConfig(
  kind: 'activeDirectory' | 'ldap',
  name: string,
  connection: Record<string, unknown>,
): DirectoryConfig {
  return directoryConfigSchema.parse({ name, kind, connection, toggles: { users: { passwordSync: true } } });
}

/**
 * An address of this machine that other devices could reach (not loopback):
 * activation links must not point at 127.0.0.1, so the tests' portals answer here.
 */
export function lanAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('This machine has no non-loopback IPv4 address for the reset portal tests.');
}

/** Portal settings: listening on every address, links through the LAN address. */
export function reachablePortal(port: number): { listenHost: string; port: number; publicUrl: string } {
  return { listenHost: '0.0.0.0', port, publicUrl: `https://${lanAddress()}:${port}` };
}
