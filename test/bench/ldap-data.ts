// One slapd with 100,000 generated users, loaded offline with slapadd, shared
// by the LDAP measurements of a bench run.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { writeUsersLdif } from '../services/seed-ldif.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import { timeCommand } from './harness.ts';

export const BENCH_USERS = Number(process.env.BENCH_LDAP_USERS ?? 100_000);
let shared: Promise<SlapdServer> | undefined;

export function benchSlapd(log: (s: string) => void): Promise<SlapdServer> {
  shared ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-bench-'));
    const t0 = performance.now();
    const ldif = await writeUsersLdif(join(dir, 'users.ldif'), {
      baseDn: 'dc=example,dc=test',
      count: BENCH_USERS,
      groups: [10, 1000, 5000],
      memberOf: true,
    });
    log(
      `generated ${ldif.userCount} users as LDIF (${Math.round(ldif.bytes / 1e6)} MB) in ${Math.round(performance.now() - t0)} ms`,
    );
    const t1 = performance.now();
    const server = await startSlapd({ seedLdif: ldif.path });
    log(`slapadd + slapd start in ${Math.round(performance.now() - t1)} ms`);
    return server;
  })();
  return shared;
}

export function ldapConfig(s: SlapdServer, extra: Partial<DirectoryConfig['connection']> = {}): DirectoryConfig {
  return {
    kind: 'ldap',
    name: 'Bench LDAP',
    connection: {
      urls: [s.url],
      startTls: false,
      verifyCertificate: true,
      caCertPem: s.caCertPem,
      bindDn: s.adminDn,
      baseDn: s.baseDn,
      userSearchBase: s.peopleDn,
      userFilter: '',
      groupSearchBase: s.groupsDn,
      groupFilter: '',
      scope: 'sub',
      exclusions: [],
      userTargetOu: s.peopleDn,
      groupTargetOu: s.groupsDn,
      userRdnTemplate: 'uid={userName}',
      groupRdnTemplate: 'cn={displayName}',
      upnSuffix: '',
      pageSize: 1000,
      timeoutMs: 600_000,
      connectTimeoutMs: 10_000,
      ...extra,
    },
    toggles: {
      users: { import: true, create: true, edit: true, delete: true, passwordSync: true },
      groups: { import: true, create: true, delete: true, membership: true },
    },
    userMapping: [],
    groupMapping: [],
    matching: ['userName', 'email'],
    safety: { deleteThresholdCount: 500, deleteThresholdPercent: 10, deprovision: 'disable' },
  } as DirectoryConfig;
}

export async function stopBenchSlapd(): Promise<void> {
  if (shared) await (await shared).stop();
  shared = undefined;
}

/** The reference read: every user of the bench slapd through ldapsearch with paged results. */
export function readAllWithLdapsearch(s: SlapdServer) {
  // prettier-ignore
  return timeCommand('ldapsearch', [
    '-x', '-LLL', '-H', s.url, '-D', s.adminDn, '-w', s.adminPassword, '-b', s.peopleDn,
    '-E', 'pr=1000/noprompt', '(objectClass=inetOrgPerson)', '*', 'entryUUID', 'modifyTimestamp',
  ]);
}
