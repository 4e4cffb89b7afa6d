// The directory's matching rules against a real slapd: every "does it exist
// already?" looks only inside the directory's scope (search bases, exclusions),
// by the rules the admin chose; two candidates are a conflict naming both DNs,
// never a guess — for the single and the bulk create, the push preview and the
// outbox worker alike; and no write goes to an object out of scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'ldapts';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { LdapConnector } from '../../src-main/connectors/ldap/index.ts';
import { ConnectorError, type RemoteUser, type RemoteUserData } from '../../src-main/connectors/connector.ts';
import { directoryConfigSchema } from '../../src-preload/directory.ts';
import { ldapClient, importOnly, allOn, slapdDirectory, testApp, type TestApp } from './sync-support.ts';

let srv: SlapdServer;
let admin: Client;
let ELSEWHERE: string;
let HIDDEN: string;
let OTHER_GROUPS: string;
let SUB_GROUPS: string;

const person = (uid: string, ou: string, extra: Record<string, string> = {}) =>
  admin.add(`uid=${uid},${ou}`, {
    objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
    uid,
    cn: uid,
    sn: uid,
    ...extra,
  });
const ou = (dn: string) =>
  admin.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: dn.split(',')[0]!.slice(3) });
const group = (cn: string, parent: string) =>
  admin.add(`cn=${cn},${parent}`, { objectClass: ['top', 'groupOfNames'], cn, member: `uid=twin1,${srv.peopleDn}` });

beforeAll(async () => {
  srv = await startSlapd();
  admin = await ldapClient(srv.url, srv.adminDn, srv.adminPassword);
  ELSEWHERE = `ou=Elsewhere,${srv.baseDn}`;
  HIDDEN = `ou=Hidden,${srv.peopleDn}`;
  OTHER_GROUPS = `ou=OtherGroups,${srv.baseDn}`;
  SUB_GROUPS = `ou=Sub,${srv.groupsDn}`;
  for (const dn of [ELSEWHERE, HIDDEN, OTHER_GROUPS, SUB_GROUPS]) await ou(dn);
  await person('stray', ELSEWHERE, { mail: 'stray@example.test', employeeNumber: 'OUT-1' });
  await person('hidden', HIDDEN, { mail: 'hidden@example.test' });
  await person('twin1', srv.peopleDn, { mail: 'twin@example.test' });
  await person('twin2', srv.peopleDn, { mail: 'twin@example.test' });
  await person('numbered', srv.peopleDn, { mail: 'numbered@example.test', employeeNumber: 'E-77' });
  await group('Outsiders', OTHER_GROUPS);
  await group('Dup', srv.groupsDn);
  await group('Dup', SUB_GROUPS);
});
afterAll(async () => {
  await admin?.unbind().catch(() => {});
  await srv?.stop();
});

const config = (over: Record<string, unknown> = {}) =>
  directoryConfigSchema.parse({
    kind: 'ldap',
    name: 'Lab LDAP',
    connection: {
      urls: [srv.url],
      bindDn: srv.adminDn,
      baseDn: srv.baseDn,
      userSearchBase: srv.peopleDn,
      groupSearchBase: srv.groupsDn,
      userTargetOu: srv.peopleDn,
      groupTargetOu: srv.groupsDn,
      exclusions: [HIDDEN],
    },
    ...over,
  });
const connector = (over: Record<string, unknown> = {}) =>
  new LdapConnector(config(over), { bindPassword: srv.adminPassword });

const user = (userName: string, mail: string, extra: Partial<RemoteUserData> = {}): RemoteUserData => ({
  userName,
  name: { givenName: 'Match', familyName: userName },
  displayName: `Match ${userName}`,
  emails: [{ value: mail, primary: true }],
  phoneNumbers: [],
  active: true,
  ...extra,
});

const entries = async (base: string, filter: string) => (await admin.search(base, { filter })).searchEntries;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as ConnectorError,
  );

