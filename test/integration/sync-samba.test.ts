// The sync engine against the real Samba AD DC of the test run, through the
// real LDAP connector. Everything lives under OU=pd-sync-<tag>, removed at the
// end: 2,000 users seeded by concurrent LDAP adds, three groups.
import { Attribute, Change, Client, Control } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sambaInfo } from '../services/inject.ts';
import type { RunSummary } from '../../src-preload/contract/sync.ts';
import { allOff, allOn, canBind, cli, ldapClient, sambaDirectory, tag, testApp, type TestApp } from './sync-support.ts';

const info = sambaInfo();
const TAG = tag();
const ROOT = `OU=pd-sync-${TAG},${info.baseDn}`;
const PEOPLE = `OU=People,${ROOT}`;
const GROUPS = `OU=Groups,${ROOT}`;
const TREE_DELETE = '1.2.840.113556.1.4.805';
const N = 2000;
const UAC_ENABLED_NO_PASSWORD = '544'; // NORMAL_ACCOUNT | PASSWD_NOTREQD

let admin: Client;
let t: TestApp;
let dirId = '';

const login = (i: number) => `sy${TAG}${String(i).padStart(4, '0')}`;
const dn = (i: number) => `CN=Sync User ${i},${PEOPLE}`;
const userEntry = (i: number, over: Record<string, string[]> = {}) => ({
  dn: dn(i),
  attrs: {
    objectClass: ['top', 'person', 'organizationalPerson', 'user'],
    cn: [`Sync User ${i}`],
    sn: [`User${i}`],
    givenName: ['Sync'],
    displayName: [`Sync User ${i}`],
    sAMAccountName: [login(i)],
    userPrincipalName: [`${login(i)}@${info.dnsDomain}`],
    mail: [`${login(i)}@${info.dnsDomain}`],
    title: ['Engineer'],
    department: [i % 2 ? 'Sales' : 'Research'],
    userAccountControl: [UAC_ENABLED_NO_PASSWORD],
    ...over,
  },
});
const GROUP_SIZES: Array<[string, number, number]> = [
  // name, first member index, member count
  [`sync-big-${TAG}`, 0, 1600],
  [`sync-small-${TAG}`, 1600, 50],
  [`sync-empty-${TAG}`, 0, 0],
];

async function adminClient(): Promise<Client> {
  return ldapClient(info.ldapsUrl, info.adminUpn, info.adminPassword, info.caCertPem);
}

/** Concurrent LDAP writes over a few connections. */
async function lanes<T>(items: T[], fn: (c: Client, item: T) => Promise<void>, nLanes = 4, depth = 6): Promise<void> {
  let next = 0;
  const clients = await Promise.all(Array.from({ length: nLanes }, () => adminClient()));
  try {
    await Promise.all(
      clients.flatMap((c) =>
        Array.from({ length: depth }, async () => {
          for (;;) {
            const i = next++;
            if (i >= items.length) return;
            await fn(c, items[i]!);
          }
        }),
      ),
    );
  } finally {
    await Promise.all(clients.map((c) => c.unbind().catch(() => {})));
  }
}

const replace = (type: string, values: string[]) =>
  new Change({ operation: 'replace', modification: new Attribute({ type, values }) });

beforeAll(async () => {
  admin = await adminClient();
  for (const ou of [
    ROOT,
    PEOPLE,
    GROUPS,
    `OU=Prov,${ROOT}`,
    `OU=People,OU=Prov,${ROOT}`,
    `OU=Groups,OU=Prov,${ROOT}`,
    `OU=Off,${ROOT}`,
    `OU=People,OU=Off,${ROOT}`,
    `OU=Groups,OU=Off,${ROOT}`,
  ])
    await admin.add(ou, { objectClass: ['top', 'organizationalUnit'] });
  await lanes(
    Array.from({ length: N }, (_, i) => i),
    (c, i) => {
      const e = userEntry(i);
      return c.add(e.dn, e.attrs);
    },
  );
  for (const [name, first, count] of GROUP_SIZES) {
    const gdn = `CN=${name},${GROUPS}`;
    await admin.add(gdn, {
      objectClass: ['top', 'group'],
      cn: [name],
      sAMAccountName: [name.slice(0, 20)],
      description: [`Sync test group ${name}`],
    });
    const members = Array.from({ length: count }, (_, k) => dn(first + k));
    for (let k = 0; k < members.length; k += 500)
      await admin.modify(
        gdn,
        new Change({
          operation: 'add',
          modification: new Attribute({ type: 'member', values: members.slice(k, k + 500) }),
        }),
      );
  }
  t = testApp();
  dirId = t.app.directories.save(undefined, sambaDirectory(info, 'Samba', ROOT), {
    bindPassword: info.adminPassword,
  }).id;
}, 300_000);

