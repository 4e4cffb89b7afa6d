// The provisioning path against the real Samba AD DC of the test run: an account an outage left
// created but disabled is finished by the retry (password, then enable), a group is created with its
// members in one go, and a group's membership changes are written as multi-value changes (Permissive
// Modify), a member already there or already gone counting as done.
import type { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sambaInfo } from '../services/inject.ts';
import { allOn, canBind, ldapClient, sambaDirectory, tag, testApp, type TestApp } from './sync-support.ts';

const info = sambaInfo();
const TAG = tag();
const ROOT = `OU=pd-prov-${TAG},${info.baseDn}`;
const PEOPLE = `OU=People,${ROOT}`;
const GROUPS = `OU=Groups,${ROOT}`;
const TREE_DELETE = '1.2.840.113556.1.4.805';

let admin: Client;
let t: TestApp;
let dirId = '';

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const person = (userName: string, displayName = userName) => ({
  userName,
  displayName,
  name: { givenName: 'Prov', familyName: displayName },
  emails: [],
  phoneNumbers: [],
  active: true,
});

async function membersOf(cn: string): Promise<string[]> {
  const e = (
    await admin.search(GROUPS, { filter: `(cn=${cn})`, attributes: ['member;range=0-*'], paged: { pageSize: 100 } })
  ).searchEntries[0];
  if (!e) return [];
  const key = Object.keys(e).find((k) => k.toLowerCase().startsWith('member'));
  return key ? list(e[key]) : [];
}

beforeAll(async () => {
  admin = await ldapClient(info.ldapsUrl, info.adminUpn, info.adminPassword, info.caCertPem);
  for (const ou of [ROOT, PEOPLE, GROUPS]) await admin.add(ou, { objectClass: ['top', 'organizationalUnit'] });
  t = testApp();
  dirId = t.app.directories.save(undefined, sambaDirectory(info, 'Prov AD', ROOT, { toggles: allOn }), {
    bindPassword: info.adminPassword,
  }).id;
});
afterAll(async () => {
  await t?.dispose();
  if (admin) {
    const { Control } = await import('ldapts');
    await admin.del(ROOT, [new Control(TREE_DELETE, { critical: true })]).catch(() => undefined);
    await admin.unbind().catch(() => undefined);
  }
});

describe('provisioning into Active Directory', () => {
  it('an account left created but disabled (no password) is finished: password set, then enabled', async () => {
    const sam = `half${TAG}`;
    // What an outage between the create and the password leaves behind.
    await admin.add(`CN=Half Made ${TAG},${PEOPLE}`, {
      objectClass: ['top', 'person', 'organizationalPerson', 'user'],
      cn: `Half Made ${TAG}`,
      sAMAccountName: sam,
      userPrincipalName: `${sam}@${info.dnsDomain}`,
      userAccountControl: '514', // NORMAL_ACCOUNT | ACCOUNTDISABLE
    });
    const u = t.app.users.create(person(sam, `Half Made ${TAG}`), 'Fin1shed-Pass!');
    const r = await t.app.sync.drain();
    expect(r.failed).toBe(0);
    expect(t.app.repos.links.get(dirId, 'user', u.id)?.state).toBe('provisioned');
    const e = (await admin.search(PEOPLE, { filter: `(sAMAccountName=${sam})`, attributes: ['userAccountControl'] }))
      .searchEntries;
    expect(e.length).toBe(1);
    expect(Number(e[0]!.userAccountControl) & 2).toBe(0); // enabled
    expect(await canBind(info.ldapsUrl, `${sam}@${info.dnsDomain}`, 'Fin1shed-Pass!', info.caCertPem)).toBe('ok');
  });

  it('a group is created with its members, and later changes are batched, in order', async () => {
    const app = t.app;
    const ids = Array.from({ length: 300 }, (_, i) => app.users.create(person(`pm${TAG}${i}`)).id);
    const g = app.groups.create({ displayName: `Prov Team ${TAG}` });
    app.groups.addMembers(g.id, ids.slice(0, 200));
    expect(app.db.get<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE object_type = 'membership'")!.n).toBe(0);
    let r = await app.sync.drain();
    expect(r.failed).toBe(0);
    expect((await membersOf(`Prov Team ${TAG}`)).length).toBe(200);
    expect(app.repos.links.get(dirId, 'group', g.id)?.state).toBe('provisioned');

    app.groups.addMembers(g.id, ids.slice(200));
    app.groups.removeMembers(g.id, ids.slice(0, 10));
    // Re-added after its removal: the last change wins.
    app.groups.addMembers(g.id, [ids[0]!]);
    r = await app.sync.drain();
    expect(r.failed).toBe(0);
    const got = await membersOf(`Prov Team ${TAG}`);
    expect(got.length).toBe(291);
    expect(got.some((m) => m.startsWith(`CN=pm${TAG}1,`))).toBe(false);
    expect(got.some((m) => m.startsWith(`CN=pm${TAG}0,`))).toBe(true);
    expect(app.repos.links.get(dirId, 'group', g.id)?.state).toBe('provisioned');
  });
});
