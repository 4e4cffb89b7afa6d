// The import commit's bulk paths (issue: commit of 100,000 users under 2 s): report entries
// written many rows per statement with the report_users trigger dropped for the transaction,
// users not read back, links read once per plan. Same store as one write per row would leave.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src-main/app.ts';
import { Db } from '../../src-main/store/db.ts';
import { ReportQueries } from '../../src-main/reports/query.ts';
import { withBulkReportUsers } from '../../src-main/sync/common.ts';
import { FakeDirectory, fakeLdapConfig, useFakeDirectoryApp } from './sync-fake-connector.ts';

const fx = useFakeDirectoryApp('pd-commit-bulk-');
let app: App;
let dataDir: string;
let dirs: Map<string, FakeDirectory>;
beforeEach(() => {
  ({ app, dataDir, dirs } = fx);
});

const toggles = (create: boolean) => ({
  users: { import: !create, create, edit: false, delete: false, passwordSync: false },
  groups: { import: !create, create: false, delete: false, membership: false },
});

const config = (name: string, create = false) => fakeLdapConfig(name, { toggles: toggles(create) });

function source(name: string, create = false) {
  const id = app.directories.save(undefined, config(name, create), { bindPassword: 'x' }).id;
  const fake = new FakeDirectory();
  fake.pageSize = 500;
  dirs.set(name, fake);
  return { id, fake };
}

const triggerSql = () =>
  app.db.get<{ sql: string }>("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'report_entries_user'")
    ?.sql;
const allIndexes = () =>
  app.db.all<{ name: string; sql: string | null }>(
    "SELECT name, sql FROM sqlite_schema WHERE type = 'index' ORDER BY name",
  );
const reportIndexes = () =>
  app.db.all<{ name: string; sql: string }>(
    "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'report_entries' ORDER BY name",
  );

