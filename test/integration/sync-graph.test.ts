// The sync engine against Microsoft Entra ID through the real Graph connector
// and the Graph emulator (HTTPS, tokens, $batch, faults): import with
// preview (users, groups, nested groups, memberships), tenant-side changes
// seen as exactly those rows, provisioning of every local change where the
// toggles are on (and nothing where they are off), and bulk creates through
// $batch under injected 429s / 503s / lost answers with nothing lost or doubled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../graph-emulator/index.ts';
import type { RunSummary } from '../../src-preload/contract/sync.ts';
import type { DirectoryConfig, Toggles } from '../../src-preload/directory.ts';
import { ALL_ROLES, entraConfig } from './graph-support.ts';
import { allOff, allOn, importOnly, testApp, type TestApp } from './sync-support.ts';

const SECRET = 's3cret';

async function tenant(): Promise<GraphEmulator> {
  const emu = await startGraphEmulator();
  emu.addApp({ clientId: 'app', secret: SECRET, roles: ALL_ROLES, directoryRoles: ['User Administrator'] });
  return emu;
}

function entra(
  emu: GraphEmulator,
  name: string,
  toggles: Toggles,
  deprovision: 'disable' | 'delete' = 'disable',
): DirectoryConfig {
  const c = entraConfig(emu, { toggles });
  return { ...c, name, safety: { ...c.safety, deprovision } };
}

