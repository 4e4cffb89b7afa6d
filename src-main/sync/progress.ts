// Provisioning progress per directory, read from the outbox: how much of the
// current wave of work is done, what is still pending, what failed, the rate
// over the last minute and the time left at that rate. A "wave" starts at the
// oldest unfinished item, so a commit that queues thousands of writes reads as
// "1,200 of 4,199 done" instead of a lifetime total.
import type { Db } from '../store/db.ts';
import type { DirectoryProgress } from '../../src-preload/contract/dashboard.ts';

/** The rate is measured over this window: long enough to be steady, short enough to follow a slowdown. */
export const RATE_WINDOW_MS = 60_000;

interface Row {
  id: string;
  name: string;
  wave: number | null;
  waveCreated: string | null;
}

export function provisioningProgress(db: Db, now = Date.now()): DirectoryProgress[] {
  const dirs = db.all<Row>(
    `SELECT d.id, d.name,
       (SELECT min(o.id) FROM outbox o WHERE o.directory_id = d.id AND o.state IN ('pending','running')) AS wave,
       (SELECT o.created FROM outbox o WHERE o.directory_id = d.id AND o.state IN ('pending','running')
          ORDER BY o.id LIMIT 1) AS waveCreated
     FROM directories d ORDER BY d.name`,
  );
  return dirs.map((d) => progressOf(db, d, now));
}

function progressOf(db: Db, d: Row, now: number): DirectoryProgress {
  const failed =
    db.get<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE directory_id = ? AND state = 'failed'", d.id)?.n ?? 0;
  if (d.wave === null) return { directoryId: d.id, name: d.name, done: 0, pending: 0, failed };
  const counts = db.get<{ done: number; pending: number }>(
    `SELECT sum(state = 'done') AS done, sum(state IN ('pending','running')) AS pending
     FROM outbox WHERE directory_id = ? AND id >= ?`,
    d.id,
    d.wave,
  );
  const done = counts?.done ?? 0;
  const pending = counts?.pending ?? 0;
  const cutoff = new Date(now - RATE_WINDOW_MS).toISOString();
  const recent =
    db.get<{ n: number }>(
      `SELECT count(*) AS n FROM outbox
       WHERE directory_id = ? AND id >= ? AND state IN ('done','failed') AND updated >= ?`,
      d.id,
      d.wave,
      cutoff,
    )?.n ?? 0;
  // A wave younger than the window is measured over its own age, not diluted by the idle time before it.
  const started = d.waveCreated ? Date.parse(d.waveCreated) : now - RATE_WINDOW_MS;
  const seconds = Math.max(1, Math.min(RATE_WINDOW_MS, now - started) / 1000);
  const perSecond = recent / seconds;
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
