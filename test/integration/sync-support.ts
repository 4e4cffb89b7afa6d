// Helpers for the sync engine's integration tests: an app on a temporary data
// folder, directory configs for slapd and Samba, an admin LDAP client, and
// the command line as a child process.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'ldapts';
import { createApp, type App } from '../../src-main/app.ts';
import { directoryConfigSchema, type DirectoryConfig, type Toggles } from '../../src-preload/directory.ts';
import type { SlapdServer } from '../services/slapd.ts';
import type { SambaDcInfo } from '../services/samba.ts';

export const allOn: Toggles = {
  users: { import: true, create: true, edit: true, delete: true, passwordSync: true },
  groups: { import: true, create: true, delete: true, membership: true },
};
export const allOff: Toggles = {
  users: { import: false, create: false, edit: false, delete: false, passwordSync: false },
  groups: { import: false, create: false, delete: false, membership: false },
};
export const importOnly: Toggles = {
  users: { ...allOff.users, import: true },
  groups: { ...allOff.groups, import: true },
};

export function tag(): string {
  return randomBytes(3).toString('hex');
}

export function slapdDirectory(
  srv: SlapdServer,
  name: string,
  over: {
    toggles?: Toggles;
    people?: string;
    groups?: string;
    pageSize?: number;
    safety?: Partial<DirectoryConfig['safety']>;
  } = {},
): DirectoryConfig {
  return directoryConfigSchema.parse({
    kind: 'ldap',
    name,
    toggles: over.toggles ?? importOnly,
    safety: { deleteThresholdCount: 500, deleteThresholdPercent: 10, deprovision: 'disable', ...over.safety },
    connection: {
      urls: [srv.ldapsUrl],
      caCertPem: srv.caCertPem,
      bindDn: srv.adminDn,
      baseDn: srv.baseDn,
      userSearchBase: over.people ?? srv.peopleDn,
      groupSearchBase: over.groups ?? srv.groupsDn,
      userTargetOu: over.people ?? srv.peopleDn,
      groupTargetOu: over.groups ?? srv.groupsDn,
      userRdnTemplate: 'uid={userName}',
      pageSize: over.pageSize ?? 500,
    },
  });
}

export function sambaDirectory(
  info: SambaDcInfo,
  name: string,
  root: string,
  over: { toggles?: Toggles; pageSize?: number; safety?: Partial<DirectoryConfig['safety']> } = {},
): DirectoryConfig {
  return directoryConfigSchema.parse({
    kind: 'activeDirectory',
    name,
    toggles: over.toggles ?? importOnly,
    safety: { deleteThresholdCount: 500, deleteThresholdPercent: 10, deprovision: 'disable', ...over.safety },
    connection: {
      urls: [info.ldapsUrl],
      caCertPem: info.caCertPem,
      bindDn: info.adminUpn,
      baseDn: info.baseDn,
      userSearchBase: `OU=People,${root}`,
      groupSearchBase: `OU=Groups,${root}`,
      userTargetOu: `OU=People,${root}`,
      groupTargetOu: `OU=Groups,${root}`,
      upnSuffix: info.dnsDomain,
      pageSize: over.pageSize ?? 1000,
      timeoutMs: 120_000,
    },
  });
}

export interface TestApp {
  app: App;
  dataDir: string;
  reopen(): App;
  dispose(): Promise<void>;
}

/** An app on a fresh data folder; quick retries so transient faults do not stall tests. */
export function testApp(dataDir = mkdtempSync(join(tmpdir(), 'pd-sync-it-'))): TestApp {
  const make = () =>
    createApp({ dataDir, shell: 'test', outbox: { baseBackoffMs: 200, maxBackoffMs: 2000, concurrency: 8 } });
  const t: TestApp = {
    app: make(),
    dataDir,
    reopen() {
      t.app = make();
      return t.app;
    },
    async dispose() {
      await t.app.close().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

export async function ldapClient(url: string, dn: string, password: string, ca?: string): Promise<Client> {
  const c = new Client({ url, tlsOptions: ca ? { ca } : undefined, timeout: 120_000 });
  await c.bind(dn, password);
  return c;
}

/** Runs tasks with at most `n` at once. */
export async function pool<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

export async function canBind(url: string, who: string, password: string, ca: string): Promise<string> {
  const c = new Client({ url, tlsOptions: { ca } });
  try {
    await c.bind(who, password);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.unbind().catch(() => {});
  }
}

export const CLI = fileURLToPath(new URL('../../bin/provision-desk.mjs', import.meta.url));
export const NODE = process.execPath;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `provision-desk …` as a child process (the real bin, Node 24). */
export function cli(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [CLI, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}
