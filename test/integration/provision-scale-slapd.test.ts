// The provisioning path at directory scale against real OpenLDAP slapd servers: a 5,000-member group
// created from scratch in one go, a group's membership changes written as multi-value changes in
// order, a group "provisioned" only once its membership is complete, passwords that survive a failed
// item and its retry, and a deleted user who stays listed until the directory confirmed the removal.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { allOff, allOn, canBind, ldapClient, slapdDirectory, testApp, type TestApp } from './sync-support.ts';
import type { Client } from 'ldapts';

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

async function members(admin: Client, groupsDn: string, cn: string): Promise<string[]> {
  const e = (await admin.search(groupsDn, { filter: `(cn=${cn})`, attributes: ['member'] })).searchEntries;
  return e.length === 0 ? [] : list(e[0]!.member).filter((m) => m !== '');
}

const person = (userName: string) => ({
  userName,
  name: { familyName: userName },
  emails: [],
  phoneNumbers: [],
  active: true,
});

describe('memberships at scale', () => {
  let srv: SlapdServer;
  let t: TestApp;
  let admin: Client;
  beforeAll(async () => {
    srv = await startSlapd();
    t = testApp();
    admin = await ldapClient(srv.url, srv.adminDn, srv.adminPassword);
  });
  afterAll(async () => {
    await admin?.unbind().catch(() => undefined);
    await t?.dispose();
    await srv?.stop();
  });

  it('a 5,000-member group made in the app is created with its members, without a membership item each', async () => {
    const app = t.app;
    const dir = app.directories.save(undefined, slapdDirectory(srv, 'Big', { toggles: allOn }), {
      bindPassword: srv.adminPassword,
    });
    const N = 5000;
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push(app.users.create(person(`big${String(i).padStart(5, '0')}`)).id);
    const g = app.groups.create({ displayName: 'Everyone' });
    app.groups.addMembers(g.id, ids);
    // The group's create has not run yet: it takes its members along, so none is queued on its own.
    expect(app.db.get<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE object_type = 'membership'")!.n).toBe(0);
    const create = app.db.get<{ id: number }>("SELECT id FROM outbox WHERE op = 'group.create'")!.id;
    const woken = vi.spyOn(app.repos.outbox, 'dueNow');
    const r = await app.sync.drain();
    // While it waited for its member users, each recorded batch of creates made it due again at once.
    expect(woken.mock.calls.some(([ids]) => ids.includes(create))).toBe(true);
    woken.mockRestore();
    expect(r.failed).toBe(0);
    expect(app.repos.outbox.counts(dir.id)).toMatchObject({ pending: 0, running: 0, failed: 0, done: N + 1 });
    const got = await members(admin, srv.groupsDn, 'Everyone');
    expect(got.length).toBe(N);
    expect(new Set(got.map((m) => m.toLowerCase())).size).toBe(N);
    expect(app.repos.links.get(dir.id, 'group', g.id)?.state).toBe('provisioned');
    app.directories.delete(dir.id);
  });

  it('membership changes of an existing group run as batched writes, in order, and the group is provisioned only when they are all written', async () => {
    const app = t.app;
    const dir = app.directories.save(undefined, slapdDirectory(srv, 'Batch', { toggles: allOn }), {
      bindPassword: srv.adminPassword,
    });
    const users = Array.from({ length: 1200 }, (_, i) => app.users.create(person(`bat${i}`)).id);
    const g = app.groups.create({ displayName: 'Batched' });
    await app.sync.drain();
    expect(await members(admin, srv.groupsDn, 'Batched')).toEqual([]);
    app.groups.addMembers(g.id, users);
    // An add then a removal of one member: the removal is the last word.
    app.groups.removeMembers(g.id, [users[7]!]);
    expect(app.repos.links.get(dir.id, 'group', g.id)?.state).toBe('pending');
    const queued = app.db.get<{ n: number }>(
      "SELECT count(*) AS n FROM outbox WHERE object_type = 'membership' AND state = 'pending'",
    )!.n;
    expect(queued).toBe(1201);
    await app.sync.drain();
    const got = await members(admin, srv.groupsDn, 'Batched');
    expect(got.length).toBe(1199);
    expect(got.some((m) => m.startsWith('uid=bat7,'))).toBe(false);
    expect(app.repos.links.get(dir.id, 'group', g.id)?.state).toBe('provisioned');
    const reported = app.db.get<{ n: number }>(
      "SELECT count(*) AS n FROM report_entries WHERE application = 'Batch' AND action IN ('add member','remove member') AND status = 'success'",
    )!.n;
    expect(reported).toBe(1201);
    // Adding members the group already has (written elsewhere) is not a failure.
    app.groups.removeMembers(g.id, [users[8]!]);
    app.groups.addMembers(g.id, [users[8]!]);
    await app.sync.drain();
    expect(app.repos.outbox.counts(dir.id).failed).toBe(0);
    expect((await members(admin, srv.groupsDn, 'Batched')).length).toBe(1199);
    app.directories.delete(dir.id);
  });
});

describe('passwords are never lost', () => {
  let srv: SlapdServer;
  let t: TestApp;
  beforeAll(async () => {
    srv = await startSlapd();
    t = testApp();
  });
  afterAll(async () => {
    await t?.dispose();
    await srv?.stop();
  });

  it('a create that failed keeps its sealed password, and the retry creates the user with it', async () => {
    const app = t.app;
    const ou = `ou=Later,${srv.baseDn}`;
    const dir = app.directories.save(
      undefined,
      slapdDirectory(srv, 'Later', {
        toggles: { ...allOff, users: { ...allOff.users, create: true, passwordSync: true } },
        people: ou,
      }),
      { bindPassword: srv.adminPassword },
    );
    const u = app.users.create(person('keeper'), 'Kept-Pass-42!');
    await app.sync.drain();
    const failed = app.sync.outbox({ directoryId: dir.id }).items[0]!;
    expect(failed.state).toBe('failed'); // ou=Later does not exist yet
    const raw = app.db.get<{ payload: string }>('SELECT payload FROM outbox WHERE id = ?', failed.id)!.payload;
    expect(raw).toContain('passwordSealed');
    expect(raw).not.toContain('Kept-Pass-42!');

    const admin = await ldapClient(srv.url, srv.adminDn, srv.adminPassword);
    try {
      await admin.add(ou, { objectClass: ['organizationalUnit'], ou: 'Later' });
    } finally {
      await admin.unbind();
    }
    app.sync.retryFailed({ directoryId: dir.id });
    await app.sync.drain();
    expect(app.repos.links.get(dir.id, 'user', u.id)?.state).toBe('provisioned');
    expect(await canBind(srv.ldapsUrl, `uid=keeper,${ou}`, 'Kept-Pass-42!', srv.caCertPem)).toBe('ok');
    // Done: now the sealed copy is gone.
    expect(
      app.db.get<{ payload: string }>('SELECT payload FROM outbox WHERE id = ?', failed.id)!.payload,
    ).not.toContain('passwordSealed');
  });

  it('a password item whose secret is gone is never reported as done: it says to set the password again', async () => {
    const app = t.app;
    const dir = app.directories.list().find((d) => d.config.name === 'Later')!;
    const u = app.users.list().find((x) => x.userName === 'keeper')!;
    app.users.setPassword(u.id, 'Another-Pass-43!', false);
    // As a store written before passwords were kept would hold it: the sealed copy scrubbed away.
    app.db.run(
      "UPDATE outbox SET payload = json_remove(payload, '$.passwordSealed') WHERE op = 'user.password' AND state = 'pending'",
    );
    await app.sync.drain();
    const item = app.sync.outbox({ directoryId: dir.id }).items.find((i) => i.op === 'user.password')!;
    expect(item.state).toBe('failed');
    const entry = app.db.get<{ status: string; message: string }>(
      "SELECT status, message FROM report_entries WHERE action = 'password' ORDER BY id DESC LIMIT 1",
    )!;
    expect(entry.status).toBe('failure');
    expect(entry.message).toMatch(/set the password again/);

    // The admin gives up on it: the item and whatever it held are gone, with a report line.
    expect(app.sync.discardFailed([item.id])).toEqual({ discarded: 1 });
    expect(app.repos.outbox.get(item.id)).toBeUndefined();
    expect(
      app.db.get<{ status: string }>(
        "SELECT status FROM report_entries WHERE message LIKE 'Discarded%' ORDER BY id DESC",
      )?.status,
    ).toBe('skipped');
  });
});

describe('nothing shown as done before it is done', () => {
  let srv: SlapdServer;
  let t: TestApp;
  beforeAll(async () => {
    srv = await startSlapd({ ppolicy: false });
    t = testApp();
  });
  afterAll(async () => {
    await t?.dispose();
    await srv?.stop();
  });

  it('a user whose disable the directory refuses stays listed as being removed, with the reason', async () => {
    const app = t.app;
    const dir = app.directories.save(undefined, slapdDirectory(srv, 'No policy', { toggles: allOn }), {
      bindPassword: srv.adminPassword,
    });
    const u = app.users.create(person('leaver'), 'Leaver-Pass-1!');
    await app.sync.drain();
    expect(app.repos.links.get(dir.id, 'user', u.id)?.state).toBe('provisioned');
    expect(app.users.delete(u.id)).toEqual({ removing: true });
    let row = app.users.list().find((x) => x.id === u.id);
    expect(row?.removing).toBe(true);
    await app.sync.drain();
    // Without ppolicy slapd cannot hold a disabled account: the user stays, marked, with the reason.
    row = app.users.list().find((x) => x.id === u.id);
    expect(row?.removing).toBe(true);
    const state = app.users.get(u.id).provisioning.find((p) => p.directoryId === dir.id);
    expect(state?.state).toBe('failed');
    expect(state?.reason).toBeTruthy();
    expect(() => app.users.update(u.id, { ...person('leaver'), title: 'x' })).toThrow(/being removed/);

    // With delete as the deprovisioning mode, the retry removes the entry and the app forgets the user.
    app.directories.save(
      dir.id,
      slapdDirectory(srv, 'No policy', { toggles: allOn, safety: { deprovision: 'delete' } }),
      {},
    );
    await new Promise((r) => setTimeout(r, 600)); // the worker re-reads a directory's settings every 500 ms
    app.sync.retryFailed({ directoryId: dir.id });
    await app.sync.drain();
    expect(app.users.list().some((x) => x.id === u.id)).toBe(false);
    const admin = await ldapClient(srv.url, srv.adminDn, srv.adminPassword);
    try {
      expect((await admin.search(srv.peopleDn, { filter: '(uid=leaver)' })).searchEntries).toEqual([]);
    } finally {
      await admin.unbind();
    }
  });
});
