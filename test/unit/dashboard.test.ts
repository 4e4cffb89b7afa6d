import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src-main/app.ts';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import type { DashboardSummary } from '../../src-preload/contract.ts';

describe('dashboard.summary', () => {
  let app: App | undefined;
  let dir = '';
  afterEach(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts successes and failures per UTC day over the last 30 days, and links per directory', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-dash-'));
    app = createApp({ dataDir: dir, shell: 'test' });
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const add = (at: string, status: 'success' | 'failure', objectType: 'user' | 'mail' = 'user') =>
      app!.repos.reports.add({ at, userIdentifier: 'u', objectType, action: 'create', application: 'AD', status });
    add(day(0), 'success');
    add(day(0), 'success');
    add(day(0), 'failure');
    add(day(0), 'success', 'mail'); // onboarding mail is not provisioning activity
    add(day(3), 'failure');
    add(day(40), 'success'); // outside the window
    const d = app.directories.save(
      undefined,
      {
        kind: 'ldap',
        name: 'Lab',
        connection: { urls: ['ldap://127.0.0.1:1'], bindDn: 'cn=a', baseDn: 'dc=x' },
      } as never,
      {},
    );
    const u = app.users.create({ userName: 'ann', name: {}, emails: [], phoneNumbers: [], active: true });
    app.db.run(
      "INSERT INTO links (directory_id, object_type, local_id, state, reason, updated) VALUES (?, 'user', ?, 'failed', 'refused', ?)",
      d.id,
      u.id,
      day(0),
    );

    const r = await dispatch(app, 'dashboard.summary', {});
    expect(r.ok).toBe(true);
    const s = (r as { value: DashboardSummary }).value;
    expect(s.activity).toHaveLength(30);
    expect(s.activity.at(-1)).toEqual({ day: day(0).slice(0, 10), success: 2, failure: 1 });
    expect(s.activity.at(-4)).toEqual({ day: day(3).slice(0, 10), success: 0, failure: 1 });
    expect(s.activity.reduce((a, x) => a + x.success + x.failure, 0)).toBe(4);
    expect(s.users).toBe(1);
    expect(s.directories).toEqual([
      expect.objectContaining({
        name: 'Lab',
        kind: 'ldap',
        users: { provisioned: 0, pending: 0, failed: 1 },
        groups: { provisioned: 0, pending: 0, failed: 0 },
      }),
    ]);
  });
});