describe('import commit in bulk', () => {
  it('writes one user, link and report entry per row, in row order, queues each create once and keeps the search trigger', async () => {
    const { id, fake } = source('Source');
    const n = 1_234; // more than two report batches, and a partial one
    const remote = Array.from({ length: n }, (_, i) =>
      fake.addUser({
        userName: `bulk${String(i).padStart(4, '0')}`,
        displayName: `Bulk ${i}`,
        emails: [{ value: `bulk${i}@x.test`, primary: true }],
      }),
    );
    fake.addGroup('many', remote.slice(0, 700));
    const other = source('Target', true);
    const trigger = triggerSql();
    expect(trigger).toContain('reportUsersDeferred');
    const indexes = reportIndexes();
    expect(indexes.length).toBeGreaterThanOrEqual(5);

    const plan = await app.sync.previewImport(id);
    expect(plan.users.create).toBe(n);
    const c = app.sync.commitImport({ runId: plan.runId });
    expect(c.committed.users.create).toBe(n);
    expect(c.committed.memberships.add).toBe(700);
    expect(c.committed.queued).toBe(n);

    // Users exactly as the remote data says, each linked to its own remote object.
    expect(app.repos.users.count()).toBe(n);
    const links = app.repos.links.forDirectory(id, 'user');
    expect(links).toHaveLength(n);
    const byAnchor = new Map(links.map((l) => [l.anchor, l.localId]));
    for (const r of [remote[0]!, remote[617]!, remote[n - 1]!]) {
      const u = app.repos.users.get(byAnchor.get(r.anchor)!)!;
      expect(u).toMatchObject({
        userName: r.data.userName,
        displayName: r.data.displayName,
        emails: r.data.emails,
        meta: { version: 1 },
      });
    }
    expect(app.repos.groups.byName('many')!.members).toHaveLength(700);

    // One entry per applied row, in the order of the rows (users by creation order, then group, then memberships).
    const entries = app.db.all<{
      user_identifier: string;
      object_type: string;
      action: string;
      changes: string | null;
    }>(
      'SELECT user_identifier, object_type, action, changes FROM report_entries WHERE run_id = ? ORDER BY id',
      plan.runId,
    );
    expect(entries).toHaveLength(n + 1 + 700);
    const created = app.db
      .all<{ user_name: string }>('SELECT user_name FROM users ORDER BY id')
      .map((u) => u.user_name);
    expect(entries.slice(0, n).map((e) => e.user_identifier)).toEqual(created);
    expect(entries.slice(0, n).every((e) => e.object_type === 'user' && e.action === 'create')).toBe(true);
    expect(entries[n]).toMatchObject({ object_type: 'group', action: 'create' });
    expect(entries.slice(n + 1).every((e) => e.action === 'add member')).toBe(true);
    expect(JSON.parse(entries[0]!.changes!)).toMatchObject({
      userName: [null, created[0]],
      displayName: [null, 'Bulk 0'],
    });

    // The outbox of the other directory: one create per user, none for the source.
    const queued = app.db.all<{ directory_id: string; n: number }>(
      "SELECT directory_id, count(*) AS n FROM outbox WHERE op = 'user.create' GROUP BY directory_id",
    );
    expect(queued).toEqual([{ directory_id: other.id, n }]);

    // Searchable by part; the per-row trigger and the indexes (rebuilt: the table was empty) are back as they were.
    expect(new ReportQueries(app.db).matchingIdentifiers('ulk1233', 10)).toEqual(['bulk1233']);
    expect(triggerSql()).toBe(trigger);
    expect(reportIndexes()).toEqual(indexes);
    const plan2 = app.db.all<{ detail: string }>(
      "EXPLAIN QUERY PLAN SELECT id FROM report_entries WHERE user_identifier_lc = 'bulk0001' ORDER BY at",
    );
    expect(plan2.map((p) => p.detail).join(' ')).toContain('report_user_at');
    app.repos.reports.add({
      userIdentifier: 'Written-After',
      objectType: 'user',
      action: 'edit',
      application: 'Provision Desk',
      status: 'success',
    });
    expect(new ReportQueries(app.db).matchingIdentifiers('ten-aft', 10)).toEqual(['written-after']);
  });

  it('a commit that fails half-way leaves the store, the trigger and the plan as they were', async () => {
    const { id, fake } = source('Source');
    for (let i = 0; i < 600; i++) fake.addUser({ userName: `half${i}` });
    const trigger = triggerSql();
    const indexes = reportIndexes();
    const plan = await app.sync.previewImport(id);
    // Taken behind the plan's back (no local change counted): the 301st create hits the unique user name.
    app.repos.users.insert({ userName: 'half300', name: {}, emails: [], phoneNumbers: [], active: true });
    expect(() => app.sync.commitImport({ runId: plan.runId })).toThrow(/UNIQUE/);
    expect(app.repos.users.count()).toBe(1);
    expect(app.repos.links.forDirectory(id, 'user')).toEqual([]);
    expect(app.db.get<{ n: number }>('SELECT count(*) AS n FROM report_entries WHERE run_id = ?', plan.runId)!.n).toBe(
      0,
    );
    expect(triggerSql()).toBe(trigger);
    expect(reportIndexes()).toEqual(indexes);
    expect(app.sync.run(plan.runId).status).toBe('previewed');
    const schema = allIndexes();

    // Without the blocker, the same plan goes in whole (alone: users, links and report indexes built
    // once at the end), and every index is back as it was, used by the look-ups that need it.
    app.repos.users.delete(app.repos.users.byUserName('half300')!.id);
    const c = app.sync.commitImport({ runId: plan.runId });
    expect(c.committed.users.create).toBe(600);
    expect(allIndexes()).toEqual(schema);
    const anchor = app.repos.links.forDirectory(id, 'user')[0]!.anchor!;
    expect(app.repos.links.byAnchor(id, 'user', anchor)).toBeDefined();
    const uses = (sql: string) =>
      app.db
        .all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .map((p) => p.detail)
        .join(' ');
    expect(uses(`SELECT * FROM links WHERE directory_id = 'd' AND object_type = 'user' AND anchor = 'a'`)).toContain(
      'links_anchor',
    );
    expect(uses(`SELECT * FROM users WHERE email = 'a'`)).toContain('users_email');
    // The unique anchor is enforced again.
    const l = app.repos.links.forDirectory(id, 'user');
    expect(() => app.repos.links.upsert({ ...l[1]!, anchor: l[0]!.anchor })).toThrow(/UNIQUE/);
  });

  it('withBulkReportUsers refuses to run outside a transaction', () => {
    expect(() => withBulkReportUsers(app.db, () => 1, { entries: 10 })).toThrow(/inside a transaction/);
    expect(triggerSql()).toContain('reportUsersDeferred');
  });

  it('withBulkReportUsers leaves the trigger and the flag as they were when its work throws and the caller goes on', () => {
    const trigger = triggerSql();
    const entry = { objectType: 'user' as const, action: 'edit', application: 'App', status: 'success' as const };
    app.db.transaction(() => {
      for (const entries of [10, undefined]) {
        expect(() =>
          withBulkReportUsers(
            app.db,
            () => {
              app.repos.reports.add({ ...entry, userIdentifier: 'Lost entry' });
              throw new Error('the bulk work failed');
            },
            { entries },
          ),
        ).toThrow(/bulk work failed/);
      }
      // The caller caught the error and writes on in the same transaction.
      app.repos.reports.add({ ...entry, userIdentifier: 'Kept Entry' });
    });
    expect(triggerSql()).toBe(trigger);
    expect(app.db.get<{ value: number }>("SELECT value FROM counters WHERE name = 'reportUsersDeferred'")!.value).toBe(
      0,
    );
    const ids = app.db.all<{ user_identifier: string }>('SELECT user_identifier FROM report_entries');
    expect(ids.map((r) => r.user_identifier)).toEqual(['Kept Entry']);
    // The entry written after the failure is searchable: the per-row trigger ran for it.
    expect(app.db.get('SELECT 1 AS x FROM report_users WHERE lc = ?', 'kept entry')).toBeTruthy();
  });

  it('writes many report entries in order with secrets masked, as one at a time would', () => {
    const secret = { password: [null, 'Hunter2!'] as [unknown, unknown], title: ['a', 'b'] as [unknown, unknown] };
    const many = Array.from({ length: 1_001 }, (_, i) => ({
      userIdentifier: `M${i}`,
      objectType: 'user' as const,
      action: 'edit',
      application: 'App',
      status: 'success' as const,
      changes: secret,
    }));
    app.db.transaction(() => app.repos.reports.addMany(many));
    app.repos.reports.add({ ...many[0]!, userIdentifier: 'one' });
    const rows = app.db.all<{ user_identifier: string; user_identifier_lc: string; changes: string }>(
      'SELECT user_identifier, user_identifier_lc, changes FROM report_entries ORDER BY id',
    );
    expect(rows.map((r) => r.user_identifier)).toEqual([...many.map((m) => m.userIdentifier), 'one']);
    expect(rows[1000]!.user_identifier_lc).toBe('m1000');
    for (const r of [rows[0]!, rows[1000]!, rows[1001]!])
      expect(JSON.parse(r.changes)).toEqual({ password: ['••••', '••••'], title: ['a', 'b'] });
    expect(rows.some((r) => r.changes.includes('Hunter2'))).toBe(false);
  });

  it('reads the links a plan can touch by anchor or local id in one query', () => {
    const { id } = source('Source');
    const link = (localId: string, anchor: string | null) =>
      app.repos.links.upsert({
        directoryId: id,
        objectType: 'user',
        localId,
        anchor,
        ref: null,
        state: 'provisioned',
        reason: null,
        hash: null,
      });
    link('l1', 'a1');
    link('l2', 'a2');
    link('l3', null);
    app.repos.links.upsert({
      directoryId: id,
      objectType: 'group',
      localId: 'g1',
      anchor: 'a1',
      ref: null,
      state: 'provisioned',
      reason: null,
      hash: null,
    });
    const got = app.repos.links
      .forPlan(id, 'user', ['a1', 'nope'], ['l1', 'l3'])
      .map((l) => [l.localId, l.anchor])
      .sort();
    expect(got).toEqual([
      ['l1', 'a1'],
      ['l3', null],
    ]);
    expect(app.repos.links.forPlan(id, 'user', [], [])).toEqual([]);
  });

  it('a bulk transaction puts its settings back and has its big WAL copied into the database on another thread', async () => {
    const file = join(dataDir, 'bulk.sqlite');
    const db = new Db(file);
    const pragma = (n: string) => Object.values(db.sqlite.prepare(`PRAGMA ${n}`).get()!)[0];
    const before = [pragma('cache_size'), pragma('temp_store'), pragma('wal_autocheckpoint')];
    const blob = 'x'.repeat(1000);
    db.bulkTransaction(() => {
      expect(pragma('wal_autocheckpoint')).toBe(0);
      for (let i = 0; i < 40_000; i++) db.run('INSERT INTO settings (key, value) VALUES (?, ?)', `k${i}`, blob);
    });
    expect([pragma('cache_size'), pragma('temp_store')]).toEqual(before.slice(0, 2));
    expect(db.get<{ n: number }>('SELECT count(*) AS n FROM settings')!.n).toBe(40_000);
    // A small commit meanwhile does not do the checkpoint here (automatic checkpoints wait for the worker).
    db.run("INSERT INTO settings (key, value) VALUES ('after', 'x')");
    // The checkpoint runs on its own: the database file grows to hold the ~40 MB written, and
    // automatic checkpoints are back once it is done.
    const done = () => statSync(file).size > 40_000_000 && pragma('wal_autocheckpoint') === before[2];
    for (let i = 0; i < 600 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(file).size).toBeGreaterThan(40_000_000);
    expect(pragma('wal_autocheckpoint')).toBe(before[2]);
    db.close();
    const again = new Db(file);
    expect(again.get<{ n: number }>('SELECT count(*) AS n FROM settings')!.n).toBe(40_001);
    again.close();
  });
});
