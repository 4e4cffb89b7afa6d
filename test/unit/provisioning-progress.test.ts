// Provisioning progress per directory: the current wave's done / pending, all
// failed, the rate over the last minute and the time left at that rate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src-main/app.ts';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import { provisioningProgress } from '../../src-main/sync/progress.ts';

const NOW = Date.parse('2026-03-01T10:00:00.000Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const LATER = '2099-01-01T00:00:00.000Z'; // pending items the worker must not pick up during the test

let app: App;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-progress-'));
  app = createApp({ dataDir: dir, shell: 'test' });
});
afterEach(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

function directory(name: string): string {
  return app.directories.save(
    undefined,
    { kind: 'ldap', name, connection: { urls: ['ldap://127.0.0.1:1'], bindDn: 'cn=a', baseDn: 'dc=x' } } as never,
    {},
  ).id;
}

let n = 0;
function item(directoryId: string, state: string, created: string, updated: string): void {
  app.db.run(
    `INSERT INTO outbox (directory_id, object_type, local_id, op, payload, state, attempts, next_attempt_at, created, updated)
     VALUES (?, 'user', ?, 'user.update', '{}', ?, 0, ?, ?, ?)`,
    directoryId,
    `u${++n}`,
    state,
    LATER,
    created,
    updated,
  );
}

describe('provisioning progress', () => {
  it('counts the wave since the oldest unfinished item, with the rate of the last minute and the time left', () => {
    const id = directory('Lab');
    item(id, 'done', iso(3_600_000), iso(3_600_000)); // an old wave, finished long ago: not counted as done
    item(id, 'failed', iso(3_500_000), iso(3_500_000)); // old failures still need attention
    // This wave was queued 2 minutes ago; its oldest unfinished item marks where it starts.
    item(id, 'pending', iso(120_000), iso(120_000));
    for (let i = 0; i < 30; i++) item(id, 'done', iso(120_000), iso(30_000)); // done in the last minute
    for (let i = 0; i < 10; i++) item(id, 'done', iso(120_000), iso(90_000)); // done before the window
    for (let i = 0; i < 59; i++) item(id, 'pending', iso(120_000), iso(120_000));
    const [p] = provisioningProgress(app.db, NOW);
    expect(p).toMatchObject({ name: 'Lab', done: 40, pending: 60, failed: 1 });
    expect(p!.ratePerMinute).toBe(30); // 30 finished in the last 60 s
    expect(p!.etaSeconds).toBe(120); // 60 left at 0.5 per second
  });

  it('keeps counting the wave while its items finish in order (the oldest unfinished one moves on)', () => {
    const id = directory('InOrder');
    item(id, 'done', iso(7_200_000), iso(7_200_000)); // an earlier wave
    for (let i = 0; i < 25; i++) item(id, 'done', iso(40_000), iso(20_000)); // the first items of this wave, done
    for (let i = 0; i < 75; i++) item(id, 'pending', iso(40_000), iso(40_000));
    const [p] = provisioningProgress(app.db, NOW);
    expect(p).toMatchObject({ done: 25, pending: 75, ratePerMinute: 38 }); // 25 in the wave's 40 s
    expect(p!.etaSeconds).toBe(120);
  });

  it('says nothing is pending and gives no estimate when the directory is idle', async () => {
    const id = directory('Idle');
    item(id, 'done', iso(3_600_000), iso(3_600_000));
    const r = await dispatch(app, 'provision.progress', {});
    expect(r).toEqual({ ok: true, value: [{ directoryId: id, name: 'Idle', done: 0, pending: 0, failed: 0 }] });
  });

  it('measures a young wave over its own age, not over the idle minute before it', () => {
    const id = directory('Fresh');
    item(id, 'pending', iso(10_000), iso(10_000));
    for (let i = 0; i < 10; i++) item(id, 'done', iso(10_000), iso(1_000));
    for (let i = 0; i < 19; i++) item(id, 'pending', iso(10_000), iso(10_000));
    const [p] = provisioningProgress(app.db, NOW);
    expect(p).toMatchObject({ done: 10, pending: 20, ratePerMinute: 60 }); // 10 in 10 s
    expect(p!.etaSeconds).toBe(20);
  });
});
