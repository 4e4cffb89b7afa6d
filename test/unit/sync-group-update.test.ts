// Group renames and description changes reach the directories: the outbox
// (group.update, switched on with "create groups") and push/reconcile
// ("update group" rows), against the in-memory directory. The real
// connectors' updateGroup is proven in test/integration/ldap-group-update.test.ts
// and graph-group-update.test.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src-main/app.ts';
import { FakeDirectory, fakeLdapConfig, useFakeDirectoryApp } from './sync-fake-connector.ts';

const fx = useFakeDirectoryApp('pd-group-update-');
let app: App;
let dirs: Map<string, FakeDirectory>;
beforeEach(() => {
  ({ app, dirs } = fx);
});

const groupsOn = { import: false, create: true, delete: false, membership: true };
const groupsOff = { import: false, create: false, delete: false, membership: true };

const config = (name: string, groups: typeof groupsOn) =>
  fakeLdapConfig(name, {
    toggles: { users: { import: false, create: true, edit: false, delete: false, passwordSync: false }, groups },
  });

function directory(name: string, groups: typeof groupsOn) {
  const view = app.directories.save(undefined, config(name, groups), { bindPassword: 'x' });
  const fake = new FakeDirectory();
  dirs.set(name, fake);
  return { id: view.id, fake };
}

describe('group update', () => {
  it('a rename and a description change are queued where creating groups is on, written, and the link follows the new ref', async () => {
    const on = directory('On', groupsOn);
    const off = directory('Off', groupsOff);
    const u = app.users.create({ userName: 'trinity', name: {}, emails: [], phoneNumbers: [], active: true });
    const g = app.groups.create({ displayName: 'crew', description: 'Ship crew' });
    app.groups.addMembers(g.id, [u.id]);
    await app.sync.drain();
    const before = app.repos.links.get(on.id, 'group', g.id)!;
    expect(before.ref).toBe('cn=crew,ou=groups');

    app.groups.update(g.id, { displayName: 'nebuchadnezzar', description: 'Hovercraft crew' });
    const queued = app.db.all<{ op: string; directory_id: string }>(
      "SELECT op, directory_id FROM outbox WHERE op = 'group.update'",
    );
    expect(queued).toEqual([{ op: 'group.update', directory_id: on.id }]);
    await app.sync.drain();

    const remote = [...on.fake.groups.values()][0]!;
    expect(remote.data).toEqual({ displayName: 'nebuchadnezzar', description: 'Hovercraft crew' });
    expect(remote.members.length).toBe(1);
    expect(app.repos.links.get(on.id, 'group', g.id)).toMatchObject({
      ref: 'cn=nebuchadnezzar,ou=groups',
      anchor: before.anchor,
      state: 'provisioned',
    });
    expect(off.fake.calls.some((c) => c.startsWith('updateGroup'))).toBe(false);
    const entry = app.db.get<{
      action: string;
      status: string;
      user_identifier: string;
      message: string;
      changes: string;
    }>(
      "SELECT action, status, user_identifier, message, changes FROM report_entries WHERE object_type = 'group' AND action = 'update'",
    )!;
    expect(entry).toMatchObject({
      status: 'success',
      user_identifier: 'nebuchadnezzar',
      message: 'Renamed cn=crew,ou=groups to cn=nebuchadnezzar,ou=groups.',
    });
    expect(JSON.parse(entry.changes)).toEqual({
      displayName: ['crew', 'nebuchadnezzar'],
      description: ['Ship crew', 'Hovercraft crew'],
    });

    // Only the description: the name is not sent (someone else's rename in the directory is not undone).
    app.groups.update(g.id, { displayName: 'nebuchadnezzar' });
    await app.sync.drain();
    expect(remote.data).toEqual({ displayName: 'nebuchadnezzar' });
    expect(on.fake.calls.filter((c) => c.startsWith('updateGroup'))).toEqual([
      'updateGroup cn=crew,ou=groups',
      'updateGroup cn=nebuchadnezzar,ou=groups',
    ]);
    expect(app.repos.outbox.counts()).toMatchObject({ pending: 0, running: 0, failed: 0 });
  });

  it('push plans "update group" rows when the name or description differ, and applying them renames', async () => {
    const on = directory('On', groupsOn);
    const g = app.groups.create({ displayName: 'ops', description: 'Operations' });
    await app.sync.drain();
    const rg = [...on.fake.groups.values()][0]!;
    rg.data = { displayName: 'ops-old', description: 'Old text' };
    rg.ref = 'cn=ops-old,ou=groups';
    app.repos.links.upsert({ ...app.repos.links.get(on.id, 'group', g.id)!, ref: rg.ref });

    const p = await app.sync.previewPush(on.id);
    expect(p.groups).toMatchObject({ update: 1, unchanged: 0 });
    const rows = app.repos.runs.rows(p.runId).filter((r) => r.objectType === 'group');
    expect(rows).toMatchObject([
      {
        action: 'update',
        localId: g.id,
        changes: { displayName: ['ops-old', 'ops'], description: ['Old text', 'Operations'] },
      },
    ]);
    expect(app.sync.applyPush({ runId: p.runId }).queued).toBe(1);
    await app.sync.drain();
    expect(rg.data).toEqual({ displayName: 'ops', description: 'Operations' });
    expect(app.repos.links.get(on.id, 'group', g.id)?.ref).toBe('cn=ops,ou=groups');

    const again = await app.sync.previewPush(on.id);
    expect(again.groups).toMatchObject({ update: 0, unchanged: 1 });
  });

  it('push leaves group names alone where creating groups is off', async () => {
    const off = directory('Off', groupsOff);
    const g = app.groups.create({ displayName: 'ops' });
    const rg = off.fake.addGroup('ops-old');
    app.repos.links.upsert({
      directoryId: off.id,
      objectType: 'group',
      localId: g.id,
      anchor: rg.anchor,
      ref: rg.ref,
      state: 'provisioned',
      reason: null,
      hash: null,
    });
    const p = await app.sync.previewPush(off.id);
    expect(p.groups).toMatchObject({ update: 0, unchanged: 1 });
  });
});
