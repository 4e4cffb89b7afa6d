// The sync engine against real OpenLDAP slapd servers through the real LDAP
// connector: a read cut by the server stopping, provisioning where toggles
// are on (and nothing where off), a stale plan, and an outbox child process
// killed with SIGKILL midway.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { writeUsersLdif } from '../services/seed-ldif.ts';
import { Db } from '../../src-main/store/db.ts';
import {
  allOff,
  allOn,
  canBind,
  CLI,
  ldapClient,
  NODE,
  slapdDirectory,
  testApp,
  type TestApp,
} from './sync-support.ts';

let seedDir: string;
beforeAll(() => {
  seedDir = mkdtempSync(join(tmpdir(), 'pd-sync-seed-'));
});
afterAll(() => {
  rmSync(seedDir, { recursive: true, force: true });
});

describe('a read cut short by the server', () => {
  let srv: SlapdServer;
  let t: TestApp;
  afterAll(async () => {
    await t?.dispose();
    await srv?.stop();
  });

  it('stopping slapd during a preview ends it with a clear error, no missing rows, nothing committed', async () => {
    const seed = await writeUsersLdif(join(seedDir, 'cut.ldif'), {
      baseDn: 'dc=example,dc=test',
      count: 3000,
      groups: [40],
    });
    srv = await startSlapd({ seedLdif: seed.path });
    t = testApp();
    const app = t.app;
    const dir = app.directories.save(undefined, slapdDirectory(srv, 'Cut', { pageSize: 100 }), {
      bindPassword: srv.adminPassword,
    });
    const first = await app.sync.previewImport(dir.id);
    expect(first.users.create).toBe(3000);
    app.sync.commitImport({ runId: first.runId });
    expect(app.repos.users.count()).toBe(3000);
    const changeBefore = app.db.localChange();
    const reportsBefore = app.db.get<{ n: number }>('SELECT count(*) AS n FROM report_entries')!.n;

    let stopping: Promise<void> | undefined;
    const unsub = app.events.subscribe((name, p) => {
      const pr = p as { phase: string; done: number };
      if (name === 'app.progress' && pr.phase === 'reading users' && pr.done >= 200 && !stopping) stopping = srv.stop();
    });
    const err = await app.sync.previewImport(dir.id, { mode: 'full' }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string; details: { runId: string } },
    );
    unsub();
    await stopping;
    expect(stopping).toBeDefined();
    expect(err?.code).toBe('source_failed');
    expect(err?.message).toMatch(/Reading the directory failed after \d+ users/);
    expect(err?.message).toMatch(/nobody was marked missing/);
    const run = app.sync.run(err!.details.runId);
    expect(run.status).toBe('failed');
    expect(app.repos.runs.countRows(run.runId)).toBe(0);
    expect(app.repos.runs.countRows(run.runId, { actions: ['missing'] })).toBe(0);
    // Nothing was written: same counter, same users, all still active and linked.
    expect(app.db.localChange()).toBe(changeBefore);
    expect(app.repos.users.count()).toBe(3000);
    expect(app.db.get<{ n: number }>('SELECT count(*) AS n FROM users WHERE active = 0')!.n).toBe(0);
    expect(app.repos.links.forDirectory(dir.id, 'user').length).toBe(3000);
    expect(app.db.get<{ n: number }>('SELECT count(*) AS n FROM report_entries')!.n).toBe(reportsBefore);
    // The earlier plan cannot be committed either (a newer run exists).
    expect(() => app.sync.commitImport({ runId: first.runId })).toThrow(/preview again/i);
  });
});