afterAll(async () => {
  await t?.dispose();
  if (admin) {
    await admin.del(ROOT, new Control(TREE_DELETE)).catch(() => {});
    await admin.unbind().catch(() => {});
  }
}, 300_000);

// Full reads: these tests count every object (delta previews: sync-delta-samba.test.ts).
const preview = () => t.app.sync.previewImport(dirId, { mode: 'full' });

describe('import from Samba AD', () => {
  let first: RunSummary;

  it('previews 2,000 users and their groups with the right counts, writing nothing', async () => {
    const progress: number[] = [];
    const unsub = t.app.events.subscribe((name, p) => {
      if (name === 'app.progress' && (p as { phase: string }).phase === 'reading users')
        progress.push((p as { done: number }).done);
    });
    first = await preview();
    unsub();
    expect(first.read.users).toBe(N);
    expect(first.users).toEqual({ create: N, update: 0, unchanged: 0, missing: 0, conflict: 0 });
    expect(first.groups).toEqual({ create: 3, update: 0, unchanged: 0, missing: 0, conflict: 0 });
    expect(first.memberships).toEqual({ add: 1650, remove: 0 });
    expect(progress.length).toBeGreaterThan(1); // one event per page, counts rising
    expect(progress.at(-1)).toBe(N);
    expect(t.app.repos.users.count()).toBe(0);
    const row = t.app.sync.rows(first.runId, { objectType: 'user', text: login(7) }).rows[0]!;
    expect(row.action).toBe('create');
    expect(row.changes).toMatchObject({
      userName: [null, login(7)],
      displayName: [null, 'Sync User 7'],
      title: [null, 'Engineer'],
      department: [null, 'Sales'],
    });
  });

  it('commits, and an immediate second preview shows everything unchanged', async () => {
    const c = t.app.sync.commitImport({ runId: first.runId });
    expect(c.committed.users.create).toBe(N);
    expect(c.committed.groups.create).toBe(3);
    expect(c.committed.memberships.add).toBe(1650);
    expect(t.app.repos.users.count()).toBe(N);
    expect(t.app.repos.groups.byName(`sync-big-${TAG}`)!.members.length).toBe(1600);
    const entries = t.app.db.get<{ n: number }>(
      'SELECT count(*) AS n FROM report_entries WHERE run_id = ?',
      first.runId,
    )!.n;
    expect(entries).toBe(N + 3 + 1650);
    const second = await preview();
    expect(second.users).toEqual({ create: 0, update: 0, unchanged: N, missing: 0, conflict: 0 });
    expect(second.groups).toEqual({ create: 0, update: 0, unchanged: 3, missing: 0, conflict: 0 });
    expect(second.memberships).toEqual({ add: 0, remove: 0 });
  });

  it('change 10, add 5, delete 5: exactly those 20 rows with their diffs; a partial selection commits only what was selected', async () => {
    const changed = Array.from({ length: 10 }, (_, k) => 1700 + k); // members of no group
    await lanes(changed, (c, i) =>
      c.modify(
        dn(i),
        i % 2
          ? [replace('title', ['Principal Engineer'])]
          : [replace('department', ['Legal']), replace('displayName', [`Renamed ${i}`])],
      ),
    );
    await lanes([0, 1, 2, 3, 4], (c, k) => {
      const e = userEntry(N + k);
      return c.add(e.dn, e.attrs);
    });
    const deleted = [1990, 1991, 1992, 1993, 1994];
    await lanes(deleted, (c, i) => c.del(dn(i)));

    const p = await preview();
    expect(p.users).toEqual({ create: 5, update: 10, unchanged: N - 15, missing: 5, conflict: 0 });
    expect(p.groups.unchanged).toBe(3);
    expect(p.memberships).toEqual({ add: 0, remove: 0 });
    const rows = t.app.sync.rows(p.runId, { actions: ['create', 'update', 'missing', 'conflict'], limit: 100 }).rows;
    expect(rows.length).toBe(20);
    const byLogin = (i: number) => rows.find((r) => r.display.includes(login(i)))!;
    for (const i of changed) {
      const r = byLogin(i);
      expect(r.action).toBe('update');
      if (i % 2) expect(r.changes).toEqual({ title: ['Engineer', 'Principal Engineer'] });
      else
        expect(r.changes).toEqual({
          displayName: [`Sync User ${i}`, `Renamed ${i}`],
          department: ['Research', 'Legal'],
        });
    }
    for (const k of [0, 1, 2, 3, 4]) expect(byLogin(N + k).action).toBe('create');
    for (const i of deleted)
      expect(byLogin(i)).toMatchObject({ action: 'missing', changes: { active: [true, false] } });

    // Select: 2 of the updates and 1 of the creates.
    const selected = [byLogin(1701), byLogin(1702), byLogin(N)];
    const c = t.app.sync.commitImport({ runId: p.runId, seqs: selected.map((r) => r.seq) });
    expect(c.committed.users).toMatchObject({ create: 1, update: 2, disable: 0, delete: 0 });
    const local = (i: number) => t.app.repos.users.byUserName(login(i));
    expect(local(1701)!.title).toBe('Principal Engineer');
    expect(local(1702)!.displayName).toBe('Renamed 1702');
    expect(local(1703)!.title).toBe('Engineer'); // not selected
    expect(local(1704)!.displayName).toBe('Sync User 1704');
    expect(local(N)).toBeTruthy();
    expect(local(N + 1)).toBeUndefined();
    for (const i of deleted) expect(local(i)!.active).toBe(true);
    const reported = t.app.db.all<{ user_identifier: string }>(
      'SELECT user_identifier FROM report_entries WHERE run_id = ?',
      p.runId,
    );
    expect(reported.map((r) => r.user_identifier).sort()).toEqual([login(1701), login(1702), login(N)].sort());

    // The rest, on a fresh preview: 7 updates, 4 creates, 5 disables.
    const rest = await preview();
    expect(rest.users).toMatchObject({ create: 4, update: 8, missing: 5 });
    t.app.sync.commitImport({ runId: rest.runId });
    for (const i of deleted) expect(local(i)!.active).toBe(false);
    expect((await preview()).users).toMatchObject({ create: 0, update: 0, missing: 0, unchanged: N - 5 + 5 });
  });

  it('deleting 600 users stops the import at the threshold until it is allowed (command line, exit codes)', async () => {
    const victims = Array.from({ length: 600 }, (_, k) => 1000 + k);
    await lanes(victims, (c, i) => c.del(dn(i)));
    await t.app.close();
    const dataDir = t.dataDir;
    const p = await cli(['import', 'Samba', '--preview', '--json', '--data-dir', dataDir]);
    expect(p.code).toBe(4); // plan shows the threshold
    const plan = JSON.parse(p.stdout);
    expect(plan.mode).toBe('delta'); // only the changes since the last commit: the 600 deletions
    expect(plan.users.missing).toBe(600);
    expect(plan.memberships.remove).toBe(600);
    expect(plan.threshold).toMatchObject({ exceeded: true, deletions: 600, limitCount: 500 });
    expect(Object.keys(plan)).toEqual(expect.arrayContaining(['runId', 'users', 'groups', 'memberships']));
    expect(Object.keys(plan.users).sort()).toEqual(['conflict', 'create', 'missing', 'unchanged', 'update']);

    const stopped = await cli(['import', 'Samba', '--commit', '--json', '--data-dir', dataDir]);
    expect(stopped.code).toBe(4);
    expect(JSON.parse(stopped.stdout).stopped).toBe('threshold');
    let app = t.reopen();
    expect(app.db.get<{ n: number }>('SELECT count(*) AS n FROM users WHERE active = 0')!.n).toBe(5);
    await app.close();

    const allowed = await cli(['import', 'Samba', '--commit', '--allow-deletes', '--json', '--data-dir', dataDir]);
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    const done = JSON.parse(allowed.stdout);
    expect(done.committed.users.disable).toBe(600);
    app = t.reopen();
    expect(app.db.get<{ n: number }>('SELECT count(*) AS n FROM users WHERE active = 0')!.n).toBe(605);
    expect(app.repos.groups.byName(`sync-big-${TAG}`)!.members.length).toBe(1000);
  });
});

