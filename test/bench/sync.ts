// The sync engine's figures: import preview of the bench slapd's
// users as a ratio to ldapsearch reading the same entries (and peak RSS),
// commit time of that preview, and provisioned creates into a fresh slapd as
// a ratio to ldapadd adding the same entries.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, median, round, runTask, timeCommand, warmUp, type Measurement } from './harness.ts';
import { BENCH_USERS, benchSlapd, ldapConfig, readAllWithLdapsearch } from './ldap-data.ts';
import { startSlapd } from '../services/slapd.ts';
import { addDirectoryAt } from './sync-app.ts';
import { benchUsers } from './tasks/sync-provision.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';

const PROVISION_USERS = Number(process.env.BENCH_PROVISION_USERS ?? 10_000);

const importOnly = (c: DirectoryConfig): DirectoryConfig => ({
  ...c,
  toggles: {
    users: { import: true, create: false, edit: false, delete: false, passwordSync: false },
    groups: { import: true, create: false, delete: false, membership: false },
  },
  safety: { ...c.safety, deleteThresholdCount: 10_000_000, deleteThresholdPercent: 100 },
});
const createOnly = (c: DirectoryConfig): DirectoryConfig => ({
  ...c,
  name: 'Bench provision',
  toggles: {
    users: { import: false, create: true, edit: false, delete: false, passwordSync: false },
    groups: { import: false, create: false, delete: false, membership: false },
  },
});

export const syncMeasurement: Measurement = {
  name: 'sync',
  async run({ runs, log }) {
    const s = await benchSlapd(log);
    const n = Math.max(1, Math.min(runs, 3));
    const ref: number[] = [];
    const previews: number[] = [];
    const commits: number[] = [];
    let rss = 0;
    let commitRss = 0;
    // Reference: ldapsearch with the paged-results control, same entries and attributes.
    const ldapsearch = () => readAllWithLdapsearch(s);
    const preview = async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'pd-bench-sync-'));
      await addDirectoryAt(dataDir, importOnly(ldapConfig(s)), { bindPassword: s.adminPassword });
      const p = await runTask<{ runId: string; ms: number; read: { users: number } }>('sync-preview', {
        dataDir,
        directory: 'Bench LDAP',
      });
      return { dataDir, p };
    };
    // Both sides warm before timing: the reference until it settles, ours once (a freshly
    // started slapd answers its first full reads slower, and whichever side came first paid).
    await warmUp(ldapsearch, log, 'ldapsearch');
    rmSync((await preview()).dataDir, { recursive: true, force: true });
    for (let i = 0; i < n; i++) {
      const r = await ldapsearch();
      ref.push(r.ms);
      const { dataDir, p } = await preview();
      try {
        if (p.read.users !== BENCH_USERS) throw new Error(`previewed ${p.read.users} users, expected ${BENCH_USERS}`);
        previews.push(p.ms);
        rss = Math.max(rss, p.peakRssMb);
        const c = await runTask<{ ms: number }>('sync-commit', { dataDir, runId: p.runId });
        commits.push(c.ms);
        commitRss = Math.max(commitRss, c.peakRssMb);
        log(
          `run ${i + 1}: ldapsearch ${Math.round(r.ms)} ms, preview ${Math.round(p.ms)} ms, commit ${Math.round(c.ms)} ms`,
        );
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }

    // Provisioning: N new users into an empty slapd through the outbox, vs ldapadd of the same entries.
    const users = benchUsers(PROVISION_USERS);
    const ours: number[] = [];
    const adds: number[] = [];
    let provRss = 0;
    for (let i = 0; i < n; i++) {
      const [target, reference] = await Promise.all([startSlapd(), startSlapd()]);
      const dir = mkdtempSync(join(tmpdir(), 'pd-bench-prov-'));
      try {
        const ldif = join(dir, 'add.ldif');
        writeFileSync(
          ldif,
          users
            .map((u) =>
              [
                `dn: uid=${u.userName},${reference.peopleDn}`,
                'objectClass: top',
                'objectClass: person',
                'objectClass: organizationalPerson',
                'objectClass: inetOrgPerson',
                `uid: ${u.userName}`,
                `cn: ${u.displayName}`,
                `sn: ${u.name.familyName}`,
                `givenName: ${u.name.givenName}`,
                `displayName: ${u.displayName}`,
                `mail: ${u.emails[0]!.value}`,
                `title: ${u.title}`,
                '',
              ].join('\n'),
            )
            .join('\n'),
        );
        const a = await timeCommand('ldapadd', [
          '-x',
          '-H',
          reference.url,
          '-D',
          reference.adminDn,
          '-w',
          reference.adminPassword,
          '-f',
          ldif,
        ]);
        adds.push(a.ms);
        const dataDir = join(dir, 'data');
        await addDirectoryAt(dataDir, createOnly(ldapConfig(target)), { bindPassword: target.adminPassword });
        const o = await runTask<{ runMs: number; done: number; failed: number }>('sync-provision', {
          dataDir,
          count: PROVISION_USERS,
        });
        if (o.done !== PROVISION_USERS || o.failed)
          throw new Error(`provisioned ${o.done} (${o.failed} failed) of ${PROVISION_USERS}`);
        ours.push(o.runMs);
        provRss = Math.max(provRss, o.peakRssMb);
        log(
          `run ${i + 1}: ldapadd ${Math.round(a.ms)} ms, outbox ${Math.round(o.runMs)} ms for ${PROVISION_USERS} creates`,
        );
      } finally {
        await Promise.all([target.stop(), reference.stop()]);
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return [
      figure({
        name: `sync: import preview of ${BENCH_USERS} users (slapd)`,
        unit: 'ms',
        ours: round(median(previews)),
        reference: round(median(ref)),
        peakRssMb: rss,
        runs: n,
        notes:
          'reference: ldapsearch -E pr=1000 on the same entries; both warm (reference run untimed until it settles, ours once); budget ratio ≤ 2, RSS < 400 MB',
      }),
      figure({
        name: `sync: commit of that preview (${BENCH_USERS} creates)`,
        unit: 'ms',
        ours: round(median(commits)),
        peakRssMb: commitRss,
        runs: n,
        notes: 'budget < 2000 ms',
      }),
      figure({
        name: `sync: ${PROVISION_USERS} provisioned creates into slapd`,
        unit: 'ms',
        ours: round(median(ours)),
        reference: round(median(adds)),
        peakRssMb: provRss,
        runs: n,
        notes: 'reference: ldapadd of the same entries; budget ratio ≤ 1 (rate at least ldapadd)',
      }),
    ];
  },
};