/** Raw Graph call as another admin would make it (not through the product's connector). */
async function graph(emu: GraphEmulator, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await emu.fetch(`${emu.baseUrl}/v1.0${path}`, {
    method,
    headers: { authorization: `Bearer ${emu.issueToken('app')}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Graph writes the app's client sent (top-level requests and $batch sub-requests, envelopes excluded). */
const graphWrites = (emu: GraphEmulator) =>
  emu.log.filter((e) => e.kind === 'graph' && e.method !== 'GET' && !e.path.endsWith('/$batch'));

describe('import from an emulated Entra ID tenant', () => {
  const N = 250;
  let emu: GraphEmulator;
  let t: TestApp;
  let dirId = '';
  let first: RunSummary;
  const upn = (i: number) => `user${String(i).padStart(3, '0')}@contoso.test`;
  const ids: string[] = [];

  beforeAll(async () => {
    emu = await tenant();
    const seeded = emu.seedUsers(
      Array.from({ length: N }, (_, i) => ({
        userPrincipalName: upn(i),
        mailNickname: `user${i}`,
        displayName: `User ${i}`,
        givenName: 'Graph',
        surname: `User${i}`,
        mail: upn(i),
        jobTitle: 'Engineer',
        department: i % 2 ? 'Sales' : 'Research',
        accountEnabled: true,
      })),
    );
    ids.push(...seeded.map((u) => u.id));
    const [, eng] = emu.seedGroups([
      { displayName: 'staff', mailNickname: 'staff', members: ids.slice(0, 200) },
      { displayName: 'eng', mailNickname: 'eng', members: ids.slice(0, 40) },
      { displayName: 'empty', mailNickname: 'empty', members: [] },
    ]);
    // A nested group: 'leads' holds the group 'eng' and five users.
    emu.seedGroups([{ displayName: 'leads', mailNickname: 'leads', members: [eng!.id, ...ids.slice(200, 205)] }]);
    t = testApp();
    dirId = t.app.directories.save(undefined, entra(emu, 'Entra import', importOnly), { clientSecret: SECRET }).id;
  }, 60_000);

  afterAll(async () => {
    await t?.dispose();
    await emu?.stop();
  });

  it('previews users, groups, nested groups and memberships with the right counts, writing nothing', async () => {
    first = await t.app.sync.previewImport(dirId);
    expect(first.read).toEqual({ users: N, groups: 4 });
    expect(first.users).toEqual({ create: N, update: 0, unchanged: 0, missing: 0, conflict: 0 });
    expect(first.groups).toEqual({ create: 4, update: 0, unchanged: 0, missing: 0, conflict: 0 });
    expect(first.memberships).toEqual({ add: 200 + 40 + 6, remove: 0 });
    expect(t.app.repos.users.count()).toBe(0);
    const row = t.app.sync.rows(first.runId, { objectType: 'user', text: 'user007@' }).rows[0]!;
    expect(row.action).toBe('create');
    expect(row.changes).toMatchObject({
      userName: [null, upn(7)],
      displayName: [null, 'User 7'],
      title: [null, 'Engineer'],
      department: [null, 'Sales'],
    });
    // Nothing but reads reached the tenant.
    expect(graphWrites(emu)).toEqual([]);
  });

  it('commits (the nested group becomes a group member), and a second preview shows everything unchanged', async () => {
    const c = t.app.sync.commitImport({ runId: first.runId });
    expect(c.committed.users.create).toBe(N);
    expect(c.committed.groups.create).toBe(4);
    expect(c.committed.memberships.add).toBe(246);
    expect(t.app.repos.users.count()).toBe(N);
    const eng = t.app.repos.groups.byName('eng')!;
    const leads = t.app.repos.groups.byName('leads')!;
    expect(t.app.repos.groups.byName('staff')!.members.length).toBe(200);
    expect(eng.members.length).toBe(40);
    expect(leads.members.filter((m) => m.type === 'Group').map((m) => m.value)).toEqual([eng.id]);
    expect(leads.members.filter((m) => m.type === 'User').length).toBe(5);
    expect(t.app.repos.links.forDirectory(dirId, 'user').length).toBe(N);
    const second = await t.app.sync.previewImport(dirId, { mode: 'full' }); // full: every object counted
    expect(second.users).toEqual({ create: 0, update: 0, unchanged: N, missing: 0, conflict: 0 });
    expect(second.groups).toEqual({ create: 0, update: 0, unchanged: 4, missing: 0, conflict: 0 });
    expect(second.memberships).toEqual({ add: 0, remove: 0 });
    expect(t.app.sync.rows(second.runId).total).toBe(0);
  });

  it('changes, additions and deletions in the tenant come back as exactly those rows', async () => {
    for (const i of [0, 1, 2, 3, 4]) await graph(emu, 'PATCH', `/users/${ids[i]}`, { jobTitle: 'Architect' });
    emu.seedUsers(
      [250, 251, 252].map((i) => ({
        userPrincipalName: upn(i),
        mailNickname: `user${i}`,
        displayName: `User ${i}`,
        accountEnabled: true,
      })),
    );
    for (const i of [245, 246]) await graph(emu, 'DELETE', `/users/${ids[i]}`);
    const empty = emu.groups().find((g) => g.displayName === 'empty')!;
    await graph(emu, 'POST', `/groups/${empty.id}/members/$ref`, {
      '@odata.id': `${emu.baseUrl}/v1.0/directoryObjects/${ids[10]}`,
    });

    const p = await t.app.sync.previewImport(dirId, { mode: 'full' }); // full: every object counted
    expect(p.users).toEqual({ create: 3, update: 5, unchanged: N - 7, missing: 2, conflict: 0 });
    expect(p.groups).toEqual({ create: 0, update: 0, unchanged: 4, missing: 0, conflict: 0 });
    expect(p.memberships).toEqual({ add: 1, remove: 0 });
    const rows = t.app.sync.rows(p.runId, { limit: 100 }).rows;
    const byAction = (a: string) =>
      rows
        .filter((r) => r.action === a && r.objectType === 'user')
        .map((r) => r.display)
        .sort();
    expect(byAction('update')).toEqual([0, 1, 2, 3, 4].map((i) => expect.stringContaining(upn(i))));
    expect(byAction('create')).toEqual([250, 251, 252].map((i) => expect.stringContaining(upn(i))));
    expect(byAction('missing')).toEqual([245, 246].map((i) => expect.stringContaining(upn(i))));
    for (const r of rows.filter((x) => x.action === 'update'))
      expect(r.changes).toEqual({ title: ['Engineer', 'Architect'] });
    expect(rows.filter((r) => r.objectType === 'membership').length).toBe(1);
    expect(rows.length).toBe(11);

    const c = t.app.sync.commitImport({ runId: p.runId });
    expect(c.committed.users).toMatchObject({ create: 3, update: 5, disable: 2 });
    expect(t.app.repos.users.byUserName(upn(245))?.active).toBe(false);
    expect(t.app.repos.users.byUserName(upn(0))?.title).toBe('Architect');
    expect(t.app.repos.groups.byName('empty')!.members.map((m) => m.value)).toEqual([
      t.app.repos.users.byUserName(upn(10))!.id,
    ]);
    const again = await t.app.sync.previewImport(dirId);
    expect(again.users).toMatchObject({ create: 0, update: 0, missing: 0, conflict: 0 });
    expect(again.memberships).toEqual({ add: 0, remove: 0 });
    // An import-only directory: the only writes the tenant saw are the 8 made above by hand.
    expect(graphWrites(emu)).toHaveLength(8);
  });
});

describe('provisioning into Entra ID', () => {
  let disableT: GraphEmulator;
  let deleteT: GraphEmulator;
  let offT: GraphEmulator;
  let t: TestApp;
  let off: TestApp;
  beforeAll(async () => {
    [disableT, deleteT, offT] = await Promise.all([tenant(), tenant(), tenant()]);
    t = testApp();
    off = testApp();
  }, 60_000);
  afterAll(async () => {
    await t?.dispose();
    await off?.dispose();
    await Promise.all([disableT?.stop(), deleteT?.stop(), offT?.stop()]);
  });

  it('create, edit, password, membership and delete reach the tenants whose toggles are on, per their deprovision setting, and nothing else', async () => {
    const app = t.app;
    const dDisable = app.directories.save(undefined, entra(disableT, 'Entra disable', allOn, 'disable'), {
      clientSecret: SECRET,
    });
    const dDelete = app.directories.save(undefined, entra(deleteT, 'Entra delete', allOn, 'delete'), {
      clientSecret: SECRET,
    });
    const dOff = app.directories.save(undefined, entra(offT, 'Entra off', allOff), { clientSecret: SECRET });
    // A second app whose only directory (the same tenant as "Entra off") has every toggle off.
    off.app.directories.save(undefined, entra(offT, 'Entra off elsewhere', allOff), { clientSecret: SECRET });
    const UPN = 'trinity@contoso.test';
    const remote = (emu: GraphEmulator) => emu.users().find((u) => u.userPrincipalName === UPN);

    const input = {
      userName: 'trinity',
      name: { givenName: 'Trinity', familyName: 'Moss' },
      displayName: 'Trinity Moss',
      emails: [{ value: UPN, primary: true }],
      phoneNumbers: [],
      title: 'Operator',
      active: true,
    };
    const u = app.users.create(input);
    off.app.users.create(input);
    await Promise.all([app.sync.drain(), off.app.sync.drain()]);
    for (const [emu, d] of [
      [disableT, dDisable],
      [deleteT, dDelete],
    ] as const) {
      const r = remote(emu);
      expect(r).toMatchObject({
        displayName: 'Trinity Moss',
        givenName: 'Trinity',
        surname: 'Moss',
        jobTitle: 'Operator',
        accountEnabled: true,
      });
      expect(app.repos.links.get(d.id, 'user', u.id)).toMatchObject({ state: 'provisioned', ref: r!.id });
    }

    app.users.update(u.id, { ...input, title: 'Captain', department: 'Nebuchadnezzar' });
    await app.sync.drain();
    for (const emu of [disableT, deleteT]) {
      expect(remote(emu)).toMatchObject({ jobTitle: 'Captain', department: 'Nebuchadnezzar' });
      // The emulator recorded one PATCH of the user carrying the change.
      expect(
        emu.log.filter((e) => e.method === 'PATCH' && e.path === `/v1.0/users/${remote(emu)!.id}` && e.status === 204),
      ).toHaveLength(1);
    }

    app.users.setPassword(u.id, 'Wh1te-Rabbit!', true);
    await app.sync.drain();
    for (const emu of [disableT, deleteT])
      expect(
        emu.passwordChanges
          .filter((p) => p.userId === remote(emu)!.id)
          .map((p) => [p.source, p.forceChangePasswordNextSignIn]),
      ).toEqual([
        ['create', true],
        ['update', true],
      ]);
    expect(
      app.db.get<{ n: number }>(
        "SELECT count(*) AS n FROM outbox WHERE payload LIKE '%Wh1te-Rabbit%' OR payload LIKE '%passwordSealed%'",
      )!.n,
    ).toBe(0);

    const g = app.groups.create({ displayName: 'crew' });
    app.groups.addMembers(g.id, [u.id]);
    await app.sync.drain();
    for (const emu of [disableT, deleteT]) {
      const crew = emu.groups().find((x) => x.displayName === 'crew');
      expect(crew).toBeDefined();
      expect(emu.members(crew!.id)).toEqual([remote(emu)!.id]);
    }

    app.users.delete(u.id);
    await app.sync.drain();
    // "disable": the account stays, disabled, and keeps its place in the tenant.
    expect(remote(disableT)).toMatchObject({ accountEnabled: false });
    expect(disableT.deletedUsers()).toEqual([]);
    // "delete": the account went to the tenant's deleted items.
    expect(remote(deleteT)).toBeUndefined();
    expect(deleteT.deletedUsers().map((x) => x.userPrincipalName)).toEqual([expect.stringContaining('trinity')]);

    const entries = app.db.all<{ action: string; status: string; application: string; object_type: string }>(
      'SELECT action, status, application, object_type FROM report_entries ORDER BY id',
    );
    const actions = (name: string) =>
      entries.filter((x) => x.application === name && x.object_type === 'user').map((x) => x.action);
    expect(actions('Entra disable')).toEqual(['create', 'update', 'password', 'disable']);
    expect(actions('Entra delete')).toEqual(['create', 'update', 'password', 'delete']);
    expect(
      entries
        .filter((x) => x.application.startsWith('Entra ') && x.application !== 'Entra off')
        .every((x) => x.status === 'success'),
    ).toBe(true);
    // Nothing at all where the toggles are off: no report, no outbox work, not one request to that tenant.
    expect(entries.some((x) => x.application === 'Entra off')).toBe(false);
    expect(app.repos.outbox.counts(dOff.id)).toEqual({ pending: 0, running: 0, done: 0, failed: 0 });
    expect(off.app.repos.outbox.counts()).toEqual({ pending: 0, running: 0, done: 0, failed: 0 });
    expect(offT.log).toEqual([]);
    expect(offT.users()).toEqual([]);
  });
});

describe('bulk provisioning under throttling and faults', () => {
  const N = 300;
  let emu: GraphEmulator;
  let t: TestApp;
  beforeAll(async () => {
    emu = await tenant();
    t = testApp();
  }, 60_000);
  afterAll(async () => {
    await t?.dispose();
    await emu?.stop();
  });

  it('creates every user exactly once through $batch envelopes, with 429s, 503s and lost answers injected', async () => {
    const app = t.app;
    const createsOnly = { users: { ...allOff.users, create: true }, groups: allOff.groups };
    const dir = app.directories.save(undefined, entra(emu, 'Entra bulk', createsOnly), { clientSecret: SECRET });
    const name = (i: number) => `bulk${String(i).padStart(3, '0')}`;
    app.db.transaction(() => {
      for (let i = 0; i < N; i++)
        app.users.create({
          userName: name(i),
          name: { givenName: 'Bulk', familyName: `User${i}` },
          displayName: `Bulk ${i}`,
          emails: [],
          phoneNumbers: [],
          active: true,
        });
    });
    // Faults only on the user creates (and the envelopes carrying them): reads stay clean so the
    // numbers below are about writes.
    Object.assign(emu.faults, {
      rate429: 0.1,
      rate503: 0.05,
      dropAfterWriteRate: 0.25,
      retryAfterSeconds: 1,
      match: (r: { method: string; path: string }) => r.method === 'POST',
    });
    // One user already exists in the tenant (made by hand, other values): it is linked and brought in line.
    const [existing] = emu.seedUsers([
      {
        userPrincipalName: `${name(150)}@contoso.test`,
        mailNickname: name(150),
        displayName: 'Someone else',
        jobTitle: 'Old',
      },
    ]);
    // One create is refused for good: that user alone fails, with Graph's own message.
    emu.failNext({
      method: 'POST',
      path: '/users',
      status: 400,
      code: 'Request_BadRequest',
      message: 'Property mailNickname has an invalid value.',
    });
    const r = await app.sync.drain();
    emu.faults.rate429 = emu.faults.rate503 = emu.faults.dropAfterWriteRate = 0;
    expect(r).toEqual({ done: N - 1, failed: 1, pending: 0 });

    const creates = emu.log.filter((e) => e.method === 'POST' && e.path === '/v1.0/users');
    const refused = creates.find((e) => e.fault === 'forced')!.key!;
    const refusedName = refused.split('@')[0]!;
    const refusedLocal = app.repos.users.byUserName(refusedName)!;
    expect(app.repos.links.get(dir.id, 'user', refusedLocal.id)).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('Property mailNickname has an invalid value.'),
    });
    expect(
      app.db.get<{ message: string }>(
        "SELECT message FROM report_entries WHERE status = 'failure' AND user_identifier = ?",
        refusedName,
      )?.message,
    ).toContain('Property mailNickname has an invalid value.');
    expect(app.repos.outbox.counts(dir.id)).toEqual({ pending: 0, running: 0, done: N - 1, failed: 1 });

    const upns = Array.from({ length: N }, (_, i) => `${name(i)}@contoso.test`).filter((u) => u !== refused);
    const users = emu.users().filter((u) => u.userPrincipalName.startsWith('bulk'));
    // Every other user exists exactly once.
    expect(users.map((u) => u.userPrincipalName).sort()).toEqual(upns);
    // The one that existed kept its id, now carries our values, and was linked, not created.
    const linked = users.find((u) => u.id === existing!.id)!;
    expect(linked).toMatchObject({ displayName: 'Bulk 150', givenName: 'Bulk', surname: 'User150', jobTitle: null });
    expect(
      app.db.get<{ message: string }>(
        "SELECT message FROM report_entries WHERE user_identifier = ? AND action = 'create'",
        name(150),
      )?.message,
    ).toMatch(/existing object was linked/);
    // Each other one was created by exactly one successful POST (a resend after a lost answer met "already exists").
    for (const upn of upns)
      expect(creates.filter((e) => e.key === upn && e.status === 201)).toHaveLength(
        upn === linked.userPrincipalName ? 0 : 1,
      );
    // The faults did happen: throttled, unavailable and lost answers.
    expect(creates.some((e) => e.status === 429)).toBe(true);
    expect(emu.log.some((e) => e.fault === 'rate503')).toBe(true);
    expect(emu.log.some((e) => e.fault === 'dropAfterWrite')).toBe(true);
    expect(
      creates.some(
        (e) =>
          e.status === 400 &&
          e.fault === undefined &&
          creates.some((c) => c.key === e.key && c.status === 201 && c.time < e.time),
      ),
    ).toBe(true);
    // Every create went out inside a $batch envelope, many per envelope.
    expect(creates.every((e) => e.subRequest === true && e.batchId)).toBe(true);
    const perEnvelope = new Map<string, number>();
    for (const e of creates) perEnvelope.set(e.batchId!, (perEnvelope.get(e.batchId!) ?? 0) + 1);
    expect(Math.max(...perEnvelope.values())).toBe(20);
    expect(perEnvelope.size).toBeLessThan(creates.length / 4);

    // Per user: linked to its Graph id, one successful create report entry, the outbox done.
    const byUpn = new Map(users.map((u) => [u.userPrincipalName, u.id]));
    for (const upn of upns) {
      const local = app.repos.users.byUserName(upn.split('@')[0]!)!;
      expect(app.repos.links.get(dir.id, 'user', local.id)).toMatchObject({
        state: 'provisioned',
        ref: byUpn.get(upn),
      });
    }
    const reports = app.db.all<{ user_identifier: string; n: number }>(
      "SELECT user_identifier, count(*) AS n FROM report_entries WHERE application = 'Entra bulk' AND action = 'create' AND status = 'success' GROUP BY user_identifier",
    );
    expect(reports.map((x) => `${x.user_identifier}@contoso.test`).sort()).toEqual(upns);
    expect(reports.every((x) => x.n === 1)).toBe(true);
  });
});

describe('bulk creates match existing tenant users by the matching rules first', () => {
  let emu: GraphEmulator;
  let t: TestApp;
  beforeAll(async () => {
    emu = await tenant();
    t = testApp();
  }, 60_000);
  afterAll(async () => {
    await t?.dispose();
    await emu?.stop();
  });

  it('links a tenant user with the same e-mail but another UPN, fails a user with two candidates, creates the rest once', async () => {
    const app = t.app;
    const createsOnly = { users: { ...allOff.users, create: true }, groups: allOff.groups };
    const dir = app.directories.save(undefined, entra(emu, 'Entra match', createsOnly), { clientSecret: SECRET });
    const [jane, , , obrien] = emu.seedUsers([
      // Same e-mail as the local "jane", another UPN.
      {
        userPrincipalName: 'jane.doe@contoso.test',
        mailNickname: 'jane.doe',
        mail: 'jane@contoso.test',
        displayName: 'Jane (old)',
      },
      // Two candidates for the local "dup": never a guess.
      {
        userPrincipalName: 'dup.one@contoso.test',
        mailNickname: 'dup.one',
        mail: 'dup@contoso.test',
        displayName: 'Dup One',
      },
      {
        userPrincipalName: 'dup.two@contoso.test',
        mailNickname: 'dup.two',
        mail: 'dup@contoso.test',
        displayName: 'Dup Two',
      },
      // A quote and a plus in the e-mail (OData quote doubling, URL encoding).
      {
        userPrincipalName: 'ob@contoso.test',
        mailNickname: 'ob',
        mail: "o'brien+news@contoso.test",
        displayName: 'OB',
      },
    ]);
    const mk = (userName: string, email: string, displayName: string, password?: string) =>
      app.users.create(
        {
          userName,
          name: { givenName: displayName, familyName: 'Test' },
          displayName,
          emails: [{ value: email, primary: true }],
          phoneNumbers: [],
          active: true,
        },
        password,
      );
    const fresh = (i: number) => `fresh${String(i).padStart(2, '0')}`;
    const local = { jane: '', dup: '', obrien: '' };
    app.db.transaction(() => {
      local.jane = mk('jane', 'jane@contoso.test', 'Jane Doe', 'Welcome-2-Contoso!').id;
      local.dup = mk('dup', 'dup@contoso.test', 'Dup').id;
      local.obrien = mk('obrien', "o'brien+news@contoso.test", "Pat O'Brien").id;
      for (let i = 0; i < 37; i++) mk(fresh(i), `${fresh(i)}@contoso.test`, `Fresh ${i}`);
    });
    const logStart = emu.log.length;
    const r = await app.sync.drain();
    expect(r).toEqual({ done: 39, failed: 1, pending: 0 });
    const log = emu.log.slice(logStart).filter((e) => e.kind === 'graph');

    // Linked, not duplicated: same id, brought in line, its waiting password set; no create sent for it.
    const users = emu.users();
    expect(users).toHaveLength(4 + 37);
    expect(app.repos.links.get(dir.id, 'user', local.jane)).toMatchObject({ state: 'provisioned', ref: jane!.id });
    expect(app.repos.links.get(dir.id, 'user', local.obrien)).toMatchObject({ state: 'provisioned', ref: obrien!.id });
    expect(users.find((u) => u.id === jane!.id)).toMatchObject({ displayName: 'Jane Doe', mail: 'jane@contoso.test' });
    expect(users.find((u) => u.id === obrien!.id)).toMatchObject({ displayName: "Pat O'Brien" });
    expect(emu.passwordChanges.filter((p) => p.userId === jane!.id)).toMatchObject([{ source: 'update' }]);
    const creates = log.filter((e) => e.method === 'POST' && e.path === '/v1.0/users');
    expect(creates.map((e) => e.key).sort()).toEqual(Array.from({ length: 37 }, (_, i) => `${fresh(i)}@contoso.test`));
    for (const who of ['jane', 'obrien'])
      expect(
        app.db.get<{ message: string }>(
          "SELECT message FROM report_entries WHERE user_identifier = ? AND action = 'create'",
          who,
        )?.message,
      ).toMatch(/existing object was linked/);

    // Two candidates: that item alone fails, with a conflict message naming them; nothing created or linked.
    expect(app.repos.links.get(dir.id, 'user', local.dup)).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(
        /More than one object .* matches the user dup by e-mail .*dup\.one@contoso\.test.* and dup\.two@contoso\.test/,
      ),
    });
    expect(users.filter((u) => u.mail === 'dup@contoso.test')).toHaveLength(2);
    expect(app.repos.outbox.counts(dir.id)).toEqual({ pending: 0, running: 0, done: 39, failed: 1 });

    // Cost: one lookup GET per user, 20 per envelope, so 2 envelopes of lookups for 40 users.
    const lookups = log.filter((e) => e.subRequest && e.method === 'GET' && e.path === '/v1.0/users');
    expect(lookups).toHaveLength(40);
    const lookupEnvelopes = new Set(lookups.map((e) => e.batchId));
    expect(lookupEnvelopes.size).toBe(2);
    const envelopes = log.filter((e) => e.path === '/v1.0/$batch');
    const topLevel = log.filter((e) => !e.subRequest && e.path !== '/v1.0/$batch');
    console.info(
      `[match] 40 users: ${envelopes.length} $batch envelopes (${lookupEnvelopes.size} of lookups), ` +
        `${log.filter((e) => e.subRequest).length} sub-requests, ${topLevel.length} other requests (${topLevel.map((e) => `${e.method} ${e.path.replace(/[0-9a-f-]{36}/, '{id}')}`).join(', ')})`,
    );
    expect(envelopes.length).toBeLessThanOrEqual(5);
  });
});