describe('provisioning into slapd', () => {
  let on: SlapdServer;
  let off: SlapdServer;
  let t: TestApp;
  beforeAll(async () => {
    [on, off] = await Promise.all([startSlapd(), startSlapd()]);
    t = testApp();
  });
  afterAll(async () => {
    await t?.dispose();
    await Promise.all([on?.stop(), off?.stop()]);
  });

  it('create, edit, password, membership and delete reach the directory whose toggles are on, and nothing else', async () => {
    const app = t.app;
    const dOn = app.directories.save(undefined, slapdDirectory(on, 'Slapd on', { toggles: allOn }), {
      bindPassword: on.adminPassword,
    });
    const dOff = app.directories.save(undefined, slapdDirectory(off, 'Slapd off', { toggles: allOff }), {
      bindPassword: off.adminPassword,
    });
    const admin = await ldapClient(on.url, on.adminDn, on.adminPassword);
    const offAdmin = await ldapClient(off.url, off.adminDn, off.adminPassword);
    const get = async (c: typeof admin, base: string, filter: string, attributes = ['*']) =>
      (await c.search(base, { filter, attributes })).searchEntries;
    try {
      const u = app.users.create({
        userName: 'trinity',
        name: { givenName: 'Trinity', familyName: 'Moss' },
        displayName: 'Trinity Moss',
        emails: [{ value: 'trinity@example.test', primary: true }],
        phoneNumbers: [],
        title: 'Operator',
        active: true,
      });
      await app.sync.drain();
      let e = await get(admin, on.peopleDn, '(uid=trinity)');
      expect(e.length).toBe(1);
      expect(e[0]!.dn).toBe(`uid=trinity,${on.peopleDn}`);
      expect(e[0]!.title).toBe('Operator');
      expect(app.repos.links.get(dOn.id, 'user', u.id)).toMatchObject({
        state: 'provisioned',
        ref: `uid=trinity,${on.peopleDn}`,
      });

      app.users.update(u.id, { ...u, title: 'Captain', department: 'Nebuchadnezzar' });
      await app.sync.drain();
      e = await get(admin, on.peopleDn, '(uid=trinity)');
      expect(e[0]!.title).toBe('Captain');

      app.users.setPassword(u.id, 'Wh1te-Rabbit!', false);
      await app.sync.drain();
      expect(await canBind(on.ldapsUrl, `uid=trinity,${on.peopleDn}`, 'Wh1te-Rabbit!', on.caCertPem)).toBe('ok');
      // The password never sits in the outbox in the clear, and is scrubbed when done.
      expect(
        app.db.get<{ n: number }>(
          "SELECT count(*) AS n FROM outbox WHERE payload LIKE '%Wh1te-Rabbit%' OR payload LIKE '%passwordSealed%'",
        )!.n,
      ).toBe(0);

      const g = app.groups.create({ displayName: 'crew' });
      app.groups.addMembers(g.id, [u.id]);
      await app.sync.drain();
      const ge = await get(admin, on.groupsDn, '(cn=crew)', ['member']);
      expect(ge.length).toBe(1);
      expect(([] as unknown[]).concat(ge[0]!.member).map(String)).toContain(`uid=trinity,${on.peopleDn}`);

      // Deleted in the app → disabled in slapd (deprovision 'disable', the default): the entry
      // stays, locked by the password-policy overlay, and its password no longer binds.
      expect(on.ppolicy).toBe(true);
      app.users.delete(u.id);
      await app.sync.drain();
      e = await get(admin, on.peopleDn, '(uid=trinity)', ['uid', 'pwdAccountLockedTime']);
      expect(e.length).toBe(1);
      expect(e[0]!.pwdAccountLockedTime).toBe('000001010000Z');
      expect(await canBind(on.ldapsUrl, `uid=trinity,${on.peopleDn}`, 'Wh1te-Rabbit!', on.caCertPem)).toMatch(
        /Code: 0x31$/,
      ); // 49 invalidCredentials
      const entries = app.db.all<{ action: string; status: string; application: string }>(
        'SELECT action, status, application FROM report_entries ORDER BY id',
      );
      expect(entries.filter((x) => x.application === 'Slapd on').map((x) => x.action)).toEqual(
        // The member added before the group's create ran went in with the create (no separate add).
        expect.arrayContaining(['create', 'update', 'password', 'disable']),
      );
      expect(entries.every((x) => x.status === 'success')).toBe(true);
      // Nothing at all where every toggle is off.
      expect(entries.some((x) => x.application === 'Slapd off')).toBe(false);
      expect(await get(offAdmin, off.peopleDn, '(uid=trinity)')).toEqual([]);
      expect(await get(offAdmin, off.groupsDn, '(cn=crew)')).toEqual([]);
      expect(app.repos.outbox.counts(dOff.id)).toEqual({ pending: 0, running: 0, done: 0, failed: 0 });
    } finally {
      await admin.unbind();
      await offAdmin.unbind();
    }
  });

  it('a permanent fault is marked failed with the server message, without retries', async () => {
    const app = t.app;
    {
      // A target OU that does not exist is a permanent fault: failed, with slapd's own words kept.
      const nowhere = app.directories.save(
        undefined,
        slapdDirectory(on, 'Slapd nowhere', {
          toggles: { ...allOff, users: { ...allOff.users, create: true } },
          people: `ou=Nowhere,${on.baseDn}`,
        }),
        { bindPassword: on.adminPassword },
      );
      const lost = app.users.create({
        userName: 'lost',
        name: { familyName: 'Lost' },
        emails: [],
        phoneNumbers: [],
        active: true,
      });
      const r = await app.sync.drain();
      expect(r.failed).toBeGreaterThanOrEqual(1);
      const link = app.repos.links.get(nowhere.id, 'user', lost.id);
      expect(link?.state).toBe('failed');
      expect(link?.reason).toBeTruthy();
      const item = app.sync.outbox({ directoryId: nowhere.id }).items[0]!;
      expect(item.state).toBe('failed');
      expect(item.attempts).toBe(1); // permanent: not retried
      const failure = app.db.get<{ message: string }>(
        "SELECT message FROM report_entries WHERE application = 'Slapd nowhere' AND status = 'failure'",
      );
      expect(failure?.message).toBe(link?.reason);
      app.directories.delete(nowhere.id);
    }
  });

  it('a stale plan is refused, through the engine and through the bridge', async () => {
    const app = t.app;
    const d = app.directories.list().find((x) => x.config.name === 'Slapd on')!;
    const plan = await app.sync.previewImport(d.id);
    app.users.create({ userName: 'late-change', name: {}, emails: [], phoneNumbers: [], active: true });
    expect(() => app.sync.commitImport({ runId: plan.runId })).toThrow(/changed since this preview.*Preview again/);
    const { dispatch } = await import('../../src-main/bridge/dispatch.ts');
    const r = await dispatch(app, 'import.commit', { runId: plan.runId });
    expect(r).toMatchObject({ ok: false, error: { code: 'stale_plan' } });
  });
});

