// Report queries over report_entries: every filter maps onto an index so a
// page stays fast at a million entries; newest first, keyset-paged on
// (at, id) so page N costs the same as page 1.
//
// The user filter is "part of the identifier, any case". A LIKE '%x%' over the
// entries cannot use an index: at 1M rows it reads them all. Instead the
// distinct identifiers (report_users, far fewer than entries) carry an FTS5
// trigram index; a search first finds the identifiers that contain the text
// there (for 1–2 characters, which trigrams cannot index, a scan of the
// distinct identifiers), then:
//   - few identifiers (≤ FEW_USERS): their entries through report_user_at,
//     one index range per identifier, merged and sorted;
//   - many identifiers: the entries are walked newest first through the time
//     (or application/status/action) index and kept when their identifier is
//     in the matching set — with that many matches, a page fills quickly.
import type { Db, SqlValue } from '../store/db.ts';
import type { ReportEntry, ReportRow, ReportStatus, ResolvedReportFilter } from '../../src-preload/contract/reports.ts';
import { AppError } from '../errors.ts';

export const FEW_USERS = 400;
export const DEFAULT_PAGE = 200;
export const COUNT_CAP = 100_000;

interface RawRow {
  id: number;
  at: string;
  user_identifier: string;
  object_type: string;
  action: string;
  application: string;
  status: string;
  message: string;
  run_id: string | null;
  request_id: string | null;
}
interface RawEntry extends RawRow {
  directory_id: string | null;
  changes: string | null;
}

const ROW_COLUMNS = 'id, at, user_identifier, object_type, action, application, status, message, run_id, request_id';

export function toRow(r: RawRow): ReportRow {
  return {
    id: r.id,
    at: r.at,
    userIdentifier: r.user_identifier,
    objectType: r.object_type,
    action: r.action,
    application: r.application,
    status: r.status as ReportStatus,
    message: r.message,
    runId: r.run_id,
    requestId: r.request_id,
  };
}

function toEntry(r: RawEntry): ReportEntry {
  let changes: ReportEntry['changes'] = null;
  if (r.changes) {
    try {
      changes = JSON.parse(r.changes) as ReportEntry['changes'];
    } catch {
      changes = null;
    }
  }
  return { ...toRow(r), directoryId: r.directory_id, changes };
}

/** A position in the list: the last row of a page. */
export interface Cursor {
  at: string;
  id: number;
}

export function encodeCursor(c: Cursor): string {
  return `${c.at}~${c.id}`;
}
export function decodeCursor(s: string): Cursor {
  const m = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)~(\d+)$/.exec(s);
  if (!m) throw new AppError('validation', 'The page position is not valid; search again.', { cursor: s });
  return { at: m[1]!, id: Number(m[2]) };
}

/** How the user filter is applied (exposed for tests and the bench). */
export type UserPlan =
  { kind: 'none' } | { kind: 'few'; identifiers: string[] } | { kind: 'many'; text: string } | { kind: 'nobody' };

/** FTS5 phrase for a literal text: double quotes doubled, the whole thing quoted. */
const ftsPhrase = (text: string) => `"${text.replaceAll('"', '""')}"`;

export class ReportQueries {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /** The identifiers (lowercased) that contain `text`, up to `limit`. */
  matchingIdentifiers(text: string, limit: number): string[] {
    const q = text.toLowerCase();
    if ([...q].length >= 3) {
      return this.db
        .all<{ lc: string }>(
          `SELECT u.lc FROM report_users_fts f JOIN report_users u ON u.id = f.rowid
           WHERE report_users_fts MATCH ? AND instr(u.lc, ?) > 0 LIMIT ?`,
          ftsPhrase(q),
          q,
          limit,
        )
        .map((r) => r.lc);
    }
    return this.db
      .all<{ lc: string }>('SELECT lc FROM report_users WHERE instr(lc, ?) > 0 LIMIT ?', q, limit)
      .map((r) => r.lc);
  }

  userPlan(user: string | undefined): UserPlan {
    if (!user) return { kind: 'none' };
    const ids = this.matchingIdentifiers(user, FEW_USERS + 1);
    if (ids.length === 0) return { kind: 'nobody' };
    if (ids.length <= FEW_USERS) return { kind: 'few', identifiers: ids };
    return { kind: 'many', text: user.toLowerCase() };
  }

