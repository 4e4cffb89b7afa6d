// The reports area for one app: search, details, export, retention. Built on
// demand per app (the bridge, the browser download route, the command line
// and the Electron dialog all get the same instance).
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { App } from '../app.ts';
import type {
  ReportEntry,
  ReportFacets,
  ReportExportFormat,
  ReportFilter,
  ReportPage,
  ReportSettings,
  ResolvedReportFilter,
} from '../../src-preload/contract/reports.ts';
import { AppError, notFound } from '../errors.ts';
import { ReportQueries, decodeCursor, encodeCursor } from './query.ts';
import { exportFileName, exportStream, type ExportOptions } from './export.ts';
import { normalizeResolved, resolveFilter } from './filter.ts';
import { purgeExpired, retentionDays, setRetentionDays } from './retention.ts';

/** Asks the admin where to save; undefined when they cancel. Set by the desktop shell. */
export type SaveDialog = (opts: { defaultName: string; format: ReportExportFormat }) => Promise<string | undefined>;

export class ReportsService {
  readonly queries: ReportQueries;
  private readonly app: App;
  saveDialog?: SaveDialog;

  constructor(app: App) {
    this.app = app;
    this.queries = new ReportQueries(app.db);
  }

  search(
    input:
      { filter: ReportFilter; limit?: number } | { resolved: ResolvedReportFilter; cursor: string; limit?: number },
  ): ReportPage {
    if ('filter' in input) {
      const filter = resolveFilter(input.filter);
      const plan = this.queries.userPlan(filter.user);
      const page = this.queries.page(filter, { limit: input.limit, plan });
      const count = this.queries.count(filter, undefined, plan);
      return {
        filter,
        rows: page.rows,
        ...(page.next && { next: encodeCursor(page.next) }),
        total: count.total,
        totalCapped: count.capped,
      };
    }
    const filter = normalizeResolved(input.resolved);
    const page = this.queries.page(filter, { cursor: decodeCursor(input.cursor), limit: input.limit });
    return {
      filter,
      rows: page.rows,
      ...(page.next && { next: encodeCursor(page.next) }),
      total: -1,
      totalCapped: false,
    };
  }

  get(id: number): ReportEntry {
    const e = this.queries.get(id);
    if (!e) throw notFound('That report entry', String(id));
    return e;
  }

  facets(): ReportFacets {
    return { applications: this.applications(), actions: this.queries.actions() };
  }

  /** Names in the report, plus configured directories that have none yet. */
  applications(): string[] {
    const names = new Map<string, string>();
    for (const n of this.queries.applications()) names.set(n.toLowerCase(), n);
    for (const d of this.app.db.all<{ name: string }>('SELECT name FROM directories')) {
      if (!names.has(d.name.toLowerCase())) names.set(d.name.toLowerCase(), d.name);
    }
    return [...names.values()].sort((a, b) => a.localeCompare(b));
  }

  stream(filter: ResolvedReportFilter, format: ReportExportFormat, opts: ExportOptions = {}) {
    return exportStream(this.queries, normalizeResolved(filter), format, opts);
  }

  /** Writes every matching entry to `path` (via a temp file, renamed when complete). */
  async exportToPath(
    filter: ResolvedReportFilter,
    format: ReportExportFormat,
    path: string,
    opts: ExportOptions = {},
  ): Promise<{ entries: number }> {
    let entries = 0;
    const tmp = `${path}.partial`;
    try {
      await pipeline(
        this.stream(filter, format, {
          ...opts,
          onProgress: (n) => {
            entries = n;
            opts.onProgress?.(n);
          },
        }),
        createWriteStream(tmp, { mode: 0o600 }),
      );
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof AppError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new AppError('export_failed', `The report could not be written to ${path}.`, message);
    }
    return { entries };
  }

  /** Desktop shell: native save dialog, then the export, with progress and cancel. */
  async exportWithDialog(
    filter: ResolvedReportFilter,
    format: ReportExportFormat,
    bom: boolean,
  ): Promise<{ saved: boolean; path?: string; entries?: number }> {
    if (!this.saveDialog)
      throw new AppError(
        'desktop_only',
        'Saving to a file with a dialog works in the desktop app; in the browser the export downloads.',
      );
    const path = await this.saveDialog({ defaultName: exportFileName(format), format });
    if (!path) return { saved: false };
    const op = this.app.operations.start();
    const started = Date.now();
    try {
      const { entries } = await this.exportToPath(filter, format, path, {
        bom,
        signal: op.signal,
        onProgress: (done) =>
          this.app.events.emit('app.progress', {
            operationId: op.id,
            operation: 'export',
            phase: 'Exporting the report',
            done,
            ratePerSecond: Math.round(done / Math.max(0.001, (Date.now() - started) / 1000)),
          }),
      });
      return { saved: true, path, entries };
    } finally {
      op.done();
    }
  }

  settings(): ReportSettings {
    return { retentionDays: retentionDays(this.app.db) };
  }

  saveSettings(s: ReportSettings): ReportSettings {
    setRetentionDays(this.app.db, s.retentionDays);
    return this.settings();
  }

  async purge(): Promise<{ deleted: number; before: string }> {
    const r = await purgeExpired(this.app.db);
    if (r.deleted > 0) this.app.events.emit('app.changed', { what: 'reports' });
    return r;
  }
}

const services = new WeakMap<App, ReportsService>();

export function reportsFor(app: App): ReportsService {
  let s = services.get(app);
  if (!s) {
    s = new ReportsService(app);
    services.set(app, s);
    // Retention runs when a shell starts the app (not in one-shot CLI commands).
    const service = s;
    app.lifecycle.start.push(async () => {
      const r = await service.purge();
      if (r.deleted > 0) console.log(`Purged ${r.deleted} report entries older than ${r.before}.`);
    });
  }
  return s;
}
