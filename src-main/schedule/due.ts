// When a directory's schedule is due, when a full read is due, and how far a
// quarantined directory is backed off. Pure: times in, times out.
import type { Schedule } from '../../src-preload/directory.ts';
import type { ScheduleState } from './state.ts';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
/** Failures in a row after which a directory is quarantined. */
export const QUARANTINE_AFTER = 3;
/** The first quarantine wait; it doubles with every further failure, up to a day. */
export const FIRST_BACKOFF_MS = 30 * MINUTE_MS;

/** How long a directory with this many failures in a row waits before its next try (0: not quarantined). */
export function backoffMs(failures: number): number {
  if (failures < QUARANTINE_AFTER) return 0;
  return Math.min(DAY_MS, FIRST_BACKOFF_MS * 2 ** (failures - QUARANTINE_AFTER));
}

/**
 * When the next scheduled run is due (ms), or undefined when the schedule is off. Every N minutes: N minutes
 * after the last run, and at once when the schedule was just switched on. Daily: the first slot after the
 * last run (or after the schedule was switched on). Never before a quarantine ends.
 */
export function nextDueAt(schedule: Schedule, state: ScheduleState): number | undefined {
  if (schedule.mode === 'off' || !state.armedAt) return undefined;
  const armed = Date.parse(state.armedAt);
  const last = state.lastRunAt ? Date.parse(state.lastRunAt) : undefined;
  let due: number;
  if (schedule.mode === 'interval') due = last === undefined ? armed : last + schedule.everyMinutes * MINUTE_MS;
  else due = nextSlotAfter(schedule.dailyAt, Math.max(armed, last ?? armed));
  const quarantined = state.quarantinedUntil ? Date.parse(state.quarantinedUntil) : 0;
  return Math.max(due, quarantined);
}

function nextSlotAfter(dailyAt: string, since: number): number {
  const [h, m] = dailyAt.split(':').map(Number) as [number, number];
  const d = new Date(since);
  d.setHours(h, m, 0, 0);
  if (d.getTime() <= since) d.setDate(d.getDate() + 1);
  return d.getTime();
}

export function isDue(schedule: Schedule, state: ScheduleState, now: number): boolean {
  const due = nextDueAt(schedule, state);
  return due !== undefined && due <= now;
}

/** A scheduled run reads everything when the last full read is older than the schedule's period. */
export function fullReadDue(schedule: Schedule, state: ScheduleState, now: number): boolean {
  if (schedule.fullReadEveryDays === 0) return false;
  if (!state.lastFullAt) return false; // the first read of a directory is a full one anyway
  return now - Date.parse(state.lastFullAt) >= schedule.fullReadEveryDays * DAY_MS;
}
