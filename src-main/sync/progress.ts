// Provisioning progress per directory, read from the outbox: how much of the
// current wave of work is done, what is still pending, what failed, the rate
// over the last minute and the time left at that rate. A "wave" is the work
// queued since the directory was last idle (nothing unfinished), so a commit
// that queues thousands of writes reads as "1,200 done · 2,999 pending"
// instead of a lifetime total, and items finishing in order do not move its start.
import type { Db } from '../store/db.ts';
import type { DirectoryProgress } from '../../src-preload/contract/dashboard.ts';

/** The rate is measured over this window: long enough to be steady, short enough to follow a slowdown. */
export const RATE_WINDOW_MS = 60_000;

interface Row {
  id: string;
  name: string;
  /** When the oldest unfinished item was queued; null when nothing is unfinished. */
  oldest: string | null;
}

export function provisioningProgress(db: Db, now = Date.now()): DirectoryProgress[] {
  const dirs = db.all<Row>(
    `SELECT d.id, d.name,
       (SELECT min(o.created) FROM outbox o WHERE o.directory_id = d.id AND o.state IN ('pending','running')) AS oldest
     FROM directories d ORDER BY d.name`,
  );
  return dirs.map((d) => progressOf(db, d, now));
}

function progressOf(db: Db, d: Row, now: number): DirectoryProgress {
  const failed =
    db.get<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE directory_id = ? AND state = 'failed'", d.id)?.n ?? 0;
  if (d.oldest === null) return { directoryId: d.id, name: d.name, done: 0, pending: 0, failed };
  // The directory was last idle when the last item finished before the oldest unfinished one was queued.
  const idleAt =
    db.get<{ at: string | null }>(
      `SELECT max(updated) AS at FROM outbox
       WHERE directory_id = ? AND state IN ('done','failed') AND updated < ?`,
      d.id,
      d.oldest,
    )?.at ?? '';
  const wave = db.get<{ done: number; pending: number; started: string; recent: number }>(
    `SELECT sum(state = 'done') AS done, sum(state IN ('pending','running')) AS pending, min(created) AS started,
            sum(state IN ('done','failed') AND updated >= ?) AS recent
     FROM outbox WHERE directory_id = ? AND created > ?`,
    new Date(now - RATE_WINDOW_MS).toISOString(),
    d.id,
    idleAt,
  );
  const done = wave?.done ?? 0;
  const pending = wave?.pending ?? 0;
  // A wave younger than the window is measured over its own age, not diluted by the idle time before it.
  const started = wave?.started ? Date.parse(wave.started) : now - RATE_WINDOW_MS;
  const seconds = Math.max(1, Math.min(RATE_WINDOW_MS, now - started) / 1000);
  const perSecond = (wave?.recent ?? 0) / seconds;
  return {
    directoryId: d.id,
    name: d.name,
    done,
    pending,
    failed,
    ratePerMinute: Math.round(perSecond * 60),
    etaSeconds: perSecond > 0 ? Math.round(pending / perSecond) : undefined,
  };
}
