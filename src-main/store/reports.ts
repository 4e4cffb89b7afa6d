// Report entries: one row per operation (import commit row, provisioning
// attempt, failure, onboarding step). Writes mask anything secret-looking.
import type { Db, SqlValue } from './db.ts';
import { nowIso } from './db.ts';

export interface ReportEntryInput {
  at?: string;
  userIdentifier: string;
  objectType: 'user' | 'group' | 'membership' | 'directory' | 'mail';
  action: string;
  application: string;
  directoryId?: string;
  status: 'success' | 'failure' | 'skipped' | 'pending';
  message?: string;
  runId?: string;
  requestId?: string;
  /** attribute → [old, new]; secret attributes are masked before writing. */
  changes?: Record<string, [unknown, unknown]>;
}

const SECRET_KEY = /pass(word)?|pwd|secret|token|unicodePwd|userPassword|private/i;
// The same few attribute names come back on every entry of a bulk write: test each once.
const secretKeys = new Map<string, boolean>();
const isSecret = (k: string): boolean => {
  let s = secretKeys.get(k);
  if (s === undefined) {
    s = SECRET_KEY.test(k);
    if (secretKeys.size < 10_000) secretKeys.set(k, s);
  }
  return s;
};

export function maskChanges(changes?: Record<string, [unknown, unknown]>) {
  if (!changes) return undefined;
  // Most entries (every new user of an import) hold nothing secret: written as they are.
  if (!Object.keys(changes).some(isSecret)) return changes;
  const out: Record<string, [unknown, unknown]> = {};
  for (const [k, [a, b]] of Object.entries(changes)) {
    out[k] = isSecret(k) ? [a === undefined ? undefined : '••••', b === undefined ? undefined : '••••'] : [a, b];
  }
  return out;
}

const COLUMNS = `(at, user_identifier, user_identifier_lc, object_type, action, application,
        application_lc, directory_id, status, message, run_id, request_id, changes)`;
const ONE_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** Rows per statement of addMany: one statement per row costs several times more (the report_users trigger is set up per statement). */
const BATCH = 500;

/** The bound values of one entry, in COLUMNS order. */
function values(e: ReportEntryInput, at: string): SqlValue[] {
  const changes = maskChanges(e.changes);
  return [
    e.at ?? at,
    e.userIdentifier,
    e.userIdentifier.toLowerCase(),
    e.objectType,
    e.action,
    e.application,
    e.application.toLowerCase(),
    e.directoryId ?? null,
    e.status,
    e.message ?? '',
    e.runId ?? null,
    e.requestId ?? null,
    changes ? JSON.stringify(changes) : null,
  ];
}

export class ReportsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  add(e: ReportEntryInput): number {
    return this.db.run(`INSERT INTO report_entries ${COLUMNS} VALUES ${ONE_ROW}`, ...values(e, nowIso()))
      .lastInsertRowid;
  }

  /** Writes many entries, in order, with multi-row INSERTs (an import commit's 100,000). */
  addMany(entries: readonly ReportEntryInput[]): void {
    const at = nowIso();
    for (let i = 0; i < entries.length; i += BATCH) {
      const chunk = entries.slice(i, i + BATCH);
      const params: SqlValue[] = [];
      for (const e of chunk) params.push(...values(e, at));
      this.db.run(
        `INSERT INTO report_entries ${COLUMNS} VALUES ${Array(chunk.length).fill(ONE_ROW).join(', ')}`,
        ...params,
      );
    }
  }
}
