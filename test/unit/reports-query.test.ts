// Report queries over seeded entries: every filter alone and combined returns
// exactly the rows a plain JavaScript filter over the same entries returns,
// newest first, across pages, whichever plan the user filter takes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src-main/app.ts';
import { reportsFor } from '../../src-main/reports/service.ts';
import { FEW_USERS } from '../../src-main/reports/query.ts';
import type { ReportEntryInput } from '../../src-main/store/reports.ts';
import type { ReportFilterInput, ReportRow, ResolvedReportFilter } from '../../src-preload/contract/reports.ts';
import { reportFilterSchema } from '../../src-preload/contract/reports.ts';

const NOW = Date.now();
const HOUR = 3600_000;
const DAY = 24 * HOUR;

interface Seeded extends Required<
  Pick<ReportEntryInput, 'userIdentifier' | 'application' | 'action' | 'status' | 'at'>
> {
  id: number;
}

const users = [
  'Alice.Smith@contoso.example',
  'bob@contoso.example',
  'ALICE.JONES@fabrikam.example',
  'Ærøskøbing.Ünïcode@x.example',
  'carol',
  'dave.o"brien, jr',
];
const apps = ['Corp AD', 'Entra ID', 'LDAP, Lab'];
const actions = ['create', 'update', 'delete', 'password'];
const statuses = ['success', 'failure', 'skipped', 'pending'] as const;
// Ages spread over the quick spans: inside 24 h, inside 7 d, inside 30 d, older.
const ages = [1 * HOUR, 20 * HOUR, 3 * DAY, 6 * DAY, 10 * DAY, 29 * DAY, 45 * DAY, 100 * DAY];

let dir: string;
let app: App;
const seeded: Seeded[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-reports-q-'));
  app = createApp({ dataDir: dir, shell: 'test' });
  let n = 0;
  app.db.transaction(() => {
    for (const u of users)
      for (const a of apps)
        for (let k = 0; k < 4; k++) {
          const e = {
            userIdentifier: u,
            application: a,
            action: actions[(n + Math.floor(n / 4)) % actions.length]!,
            status: statuses[(n + Math.floor(n / 5)) % statuses.length]!,
            // Two entries share a time now and then, so (at, id) ordering and paging are exercised.
            at: new Date(NOW - ages[(n + k * 3) % ages.length]! - (n % 5) * 1000).toISOString(),
          };
          const id = app.repos.reports.add({ ...e, objectType: 'user', message: `m${n}` });
          seeded.push({ id, ...e });
          n++;
        }
  });
});

afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The oracle: what the filter means, in plain JavaScript. */
function expected(f: ResolvedReportFilter, rows: Seeded[] = seeded): number[] {
  return rows
    .filter(
      (e) =>
        (!f.user || e.userIdentifier.toLowerCase().includes(f.user.toLowerCase())) &&
        (!f.application || e.application.toLowerCase() === f.application.toLowerCase()) &&
        (!f.action || e.action === f.action) &&
        (!f.status || e.status === f.status) &&
        (!f.from || e.at >= f.from) &&
        (!f.to || e.at <= f.to),
    )
    .sort((a, b) => (a.at === b.at ? b.id - a.id : a.at < b.at ? 1 : -1))
    .map((e) => e.id);
}

/** All pages of a search, through the bridge-level service. */
function searchAll(
  input: ReportFilterInput,
  limit = 7,
): { resolved: ResolvedReportFilter; ids: number[]; total: number; rows: ReportRow[] } {
  const reports = reportsFor(app);
  const first = reports.search({ filter: reportFilterSchema.parse(input), limit });
  const rows = [...first.rows];
  let next = first.next;
  while (next) {
    const p = reports.search({ resolved: first.filter, cursor: next, limit });
    rows.push(...p.rows);
    next = p.next;
  }
  return { resolved: first.filter, ids: rows.map((r) => r.id), total: first.total, rows };
}

