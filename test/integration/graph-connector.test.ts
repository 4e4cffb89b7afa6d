// Every Graph connector operation against the emulator: paging over several
// pages ($select of the mapped attributes only), reads, writes, groups and
// members, delta after changes, sendMail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../graph-emulator/index.ts';
import type { RemoteUser, RemoteUserData } from '../../src-main/connectors/connector.ts';
import { ConnectorError } from '../../src-main/connectors/connector.ts';
import type { GraphConnector } from '../../src-main/connectors/graph/index.ts';
import { ALL_ROLES, collect, connectTo } from './graph-support.ts';

const person = (userName: string, extra: Partial<RemoteUserData> = {}): RemoteUserData => ({
  userName,
  name: { givenName: 'Test', familyName: userName },
  displayName: `Test ${userName}`,
  emails: [],
  phoneNumbers: [],
  active: true,
  ...extra,
});

describe('graph connector: operations against the emulator', () => {
  let emu: GraphEmulator;
  let c: GraphConnector;
  const domain = (): string => emu.tenantDomain;

  beforeAll(async () => {
    emu = await startGraphEmulator();
    emu.addApp({ clientId: 'app', secret: 's3cret', roles: ALL_ROLES });
    emu.addApp({ clientId: 'nopw', secret: 'n0pw', roles: ['User.ReadWrite.All', 'Mail.Send'] });
    const seeded = emu.seedUsers(
      Array.from({ length: 250 }, (_, i) => ({
        userPrincipalName: `seed${String(i).padStart(3, '0')}@${emu.tenantDomain}`,
        givenName: 'Seed',
        surname: String(i),
        jobTitle: i % 2 ? 'Engineer' : 'Analyst',
        department: 'R&D',
        employeeId: `E${i}`,
        mobilePhone: `+1 555 ${i}`,
        businessPhones: [`+1 444 ${i}`],
        mail: `seed${i}@${emu.tenantDomain}`,
      })),
    );
    emu.seedUsers([{ userPrincipalName: `boss@${emu.tenantDomain}`, givenName: 'Big', surname: 'Boss' }]);
    emu.seedUsers([{ userPrincipalName: `noreply@${emu.tenantDomain}`, displayName: 'Provisioning mailbox' }]);
    emu.seedUsers([{ userPrincipalName: `worker@${emu.tenantDomain}`, managerId: `boss@${emu.tenantDomain}` }]);
    emu.seedGroups([
      { displayName: 'Everyone', mailNickname: 'everyone', members: seeded.map((u) => u.id) },
      { displayName: 'Small', mailNickname: 'small', description: 'A small group', members: [seeded[0]!.id] },
    ]);
    c = connectTo(emu, undefined, { connection: { pageSize: 100 } });
  });
  afterAll(async () => {
    await c?.close();
    await emu?.stop();
  });

  it('streams users page by page, selecting only mapped attributes', async () => {
    const before = emu.log.length;
    const { pages, items } = await collect(c.listUsers());
    expect(items).toHaveLength(253);
    expect(pages).toBe(3);
    const seed7 = items.find((u) => u.data.userName === `seed007@${domain()}`)!;
    expect(seed7.data).toMatchObject({
      displayName: 'Seed 7',
      name: { givenName: 'Seed', familyName: '7' },
      title: 'Engineer',
      department: 'R&D',
      employeeNumber: 'E7',
      active: true,
    });
    expect(seed7.data.phoneNumbers).toEqual(
      expect.arrayContaining([
        { value: '+1 555 7', type: 'mobile' },
        { value: '+1 444 7', type: 'work' },
      ]),
    );
    expect(seed7.data.emails[0]?.value).toBe(`seed7@${domain()}`);
    expect(seed7.anchor).toMatch(/^[0-9a-f-]{36}$/);
    const worker = items.find((u) => u.data.userName === `worker@${domain()}`)!;
    const boss = items.find((u) => u.data.userName === `boss@${domain()}`)!;
    expect(worker.data.managerRef).toBe(boss.ref);
    // the requests: three pages, the first with $select of mapped properties and $top
    const reqs = emu.log.slice(before).filter((e) => e.kind === 'graph' && e.path === '/v1.0/users');
    expect(reqs).toHaveLength(3);
    const q = new URLSearchParams(reqs[0]!.query);
    expect(q.get('$top')).toBe('100');
    expect(q.get('$select')!.split(',').sort()).toEqual(
      [
        'id',
        'userPrincipalName',
        'displayName',
        'givenName',
        'surname',
        'mail',
        'jobTitle',
        'department',
        'employeeId',
        'mobilePhone',
        'businessPhones',
        'accountEnabled',
      ].sort(),
    );
    expect(q.get('$expand')).toBe('manager($select=id)');
    expect(reqs[1]!.query).toMatch(/\$skiptoken=/);
  });

  it('streams groups with their complete membership', async () => {
    const { items } = await collect(c.listGroups());
    const everyone = items.find((g) => g.data.displayName === 'Everyone')!;
    expect(everyone.members).toHaveLength(250);
    expect(everyone.members.every((m) => m.type === 'User')).toBe(true);
    const small = items.find((g) => g.data.displayName === 'Small')!;
    expect(small.data.description).toBe('A small group');
    expect(small.members).toHaveLength(1);
  });

  it('follows member pages past 999', async () => {
    const many = emu.seedUsers(
      Array.from({ length: 1001 }, (_, i) => ({ userPrincipalName: `m${i}@${emu.tenantDomain}` })),
    );
    const [g] = emu.seedGroups([{ displayName: 'Big group', mailNickname: 'big', members: many.map((u) => u.id) }]);
    const found = await c.findGroup({ displayName: 'Big group' });
    expect(found?.ref).toBe(g!.id);
    expect(found?.members).toHaveLength(1001);
    expect(new Set(found?.members.map((m) => m.ref))).toEqual(new Set(many.map((u) => u.id)));
    await c.deleteGroup(g!.id);
  });

  it('gets and finds users by UPN, then by mail; unknown ones are undefined', async () => {
    const u = await c.findUser(person('seed003'));
    expect(u?.data.userName).toBe(`seed003@${domain()}`);
    const byMail = await c.findUser(person('nobody-here', { emails: [{ value: `seed4@${domain()}`, primary: true }] }));
    expect(byMail?.data.userName).toBe(`seed004@${domain()}`);
    expect(await c.findUser(person("o'neil"))).toBeUndefined(); // quote escaped in $filter
    expect((await c.getUser(u!.ref))?.data.userName).toBe(`seed003@${domain()}`);
    expect(await c.getUser('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });

  it('creates a user with a password profile and links an existing one instead of failing', async () => {
    const boss = emu.users().find((u) => u.userPrincipalName === `boss@${domain()}`)!;
    const created = await c.createUser(
      person('ada', { title: 'Countess', managerRef: boss.id, phoneNumbers: [{ value: '+44 1', type: 'mobile' }] }),
      {
        password: 'Correct-Horse-42',
        mustChangePassword: true,
      },
    );
    expect(created.data.userName).toBe(`ada@${domain()}`);
    const inEmu = emu.users().find((u) => u.id === created.ref)!;
    expect(inEmu).toMatchObject({
      userPrincipalName: `ada@${domain()}`,
      mailNickname: 'ada',
      jobTitle: 'Countess',
      mobilePhone: '+44 1',
      accountEnabled: true,
    });
    expect(emu.managerOf(created.ref)).toBe(boss.id);
    expect(emu.passwordChanges.find((p) => p.userId === created.ref)).toMatchObject({
      source: 'create',
      forceChangePasswordNextSignIn: true,
    });
    const count = emu.users().length;
    const again = await c.createUser(person('ada'), { password: 'Correct-Horse-42' });
    expect(again.ref).toBe(created.ref);
    expect(emu.users().length).toBe(count);
    // a failure other than "already exists" is a precise error with Graph's request-id
    const err = await c.createUser(person('weak'), { password: 'abc' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe('password_policy');
    expect((err as ConnectorError).details).toMatchObject({ status: 400, requestId: expect.any(String) });
    expect(JSON.stringify((err as ConnectorError).details)).not.toContain('abc"');
  });

  it('updates only what changed, manager included, and disables / enables', async () => {
    const ada = (await c.findUser(person('ada')))!;
    const before = emu.log.length;
    const after = structuredClone(ada.data);
    after.department = 'Mathematics';
    after.managerRef = undefined;
    await c.updateUser(ada.ref, ada.data, after);
    const u = emu.users().find((x) => x.id === ada.ref)!;
    expect(u.department).toBe('Mathematics');
    expect(u.jobTitle).toBe('Countess');
    expect(emu.managerOf(ada.ref)).toBeNull();
    const writes = emu.log.slice(before).filter((e) => e.write);
    expect(writes.map((e) => e.method).sort()).toEqual(['DELETE', 'PATCH']);
    // nothing changed → nothing sent
    const n = emu.log.length;
    await c.updateUser(ada.ref, after, structuredClone(after));
    expect(emu.log.length).toBe(n);
    await c.setUserEnabled(ada.ref, false);
    expect(emu.users().find((x) => x.id === ada.ref)!.accountEnabled).toBe(false);
    await c.setUserEnabled(ada.ref, true);
    expect(emu.users().find((x) => x.id === ada.ref)!.accountEnabled).toBe(true);
  });

  it('sets a password (force change optional) and names missing reset rights', async () => {
    const ada = (await c.findUser(person('ada')))!;
    await c.setPassword(ada.ref, 'Another-Secret-77', { mustChange: true });
    await c.setPassword(ada.ref, 'Another-Secret-78');
    const changes = emu.passwordChanges.filter((p) => p.userId === ada.ref && p.source === 'update');
    expect(changes.map((p) => p.forceChangePasswordNextSignIn)).toEqual([true, false]);
    const weak = connectTo(emu, { clientSecret: 'n0pw' }, { clientId: 'nopw' });
    const err = await weak.setPassword(ada.ref, 'Another-Secret-79').catch((e: unknown) => e);
    expect((err as ConnectorError).code).toBe('permission_missing');
    expect((err as ConnectorError).message).toMatch(/User-PasswordProfile\.ReadWrite\.All/);
    expect((err as ConnectorError).details).toMatchObject({
      code: 'Authorization_RequestDenied',
      requestId: expect.any(String),
    });
  });

  it('creates security groups with members 20 at a time, adds, removes and deletes them', async () => {
    const users = emu
      .users()
      .filter((u) => u.userPrincipalName.startsWith('seed'))
      .slice(0, 45);
    const ids = users.map((u) => u.id);
    const before = emu.log.length;
    const g = await c.createGroup({ displayName: 'Project X', description: 'Secret' }, ids.slice(0, 25));
    const eg = emu.groups().find((x) => x.id === g.ref)!;
    expect(eg).toMatchObject({
      displayName: 'Project X',
      securityEnabled: true,
      mailEnabled: false,
      description: 'Secret',
    });
    expect(new Set(emu.members(g.ref))).toEqual(new Set(ids.slice(0, 25)));
    // 20 in the create, 5 in one PATCH
    const sent = emu.log.slice(before).filter((e) => e.write);
    expect(sent.map((e) => e.method)).toEqual(['POST', 'PATCH']);
    // add 20 including 5 already there: success, no duplicates
    await c.addMembers(g.ref, ids.slice(20, 40));
    expect(emu.members(g.ref).sort()).toEqual(ids.slice(0, 40).sort());
    await c.addMembers(g.ref, ids.slice(0, 3)); // all already members
    expect(emu.members(g.ref)).toHaveLength(40);
    await c.removeMembers(g.ref, [...ids.slice(0, 10), ids[44]!]); // the last one is not a member
    expect(emu.members(g.ref).sort()).toEqual(ids.slice(10, 40).sort());
    const found = await c.findGroup({ displayName: 'Project X' });
    expect(found?.members).toHaveLength(30);
    await c.deleteGroup(g.ref);
    expect(emu.groups().some((x) => x.id === g.ref)).toBe(false);
    await c.deleteGroup(g.ref); // gone already: fine
  });

  it('deletes users (soft) and tolerates a second delete', async () => {
    const tmp = await c.createUser(person('temp-user'));
    await c.deleteUser(tmp.ref);
    expect(emu.deletedUsers().some((u) => u.id === tmp.ref)).toBe(true);
    await c.deleteUser(tmp.ref);
  });

  it('tracks changes with delta: a token for now, then exactly the changes, then nothing', async () => {
    const start = await c.delta(undefined);
    expect(start.usable).toBe(true);
    expect(start.users.changed).toEqual([]);
    const t0 = start.nextToken;

    const bob = await c.createUser(person('bob'));
    const seed5 = (await c.findUser(person('seed005')))!;
    await c.updateUser(seed5.ref, seed5.data, { ...seed5.data, title: 'Manager' });
    const seed6 = (await c.findUser(person('seed006')))!;
    await c.deleteUser(seed6.ref);
    const grp = await c.createGroup({ displayName: 'Delta group' }, [bob.ref]);
    const small = emu.groups().find((g) => g.displayName === 'Small')!;
    await c.addMembers(small.id, [bob.ref]);

    const d1 = await c.delta(t0);
    expect(d1.usable).toBe(true);
    const changed = new Map(d1.users.changed.map((u) => [u.ref, u]));
    expect(changed.get(bob.ref)?.data.userName).toBe(`bob@${domain()}`);
    expect(changed.get(seed5.ref)?.data.title).toBe('Manager');
    expect(d1.users.removed).toContain(seed6.ref);
    const groups = new Map(d1.groups.changed.map((g) => [g.ref, g]));
    expect(groups.get(grp.ref)?.members.map((m) => m.ref)).toEqual([bob.ref]);
    // complete membership of a changed group, not just the delta
    expect(
      groups
        .get(small.id)
        ?.members.map((m) => m.ref)
        .sort(),
    ).toEqual([...emu.members(small.id)].sort());
    expect(groups.get(small.id)?.members).toHaveLength(2);

    const d2 = await c.delta(d1.nextToken);
    expect(d2.users.changed).toEqual([]);
    expect(d2.users.removed).toEqual([]);
    expect(d2.groups.changed).toEqual([]);

    // the engine keeps the token only after a good run: an old token still works and replays
    const replay = await c.delta(t0);
    expect(replay.users.changed.some((u) => u.ref === bob.ref)).toBe(true);

    await c.deleteGroup(grp.ref);
    const d3 = await c.delta(d2.nextToken);
    expect(d3.groups.removed).toContain(grp.ref);

    // an expired token: not usable, with a fresh one
    emu.expireDeltaTokens();
    const d4 = await c.delta(d3.nextToken);
    expect(d4.usable).toBe(false);
    expect(d4.nextToken).not.toBe(d3.nextToken);
    const d5 = await c.delta(d4.nextToken);
    expect(d5.usable).toBe(true);
  });

  it('sends mail through Graph', async () => {
    await c.sendMail(undefined, {
      to: 'ada@example.net',
      subject: 'Welcome',
      html: '<p>Hello <b>Ada</b></p>',
      text: 'Hello Ada',
    });
    const m = emu.sentMail.at(-1) as unknown as Record<string, unknown>;
    expect(JSON.stringify(m)).toContain('Welcome');
    expect(JSON.stringify(m)).toContain('ada@example.net');
    expect(JSON.stringify(m)).toContain('HTML');
    const err = await c
      .sendMail('ghost@' + domain(), { to: 'x@example.net', subject: 's', text: 't' })
      .catch((e: unknown) => e);
    expect((err as ConnectorError).code).toBe('not_found');
    expect((err as ConnectorError).message).toBe(`The sender mailbox ghost@${domain()} was not found in the tenant.`);
  });

  it('creates users in bulk through $batch of 20', async () => {
    const before = c.stats();
    const res = await c.createUsers(
      Array.from({ length: 45 }, (_, i) => ({ data: person(`bulk${i}`), opts: { password: 'Bulk-Password-1' } })),
    );
    expect(res.every((r) => !(r instanceof Error))).toBe(true);
    const after = c.stats();
    // 3 envelopes of lookups (none found), then 3 of creates
    expect(after.batch.envelopes - before.batch.envelopes).toBe(6);
    expect(res.some((r) => !(r instanceof Error) && r.linked)).toBe(false);
    expect(emu.users().filter((u) => u.userPrincipalName.startsWith('bulk')).length).toBe(45);
    // again: every one already exists → found by the lookups and returned flagged linked; no create sent
    const posts = () => emu.log.filter((e) => e.method === 'POST' && e.path === '/v1.0/users').length;
    const postsBefore = posts();
    const again = await c.createUsers(Array.from({ length: 5 }, (_, i) => ({ data: person(`bulk${i}`) })));
    expect(again.map((r) => (r instanceof Error ? r.code : r.ref))).toEqual(
      res.slice(0, 5).map((r) => (r instanceof Error ? '' : r.ref)),
    );
    expect(again.every((r) => !(r instanceof Error) && r.linked === true)).toBe(true);
    expect(posts()).toBe(postsBefore);
  });

  it('bulk creates look existing users up by the matching rules first: same mail → linked, two candidates → that one fails', async () => {
    const [byMail, , , quoted] = emu.seedUsers([
      {
        userPrincipalName: `grace.h@${domain()}`,
        mailNickname: 'grace.h',
        mail: `grace@${domain()}`,
        displayName: 'Grace',
      },
      {
        userPrincipalName: `twin.a@${domain()}`,
        mailNickname: 'twin.a',
        mail: `twin@${domain()}`,
        displayName: 'Twin A',
      },
      {
        userPrincipalName: `twin.b@${domain()}`,
        mailNickname: 'twin.b',
        mail: `twin@${domain()}`,
        displayName: 'Twin B',
      },
      { userPrincipalName: `q.q@${domain()}`, mailNickname: 'q.q', mail: `o'hara+x@${domain()}`, displayName: 'Q' },
    ]);
    const mail = (v: string) => ({ emails: [{ value: v, primary: true }] });
    const logStart = emu.log.length;
    const res = await c.createUsers([
      { data: person('grace', mail(`grace@${domain()}`)), opts: { password: 'Grace-Password-1' } },
      { data: person('twin', mail(`twin@${domain()}`)) },
      { data: person('ohara', mail(`o'hara+x@${domain()}`)) },
      { data: person('newbie', mail(`newbie@${domain()}`)) },
    ]);
    const [g, tw, q, nb] = res;
    expect(g).toMatchObject({ ref: byMail!.id, linked: true });
    expect(q).toMatchObject({ ref: quoted!.id, linked: true });
    expect(tw).toBeInstanceOf(ConnectorError);
    expect((tw as ConnectorError).code).toBe('conflict');
    expect((tw as ConnectorError).message).toMatch(
      /More than one object in Emulated tenant matches the user twin by e-mail/,
    );
    expect(JSON.stringify((tw as ConnectorError).details)).toContain(`twin.a@${domain()}`);
    expect('linked' in (nb as object)).toBe(false);
    expect((nb as RemoteUser).data.userName).toBe(`newbie@${domain()}`);
    // The linked one got its password (a PATCH), not a second account; only newbie was POSTed.
    expect(emu.passwordChanges.filter((p) => p.userId === byMail!.id)).toMatchObject([{ source: 'update' }]);
    const log = emu.log.slice(logStart);
    expect(log.filter((e) => e.method === 'POST' && e.path === '/v1.0/users').map((e) => e.key)).toEqual([
      `newbie@${domain()}`,
    ]);
    expect(emu.users().filter((u) => u.mail === `twin@${domain()}`)).toHaveLength(2);
    // The one-at-a-time lookup says the same: a conflict, never a guess.
    const one = await c.findUser(person('twin', mail(`twin@${domain()}`))).catch((e: unknown) => e);
    expect((one as ConnectorError).code).toBe('conflict');
    expect((await c.findUser(person('nobody', mail(`grace@${domain()}`))))?.ref).toBe(byMail!.id);
  });

  it('refreshes the token once on 401 and carries on', async () => {
    emu.invalidateTokens();
    const u = await c.findUser(person('seed001'));
    expect(u).toBeDefined();
  });

  it('can be cancelled', async () => {
    const ac = new AbortController();
    emu.faults.slowMs = 2000;
    const p = collect(c.listUsers({ signal: ac.signal }));
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
    emu.faults.slowMs = 0;
  });
});
