// Delta imports from the real Samba AD DC of the test run (uSNChanged on the
// same DC with its invocationId, tombstones through the Show Deleted control):
// the scenario of sync-delta-support.ts. Everything lives under
// OU=pd-delta-<tag>, removed at the end.
import { Attribute, Change, Control, type Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDeltaState } from '../../src-main/sync/delta.ts';
import { sambaInfo } from '../services/inject.ts';
import { ldapClient, sambaDirectory, tag, testApp, type TestApp } from './sync-support.ts';
import { deltaScenario } from './sync-delta-support.ts';

const info = sambaInfo();
const TAG = tag();
const ROOT = `OU=pd-delta-${TAG},${info.baseDn}`;
const PEOPLE = `OU=People,${ROOT}`;
const GROUPS = `OU=Groups,${ROOT}`;
const TREE_DELETE = '1.2.840.113556.1.4.805';
const N = 12;

let admin: Client;
let t: TestApp;
let dirId = '';

const login = (i: number | string) => `dl${TAG}${i}`;
const dn = (i: number | string) => `CN=Delta User ${i},${PEOPLE}`;
const user = (i: number | string) => ({
  objectClass: ['top', 'person', 'organizationalPerson', 'user'],
  cn: `Delta User ${i}`,
  sn: `User${i}`,
  givenName: 'Delta',
  displayName: `Delta User ${i}`,
  sAMAccountName: login(i),
  userPrincipalName: `${login(i)}@${info.dnsDomain}`,
  mail: `${login(i)}@${info.dnsDomain}`,
  title: 'Engineer',
  userAccountControl: '544', // NORMAL_ACCOUNT | PASSWD_NOTREQD: enabled without a password
});

beforeAll(async () => {
  admin = await ldapClient(info.ldapsUrl, info.adminUpn, info.adminPassword, info.caCertPem);
  for (const ou of [ROOT, PEOPLE, GROUPS]) await admin.add(ou, { objectClass: ['top', 'organizationalUnit'] });
  for (let i = 0; i < N; i++) await admin.add(dn(i), user(i));
  // A group whose members the scenario leaves alone: its membership must not show up in the delta.
  await admin.add(`CN=delta-team-${TAG},${GROUPS}`, {
    objectClass: ['top', 'group'],
    sAMAccountName: `delta-team-${TAG}`,
    member: [dn(0), dn(1)],
  });
  t = testApp();
  dirId = t.app.directories.save(undefined, sambaDirectory(info, 'Delta AD', ROOT), {
    bindPassword: info.adminPassword,
  }).id;
}, 120_000);

afterAll(async () => {
  await t?.dispose();
  if (admin) {
    await admin.del(ROOT, new Control(TREE_DELETE)).catch(() => {});
    await admin.unbind().catch(() => {});
  }
}, 120_000);

describe('delta import from Active Directory (Samba)', () => {
  deltaScenario(() => ({ t, dirId }), {
    seeded: N,
    changed: login(5),
    added: login('new'),
    removed: login(7),
    titles: ['Engineer', 'Architect'],
    async changeOnServer() {
      await admin.modify(dn(5), [
        new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: ['Architect'] }) }),
      ]);
      await admin.add(dn('new'), user('new'));
      await admin.del(dn(7));
    },
  });

  it('a token of another DC or invocationId (a restore from backup) falls back to a full read and says why', async () => {
    const full = await t.app.sync.previewImport(dirId, { mode: 'full' });
    t.app.sync.commitImport({ runId: full.runId });
    const state = readDeltaState(t.app.repos.directories.get(dirId)!);
    const token = JSON.parse(state.token!) as { inv: string };
    expect(token).toMatchObject({ t: 'ad', inv: expect.any(String) });
    t.app.repos.directories.setDeltaState(
      dirId,
      JSON.stringify({ ...state, token: JSON.stringify({ ...token, inv: '00000000-0000-0000-0000-000000000001' }) }),
    );
    const again = await t.app.sync.previewImport(dirId);
    expect(again.mode).toBe('full');
    expect(again.modeReason).toMatch(/change tracking of Delta AD started over/);
    expect(again.users).toMatchObject({ unchanged: N, create: 0, update: 0, missing: 0 });
    // Its fresh token (the DC's real invocationId) makes the next one a delta again once committed.
    t.app.sync.commitImport({ runId: again.runId });
    expect(JSON.parse(readDeltaState(t.app.repos.directories.get(dirId)!).token!).inv).toBe(token.inv);
    expect((await t.app.sync.previewImport(dirId)).mode).toBe('delta');
  }, 120_000);

  it('deleting a group member: the delta disables the user and takes it out of the group, as a full read would', async () => {
    const team = t.app.repos.groups.byName(`delta-team-${TAG}`)!;
    expect(team.members).toHaveLength(2);
    await admin.del(dn(1));
    const d = await t.app.sync.previewImport(dirId);
    expect(d.mode).toBe('delta');
    expect(d.users).toMatchObject({ create: 0, update: 0, missing: 1, conflict: 0 });
    expect(d.memberships).toEqual({ add: 0, remove: 1 });
    const rows = t.app.sync.rows(d.runId).rows;
    expect(rows.map((r) => `${r.objectType} ${r.action}`).sort()).toEqual(['membership remove', 'user missing']);
    t.app.sync.commitImport({ runId: d.runId });
    expect(t.app.repos.groups.byName(`delta-team-${TAG}`)!.members).toHaveLength(1);
    expect(t.app.repos.users.byUserName(login(1))!.active).toBe(false);
    // The same answer a full read gives now.
    const full = await t.app.sync.previewImport(dirId, { mode: 'full' });
    expect(t.app.sync.rows(full.runId).total).toBe(0);
  }, 120_000);
});