const spans: ReportFilterInput['span'][] = [
  { kind: 'all' },
  { kind: 'last', period: '24h' },
  { kind: 'last', period: '7d' },
  { kind: 'last', period: '30d' },
  { kind: 'range', from: new Date(NOW - 12 * DAY).toISOString(), to: new Date(NOW - 2 * DAY).toISOString() },
];

describe('report filters', () => {
  it('seeds what the tests expect', () => {
    expect(seeded).toHaveLength(users.length * apps.length * 4);
  });

  it('no filter at all returns every entry in the span, newest first', () => {
    for (const span of spans) {
      const r = searchAll({ span });
      expect(r.ids).toEqual(expected(r.resolved));
      expect(r.total).toBe(r.ids.length);
    }
    expect(searchAll({ span: { kind: 'all' } }).ids).toHaveLength(seeded.length);
  });

  it('each filter alone returns exactly the matching entries', () => {
    const single: ReportFilterInput[] = [
      { user: 'alice', span: { kind: 'all' } }, // two identifiers, different case
      { user: 'ALICE.S', span: { kind: 'all' } },
      { user: 'contoso', span: { kind: 'all' } },
      { user: 'bo', span: { kind: 'all' } }, // 2 characters: below trigram length
      { user: 'ü', span: { kind: 'all' } }, // 1 non-ASCII character
      { user: 'ærø', span: { kind: 'all' } },
      { user: 'o"brien, j', span: { kind: 'all' } }, // quote and comma in the search text
      { user: 'nobody-like-this', span: { kind: 'all' } },
      { application: 'corp ad', span: { kind: 'all' } },
      { application: 'LDAP, Lab', span: { kind: 'all' } },
      { application: 'Corp', span: { kind: 'all' } }, // the application is a whole name
      { action: 'delete', span: { kind: 'all' } },
      { status: 'failure', span: { kind: 'all' } },
      { status: 'pending', span: { kind: 'all' } },
    ];
    for (const f of single) {
      const r = searchAll(f);
      expect(r.ids, JSON.stringify(f)).toEqual(expected(r.resolved));
      expect(r.total, JSON.stringify(f)).toBe(r.ids.length);
    }
    expect(searchAll({ user: 'alice', span: { kind: 'all' } }).ids).toHaveLength(2 * apps.length * 4);
    expect(searchAll({ application: 'Corp', span: { kind: 'all' } }).ids).toHaveLength(0);
    // The seed covers every action and status, so no filter is trivially empty.
    for (const status of ['success', 'failure', 'skipped', 'pending'] as const)
      expect(searchAll({ status, span: { kind: 'all' } }).ids.length).toBeGreaterThan(5);
    for (const action of actions) expect(searchAll({ action, span: { kind: 'all' } }).ids.length).toBeGreaterThan(5);
  });

  it('every combination of filters returns exactly the matching entries', () => {
    const values = {
      user: [undefined, 'alice', 'EXAMPLE', 'bo'],
      application: [undefined, 'Entra ID', 'ldap, lab'],
      action: [undefined, 'update', 'password'],
      status: [undefined, 'success', 'failure'] as const,
    };
    let combos = 0;
    let nonEmpty = 0;
    for (const user of values.user)
      for (const application of values.application)
        for (const action of values.action)
          for (const status of values.status)
            for (const span of spans) {
              const f = { user, application, action, status, span };
              const r = searchAll(f, 5);
              const want = expected(r.resolved);
              expect(r.ids, JSON.stringify(f)).toEqual(want);
              expect(r.total).toBe(want.length);
              combos++;
              if (want.length) nonEmpty++;
            }
    expect(combos).toBe(4 * 3 * 3 * 3 * spans.length);
    expect(nonEmpty).toBeGreaterThanOrEqual(100); // the combinations are not trivially empty
  });

  it('rows carry what the list shows; details carry the changes', () => {
    const id = app.repos.reports.add({
      userIdentifier: 'erin@contoso.example',
      objectType: 'user',
      action: 'update',
      application: 'Entra ID',
      status: 'failure',
      message: 'Request_BadRequest: Invalid value for mail',
      runId: 'run-42',
      requestId: 'req-abc',
      changes: { title: ['Engineer', 'Lead'], userPassword: [undefined, 'hunter2'] },
    });
    const r = searchAll({ user: 'erin', span: { kind: 'last', period: '24h' } });
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({
      id,
      userIdentifier: 'erin@contoso.example',
      application: 'Entra ID',
      status: 'failure',
      runId: 'run-42',
      requestId: 'req-abc',
    });
    const e = reportsFor(app).get(id);
    expect(e.changes).toEqual({ title: ['Engineer', 'Lead'], userPassword: [null, '••••'] });
    expect(JSON.stringify(e)).not.toContain('hunter2');
    app.db.run('DELETE FROM report_entries WHERE id = ?', id);
  });

  it('lists the application names and actions once each', () => {
    expect(reportsFor(app).facets()).toEqual({
      applications: ['Corp AD', 'Entra ID', 'LDAP, Lab'],
      actions: ['create', 'delete', 'password', 'update'],
    });
  });

  it('refuses a span that ends before it starts, and a forged cursor', () => {
    expect(() =>
      reportsFor(app).search({
        filter: reportFilterSchema.parse({
          span: { kind: 'range', from: new Date(NOW).toISOString(), to: new Date(NOW - DAY).toISOString() },
        }),
      }),
    ).toThrow(/start of the time span is after its end/);
    expect(() => reportsFor(app).search({ resolved: {}, cursor: "x' OR 1=1 --" })).toThrow(
      /page position is not valid/,
    );
  });
});

