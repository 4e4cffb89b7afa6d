// Export of ALL entries that match a filter (not just the page on screen), as
// a stream: entries are read in keyset batches and written as they come, so
// a million entries never sit in memory, and a slow reader (a disk, an HTTP
// download) holds the reading back instead of filling a buffer.
//
// CSV (RFC 4180): comma-separated, CRLF line ends, a field is quoted when it
// holds a comma, a double quote, CR or LF, and a double quote inside is
// doubled. UTF-8, with a byte-order mark when `bom` is set (Excel then reads
// it as UTF-8). A cell that begins with = + - @ tab or CR (or their full-width
// forms) is prefixed with a single quote ' so a spreadsheet shows it as text
// instead of running it as a formula (OWASP "CSV injection"). Columns, in this
// order, with a header row:
//
//   id           entry number
//   time         when it happened, ISO 8601 UTC (2025-03-01T08:00:00.000Z)
//   user         end-user identifier (userName, or the group's name)
//   application  the directory's name
//   object_type  user | group | membership | directory | mail
//   action       create, update, delete, disable, password, import, invite, …
//   status       success | failure | skipped | pending
//   message      the directory's own message
//   run_id       the import/provisioning run, when there was one
//   request_id   the directory's request id (Graph request-id), when known
//   changes      changed attributes as JSON: {"attribute":[old,new],…}; secrets masked
//
// JSON: one JSON array of objects, streamed element by element (a valid JSON
// document, not NDJSON), keys id, time, user, application, objectType, action,
// status, message, runId, requestId, changes (object or null).
import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { ReportEntry, ReportExportFormat, ResolvedReportFilter } from '../../src-preload/contract/reports.ts';
import type { ReportQueries, Cursor } from './query.ts';

export const CSV_COLUMNS = [
  'id',
  'time',
  'user',
  'application',
  'object_type',
  'action',
  'status',
  'message',
  'run_id',
  'request_id',
  'changes',
] as const;

export const EXPORT_BATCH = 2000;

/** RFC 4180 line ends and formula neutralisation: every CSV the app writes uses these. */
export const CSV_FORMAT = { record_delimiter: 'windows', escape_formulas: true } as const;

export interface ExportOptions {
  /** Byte-order mark first, for Excel (CSV only). */
  bom?: boolean;
  signal?: AbortSignal;
  /** Called after each batch with the number of entries written so far. */
  onProgress?: (done: number) => void;
  batchSize?: number;
}

export function csvRecord(e: ReportEntry): string[] {
  return [
    String(e.id),
    e.at,
    e.userIdentifier,
    e.application,
    e.objectType,
    e.action,
    e.status,
    e.message,
    e.runId ?? '',
    e.requestId ?? '',
    e.changes ? JSON.stringify(e.changes) : '',
  ];
}

export function jsonRecord(e: ReportEntry) {
  return {
    id: e.id,
    time: e.at,
    user: e.userIdentifier,
    application: e.application,
    objectType: e.objectType,
    action: e.action,
    status: e.status,
    message: e.message,
    runId: e.runId,
    requestId: e.requestId,
    changes: e.changes,
  };
}

/** Every matching entry, newest first, batch by batch. */
export async function* matchingEntries(
  queries: ReportQueries,
  filter: ResolvedReportFilter,
  opts: ExportOptions = {},
): AsyncGenerator<ReportEntry[]> {
  const plan = queries.userPlan(filter.user);
  const size = opts.batchSize ?? EXPORT_BATCH;
  let cursor: Cursor | undefined;
  let done = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const batch = queries.batch(filter, plan, size, cursor);
    if (batch.length === 0) return;
    yield batch;
    done += batch.length;
    opts.onProgress?.(done);
    if (batch.length < size) return;
    const last = batch.at(-1)!;
    cursor = { at: last.at, id: last.id };
  }
}

async function* csvRecords(queries: ReportQueries, filter: ResolvedReportFilter, opts: ExportOptions) {
  for await (const batch of matchingEntries(queries, filter, opts)) for (const e of batch) yield csvRecord(e);
}

async function* jsonChunks(queries: ReportQueries, filter: ResolvedReportFilter, opts: ExportOptions) {
  let first = true;
  yield Buffer.from('[');
  for await (const batch of matchingEntries(queries, filter, opts)) {
    let text = '';
    for (const e of batch) {
      text += (first ? '\n' : ',\n') + JSON.stringify(jsonRecord(e));
      first = false;
    }
    yield Buffer.from(text, 'utf8');
  }
  yield Buffer.from(first ? ']\n' : '\n]\n');
}

/** The export as a byte stream; pipe it to a file or an HTTP response. */
export function exportStream(
  queries: ReportQueries,
  filter: ResolvedReportFilter,
  format: ReportExportFormat,
  opts: ExportOptions = {},
): Readable {
  if (format === 'json') return Readable.from(jsonChunks(queries, filter, opts), { objectMode: false });
  const out = stringify({
    header: true,
    columns: [...CSV_COLUMNS],
    ...CSV_FORMAT,
    quoted_match: undefined,
    bom: opts.bom ?? false,
  });
  pipeline(Readable.from(csvRecords(queries, filter, opts)), out, () => {
    // pipeline destroys `out` with the error; its reader sees it.
  });
  return out;
}

export const exportContentType: Record<ReportExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** A file name that sorts by date: provisioning-report-2025-03-01T0800.csv */
export function exportFileName(format: ReportExportFormat, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 16).replace(':', '');
  return `provisioning-report-${stamp}.${format}`;
}
