// The directory's matching rules and protected objects against the real Samba
// AD DC shared by the run: look-ups stay inside the directory's scope, two
// candidates are a conflict naming both DNs, and a protected object (a
// built-in privileged group such as Domain Admins, an account with
// adminCount=1) is never linked nor written, whatever its name. Everything the
// test makes lives under its own OU=pd-match-<random>, removed at the end.
import type { Client } from 'ldapts';
import { Control } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sambaInfo } from '../services/inject.ts';
import { LdapConnector } from '../../src-main/connectors/ldap/index.ts';
import { ConnectorError, type RemoteUserData } from '../../src-main/connectors/connector.ts';
import { directoryConfigSchema } from '../../src-preload/directory.ts';
import { allOn, ldapClient, sambaDirectory, tag, testApp, type TestApp } from './sync-support.ts';

const info = sambaInfo();
const TAG = tag();
const ROOT = `OU=pd-match-${TAG},${info.baseDn}`;
const PEOPLE = `OU=People,${ROOT}`;
const GROUPS = `OU=Groups,${ROOT}`;
const OUT = `OU=Out,${ROOT}`;
const TREE_DELETE = '1.2.840.113556.1.4.805';
const DOMAIN_ADMINS = `CN=Domain Admins,CN=Users,${info.baseDn}`;

let admin: Client;

const adUser = (cn: string, parent: string, sam: string, extra: Record<string, string> = {}) =>
  admin.add(`CN=${cn},${parent}`, {
    objectClass: ['top', 'person', 'organizationalPerson', 'user'],
    cn,
    sn: cn,
    sAMAccountName: sam,
    userAccountControl: '544',
    ...extra,
  });

beforeAll(async () => {
  admin = await ldapClient(info.ldapsUrl, info.adminUpn, info.adminPassword, info.caCertPem);
  for (const dn of [ROOT, PEOPLE, GROUPS, OUT]) await admin.add(dn, { objectClass: ['top', 'organizationalUnit'] });
  await adUser('Stray', OUT, `st${TAG}`, { mail: `stray-${TAG}@example.test` });
  await adUser('Twin One', PEOPLE, `t1${TAG}`, { mail: `twin-${TAG}@example.test` });
  await adUser('Twin Two', PEOPLE, `t2${TAG}`, { mail: `twin-${TAG}@example.test` });
  await adUser('Guarded', PEOPLE, `gd${TAG}`, { mail: `guarded-${TAG}@example.test`, adminCount: '1' });
});
afterAll(async () => {
  if (!admin) return;
  await admin.del(ROOT, new Control(TREE_DELETE)).catch(() => {});
  await admin.unbind().catch(() => {});
});

const connector = (scope: { users?: string; groups?: string } = {}) =>
  new LdapConnector(
    directoryConfigSchema.parse({
      kind: 'activeDirectory',
      name: 'Corp AD',
      connection: {
        urls: [info.ldapsUrl],
        caCertPem: info.caCertPem,
        bindDn: info.adminUpn,
        baseDn: info.baseDn,
        userSearchBase: scope.users ?? PEOPLE,
        groupSearchBase: scope.groups ?? GROUPS,
        userTargetOu: PEOPLE,
        groupTargetOu: GROUPS,
        upnSuffix: info.dnsDomain,
        timeoutMs: 120_000,
      },
    }),
    { bindPassword: info.adminPassword },
  );