describe('user filter with many matching identifiers', () => {
  let dir2: string;
  let app2: App;
  const many: Seeded[] = [];
  beforeAll(() => {
    dir2 = mkdtempSync(join(tmpdir(), 'pd-reports-many-'));
    app2 = createApp({ dataDir: dir2, shell: 'test' });
    app2.db.transaction(() => {
      for (let i = 0; i < FEW_USERS + 150; i++) {
        for (let k = 0; k < 3; k++) {
          const e = {
            userIdentifier: `Person${String(i).padStart(4, '0')}@Many.Example`,
            application: k === 0 ? 'Corp AD' : 'Entra ID',
            action: k === 2 ? 'delete' : 'update',
            status: (i + k) % 3 === 0 ? ('failure' as const) : ('success' as const),
            at: new Date(NOW - ((i * 7 + k * 13) % 40) * DAY - i * 1000).toISOString(),
          };
          many.push({ id: app2.repos.reports.add({ ...e, objectType: 'user' }), ...e });
        }
      }
    });
  });
  afterAll(async () => {
    await app2.close();
    rmSync(dir2, { recursive: true, force: true });
  });

  it('takes the right plan and still returns exactly the matching entries', () => {
    const reports = reportsFor(app2);
    expect(reports.queries.userPlan('person').kind).toBe('many');
    expect(reports.queries.userPlan('0').kind).toBe('many');
    expect(reports.queries.userPlan('person012').kind).toBe('few');
    expect(reports.queries.userPlan('zz').kind).toBe('nobody');
    for (const user of ['person', 'PERSON0', 'n0', '9', 'person012', 'many.example', 'zz'])
      for (const extra of [{}, { status: 'failure' as const }, { application: 'entra id', action: 'delete' }])
        for (const span of spans) {
          const reportsPage = reports.search({
            filter: reportFilterSchema.parse({ user, span, ...extra }),
            limit: 1000,
          });
          const ids = [...reportsPage.rows.map((r) => r.id)];
          let next = reportsPage.next;
          while (next) {
            const p = reports.search({ resolved: reportsPage.filter, cursor: next, limit: 1000 });
            ids.push(...p.rows.map((r) => r.id));
            next = p.next;
          }
          const want = expected(reportsPage.filter, many);
          expect(ids, JSON.stringify({ user, extra, span })).toEqual(want);
          expect(reportsPage.total).toBe(want.length);
        }
  });
});
