// Report entries: one row per operation (import commit row, provisioning
// attempt, failure, onboarding step). Writes mask anything secret-looking.
import type { Db } from './db.ts';
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

export function maskChanges(changes?: Record<string, [unknown, unknown]>) {
  if (!changes) return undefined;
  const out: Record<string, [unknown, unknown]> = {};
  for (const [k, [a, b]] of Object.entries(changes)) {
    out[k] = SECRET_KEY.test(k) ? [a === undefined ? undefined : '••••', b === undefined ? undefined : '••••'] : [a, b];
  }
  return out;
}

export class ReportsRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  add(e: ReportEntryInput): number {
    const changes = maskChanges(e.changes);
    return this.db.run(
      `INSERT INTO report_entries (at, user_identifier, user_identifier_lc, object_type, action, application,
        application_lc, directory_id, status, message, run_id, request_id, changes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      e.at ?? nowIso(),
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
    ).lastInsertRowid;
  }
}
