// The provisioning report: filtered, keyset-paged search (newest first), one
// entry's details, the applications seen, export, and retention.
import { z } from 'zod';
import { channel } from './channel.ts';

export const reportStatuses = ['success', 'failure', 'skipped', 'pending'] as const;
export type ReportStatus = (typeof reportStatuses)[number];

/** Quick spans offered on screen, in hours. */
export const reportSpanHours = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 } as const;

const isoTime = z.iso.datetime({ offset: true });

/** The time span: one of the quick spans, an explicit from–to (both inclusive), or everything. */
export const reportSpanSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('last'), period: z.enum(['24h', '7d', '30d']) }).strict(),
  z.object({ kind: z.literal('range'), from: isoTime.optional(), to: isoTime.optional() }).strict(),
  z.object({ kind: z.literal('all') }).strict(),
]);

export const reportFilterSchema = z
  .object({
    /** Part of the end-user identifier, case-insensitive. */
    user: z.string().trim().max(256).optional(),
    /** Application (directory) name, case-insensitive, whole name. */
    application: z.string().trim().max(256).optional(),
    action: z.string().trim().max(64).optional(),
    status: z.enum(reportStatuses).optional(),
    span: reportSpanSchema.default({ kind: 'last', period: '7d' }),
  })
  .strict();
export type ReportFilterInput = z.input<typeof reportFilterSchema>;
export type ReportFilter = z.output<typeof reportFilterSchema>;

/**
 * A filter with the span turned into fixed times (a quick span is resolved
 * once, at search time), so paging and export see exactly the same rows.
 */
export interface ResolvedReportFilter {
  user?: string;
  application?: string;
  action?: string;
  status?: ReportStatus;
  from?: string;
  to?: string;
}

export const resolvedReportFilterSchema = z
  .object({
    user: z.string().max(256).optional(),
    application: z.string().max(256).optional(),
    action: z.string().max(64).optional(),
    status: z.enum(reportStatuses).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
  })
  .strict();

/** One row of the list: small, no changes. */
export interface ReportRow {
  id: number;
  at: string;
  userIdentifier: string;
  objectType: string;
  action: string;
  application: string;
  status: ReportStatus;
  message: string;
  runId: string | null;
  requestId: string | null;
}

export interface ReportEntry extends ReportRow {
  directoryId: string | null;
  /** For an entry of an import or push run: whether the directory's schedule or the admin started it. */
  trigger?: 'scheduled' | 'admin';
  /** attribute → [old, new]; secrets were masked when the entry was written. */
  changes: Record<string, [unknown, unknown]> | null;
}

export interface ReportPage {
  filter: ResolvedReportFilter;
  rows: ReportRow[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  next?: string;
  /** Matching entries, counted up to `totalCapped`. */
  total: number;
  totalCapped: boolean;
}

export const reportExportFormats = ['csv', 'json'] as const;
export type ReportExportFormat = (typeof reportExportFormats)[number];

export interface ReportFacets {
  applications: string[];
  actions: string[];
}

export interface ReportSettings {
  retentionDays: number;
}

export const reportsContract = {
  /** First page: give `filter` (its span is resolved now). Later pages: give the returned `resolved` filter and `cursor`. */
  'reports.search': channel<ReportPage>()(
    z.union([
      z.object({ filter: reportFilterSchema, limit: z.number().int().min(1).max(1000).optional() }).strict(),
      z
        .object({
          resolved: resolvedReportFilterSchema,
          cursor: z.string().max(200),
          limit: z.number().int().min(1).max(1000).optional(),
        })
        .strict(),
    ]),
  ),
  'reports.get': channel<ReportEntry>()(z.object({ id: z.number().int().positive() }).strict()),
  /** What the filter lists offer: application names (the report's and configured directories') and actions seen. */
  'reports.facets': channel<ReportFacets>()(z.object({}).strict()),
  /** Desktop shell only: asks where to save (native dialog), then writes every matching entry there. */
  'reports.exportToFile': channel<{ saved: boolean; path?: string; entries?: number }>()(
    z
      .object({
        resolved: resolvedReportFilterSchema,
        format: z.enum(reportExportFormats),
        bom: z.boolean().default(true),
      })
      .strict(),
  ),
  'reports.settings': channel<ReportSettings>()(z.object({}).strict()),
  'reports.saveSettings': channel<ReportSettings>()(
    z.object({ retentionDays: z.number().int().min(1).max(3650) }).strict(),
  ),
  /** Purge entries older than the retention now. */
  'reports.purge': channel<{ deleted: number; before: string }>()(z.object({}).strict()),
};

/** Browser mode download: GET this path with `filter` (JSON of a resolved filter), `format`, `bom=1|0`. */
export const REPORTS_DOWNLOAD_PATH = '/api/reports/export';