const user = (userName: string, mail: string): RemoteUserData => ({
  userName,
  name: { givenName: 'Match', familyName: userName },
  displayName: `Match ${userName}`,
  emails: [{ value: mail, primary: true }],
  phoneNumbers: [],
  active: true,
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as ConnectorError,
  );
const members = async (dn: string): Promise<string[]> => {
  const [e] = (await admin.search(dn, { scope: 'base', attributes: ['member'] })).searchEntries;
  return ([] as unknown[]).concat(e?.member ?? []).map(String);
};

describe('matching inside the scope on Samba AD', () => {
  it('a user matched only by the e-mail of an object outside the scope is not linked', async () => {
    const c = connector();
    try {
      expect(await c.findUser(user(`nw${TAG}`, `stray-${TAG}@example.test`))).toBeUndefined();
    } finally {
      await c.close();
    }
  });

  it('two objects in scope with the same e-mail are a conflict naming both DNs', async () => {
    const c = connector();
    try {
      const e = await failure(c.findUser(user(`so${TAG}`, `twin-${TAG}@example.test`)));
      expect(e?.code).toBe('conflict');
      expect(e!.message).toContain(`CN=Twin One,${PEOPLE}`);
      expect(e!.message).toContain(`CN=Twin Two,${PEOPLE}`);
    } finally {
      await c.close();
    }
  });

  it('an account with adminCount=1 is never matched nor written, even in scope', async () => {
    const c = connector();
    const ref = `CN=Guarded,${PEOPLE}`;
    try {
      const e = await failure(c.findUser(user(`gd${TAG}`, `other-${TAG}@example.test`)));
      expect(e?.code).toBe('protected');
      expect(e!.message).toContain(ref);
      expect(e!.message).toMatch(/adminCount=1/);
      expect((await failure(c.setPassword(ref, `Xy9!${TAG}${TAG}`)))?.code).toBe('protected');
      expect((await failure(c.deleteUser(ref)))?.code).toBe('protected');
      const [still] = (await admin.search(ref, { scope: 'base', attributes: ['pwdLastSet'] })).searchEntries;
      expect(String(still?.pwdLastSet)).toBe('0');
    } finally {
      await c.close();
    }
  });

  it('Domain Admins is found by its well-known RID when the scope covers it, and refused', async () => {
    const c = connector({ users: info.baseDn, groups: info.baseDn });
    try {
      const e = await failure(c.findGroup({ displayName: 'Domain Admins' }));
      expect(e?.code).toBe('protected');
      expect(e!.message).toContain(DOMAIN_ADMINS);
      expect(e!.message).toMatch(/Domain Admins, RID 512/);
      const before = await members(DOMAIN_ADMINS);
      const add = await failure(c.addMembers(DOMAIN_ADMINS, [`CN=Twin One,${PEOPLE}`]));
      expect(add?.code).toBe('protected');
      expect(await members(DOMAIN_ADMINS)).toEqual(before);
    } finally {
      await c.close();
    }
  });
});

describe('importing from Samba AD', () => {
  let t: TestApp;
  beforeAll(() => {
    t = testApp();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('protected objects in scope are neither imported nor linked: the preview says why', async () => {
    const app = t.app;
    const base = sambaDirectory(info, 'Corp AD import', ROOT);
    const dir = app.directories.save(
      undefined,
      { ...base, connection: { ...base.connection, groupSearchBase: info.usersDn } } as typeof base,
      { bindPassword: info.adminPassword },
    );
    const run = await app.sync.previewImport(dir.id);
    const rows = app.repos.runs.rows(run.runId, {});
    const guarded = rows.find((r) => r.display.includes(`gd${TAG}`));
    expect(guarded?.action).toBe('conflict');
    expect((guarded?.data as { reason: string }).reason).toMatch(/protected object \(adminCount=1/);
    const da = rows.find((r) => r.objectType === 'group' && r.display === 'Domain Admins');
    expect(da?.action).toBe('conflict');
    expect((da?.data as { reason: string }).reason).toContain(DOMAIN_ADMINS);
    // An ordinary user in the same scope is imported as usual.
    expect(rows.find((r) => r.display.includes(`t1${TAG}`))?.action).toBe('create');
  });
});

describe('a local group named "Domain Admins" provisioned to Samba AD', () => {
  let t: TestApp;
  beforeAll(() => {
    t = testApp();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('never links nor writes CN=Domain Admins,CN=Users: the create fails, its member is not added', async () => {
    const app = t.app;
    const dir = app.directories.save(undefined, sambaDirectory(info, 'Corp AD', ROOT, { toggles: allOn }), {
      bindPassword: info.adminPassword,
    });
    const before = await members(DOMAIN_ADMINS);
    const u = app.users.create(user(`da${TAG}`, `da-${TAG}@example.test`), `Xy9!${TAG}${TAG}`);
    const g = app.groups.create({ displayName: 'Domain Admins' });
    app.groups.addMembers(g.id, [u.id]);
    await app.sync.drain();
    expect(app.repos.links.get(dir.id, 'user', u.id)?.state).toBe('provisioned');
    const link = app.repos.links.get(dir.id, 'group', g.id);
    expect(link?.state).toBe('failed');
    expect(link?.ref ?? null).toBeNull();
    expect(await members(DOMAIN_ADMINS)).toEqual(before);
    const found = await admin.search(ROOT, { filter: '(cn=Domain Admins)', attributes: ['1.1'] });
    expect(found.searchEntries).toHaveLength(0);
    expect(app.repos.outbox.counts(dir.id)).toMatchObject({ pending: 0, running: 0 });
  });
});
