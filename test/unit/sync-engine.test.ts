// The sync engine's planning, commit, safety and outbox rules, against an
// in-memory directory (the real servers are in test/integration/sync-*.test.ts).
import { beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src-main/app.ts';
import { ConnectorError } from '../../src-main/connectors/connector.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import { FakeDirectory, fakeLdapConfig, useFakeDirectoryApp } from './sync-fake-connector.ts';
import { ReportQueries } from '../../src-main/reports/query.ts';

const fx = useFakeDirectoryApp('pd-sync-');
let app: App;
let dataDir: string;
let dirs: Map<string, FakeDirectory>;
beforeEach(() => {
  ({ app, dataDir, dirs } = fx);
});
const ldapConfig = fakeLdapConfig;

function source(name = 'Source', over: Partial<DirectoryConfig> = {}) {
  const view = app.directories.save(undefined, ldapConfig(name, over), { bindPassword: 'x' });
  const fake = new FakeDirectory();
  dirs.set(name, fake);
  return { id: view.id, fake };
}

const mail = (v: string) => [{ value: v, primary: true }];

describe('import preview and commit', () => {
  it('plans creates, commits them with links and report entries, then sees everything unchanged', async () => {
    const { id, fake } = source();
    const a = fake.addUser({
      userName: 'ann',
      displayName: 'Ann A',
      emails: mail('ann@x.test'),
      name: { givenName: 'Ann', familyName: 'A' },
    });
    const b = fake.addUser({ userName: 'bob', displayName: 'Bob B', emails: mail('bob@x.test') });
    fake.addUser({ userName: 'cid' });
    fake.addGroup('staff', [a, b]);

    const before = app.db.localChange();
    const plan = await app.sync.previewImport(id);
    expect(app.db.localChange()).toBe(before); // nothing written to the store
    expect(app.repos.users.count()).toBe(0);
    expect(plan.users).toEqual({ create: 3, update: 0, unchanged: 0, missing: 0, conflict: 0 });
    expect(plan.groups.create).toBe(1);
    expect(plan.memberships).toEqual({ add: 2, remove: 0 });
    const rows = app.sync.rows(plan.runId, { objectType: 'user' });
    expect(rows.total).toBe(3);
    expect(rows.rows[0]!.changes).toMatchObject({ userName: [null, 'ann'], displayName: [null, 'Ann A'] });

    const c = app.sync.commitImport({ runId: plan.runId });
    expect(c.committed.users.create).toBe(3);
    expect(c.committed.memberships.add).toBe(2);
    expect(app.repos.users.count()).toBe(3);
    const staff = app.repos.groups.byName('staff')!;
    expect(staff.members.map((m) => m.display).sort()).toEqual(['Ann A', 'Bob B']);
    expect(app.repos.links.forDirectory(id, 'user').every((l) => l.state === 'provisioned' && l.anchor)).toBe(true);
    const reports = app.db.all<{ action: string; run_id: string }>(
      'SELECT action, run_id FROM report_entries WHERE run_id = ?',
      plan.runId,
    );
    expect(reports.length).toBe(3 + 1 + 2);
    // A new user's report entry carries its values (derived from the row's remote data), and the
    // identifiers of the commit's entries are searchable by part (report_users filled in bulk).
    const annReport = app.db.get<{ changes: string }>(
      "SELECT changes FROM report_entries WHERE run_id = ? AND user_identifier = 'ann'",
      plan.runId,
    )!;
    expect(JSON.parse(annReport.changes)).toMatchObject({ userName: [null, 'ann'], displayName: [null, 'Ann A'] });
    expect(new ReportQueries(app.db).matchingIdentifiers('bob', 10)).toEqual(['bob']);
    expect(app.db.get<{ value: number }>("SELECT value FROM counters WHERE name = 'reportUsersDeferred'")!.value).toBe(
      0,
    );

    const again = await app.sync.previewImport(id);
    expect(again.users).toEqual({ create: 0, update: 0, unchanged: 3, missing: 0, conflict: 0 });
    expect(again.groups).toMatchObject({ create: 0, unchanged: 1 });
    expect(again.memberships).toEqual({ add: 0, remove: 0 });
  });

  it('an import commit queues its creates for the other directories where creating is on, not for its source', async () => {
    const { id, fake } = source('Src', {
      toggles: {
        users: { import: true, create: true, edit: true, delete: true, passwordSync: false },
        groups: { import: true, create: false, delete: false, membership: false },
      },
    } as Partial<DirectoryConfig>);
    fake.addUser({ userName: 'x1' });
    fake.addUser({ userName: 'x2' });
    const plan = await app.sync.previewImport(id);
    // Alone: nothing to queue.
    expect(app.sync.commitImport({ runId: plan.runId }).committed.queued).toBe(0);
    const other = source('Other', {
      toggles: {
        users: { import: false, create: true, edit: false, delete: false, passwordSync: false },
        groups: { import: false, create: false, delete: false, membership: false },
      },
    } as Partial<DirectoryConfig>);
    fake.addUser({ userName: 'x3' });
    const again = await app.sync.previewImport(id);
    expect(again.users.create).toBe(1);
    expect(app.sync.commitImport({ runId: again.runId }).committed.queued).toBe(1);
    const items = app.db.all<{ directory_id: string; op: string }>('SELECT directory_id, op FROM outbox');
    expect(items).toEqual([{ directory_id: other.id, op: 'user.create' }]);
  });

  it('shows per-attribute diffs, missing users and commits only the selected rows', async () => {
    const { id, fake } = source();
    const users = Array.from({ length: 6 }, (_, i) =>
      fake.addUser({ userName: `u${i}`, displayName: `User ${i}`, title: 'T' }),
    );
    await commitAll(id);
    users[0]!.data.title = 'Boss';
    users[1]!.data.displayName = 'Renamed';
    fake.users.delete(users[5]!.anchor);
    fake.addUser({ userName: 'new1' });
    const p = await app.sync.previewImport(id);
    expect(p.users).toEqual({ create: 1, update: 2, unchanged: 3 - 0, missing: 1, conflict: 0 });
    const upd = app.sync.rows(p.runId, { actions: ['update'] }).rows;
    expect(upd.map((r) => r.changes)).toEqual([{ title: ['T', 'Boss'] }, { displayName: ['User 1', 'Renamed'] }]);
    // Select only the title change and the new user.
    const sel = app.sync
      .rows(p.runId, { actions: ['update', 'create'] })
      .rows.filter((r) => r.display !== 'Renamed (u1)');
    const threshold = p.threshold;
    expect(threshold.deletions).toBe(1);
    app.sync.commitImport({ runId: p.runId, seqs: sel.map((r) => r.seq), allowDeletes: true });
    expect(app.repos.users.byUserName('u0')!.title).toBe('Boss');
    expect(app.repos.users.byUserName('u1')!.displayName).toBe('User 1');
    expect(app.repos.users.byUserName('new1')).toBeTruthy();
    expect(app.repos.users.byUserName('u5')!.active).toBe(true); // the missing row was not selected
    const csv = app.sync.exportCsv(p.runId, { actions: ['update'] }).csv;
    expect(csv).toContain('title,T,Boss');
  });

  it('refuses a stale plan and a plan superseded by a newer preview', async () => {
    const { id, fake } = source();
    fake.addUser({ userName: 'ann' });
    const p1 = await app.sync.previewImport(id);
    app.users.create({ userName: 'local', name: {}, emails: [], phoneNumbers: [], active: true });
    expect(() => app.sync.commitImport({ runId: p1.runId })).toThrow(/preview again/i);
    const p2 = await app.sync.previewImport(id);
    const p3 = await app.sync.previewImport(id);
    expect(() => app.sync.commitImport({ runId: p2.runId })).toThrow(/newer preview/i);
    app.sync.commitImport({ runId: p3.runId });
    expect(() => app.sync.commitImport({ runId: p3.runId })).toThrow(/already applied/i);
    const r = await dispatch(app, 'import.commit', { runId: p3.runId });
    expect(r).toMatchObject({ ok: false, error: { code: 'stale_plan' } });
  });

  it('matching: by rule links the local user, two candidates are a conflict, never a guess', async () => {
    const { id, fake } = source('Src', { matching: ['email'] } as Partial<DirectoryConfig>);
    app.users.create({ userName: 'x1', name: {}, emails: mail('same@x.test'), phoneNumbers: [], active: true });
    app.users.create({ userName: 'x2', name: {}, emails: mail('same@x.test'), phoneNumbers: [], active: true });
    app.users.create({ userName: 'ann', name: {}, emails: mail('ann@x.test'), phoneNumbers: [], active: true });
    fake.addUser({ userName: 'zz', emails: mail('same@x.test') });
    fake.addUser({ userName: 'ann', emails: mail('ann@x.test') });
    const p = await app.sync.previewImport(id);
    expect(p.users.conflict).toBe(1);
    expect(p.users.unchanged).toBe(1);
    const conflict = app.sync.rows(p.runId, { actions: ['conflict'] }).rows[0]!;
    expect(conflict.reason).toMatch(/more than one/i);
    app.sync.commitImport({ runId: p.runId });
    expect(app.repos.links.get(id, 'user', app.repos.users.byUserName('ann')!.id)?.anchor).toBeTruthy();
    expect(app.repos.users.count()).toBe(3);
  });

  it('stops at the deletion threshold until allowed, and disables (default) rather than deletes', async () => {
    const { id, fake } = source('Src', {
      safety: { deleteThresholdCount: 2, deleteThresholdPercent: 100, deprovision: 'disable' },
    } as Partial<DirectoryConfig>);
    const us = Array.from({ length: 5 }, (_, i) => fake.addUser({ userName: `u${i}` }));
    await commitAll(id);
    for (const u of us.slice(0, 3)) fake.users.delete(u.anchor);
    const p = await app.sync.previewImport(id);
    expect(p.users.missing).toBe(3);
    expect(p.threshold).toMatchObject({ exceeded: true, deletions: 3, limitCount: 2 });
    const r = await dispatch(app, 'import.commit', { runId: p.runId });
    expect(r).toMatchObject({ ok: false, error: { code: 'threshold' } });
    expect(app.repos.users.byUserName('u0')!.active).toBe(true);
    const ok = await dispatch(app, 'import.commit', { runId: p.runId, allowDeletes: true });
    expect(ok.ok).toBe(true);
    expect(app.repos.users.byUserName('u0')!.active).toBe(false);
    expect(app.repos.users.count()).toBe(5);
  });

  it('a read that fails midway or an empty source never yields missing rows', async () => {
    const { id, fake } = source();
    for (let i = 0; i < 10; i++) fake.addUser({ userName: `u${i}` });
    await commitAll(id);
    fake.failListAfter = { after: 6, error: new ConnectorError('unreachable', 'The server stopped answering.') };
    await expect(app.sync.previewImport(id)).rejects.toMatchObject({
      code: 'source_failed',
      message: expect.stringMatching(/nobody was marked missing/),
    });
    const failed = app.sync.runs({ directoryId: id })[0]!;
    expect(failed.status).toBe('failed');
    expect(app.repos.runs.countRows(failed.runId)).toBe(0);
    fake.failListAfter = undefined;
    fake.users.clear();
    await expect(app.sync.previewImport(id)).rejects.toMatchObject({ code: 'empty_source' });
    expect(app.repos.users.all().every((u) => u.active)).toBe(true);
  });

  it('reports progress with an operation id and can be cancelled', async () => {
    const { id, fake } = source();
    for (let i = 0; i < 30; i++) fake.addUser({ userName: `u${i}` });
    const seen: Array<{ operationId: string; operation: string; phase: string; done: number }> = [];
    app.events.subscribe((name, p) => {
      if (name !== 'app.progress') return;
      const pr = p as { operationId: string; operation: string; phase: string; done: number };
      seen.push(pr);
      if (pr.phase === 'reading users' && pr.done >= 9) app.operations.cancel(pr.operationId);
    });
    await expect(app.sync.previewImport(id)).rejects.toMatchObject({ code: 'cancelled' });
    expect(seen.some((s) => s.phase === 'reading users')).toBe(true);
    // Screens follow only their own kind of work.
    expect(seen.every((s) => s.operation === 'import')).toBe(true);
    expect(app.sync.runs({ directoryId: id })[0]!.status).toBe('cancelled');
  });
});

describe('outbox', () => {
  it('queues each change only where its toggle is on, seals passwords, and runs them', async () => {
    const on = source('On', {
      toggles: {
        users: { import: false, create: true, edit: true, delete: true, passwordSync: true },
        groups: { import: false, create: true, delete: true, membership: true },
      },
    } as Partial<DirectoryConfig>);
    const off = source('Off', {
      toggles: {
        users: { import: false, create: false, edit: false, delete: false, passwordSync: false },
        groups: { import: false, create: false, delete: false, membership: false },
      },
    } as Partial<DirectoryConfig>);
    const u = app.users.create(
      { userName: 'neo', name: { givenName: 'N' }, emails: [], phoneNumbers: [], active: true },
      'S3cret-Pass!',
    );
    const raw = app.db.all<{ payload: string; directory_id: string }>('SELECT payload, directory_id FROM outbox');
    expect(raw.length).toBe(1);
    expect(raw[0]!.directory_id).toBe(on.id);
    expect(raw[0]!.payload).not.toContain('S3cret-Pass!');
    expect(app.repos.links.get(on.id, 'user', u.id)?.state).toBe('pending');
    await app.sync.drain();
    const remote = on.fake.byUserName('neo')!;
    expect(on.fake.passwords.get(remote.anchor)).toBe('S3cret-Pass!');
    expect(app.repos.links.get(on.id, 'user', u.id)).toMatchObject({ state: 'provisioned', ref: remote.ref });
    expect(app.db.get<{ payload: string }>('SELECT payload FROM outbox')!.payload).not.toContain('passwordSealed');

    app.users.update(u.id, { ...u, title: 'The One' });
    app.users.setPassword(u.id, 'An0ther-Pass!', false);
    const g = app.groups.create({ displayName: 'crew' });
    app.groups.addMembers(g.id, [u.id]);
    await app.sync.drain();
    expect(remote.data.title).toBe('The One');
    expect(on.fake.passwords.get(remote.anchor)).toBe('An0ther-Pass!');
    const rg = [...on.fake.groups.values()].find((x) => x.data.displayName === 'crew')!;
    expect(rg.members.map((m) => m.ref)).toContain(remote.ref);
    app.users.delete(u.id);
    await app.sync.drain();
    expect(remote.data.active).toBe(false);
    expect(off.fake.calls).toEqual([]);
    expect(app.repos.outbox.counts()).toMatchObject({ pending: 0, running: 0, failed: 0 });
    const entries = app.db.all<{ action: string; status: string; application: string }>(
      'SELECT action, status, application FROM report_entries ORDER BY id',
    );
    // The member added before the group's create ran was written with the create, not queued again.
    expect(entries.map((e) => e.action).sort()).toEqual(['create', 'create', 'disable', 'password', 'update']);
    expect(entries.every((e) => e.status === 'success' && e.application === 'On')).toBe(true);
  });

  it('retries transient faults, marks permanent ones failed with the directory message, links existing objects', async () => {
    const on = source('On', {
      toggles: {
        users: { import: false, create: true, edit: true, delete: false, passwordSync: false },
        groups: { import: false, create: false, delete: false, membership: false },
      },
    } as Partial<DirectoryConfig>);
    on.fake.addUser({ userName: 'already' });
    on.fake.failNext.push(
      new ConnectorError('busy', 'Server busy'),
      new ConnectorError('constraint', 'Rejected', {
        details: { serverMessage: 'objectClass violation: sn required' },
      }),
    );
    const a = app.users.create({ userName: 'first', name: {}, emails: [], phoneNumbers: [], active: true });
    await app.sync.drain();
    // busy → retried, then constraint → failed with the server's words
    const item = app.repos.outbox.list({})[0]!;
    expect(item.state).toBe('failed');
    expect(app.repos.links.get(on.id, 'user', a.id)).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('sn required'),
    });
    const st = app.db.all<{ status: string }>('SELECT status FROM report_entries ORDER BY id').map((r) => r.status);
    expect(st).toEqual(['pending', 'failure']);
    expect(app.sync.retryFailed({}).queued).toBe(1);
    await app.sync.drain();
    expect(app.repos.links.get(on.id, 'user', a.id)?.state).toBe('provisioned');
    // idempotent create: an existing object is linked, not duplicated
    const b = app.users.create({ userName: 'already', name: {}, emails: [], phoneNumbers: [], active: true });
    await app.sync.drain();
    expect([...on.fake.users.values()].filter((u) => u.data.userName === 'already').length).toBe(1);
    expect(app.repos.links.get(on.id, 'user', b.id)?.state).toBe('provisioned');
  });

  it('an edit or password for a user never provisioned in a directory is not queued there', async () => {
    const editOnly = source('EditOnly', {
      toggles: {
        users: { import: false, create: false, edit: true, delete: true, passwordSync: true },
        groups: { import: false, create: false, delete: false, membership: true },
      },
    } as Partial<DirectoryConfig>);
    const u = app.users.create({ userName: 'local-only', name: {}, emails: [], phoneNumbers: [], active: true });
    app.users.update(u.id, { ...u, title: 'x' });
    expect(app.users.setPassword(u.id, 'Pw-123456!', false)).toBe(0);
    app.users.delete(u.id);
    expect(app.repos.outbox.counts(editOnly.id)).toEqual({ pending: 0, running: 0, done: 0, failed: 0 });
    expect(app.repos.links.forDirectory(editOnly.id, 'user')).toEqual([]);
  });

  it('resumes items a crash left running', async () => {
    const on = source('On', {
      toggles: {
        users: { import: false, create: true, edit: false, delete: false, passwordSync: false },
        groups: { import: false, create: false, delete: false, membership: false },
      },
    } as Partial<DirectoryConfig>);
    app.users.create({ userName: 'r1', name: {}, emails: [], phoneNumbers: [], active: true });
    const claimed = app.repos.outbox.claim(on.id, 10);
    expect(claimed.length).toBe(1);
    // Simulate the crash: the created object exists remotely but the item is still 'running'.
    on.fake.addUser({ userName: 'r1' });
    await app.close();
    // The fixture closes whichever app is current when the test ends.
    app = fx.app = createApp({
      dataDir,
      shell: 'test',
      outbox: { idleMs: 20 },
      createConnector: (c) => dirs.get(c.name)!.connector(),
    });
    await app.sync.drain();
    expect([...on.fake.users.values()].filter((u) => u.data.userName === 'r1').length).toBe(1);
    expect(app.repos.outbox.counts()).toMatchObject({ done: 1, running: 0 });
  });

  it('provision on demand returns a step trace', async () => {
    const on = source('On', {
      toggles: {
        users: { import: false, create: true, edit: true, delete: false, passwordSync: false },
        groups: { import: false, create: false, delete: false, membership: false },
      },
    } as Partial<DirectoryConfig>);
    app.db.run('DELETE FROM outbox');
    const u = app.repos.users.insert({ userName: 'ondemand', name: {}, emails: [], phoneNumbers: [], active: true });
    const r = await app.sync.provisionOnDemand(u.id, on.id);
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => s.step)).toEqual(['scope', 'match', 'action', 'result']);
    expect(on.fake.byUserName('ondemand')).toBeTruthy();
  });

  it('push preview lists what the directory lacks and apply queues it', async () => {
    const on = source('On', {
      toggles: {
        users: { import: false, create: true, edit: true, delete: true, passwordSync: false },
        groups: { import: false, create: false, delete: false, membership: false },
      },
    } as Partial<DirectoryConfig>);
    app.repos.users.insert({ userName: 'p1', name: {}, emails: [], phoneNumbers: [], active: true });
    app.repos.users.insert({ userName: 'p2', name: {}, emails: [], phoneNumbers: [], active: true });
    on.fake.addUser({ userName: 'p2' });
    const p = await app.sync.previewPush(on.id);
    expect(p.users).toMatchObject({ create: 1, unchanged: 1 });
    const r = app.sync.applyPush({ runId: p.runId });
    expect(r.queued).toBe(1);
    await app.sync.drain();
    expect(on.fake.byUserName('p1')).toBeTruthy();
    expect(app.repos.links.forDirectory(on.id, 'user').length).toBe(2);
  });
});

async function commitAll(id: string) {
  const p = await app.sync.previewImport(id);
  app.sync.commitImport({ runId: p.runId, allowDeletes: true });
  return p;
}