describe('provisioning into Samba AD', () => {
  it('create, edit, password, membership and delete reach Samba where the toggles are on, and nothing where off', async () => {
    const app = t.app;
    const on = app.directories.save(
      undefined,
      sambaDirectory(info, 'Samba prov', `OU=Prov,${ROOT}`, {
        toggles: { ...allOn, users: { ...allOn.users, import: false }, groups: { ...allOn.groups, import: false } },
      }),
      {
        bindPassword: info.adminPassword,
      },
    );
    app.directories.save(undefined, sambaDirectory(info, 'Samba off', `OU=Off,${ROOT}`, { toggles: allOff }), {
      bindPassword: info.adminPassword,
    });
    const name = `pv${TAG}`;
    const pw1 = `Xy9!${tag()}${tag()}`;
    const u = app.users.create(
      {
        userName: name,
        name: { givenName: 'Prov', familyName: 'Isioned' },
        displayName: `Prov ${TAG}`,
        emails: [{ value: `${name}@${info.dnsDomain}`, primary: true }],
        phoneNumbers: [],
        title: 'Tester',
        active: true,
      },
      pw1,
    );
    await app.sync.drain();
    const find = async (base: string) =>
      (
        await admin.search(base, {
          filter: `(sAMAccountName=${name})`,
          attributes: ['title', 'userAccountControl', 'memberOf', 'distinguishedName'],
        })
      ).searchEntries;
    let e = await find(`OU=Prov,${ROOT}`);
    expect(e.length).toBe(1);
    expect(e[0]!.title).toBe('Tester');
    expect(Number(e[0]!.userAccountControl) & 2).toBe(0); // enabled
    expect(app.repos.links.get(on.id, 'user', u.id)?.state).toBe('provisioned');
    expect(await canBind(info.ldapsUrl, `${name}@${info.dnsDomain}`, pw1, info.caCertPem)).toBe('ok');

    app.users.update(u.id, { ...u, title: 'Lead Tester' });
    await app.sync.drain();
    e = await find(`OU=Prov,${ROOT}`);
    expect(e[0]!.title).toBe('Lead Tester');

    const pw2 = `Zq7#${tag()}${tag()}`;
    app.users.setPassword(u.id, pw2, false);
    await app.sync.drain();
    expect(await canBind(info.ldapsUrl, `${name}@${info.dnsDomain}`, pw2, info.caCertPem)).toBe('ok');

    const g = app.groups.create({ displayName: `prov-${TAG}` });
    app.groups.addMembers(g.id, [u.id]);
    await app.sync.drain();
    e = await find(`OU=Prov,${ROOT}`);
    expect(([] as unknown[]).concat(e[0]!.memberOf).map(String).join('|')).toContain(`CN=prov-${TAG}`);

    app.users.delete(u.id);
    await app.sync.drain();
    e = await find(`OU=Prov,${ROOT}`);
    expect(e.length).toBe(1); // deprovision defaults to disable
    expect(Number(e[0]!.userAccountControl) & 2).toBe(2);

    expect(await find(`OU=Off,${ROOT}`)).toEqual([]);
    const off = await admin.search(`OU=Off,${ROOT}`, { filter: '(|(objectClass=user)(objectClass=group))' });
    expect(off.searchEntries).toEqual([]);
    const outcomes = app.db.all<{ action: string; status: string; application: string }>(
      "SELECT action, status, application FROM report_entries WHERE application IN ('Samba prov', 'Samba off') ORDER BY id",
    );
    expect(outcomes.every((o) => o.application === 'Samba prov' && o.status === 'success')).toBe(true);
    // The member added before the group's create ran went in with the create (no separate add).
    expect(outcomes.map((o) => o.action).sort()).toEqual(['create', 'create', 'disable', 'password', 'update']);
    expect(app.repos.outbox.counts()).toMatchObject({ pending: 0, running: 0, failed: 0 });
  });

  it('provision on demand pushes one user now, with its step trace', async () => {
    const app = t.app;
    const on = app.directories.list().find((d) => d.config.name === 'Samba prov')!;
    const name = `od${TAG}`;
    const user = app.repos.users.insert({
      userName: name,
      name: { familyName: 'Demand' },
      displayName: `On Demand ${TAG}`,
      emails: [],
      phoneNumbers: [],
      active: false,
    });
    const r = await app.sync.provisionOnDemand(user.id, on.id);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(r.action).toBe('create');
    expect(r.steps.map((s) => s.step)).toEqual(['scope', 'match', 'action', 'result']);
    const again = await app.sync.provisionOnDemand(user.id, on.id);
    expect(again.action).toBe('none');
    expect((await admin.search(`OU=Prov,${ROOT}`, { filter: `(sAMAccountName=${name})` })).searchEntries.length).toBe(
      1,
    );
  });
});
