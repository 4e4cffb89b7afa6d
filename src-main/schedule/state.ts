// What the scheduler remembers per directory between runs and restarts: when
// it last ran, the last full read, failures in a row and the quarantine. One
// JSON value per directory in the settings table: no schema change needed.
import type { Db } from '../store/db.ts';

export interface ScheduleState {
  /** When the schedule was last switched on (its first slot counts from here); unset while off. */
  armedAt?: string;
  lastRunAt?: string;
  lastFullAt?: string;
  lastOutcome?: 'committed' | 'held' | 'failed';
  lastRunId?: string;
  /** Scheduled runs that failed in a row. */
  failures: number;
  quarantinedUntil?: string;
  lastError?: { code: string; message: string; details?: unknown };
}

const key = (directoryId: string) => `schedule:${directoryId}`;

export class ScheduleStateRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  get(directoryId: string): ScheduleState | undefined {
    const r = this.db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', key(directoryId));
    return r ? (JSON.parse(r.value) as ScheduleState) : undefined;
  }

  /** The state, armed at `now` when its schedule is on but was not armed yet. */
  ensure(directoryId: string, now: number): ScheduleState {
    const s = this.get(directoryId) ?? { failures: 0 };
    if (s.armedAt) return s;
    const armed: ScheduleState = { ...s, armedAt: new Date(now).toISOString(), lastRunAt: undefined };
    this.put(directoryId, armed);
    return armed;
  }

  put(directoryId: string, s: ScheduleState): void {
    this.db.run(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      key(directoryId),
      JSON.stringify(s),
    );
  }

  update(directoryId: string, patch: Partial<ScheduleState>): ScheduleState {
    const next = { failures: 0, ...this.get(directoryId), ...patch };
    this.put(directoryId, next);
    return next;
  }

  /** A switched-off schedule forgets its slot: switched on again, it counts from then. */
  disarm(directoryId: string): void {
    const s = this.get(directoryId);
    if (s?.armedAt) this.put(directoryId, { ...s, armedAt: undefined });
  }
}
