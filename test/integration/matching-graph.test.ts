// Group matching through the Graph connector against the emulator: two groups
// with the same name are a conflict naming both ids, never a guess — for the
// look-up, and for the worker's group create, which links nothing, creates
// nothing and records a permanent failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../graph-emulator/index.ts';
import type { GraphConnector } from '../../src-main/connectors/graph/index.ts';
import type { ConnectorError } from '../../src-main/connectors/connector.ts';
import { ALL_ROLES, connectTo, entraConfig } from './graph-support.ts';
import { testApp, type TestApp } from './sync-support.ts';

describe('graph connector: groups with the same name', () => {
  let emu: GraphEmulator;
  let c: GraphConnector;
  let t: TestApp;
  let twins: string[];
  let single: string;

  beforeAll(async () => {
    emu = await startGraphEmulator();
    emu.addApp({ clientId: 'app', secret: 's3cret', roles: ALL_ROLES });
    const seeded = emu.seedGroups([
      { displayName: 'Sales', mailNickname: 'sales-emea' },
      { displayName: 'Sales', mailNickname: 'sales-us' },
      { displayName: 'Finance', mailNickname: 'finance' },
    ]);
    twins = seeded.slice(0, 2).map((g) => g.id);
    single = seeded[2]!.id;
    c = connectTo(emu);
    t = testApp();
  });
  afterAll(async () => {
    await t?.dispose();
    await c?.close();
    await emu?.stop();
  });

  it('the look-up answers a conflict with both ids; a unique name is still found', async () => {
    const e = (await c.findGroup({ displayName: 'sales' }).catch((err: unknown) => err)) as ConnectorError;
    expect(e.code).toBe('conflict');
    expect(e.transient).toBe(false);
    expect(e.message).toMatch(/More than one object in Emulated tenant matches the group sales by display name/);
    for (const id of twins) expect(e.message).toContain(id);
    expect((await c.findGroup({ displayName: 'Finance' }))?.ref).toBe(single);
  });

  it('the worker creates nothing, links nothing and records the conflict as a permanent failure', async () => {
    const app = t.app;
    const dir = app.directories.save(undefined, { ...entraConfig(emu), name: 'Entra' }, { clientSecret: 's3cret' });
    const g = app.groups.create({ displayName: 'Sales' });
    await app.sync.drain();
    expect(app.repos.outbox.counts(dir.id)).toMatchObject({ pending: 0, running: 0, failed: 1 });
    const link = app.repos.links.get(dir.id, 'group', g.id);
    expect(link?.state).toBe('failed');
    expect(link?.ref ?? null).toBeNull();
    for (const id of twins) expect(link?.reason).toContain(id);
    expect(emu.groups().filter((x) => x.displayName === 'Sales')).toHaveLength(2);
  });
});