describe('outbox child process killed with SIGKILL', () => {
  let srv: SlapdServer;
  let t: TestApp;
  afterAll(async () => {
    await t?.dispose();
    await srv?.stop();
  });

  it('after a restart every user exists exactly once in slapd and every report entry is present', async () => {
    srv = await startSlapd();
    t = testApp();
    const N = 1000;
    const app = t.app;
    app.directories.save(
      undefined,
      slapdDirectory(srv, 'Crash', { toggles: { ...allOff, users: { ...allOff.users, create: true } } }),
      {
        bindPassword: srv.adminPassword,
      },
    );
    for (let i = 0; i < N; i++)
      app.users.create({
        userName: `crash${String(i).padStart(4, '0')}`,
        name: { familyName: `Crash ${i}` },
        emails: [],
        phoneNumbers: [],
        active: true,
      });
    await app.close();
    expect(
      new Db(join(t.dataDir, 'provision-desk.sqlite')).get<{ n: number }>(
        "SELECT count(*) AS n FROM outbox WHERE state = 'pending'",
      )!.n,
    ).toBe(N);

    // First run: killed with SIGKILL once a good part is done.
    const child = spawn(NODE, [CLI, 'outbox', '--data-dir', t.dataDir, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const watch = new Db(join(t.dataDir, 'provision-desk.sqlite'));
    let doneAtKill = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const n = watch.get<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE state = 'done'")!.n;
        if (n >= 150) {
          doneAtKill = n;
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 25);
      child.on('exit', (_code, signal) => {
        clearInterval(timer);
        if (signal === 'SIGKILL') resolve();
        else reject(new Error(`the outbox run ended before it was killed (${doneAtKill} done)`));
      });
    });
    const mid = watch.get<{ done: number; running: number }>(
      "SELECT sum(state = 'done') AS done, sum(state = 'running') AS running FROM outbox",
    )!;
    expect(mid.done).toBeGreaterThan(0);
    expect(mid.done).toBeLessThan(N);
    expect(mid.running).toBeGreaterThan(0); // the crash left claimed work behind
    watch.close();

    // Restart: the items left running are resumed; creates that reached slapd are linked, not duplicated.
    const second = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const c = spawn(NODE, [CLI, 'outbox', '--data-dir', t.dataDir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('close', (code) => resolve({ code, out }));
    });
    expect(second.code).toBe(0);
    const after = t.reopen();
    expect(after.repos.outbox.counts()).toEqual({ pending: 0, running: 0, done: N, failed: 0 });

    const admin = await ldapClient(srv.url, srv.adminDn, srv.adminPassword);
    try {
      const entries = (
        await admin.search(srv.peopleDn, { filter: '(uid=crash*)', attributes: ['uid'], paged: { pageSize: 500 } })
      ).searchEntries;
      const uids = entries.map((e) => String(e.uid));
      expect(uids.length).toBe(N);
      expect(new Set(uids).size).toBe(N);
    } finally {
      await admin.unbind();
    }
    const reported = after.db.all<{ u: string }>(
      "SELECT DISTINCT user_identifier AS u FROM report_entries WHERE action = 'create' AND status = 'success' AND application = 'Crash'",
    );
    expect(reported.length).toBe(N);
    expect(
      after.repos.links.forDirectory(after.directories.list()[0]!.id, 'user').filter((l) => l.state === 'provisioned')
        .length,
    ).toBe(N);
  });
});