  private where(
    f: ResolvedReportFilter,
    plan: UserPlan,
    cursor?: Cursor,
  ): { from: string; sql: string; params: SqlValue[] } {
    const clauses: string[] = [];
    const params: SqlValue[] = [];
    if (f.from) {
      clauses.push('at >= ?');
      params.push(f.from);
    }
    if (f.to) {
      clauses.push('at <= ?');
      params.push(f.to);
    }
    if (f.application) {
      clauses.push('application_lc = ?');
      params.push(f.application.toLowerCase());
    }
    if (f.action) {
      clauses.push('action = ?');
      params.push(f.action);
    }
    if (f.status) {
      clauses.push('status = ?');
      params.push(f.status);
    }
    if (plan.kind === 'few') {
      clauses.push('user_identifier_lc IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(plan.identifiers));
    } else if (plan.kind === 'many' && [...plan.text].length < 3) {
      // Trigrams cannot index 1–2 characters: test the identifier itself while walking by time.
      clauses.push('instr(user_identifier_lc, ?) > 0');
      params.push(plan.text);
    } else if (plan.kind === 'many') {
      // The unary + keeps the planner off report_user_at: walk by time, test membership in the matching set.
      clauses.push(
        `+user_identifier_lc IN (SELECT u.lc FROM report_users_fts f JOIN report_users u ON u.id = f.rowid
           WHERE report_users_fts MATCH ? AND instr(u.lc, ?) > 0)`,
      );
      params.push(ftsPhrase(plan.text), plan.text);
    }
    if (cursor) {
      // A row value: SQLite seeks straight to it in the time index (whose last column is the rowid).
      clauses.push('(at, id) < (?, ?)');
      params.push(cursor.at, cursor.id);
    }
    // Few identifiers: their own index ranges are the smallest set, whatever else is filtered.
    const from = plan.kind === 'few' ? 'report_entries INDEXED BY report_user_at' : 'report_entries';
    return { from, sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  /** One page, newest first. */
  page(
    f: ResolvedReportFilter,
    opts: { cursor?: Cursor; limit?: number; plan?: UserPlan } = {},
  ): { rows: ReportRow[]; next?: Cursor } {
    const limit = opts.limit ?? DEFAULT_PAGE;
    const plan = opts.plan ?? this.userPlan(f.user);
    if (plan.kind === 'nobody') return { rows: [] };
    const w = this.where(f, plan, opts.cursor);
    const raw = this.db.all<RawRow>(
      `SELECT ${ROW_COLUMNS} FROM ${w.from} ${w.sql} ORDER BY at DESC, id DESC LIMIT ?`,
      ...w.params,
      limit + 1,
    );
    const more = raw.length > limit;
    const rows = (more ? raw.slice(0, limit) : raw).map(toRow);
    const last = rows.at(-1);
    return more && last ? { rows, next: { at: last.at, id: last.id } } : { rows };
  }

  /** Raw rows with changes, for export: one batch after `cursor`. */
  batch(f: ResolvedReportFilter, plan: UserPlan, limit: number, cursor?: Cursor): ReportEntry[] {
    if (plan.kind === 'nobody') return [];
    const w = this.where(f, plan, cursor);
    return this.db
      .all<RawEntry>(
        `SELECT ${ROW_COLUMNS}, directory_id, changes FROM ${w.from} ${w.sql} ORDER BY at DESC, id DESC LIMIT ?`,
        ...w.params,
        limit,
      )
      .map(toEntry);
  }

  /**
   * Matching entries, counted up to `cap` (so a count never reads more than
   * that). Order does not matter here: with many identifiers of 1–2
   * characters (which would otherwise test every entry in the span), the
   * count goes through the identifiers' own index ranges.
   */
  count(f: ResolvedReportFilter, cap = COUNT_CAP, plan?: UserPlan): { total: number; capped: boolean } {
    const p = plan ?? this.userPlan(f.user);
    if (p.kind === 'nobody') return { total: 0, capped: false };
    let w = this.where(f, p);
    if (p.kind === 'many' && [...p.text].length < 3) {
      const rest = this.where({ ...f, user: undefined }, { kind: 'none' });
      w = {
        from: 'report_entries INDEXED BY report_user_at',
        sql: `${rest.sql ? `${rest.sql} AND` : 'WHERE'} user_identifier_lc IN (SELECT lc FROM report_users WHERE instr(lc, ?) > 0)`,
        params: [...rest.params, p.text],
      };
    }
    const n = this.db.get<{ n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${w.from} ${w.sql} LIMIT ?)`,
      ...w.params,
      cap + 1,
    )!.n;
    return n > cap ? { total: cap, capped: true } : { total: n, capped: false };
  }

  get(id: number): ReportEntry | undefined {
    const r = this.db.get<RawEntry>(
      `SELECT ${ROW_COLUMNS}, directory_id, changes FROM report_entries WHERE id = ?`,
      id,
    );
    if (!r) return undefined;
    // Who started the entry's run: its directory's schedule, or the admin.
    const run = r.run_id
      ? this.db.get<{ trigger: string | null }>(
          "SELECT json_extract(counts, '$.trigger') AS trigger FROM import_runs WHERE id = ?",
          r.run_id,
        )
      : undefined;
    return { ...toEntry(r), ...(run ? { trigger: run.trigger === 'scheduled' ? 'scheduled' : 'admin' } : {}) };
  }

  /**
   * Application names in the report, one per lowercased name, found by
   * hopping through report_app_at (a loose index scan: one seek per name, not
   * one row per entry).
   */
  applications(): string[] {
    return this.db
      .all<{ application: string }>(
        `WITH RECURSIVE apps(lc) AS (
           SELECT min(application_lc) FROM report_entries
           UNION ALL
           SELECT (SELECT min(application_lc) FROM report_entries WHERE application_lc > apps.lc) FROM apps WHERE apps.lc IS NOT NULL
         )
         SELECT (SELECT application FROM report_entries WHERE application_lc = apps.lc LIMIT 1) AS application
         FROM apps WHERE lc IS NOT NULL AND lc <> ''`,
      )
      .map((r) => r.application);
  }

  /** Actions in the report, by the same loose index scan over report_action_at. */
  actions(): string[] {
    return this.db
      .all<{ action: string }>(
        `WITH RECURSIVE acts(action) AS (
           SELECT min(action) FROM report_entries
           UNION ALL
           SELECT (SELECT min(action) FROM report_entries WHERE action > acts.action) FROM acts WHERE acts.action IS NOT NULL
         )
         SELECT action FROM acts WHERE action IS NOT NULL AND action <> ''`,
      )
      .map((r) => r.action);
  }
}
