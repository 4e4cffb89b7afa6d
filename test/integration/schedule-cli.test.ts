// `provision-desk sync` as a child process (the real bin) against a real slapd:
// what is due runs, --now runs regardless, and the exit codes: 0 done, 1 a run
// failed, 2 usage, 4 held for review, 5 committed but provisioning failed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src-main/app.ts';
import { acquireFolderLock } from '../../src-main/store/folder-lock.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { allOff, cli, ldapClient, slapdDirectory } from './sync-support.ts';

const N = 10;
let srv: SlapdServer;
let admin: Client;
let work: string;
let dataDir: string;
const dd = () => ['--data-dir', dataDir];
const uid = (i: number) => `cron${i}`;

/** Changes the data folder's directories in-process (no child runs meanwhile). */
async function withApp(fn: (app: ReturnType<typeof createApp>) => void): Promise<void> {
  const app = createApp({ dataDir, shell: 'test' });
  try {
    fn(app);
  } finally {
    await app.close();
  }
}

const schedule = {
  mode: 'interval',
  everyMinutes: 5,
  dailyAt: '02:00',
  fullReadEveryDays: 7,
  autoCommit: 'safe',
  notify: [],
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pd-sync-cmd-'));
  dataDir = join(work, 'data');
  srv = await startSlapd();
  admin = await ldapClient(srv.ldapsUrl, srv.adminDn, srv.adminPassword, srv.caCertPem);
  for (let i = 0; i < N; i++)
    await admin.add(`uid=${uid(i)},${srv.peopleDn}`, {
      objectClass: ['inetOrgPerson'],
      uid: uid(i),
      cn: `Cron User ${i}`,
      sn: `User${i}`,
      mail: `${uid(i)}@example.test`,
    });
  await withApp((app) => {
    const source = slapdDirectory(srv, 'Source', { safety: { deleteThresholdCount: 3, deleteThresholdPercent: 100 } });
    app.directories.save(undefined, { ...source, schedule } as DirectoryConfig, { bindPassword: srv.adminPassword });
    // A second directory where creates are on but its naming context does not exist: provisioning fails there.
    const nowhere = `ou=nowhere,${srv.baseDn}`;
    const target = slapdDirectory(srv, 'Target', {
      people: nowhere,
      groups: nowhere,
      toggles: { ...allOff, users: { ...allOff.users, create: true } },
    });
    target.connection = { ...target.connection, baseDn: nowhere } as DirectoryConfig['connection'];
    app.directories.save(undefined, target, { bindPassword: srv.adminPassword });
  });
}, 60_000);

afterAll(async () => {
  await admin?.unbind().catch(() => {});
  await srv?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('provision-desk sync', () => {
  it('usage errors exit 2; an unknown directory exits 1', async () => {
    expect((await cli(['sync', ...dd()])).code).toBe(2);
    expect((await cli(['sync', 'Source', '--all', ...dd()])).code).toBe(2);
    expect((await cli(['sync', '--all', '--bogus', ...dd()])).code).toBe(2);
    const nope = await cli(['sync', 'Nope', ...dd()]);
    expect(nope.code).toBe(1);
    expect(nope.stderr).toContain('There is no directory named "Nope"');
  });

  it('a schedule just switched on is due: committed, but provisioning into Target failed: exit 5', async () => {
    const r = await cli(['sync', '--all', '--json', '--wait', '0', ...dd()]);
    expect(r.code, r.stderr + r.stdout).toBe(5);
    const out = JSON.parse(r.stdout) as { runs: Array<Record<string, unknown>>; provisioning: { failed: number } };
    expect(out.runs).toEqual([expect.objectContaining({ directoryName: 'Source', status: 'committed', mode: 'full' })]);
    expect(out.runs[0]!.committed).toMatchObject({ users: expect.objectContaining({ create: N }), queued: N });
    expect(out.provisioning.failed).toBe(N);
  }, 60_000);

  it('nothing is due right after: exit 0', async () => {
    const r = await cli(['sync', '--all', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Nothing was due.');
  });

  it('--now over the deletion threshold: held for review, nothing written: exit 4', async () => {
    for (let i = 0; i < 4; i++) await admin.del(`uid=${uid(i)},${srv.peopleDn}`);
    const r = await cli(['sync', 'Source', '--now', '--json', ...dd()]);
    expect(r.code, r.stderr).toBe(4);
    const run = (JSON.parse(r.stdout) as { runs: Array<Record<string, unknown>> }).runs[0]!;
    expect(run).toMatchObject({ status: 'held', held: { reason: 'threshold' } });
    await withApp((app) => {
      expect(app.repos.users.byUserName(uid(0))!.active).toBe(true);
      expect(app.sync.run(run.runId as string)).toMatchObject({ status: 'previewed', trigger: 'scheduled' });
    });
    const text = await cli(['sync', 'Source', '--now', ...dd()]);
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/Source: held for review .*above the limit of 3/);
  }, 60_000);

  it('no scheduled run while another process holds the data folder: exit 1, no run recorded', async () => {
    let runs = 0;
    await withApp((app) => (runs = app.sync.runs({}).length));
    const lock = acquireFolderLock(dataDir, 'desktop');
    try {
      const r = await cli(['sync', '--all', '--now', ...dd()]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Provision Desk/);
    } finally {
      lock.release();
    }
    await withApp((app) => expect(app.sync.runs({})).toHaveLength(runs));
  }, 60_000);

  it('an unreachable source: exit 1 with the reason', async () => {
    await withApp((app) => {
      const d = app.directories.byName('Source');
      app.directories.save(
        d.id,
        { ...d.config, connection: { ...d.config.connection, urls: ['ldaps://127.0.0.1:1'] } } as DirectoryConfig,
        { bindPassword: srv.adminPassword },
      );
    });
    const r = await cli(['sync', 'Source', '--now', ...dd()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Source: failed\. /);
  }, 60_000);
});
