// Turning what the admin asked for (a quick span, a from–to, a date typed on
// the command line) into a resolved filter with fixed ISO times.
import {
  reportSpanHours,
  reportStatuses,
  type ReportFilter,
  type ReportStatus,
  type ResolvedReportFilter,
} from '../../src-preload/contract/reports.ts';
import { AppError } from '../errors.ts';

const HOUR = 3600_000;

/** Resolves the span once, against `now`, so later pages and the export see the same rows. */
export function resolveFilter(filter: ReportFilter, now = new Date()): ResolvedReportFilter {
  const out: ResolvedReportFilter = {};
  if (filter.user) out.user = filter.user;
  if (filter.application) out.application = filter.application;
  if (filter.action) out.action = filter.action;
  if (filter.status) out.status = filter.status;
  const span = filter.span;
  if (span.kind === 'last') {
    out.from = new Date(now.getTime() - reportSpanHours[span.period] * HOUR).toISOString();
    out.to = now.toISOString();
  } else if (span.kind === 'range') {
    if (span.from) out.from = new Date(span.from).toISOString();
    if (span.to) out.to = new Date(span.to).toISOString();
  }
  return normalizeResolved(out);
}

/** Canonical ISO times (the column holds toISOString() text, compared as text), empty parts dropped. */
export function normalizeResolved(f: ResolvedReportFilter): ResolvedReportFilter {
  const out: ResolvedReportFilter = {};
  const user = f.user?.trim();
  const application = f.application?.trim();
  const action = f.action?.trim();
  if (user) out.user = user;
  if (application) out.application = application;
  if (action) out.action = action;
  if (f.status) out.status = f.status;
  if (f.from) out.from = new Date(f.from).toISOString();
  if (f.to) out.to = new Date(f.to).toISOString();
  if (out.from && out.to && out.from > out.to)
    throw new AppError('validation', 'The start of the time span is after its end.', { from: out.from, to: out.to });
  return out;
}

/**
 * A time typed by an admin (command line): an ISO date-time, or a plain date
 * `YYYY-MM-DD` in local time — the start of that day for `from`, its last
 * millisecond for `to`, so `--from 2025-03-01 --to 2025-03-31` is all of March.
 */
export function parseAdminTime(text: string, edge: 'from' | 'to'): string {
  const s = text.trim();
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  let d: Date;
  if (day) {
    d = new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    if (edge === 'to') d = new Date(d.getTime() + 24 * HOUR - 1);
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(s)) {
    d = new Date(s);
  } else {
    d = new Date(NaN);
  }
  if (Number.isNaN(d.getTime()))
    throw new AppError(
      'validation',
      `"${text}" is not a date. Use YYYY-MM-DD or an ISO time like 2025-03-01T08:00:00Z.`,
    );
  return d.toISOString();
}

export function isReportStatus(s: string): s is ReportStatus {
  return (reportStatuses as readonly string[]).includes(s);
}