describe('matching inside the scope (connector)', () => {
  it('a user whose e-mail only an object out of scope (another OU, or excluded) has is not matched: it is created', async () => {
    const c = connector();
    try {
      expect(await c.findUser(user('newcomer', 'stray@example.test'))).toBeUndefined();
      expect(await c.findUser(user('peeker', 'hidden@example.test'))).toBeUndefined();
      // The bulk create (the worker's path for generic LDAP) decides the same way.
      const [made] = await c.createUsers!([{ data: user('newcomer', 'stray@example.test') }]);
      expect((made as RemoteUser).ref).toBe(`uid=newcomer,${srv.peopleDn}`);
      expect(await entries(ELSEWHERE, '(uid=stray)')).toHaveLength(1);
    } finally {
      await c.close();
    }
  });

  it('two objects in scope with the same e-mail are a conflict naming both DNs, single and bulk; nothing is created', async () => {
    const c = connector();
    try {
      const e = await failure(c.findUser(user('someone', 'twin@example.test')));
      expect(e).toBeInstanceOf(ConnectorError);
      expect(e!.code).toBe('conflict');
      expect(e!.transient).toBe(false);
      expect(e!.message).toContain(`uid=twin1,${srv.peopleDn}`);
      expect(e!.message).toContain(`uid=twin2,${srv.peopleDn}`);
      expect(e!.message).toMatch(/matches the user someone by e-mail \(twin@example.test\)/);
      const [bulk, fine] = await c.createUsers!([
        { data: user('someone', 'twin@example.test') },
        { data: user('fine', 'fine@example.test') },
      ]);
      expect((bulk as ConnectorError).code).toBe('conflict');
      expect((fine as RemoteUser).ref).toBe(`uid=fine,${srv.peopleDn}`);
      expect(await entries(srv.baseDn, '(uid=someone)')).toHaveLength(0);
    } finally {
      await c.close();
    }
  });

  it('follows the rules the admin chose: by employee number only', async () => {
    const c = connector({ matching: ['employeeNumber'] });
    try {
      const found = await c.findUser(user('someone-else', 'other@example.test', { employeeNumber: 'E-77' }));
      expect(found?.ref).toBe(`uid=numbered,${srv.peopleDn}`);
      // The user name is no rule here: an object with that uid is not a match.
      expect(await c.findUser(user('numbered', 'x@example.test', { employeeNumber: 'E-00' }))).toBeUndefined();
      // Nor is an object out of scope with the same number.
      expect(await c.findUser(user('z', 'z@example.test', { employeeNumber: 'OUT-1' }))).toBeUndefined();
    } finally {
      await c.close();
    }
  });

  it('a group out of scope with the same name is not matched; two in scope are a conflict with both DNs', async () => {
    const c = connector();
    try {
      expect(await c.findGroup({ displayName: 'Outsiders' })).toBeUndefined();
      const e = await failure(c.findGroup({ displayName: 'Dup' }));
      expect(e!.code).toBe('conflict');
      expect(e!.message).toContain(`cn=Dup,${srv.groupsDn}`);
      expect(e!.message).toContain(`cn=Dup,${SUB_GROUPS}`);
    } finally {
      await c.close();
    }
  });

  it('never writes to an object out of scope, even when asked to by its DN', async () => {
    const c = connector();
    try {
      const e = await failure(c.addMembers(`cn=Outsiders,${OTHER_GROUPS}`, [`uid=twin2,${srv.peopleDn}`]));
      expect(e!.code).toBe('protected');
      expect(e!.message).toMatch(/outside this directory's scope/);
      const [g] = await entries(OTHER_GROUPS, '(cn=Outsiders)');
      expect(([] as unknown[]).concat(g!.member).map(String)).toEqual([`uid=twin1,${srv.peopleDn}`]);
      expect((await failure(c.setPassword(`uid=hidden,${HIDDEN}`, 'N0t-Here!')))!.code).toBe('protected');
    } finally {
      await c.close();
    }
  });
});

describe('matching in push and the outbox', () => {
  let t: TestApp;
  beforeAll(() => {
    t = testApp();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('push previews by the same rules: a conflict names both DNs; an object out of scope is never proposed', async () => {
    const app = t.app;
    const base = slapdDirectory(srv, 'Push LDAP', { toggles: importOnly });
    const dir = app.directories.save(
      undefined,
      {
        ...base,
        matching: ['email', 'employeeNumber'],
        connection: { ...base.connection, exclusions: [HIDDEN] },
      } as typeof base,
      { bindPassword: srv.adminPassword },
    );
    const twin = app.users.create(user('push-twin', 'twin@example.test'));
    const num = app.users.create(user('push-num', 'nobody@example.test', { employeeNumber: 'E-77' }));
    // Out of scope by e-mail (an excluded OU) and by employee number (another OU): nothing to link.
    const stray = app.users.create(user('stray', 'hidden@example.test', { employeeNumber: 'OUT-1' }));
    const run = await app.sync.previewPush(dir.id);
    const rows = app.repos.runs.rows(run.runId, {});
    const rowOf = (id: string) => rows.find((r) => r.localId === id);
    expect(rowOf(twin.id)?.action).toBe('conflict');
    const reason = (rowOf(twin.id)?.data as { reason: string }).reason;
    expect(reason).toContain(`uid=twin1,${srv.peopleDn}`);
    expect(reason).toContain(`uid=twin2,${srv.peopleDn}`);
    // Matched by employee number (a rule push ignored before), never by a user name.
    expect(rowOf(num.id)).toMatchObject({ action: 'unchanged', anchor: expect.any(String) });
    expect((rowOf(num.id)?.data as { ref: string }).ref).toBe(`uid=numbered,${srv.peopleDn}`);
    expect(rowOf(stray.id)?.anchor ?? null).toBeNull();
    expect(rowOf(stray.id)?.action).not.toBe('unchanged');
  });

  it('the worker records a conflict as a permanent failure that names both DNs, and creates nothing', async () => {
    const app = t.app;
    const dir = app.directories.save(undefined, slapdDirectory(srv, 'Worker LDAP', { toggles: allOn }), {
      bindPassword: srv.adminPassword,
    });
    const u = app.users.create(user('worker-twin', 'twin@example.test'));
    await app.sync.drain();
    expect(app.repos.outbox.counts(dir.id)).toMatchObject({ pending: 0, running: 0, failed: 1 });
    const [item] = app.repos.outbox.list({ directoryId: dir.id, states: ['failed'] });
    expect(item!.attempts).toBe(1);
    expect(JSON.parse(item!.lastError!)).toMatchObject({ code: 'conflict' });
    const link = app.repos.links.get(dir.id, 'user', u.id);
    expect(link?.state).toBe('failed');
    expect(link?.ref ?? null).toBeNull();
    expect(link?.reason).toContain(`uid=twin1,${srv.peopleDn}`);
    expect(link?.reason).toContain(`uid=twin2,${srv.peopleDn}`);
    expect(await entries(srv.baseDn, '(uid=worker-twin)')).toHaveLength(0);
  });
});
