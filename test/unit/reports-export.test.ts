// The export, read back with a real CSV parser: commas, quotes, line breaks,
// non-ASCII text and formula-like values survive (the last neutralised), the
// BOM is there when asked, JSON is one valid array; retention and the
// `reports export` command over the same code.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { createApp, type App } from '../../src-main/app.ts';
import { reportsFor } from '../../src-main/reports/service.ts';
import { CSV_COLUMNS, csvRecord } from '../../src-main/reports/export.ts';
import { runReportsCommand } from '../../src-main/reports/cli.ts';
import { DEFAULT_RETENTION_DAYS } from '../../src-main/reports/retention.ts';
import type { ReportEntry, ResolvedReportFilter } from '../../src-preload/contract/reports.ts';

const NOW = Date.now();
const DAY = 24 * 3600_000;

const tricky = [
  'Smith, John', // comma
  'Jane "JJ" Doe', // quotes
  'line one\nline two', // LF
  'line one\r\nline two', // CRLF
  'Zoë Ærøskøbing – 山田太郎 🙂', // non-ASCII
  '=HYPERLINK("http://evil.example","click")', // formula
  '+1-555-0100',
  '-2+3',
  '@SUM(A1:A2)',
  '\tTabbed',
  '\rCarriage',
  '＝FULLWIDTH', // full-width equals sign
  'plain@contoso.example',
];

let dir: string;
let app: App;

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

/** What a cell must read back as: formula-like starts get a leading apostrophe. */
const neutral = (v: string) => (/^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(v) ? `'${v}` : v);

function allEntries(f: ResolvedReportFilter = {}): ReportEntry[] {
  return reportsFor(app).queries.batch(f, reportsFor(app).queries.userPlan(f.user), 100_000);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-reports-x-'));
  app = createApp({ dataDir: dir, shell: 'test' });
  tricky.forEach((name, i) => {
    app.repos.reports.add({
      at: new Date(NOW - i * 60_000).toISOString(),
      userIdentifier: name,
      objectType: 'user',
      action: i % 2 ? 'update' : 'create',
      application: i % 3 ? 'LDAP, "Lab"' : 'Entra ID',
      status: i % 4 ? 'success' : 'failure',
      message: i % 2 ? `Server said: ${name}` : '-1 is not allowed, "really"\nsecond line',
      runId: `run-${i}`,
      requestId: i % 3 ? null! : `=req-${i}`,
      changes: i % 2 ? { title: [`old, "${i}"`, `new\n${name}`], unicodePwd: ['a', 'b'] } : undefined,
    });
  });
  // Older entries, outside a 30-day window.
  for (let i = 0; i < 5; i++)
    app.repos.reports.add({
      at: new Date(NOW - (200 + i) * DAY).toISOString(),
      userIdentifier: `old${i}`,
      objectType: 'user',
      action: 'delete',
      application: 'Entra ID',
      status: 'success',
    });
});

afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CSV export', () => {
  it('parses back to exactly the entries, with formula-like cells neutralised', async () => {
    const bytes = await collect(reportsFor(app).stream({}, 'csv', { bom: true }));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8');
    expect(text).toContain('\r\n'); // RFC 4180 record separator
    const records = parse(bytes, { bom: true, relax_column_count: false }) as string[][];
    expect(records[0]).toEqual([...CSV_COLUMNS]);
    const entries = allEntries();
    expect(entries).toHaveLength(tricky.length + 5);
    expect(records.slice(1)).toEqual(entries.map((e) => csvRecord(e).map(neutral)));
    // Spot checks of what an admin sees in the columns.
    const byUser = new Map(records.slice(1).map((r) => [r[2], r]));
    expect(byUser.get('Smith, John')?.[3]).toBe('Entra ID');
    expect(byUser.get('line one\r\nline two')).toBeDefined();
    expect(byUser.get('\'=HYPERLINK("http://evil.example","click")')).toBeDefined();
    expect(byUser.get("'+1-555-0100")).toBeDefined();
    expect(byUser.get("'\tTabbed")).toBeDefined();
    expect(byUser.get("'\rCarriage")).toBeDefined();
    expect(byUser.get("'＝FULLWIDTH")).toBeDefined();
    expect(byUser.get('Zoë Ærøskøbing – 山田太郎 🙂')).toBeDefined();
    // No unneutralised formula start anywhere in a cell.
    for (const r of records.slice(1)) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    // Secrets were masked when written, and stay masked.
    expect(text).not.toMatch(/unicodePwd[^\n]*"a"/);
    expect(text).toContain('••••');
  });

  it('exports only the matching entries and can leave out the BOM', async () => {
    const filter: ResolvedReportFilter = {
      application: 'ldap, "lab"',
      status: 'success',
      from: new Date(NOW - 30 * DAY).toISOString(),
    };
    const bytes = await collect(reportsFor(app).stream(filter, 'csv', { bom: false }));
    expect(bytes[0]).toBe('i'.charCodeAt(0));
    const records = parse(bytes) as string[][];
    const want = allEntries(filter);
    expect(want.length).toBeGreaterThan(3);
    expect(records.slice(1).map((r) => Number(r[0]))).toEqual(want.map((e) => e.id));
  });

  it('writes the header alone when nothing matches', async () => {
    const bytes = await collect(reportsFor(app).stream({ user: 'nobody at all' }, 'csv'));
    expect(parse(bytes)).toEqual([[...CSV_COLUMNS]]);
  });

  it('reads in batches: many more entries than one batch come out whole and in order', async () => {
    const d = mkdtempSync(join(tmpdir(), 'pd-reports-xb-'));
    const a = createApp({ dataDir: d, shell: 'test' });
    try {
      a.db.transaction(() => {
        for (let i = 0; i < 5000; i++)
          a.repos.reports.add({
            at: new Date(NOW - (i % 97) * 1000).toISOString(),
            userIdentifier: `u${i}`,
            objectType: 'user',
            action: 'create',
            application: 'X',
            status: 'success',
          });
      });
      const records = parse(await collect(reportsFor(a).stream({}, 'csv', { batchSize: 333 }))) as string[][];
      const rows = records.slice(1);
      expect(rows).toHaveLength(5000);
      expect(new Set(rows.map((r) => r[0])).size).toBe(5000);
      for (let i = 1; i < rows.length; i++) {
        const [pa, pi, ca, ci] = [rows[i - 1]![1]!, Number(rows[i - 1]![0]), rows[i]![1]!, Number(rows[i]![0])];
        expect(pa > ca || (pa === ca && pi > ci)).toBe(true);
      }
    } finally {
      await a.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('JSON export', () => {
  it('is one JSON array of the matching entries', async () => {
    const bytes = await collect(reportsFor(app).stream({}, 'json'));
    const list = JSON.parse(bytes.toString('utf8')) as Array<Record<string, unknown>>;
    const entries = allEntries();
    expect(list.map((x) => x['id'])).toEqual(entries.map((e) => e.id));
    expect(list[0]).toEqual({
      id: entries[0]!.id,
      time: entries[0]!.at,
      user: entries[0]!.userIdentifier,
      application: entries[0]!.application,
      objectType: 'user',
      action: entries[0]!.action,
      status: entries[0]!.status,
      message: entries[0]!.message,
      runId: entries[0]!.runId,
      requestId: entries[0]!.requestId,
      changes: entries[0]!.changes,
    });
    expect(list.map((x) => x['user'])).toContain('=HYPERLINK("http://evil.example","click")'); // JSON keeps values as they are
    expect(JSON.parse((await collect(reportsFor(app).stream({ user: 'nobody' }, 'json'))).toString())).toEqual([]);
  });
});

describe('retention', () => {
  it('keeps 180 days by default, purges older entries and their identifiers, and runs on start', async () => {
    const d = mkdtempSync(join(tmpdir(), 'pd-reports-r-'));
    const a = createApp({ dataDir: d, shell: 'test' });
    try {
      const reports = reportsFor(a); // registers the purge with the app's start
      expect(reports.settings()).toEqual({ retentionDays: DEFAULT_RETENTION_DAYS });
      const add = (daysAgo: number, user: string) =>
        a.repos.reports.add({
          at: new Date(NOW - daysAgo * DAY).toISOString(),
          userIdentifier: user,
          objectType: 'user',
          action: 'create',
          application: 'X',
          status: 'success',
        });
      add(1, 'fresh');
      add(179, 'keeps');
      add(181, 'gone-a');
      add(400, 'gone-b');
      await a.start();
      const left = () =>
        a.db
          .all<{ user_identifier: string }>('SELECT user_identifier FROM report_entries ORDER BY at DESC')
          .map((r) => r.user_identifier);
      expect(left()).toEqual(['fresh', 'keeps']);
      expect(reports.queries.userPlan('gone').kind).toBe('nobody');

      expect(reports.saveSettings({ retentionDays: 30 })).toEqual({ retentionDays: 30 });
      const r = await reports.purge();
      expect(r.deleted).toBe(1);
      expect(left()).toEqual(['fresh']);
      expect(a.db.get<{ value: string }>("SELECT value FROM settings WHERE key = 'reports.retentionDays'")?.value).toBe(
        '30',
      );
    } finally {
      await a.close();
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('purges a large backlog in batches', async () => {
    const d = mkdtempSync(join(tmpdir(), 'pd-reports-rb-'));
    const a = createApp({ dataDir: d, shell: 'test' });
    try {
      a.db.transaction(() => {
        for (let i = 0; i < 12_345; i++)
          a.repos.reports.add({
            at: new Date(NOW - (200 + (i % 50)) * DAY).toISOString(),
            userIdentifier: `u${i % 700}`,
            objectType: 'user',
            action: 'create',
            application: 'X',
            status: 'success',
          });
        a.repos.reports.add({
          userIdentifier: 'today',
          objectType: 'user',
          action: 'create',
          application: 'X',
          status: 'success',
        });
      });
      expect(await reportsFor(a).purge()).toMatchObject({ deleted: 12_345 });
      expect(a.db.get<{ n: number }>('SELECT count(*) n FROM report_entries')!.n).toBe(1);
      expect(a.db.get<{ n: number }>('SELECT count(*) n FROM report_users')!.n).toBe(1);
    } finally {
      await a.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('reports export command', () => {
  const io = () => {
    let err = '';
    let out = '';
    return {
      io: {
        stdout: new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) }),
        stderr: { write: (s: string) => (err += s) },
      },
      err: () => err,
      out: () => out,
    };
  };

  it('writes the filtered entries to --out, CSV or JSON', async () => {
    const out = join(dir, 'cli.csv');
    const t = io();
    const from = new Date(NOW - 30 * DAY).toISOString();
    const code = await runReportsCommand(
      app,
      ['reports', 'export', '--from', from, '--app', 'ldap, "lab"', '--status', 'success', '--out', out],
      t.io,
    );
    expect(code).toBe(0);
    const want = allEntries({ from, application: 'ldap, "lab"', status: 'success' });
    expect(t.err()).toContain(`Exported ${want.length} report entries to ${out}`);
    const rows = (parse(readFileSync(out), { bom: true }) as string[][]).slice(1);
    expect(rows.map((r) => Number(r[0]))).toEqual(want.map((e) => e.id));
    expect(existsSync(`${out}.partial`)).toBe(false);

    const jsonOut = join(dir, 'cli.json');
    expect(
      await runReportsCommand(app, ['export', '--user', 'SMITH', '--format', 'json', `--out=${jsonOut}`], io().io),
    ).toBe(0);
    const list = JSON.parse(readFileSync(jsonOut, 'utf8')) as Array<{ user: string }>;
    expect(list.map((x) => x.user)).toEqual(['Smith, John']);
  });

  it('takes plain dates (local days, --to inclusive) and writes to stdout without --out', async () => {
    const t = io();
    const today = new Date(NOW);
    const day = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
    expect(
      await runReportsCommand(app, ['reports', 'export', '--from', '2000-01-01', '--to', day, '--no-bom'], t.io),
    ).toBe(0);
    const rows = (parse(t.out()) as string[][]).slice(1);
    const startOfTomorrow = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1).toISOString();
    expect(rows.map((r) => Number(r[0]))).toEqual(
      allEntries({ to: new Date(Date.parse(startOfTomorrow) - 1).toISOString() }).map((e) => e.id),
    );
    expect(rows).toHaveLength(tricky.length + 5);
  });

  it('says what is wrong with exit code 2', async () => {
    for (const argv of [
      ['reports', 'export', '--status', 'great'],
      ['reports', 'export', '--format', 'xlsx'],
      ['reports', 'export', '--from', 'yesterday'],
      ['reports', 'export', '--from', '2025-03-02', '--to', '2025-03-01'],
      ['reports', 'export', '--colour', 'red'],
      ['reports', 'export', '--out'],
      ['reports', 'frobnicate'],
    ]) {
      const t = io();
      expect(await runReportsCommand(app, argv, t.io), argv.join(' ')).toBe(2);
      expect(t.err().length, argv.join(' ')).toBeGreaterThan(10);
    }
  });

  it('fails with exit code 1 and one sentence when the file cannot be written', async () => {
    const t = io();
    expect(
      await runReportsCommand(app, ['reports', 'export', '--out', join(dir, 'no', 'such', 'folder', 'x.csv')], t.io),
    ).toBe(1);
    expect(t.err()).toMatch(/could not be written/);
  });
});

describe('desktop save dialog', () => {
  it('asks where to save and writes there; cancelling writes nothing', async () => {
    const target = join(dir, 'dialog.csv');
    const answers = [
      { canceled: false, filePath: target },
      { canceled: true, filePath: '' },
    ];
    const showSaveDialog = vi.fn(async () => answers.shift()!);
    vi.doMock('electron', () => ({ dialog: { showSaveDialog } }));
    const { installDialogs } = await import('../../src-main/electron/dialogs.ts');
    installDialogs(app, () => undefined);
    const r = await reportsFor(app).exportWithDialog({ user: 'smith' }, 'csv', true);
    expect(r).toEqual({ saved: true, path: target, entries: 1 });
    expect(showSaveDialog).toHaveBeenCalledWith(
      expect.objectContaining({ defaultPath: expect.stringMatching(/^provisioning-report-.*\.csv$/) }),
    );
    expect((parse(readFileSync(target), { bom: true }) as string[][])[1]![2]).toBe('Smith, John');
    expect(await reportsFor(app).exportWithDialog({}, 'csv', true)).toEqual({ saved: false });
    vi.doUnmock('electron');
  });

  it('is refused outside the desktop shell', async () => {
    const d = mkdtempSync(join(tmpdir(), 'pd-reports-d-'));
    const a = createApp({ dataDir: d, shell: 'test' });
    try {
      await expect(reportsFor(a).exportWithDialog({}, 'csv', true)).rejects.toMatchObject({ code: 'desktop_only' });
    } finally {
      await a.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
