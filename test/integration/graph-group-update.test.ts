// Group rename and description through the Graph connector against the
// emulator: one PATCH with only what differs, mailNickname following a name
// it was derived from, an admin's own alias kept, members untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../graph-emulator/index.ts';
import type { GraphConnector } from '../../src-main/connectors/graph/index.ts';
import { ALL_ROLES, connectTo } from './graph-support.ts';

describe('graph connector: group update', () => {
  let emu: GraphEmulator;
  let c: GraphConnector;
  const group = (id: string) => emu.groups().find((g) => g.id === id)!;
  const patches = (from: number) => emu.log.slice(from).filter((e) => e.method === 'PATCH' && e.kind === 'graph');

  beforeAll(async () => {
    emu = await startGraphEmulator();
    emu.addApp({ clientId: 'app', secret: 's3cret', roles: ALL_ROLES });
    emu.seedUsers([{ userPrincipalName: `m1@${emu.tenantDomain}` }, { userPrincipalName: `m2@${emu.tenantDomain}` }]);
    c = connectTo(emu);
  });
  afterAll(async () => {
    await c?.close();
    await emu?.stop();
  });

  it('renames with a derived mailNickname following, changes and clears the description, keeps members', async () => {
    const ids: string[] = [];
    for await (const page of c.listUsers()) ids.push(...page.map((u) => u.ref));
    const g = await c.createGroup({ displayName: 'Project Apollo', description: 'Moon' }, ids);
    expect(group(g.ref).mailNickname).toBe('Project-Apollo');

    const from = emu.log.length;
    const r = await c.updateGroup(g.ref, { displayName: 'Projekt Ärtemis (2)', description: 'Mars' });
    expect(r).toMatchObject({
      anchor: g.ref,
      ref: g.ref,
      data: { displayName: 'Projekt Ärtemis (2)', description: 'Mars' },
    });
    expect(r.members.map((m) => m.ref).sort()).toEqual([...ids].sort());
    expect(patches(from)).toHaveLength(1);
    expect(group(g.ref)).toMatchObject({
      displayName: 'Projekt Ärtemis (2)',
      description: 'Mars',
      mailNickname: 'Projekt-Artemis-2',
    });
    expect(emu.members(g.ref).sort()).toEqual([...ids].sort());

    const cleared = await c.updateGroup(g.ref, { description: '' });
    expect(cleared.data).toEqual({ displayName: 'Projekt Ärtemis (2)' });
    expect(group(g.ref).description).toBeNull();
    expect(group(g.ref).mailNickname).toBe('Projekt-Artemis-2');

    // Nothing differs: no PATCH at all.
    const quiet = emu.log.length;
    await c.updateGroup(g.ref, { displayName: 'Projekt Ärtemis (2)' });
    expect(patches(quiet)).toHaveLength(0);
  });

  it("keeps an alias the admin chose and refuses a name Graph rejects, in the admin's words", async () => {
    const [g] = emu.seedGroups([{ displayName: 'Finance', mailNickname: 'fin-team' }]);
    const r = await c.updateGroup(g!.id, { displayName: 'Finance and Controlling' });
    expect(r.data.displayName).toBe('Finance and Controlling');
    expect(group(g!.id).mailNickname).toBe('fin-team');

    const err = await c.updateGroup(g!.id, { displayName: 'x'.repeat(300) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_value' });
    expect(group(g!.id).displayName).toBe('Finance and Controlling');
  });
});
