// Delta imports from an emulated Entra ID tenant through the real Graph
// connector (users/delta and groups/delta deltaLinks): the scenario of
// sync-delta-support.ts, then an expired delta link (Graph's "sync state not
// found") falling back to a full read. Needs no Samba: run with PD_SAMBA=off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../graph-emulator/index.ts';
import { readDeltaState } from '../../src-main/sync/delta.ts';
import { ALL_ROLES, entraConfig } from './graph-support.ts';
import { importOnly, testApp, type TestApp } from './sync-support.ts';
import { deltaScenario } from './sync-delta-support.ts';

const SECRET = 's3cret';
const N = 12;
let emu: GraphEmulator;
let t: TestApp;
let dirId = '';
const ids: string[] = [];
const upn = (i: number | string) => `delta${i}@contoso.test`;
const person = (i: number | string) => ({
  userPrincipalName: upn(i),
  mailNickname: `delta${i}`,
  displayName: `Delta User ${i}`,
  givenName: 'Delta',
  surname: `User${i}`,
  mail: upn(i),
  jobTitle: 'Engineer',
  accountEnabled: true,
});

/** Raw Graph call as another admin would make it (not through the product's connector). */
async function graph(method: string, path: string, body?: unknown): Promise<void> {
  const res = await emu.fetch(`${emu.baseUrl}/v1.0${path}`, {
    method,
    headers: { authorization: `Bearer ${emu.issueToken('app')}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  emu = await startGraphEmulator();
  emu.addApp({ clientId: 'app', secret: SECRET, roles: ALL_ROLES, directoryRoles: ['User Administrator'] });
  ids.push(...emu.seedUsers(Array.from({ length: N }, (_, i) => person(i))).map((u) => u.id));
  // A group whose members the scenario leaves alone: its membership must not show up in the delta.
  emu.seedGroups([{ displayName: 'delta-team', mailNickname: 'delta-team', members: ids.slice(0, 2) }]);
  t = testApp();
  dirId = t.app.directories.save(
    undefined,
    { ...entraConfig(emu, { toggles: importOnly }), name: 'Delta tenant' },
    { clientSecret: SECRET },
  ).id;
}, 60_000);

afterAll(async () => {
  await t?.dispose();
  await emu?.stop();
});

describe('delta import from Entra ID (Graph emulator)', () => {
  deltaScenario(() => ({ t, dirId }), {
    seeded: N,
    changed: upn(5),
    added: upn('new'),
    removed: upn(7),
    titles: ['Engineer', 'Architect'],
    async changeOnServer() {
      await graph('PATCH', `/users/${ids[5]}`, { jobTitle: 'Architect' });
      emu.seedUsers([person('new')]);
      await graph('DELETE', `/users/${ids[7]}`);
    },
  });

  it('an expired delta link falls back to a full read, says why, and its fresh link advances on commit', async () => {
    const full = await t.app.sync.previewImport(dirId, { mode: 'full' });
    t.app.sync.commitImport({ runId: full.runId });
    const before = readDeltaState(t.app.repos.directories.get(dirId)!).token;
    emu.expireDeltaTokens();
    // (title is no longer mapped after the scenario: change the display name)
    await graph('PATCH', `/users/${ids[3]}`, { displayName: 'Delta Lead 3' });
    const again = await t.app.sync.previewImport(dirId);
    expect(again.mode).toBe('full');
    expect(again.modeReason).toMatch(/no longer accepts the last delta link of Delta tenant/);
    expect(again.users).toMatchObject({ update: 1, create: 0, missing: 0, unchanged: N - 1 });
    t.app.sync.commitImport({ runId: again.runId });
    expect(readDeltaState(t.app.repos.directories.get(dirId)!).token).not.toBe(before);
    const next = await t.app.sync.previewImport(dirId);
    expect(next.mode).toBe('delta');
    expect(t.app.sync.rows(next.runId).total).toBe(0);
  }, 120_000);
});
