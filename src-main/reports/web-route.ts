// Browser mode: the export as a download. GET /api/reports/export?filter=…&format=csv|json&bom=1
// The server checks the session cookie, Host and Origin before any route runs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { App } from '../app.ts';
import {
  REPORTS_DOWNLOAD_PATH,
  reportExportFormats,
  resolvedReportFilterSchema,
  type ReportExportFormat,
} from '../../src-preload/contract/reports.ts';
import { AppError } from '../errors.ts';
import { reportsFor } from './service.ts';
import { exportContentType, exportFileName } from './export.ts';

function fail(res: ServerResponse, status: number, message: string, details?: unknown): true {
  const text = JSON.stringify({ ok: false, error: { code: 'validation', message, details } });
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
  return true;
}

export function reportsDownloadRoute(app: App) {
  const reports = reportsFor(app);
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== REPORTS_DOWNLOAD_PATH) return false;
    if (req.method !== 'GET') return fail(res, 405, 'GET only');
    const format = (url.searchParams.get('format') ?? 'csv') as ReportExportFormat;
    if (!reportExportFormats.includes(format)) return fail(res, 400, 'The export format must be csv or json.');
    let raw: unknown;
    try {
      raw = JSON.parse(url.searchParams.get('filter') ?? '{}');
    } catch {
      return fail(res, 400, 'The report filter was not valid JSON.');
    }
    const parsed = resolvedReportFilterSchema.safeParse(raw);
    if (!parsed.success)
      return fail(
        res,
        400,
        'Some filter fields are not valid.',
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    let stream;
    try {
      stream = reports.stream(parsed.data, format, { bom: url.searchParams.get('bom') === '1' });
    } catch (err) {
      if (err instanceof AppError) return fail(res, 400, err.message, err.details);
      throw err;
    }
    res.writeHead(200, {
      'Content-Type': exportContentType[format],
      'Content-Disposition': `attachment; filename="${exportFileName(format)}"`,
      'Cache-Control': 'no-store',
    });
    // pipeline ends the export when the browser goes away, and the download when the export fails.
    pipeline(stream, res, (err) => {
      if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') console.error('[reports] export failed:', err.message);
    });
    return true;
  };
}
