// Dashboard: counts per directory and the provisioning activity per day,
// read straight from the store (links, outbox, report_entries).
import type { App } from '../../app.ts';
import type { Handlers } from './types.ts';
import { provisioningProgress } from '../../sync/progress.ts';
import type { DashboardSummary, StateCounts } from '../../../src-preload/contract/dashboard.ts';

const DAY_MS = 86_400_000;

export function dashboardSummary(app: App, days: number): DashboardSummary {
  const { db } = app;
  const zero = (): StateCounts => ({ provisioned: 0, pending: 0, failed: 0 });
  const links = new Map<string, { users: StateCounts; groups: StateCounts }>();
  for (const r of db.all<{ directory_id: string; object_type: 'user' | 'group'; state: keyof StateCounts; n: number }>(
    'SELECT directory_id, object_type, state, count(*) AS n FROM links GROUP BY directory_id, object_type, state',
  )) {
    let e = links.get(r.directory_id);
    if (!e) links.set(r.directory_id, (e = { users: zero(), groups: zero() }));
    e[r.object_type === 'user' ? 'users' : 'groups'][r.state] = r.n;
  }
  const work = new Map(
    db
      .all<{ directory_id: string; pending: number; failed: number }>(
        `SELECT directory_id, sum(state IN ('pending','running')) AS pending, sum(state = 'failed') AS failed
         FROM outbox GROUP BY directory_id`,
      )
      .map((r) => [r.directory_id, r]),
  );
  const directories = db
    .all<{ id: string; name: string; kind: DashboardSummary['directories'][number]['kind'] }>(
      'SELECT id, name, kind FROM directories ORDER BY name',
    )
    .map((d) => ({
      directoryId: d.id,
      name: d.name,
      kind: d.kind,
      users: links.get(d.id)?.users ?? zero(),
      groups: links.get(d.id)?.groups ?? zero(),
      pending: work.get(d.id)?.pending ?? 0,
      failed: work.get(d.id)?.failed ?? 0,
    }));

  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const first = today - (days - 1) * DAY_MS;
  const byDay = new Map(
    db
      .all<{ day: string; success: number; failure: number }>(
        `SELECT substr(at, 1, 10) AS day, sum(status = 'success') AS success, sum(status = 'failure') AS failure
         FROM report_entries WHERE at >= ? AND object_type <> 'mail' GROUP BY day`,
        new Date(first).toISOString(),
      )
      .map((r) => [r.day, r]),
  );
  const activity = Array.from({ length: days }, (_, i) => {
    const day = new Date(first + i * DAY_MS).toISOString().slice(0, 10);
    const r = byDay.get(day);
    return { day, success: r?.success ?? 0, failure: r?.failure ?? 0 };
  });

  return {
    users: db.get<{ n: number }>('SELECT count(*) AS n FROM users')?.n ?? 0,
    groups: db.get<{ n: number }>('SELECT count(*) AS n FROM groups')?.n ?? 0,
    directories,
    activity,
  };
}

export function dashboardHandlers(app: App): Handlers<'dashboard.summary' | 'provision.progress'> {
  return {
    'dashboard.summary': ({ days }) => dashboardSummary(app, days),
    'provision.progress': () => provisioningProgress(app.db),
  };
}
