// The scheduler's own logic with a clock the test moves and an in-memory
// directory: when schedules are due, the quarantine's backoff, the loop that
// started shells run, held runs, the folder-busy seam, full reads, notices,
// and the exit code of `provision-desk sync`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src-main/app.ts';
import { backoffMs, DAY_MS, fullReadDue, MINUTE_MS, nextDueAt } from '../../src-main/schedule/due.ts';
import { syncExitCode, parseSyncArgs } from '../../src-main/schedule/cli.ts';
import type { ScheduledOutcome } from '../../src-preload/contract/schedule.ts';
import { scheduleDefaults, type DirectoryConfig, type Schedule } from '../../src-preload/directory.ts';
import { FakeClock } from '../fakes/clock.ts';
import { FakeDirectory, fakeLdapConfig } from './sync-fake-connector.ts';

const at = (iso: string) => Date.parse(iso);
const sched = (over: Partial<Schedule>): Schedule => ({ ...scheduleDefaults, ...over });

describe('when a schedule is due', () => {
  const armed = '2026-03-02T08:00:00.000Z';
  it('every N minutes: at once when switched on, then N minutes after the last run', () => {
    const s = sched({ mode: 'interval', everyMinutes: 15 });
    expect(nextDueAt(s, { armedAt: armed, failures: 0 })).toBe(at(armed));
    expect(nextDueAt(s, { armedAt: armed, lastRunAt: '2026-03-02T09:00:00.000Z', failures: 0 })).toBe(
      at('2026-03-02T09:15:00.000Z'),
    );
  });

  it('daily: the first slot after the last run (local time)', () => {
    const s = sched({ mode: 'daily', dailyAt: '02:30' });
    const due = new Date(nextDueAt(s, { armedAt: armed, failures: 0 })!);
    expect([due.getHours(), due.getMinutes()]).toEqual([2, 30]);
    expect(due.getTime()).toBeGreaterThan(at(armed));
    expect(due.getTime() - at(armed)).toBeLessThanOrEqual(DAY_MS);
  });

  it('off, or not armed: never', () => {
    expect(nextDueAt(sched({ mode: 'off' }), { armedAt: armed, failures: 0 })).toBeUndefined();
    expect(nextDueAt(sched({ mode: 'interval' }), { failures: 0 })).toBeUndefined();
  });

  it('a quarantine holds the next run back; its wait doubles from 30 minutes up to a day', () => {
    expect([1, 2].map(backoffMs)).toEqual([0, 0]);
    expect([3, 4, 5].map(backoffMs)).toEqual([30 * MINUTE_MS, 60 * MINUTE_MS, 120 * MINUTE_MS]);
    expect(backoffMs(20)).toBe(DAY_MS);
    const s = sched({ mode: 'interval', everyMinutes: 5 });
    const until = '2026-03-02T12:00:00.000Z';
    expect(nextDueAt(s, { armedAt: armed, lastRunAt: armed, failures: 3, quarantinedUntil: until })).toBe(at(until));
  });

  it('a full read is due once its period passed since the last one', () => {
    const s = sched({ mode: 'interval', fullReadEveryDays: 7 });
    const st = { armedAt: armed, failures: 0, lastFullAt: armed };
    expect(fullReadDue(s, st, at(armed) + 6 * DAY_MS)).toBe(false);
    expect(fullReadDue(s, st, at(armed) + 7 * DAY_MS)).toBe(true);
    expect(fullReadDue({ ...s, fullReadEveryDays: 0 }, st, at(armed) + 70 * DAY_MS)).toBe(false);
  });
});

describe('the scheduler in an app', () => {
  let dataDir: string;
  let app: App;
  let clock: FakeClock;
  let dir: FakeDirectory;
  let busy: boolean;
  let mails: Array<{ to: string[]; title: string }>;
  let dirId: string;

  const make = (schedule: Partial<Schedule>, over: Partial<DirectoryConfig> = {}) => {
    dirId = app.directories.save(
      undefined,
      fakeLdapConfig('Lab', { ...over, schedule: sched(schedule) } as Partial<DirectoryConfig>),
      { bindPassword: 'x' },
    ).id;
  };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'pd-schedule-unit-'));
    clock = new FakeClock();
    dir = new FakeDirectory();
    busy = false;
    mails = [];
    app = createApp({
      dataDir,
      shell: 'test',
      clock,
      holdFolder: () => (busy ? undefined : () => {}),
      createConnector: () => dir.connector(),
    });
    // Mail goes through the app's transport; here it is recorded.
    (app.onboarding as unknown as { sendAdminMail: unknown }).sendAdminMail = async (to: string[], title: string) => {
      mails.push({ to, title });
    };
    for (let i = 0; i < 5; i++) dir.addUser({ userName: `u${i}`, displayName: `User ${i}` });
  });
  afterEach(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  const importRuns = () => app.sync.runs({ directoryId: dirId, kind: 'import' });

  it('started, it runs a schedule switched on at once, then each time its interval passes', async () => {
    make({ mode: 'interval', everyMinutes: 5 });
    app.schedule.start();
    await settle();
    expect(importRuns()).toHaveLength(1);
    expect(importRuns()[0]).toMatchObject({ status: 'committed', trigger: 'scheduled' });
    expect(app.repos.users.byUserName('u1')).toBeDefined();
    clock.advance(4 * MINUTE_MS);
    await settle();
    expect(importRuns()).toHaveLength(1);
    clock.advance(1 * MINUTE_MS);
    await settle();
    expect(importRuns()).toHaveLength(2);
    await app.schedule.stop();
    expect(clock.pending).toBe(0);
  });

  it('started, a schedule switched on in the form runs without waiting for the next minute', async () => {
    make({ mode: 'off' });
    app.schedule.start();
    await settle();
    expect(importRuns()).toHaveLength(0);
    const d = app.directories.get(dirId);
    app.directories.save(dirId, { ...(d.config as DirectoryConfig), schedule: sched({ mode: 'interval' }) }, {});
    await settle();
    expect(importRuns()).toHaveLength(1);
    await app.schedule.stop();
  });

  it("waits while the admin's own preview of the directory runs", async () => {
    make({ mode: 'interval' });
    app.repos.runs.create({ id: 'admin-preview', directoryId: dirId, kind: 'import', baseChange: 0 });
    const [o] = await app.schedule.tick();
    expect(o).toMatchObject({
      status: 'skipped',
      skipped: expect.stringMatching(/preview of this directory is running/),
    });
    app.repos.runs.finish('admin-preview', 'cancelled');
    expect((await app.schedule.tick())[0]!.status).toBe('committed');
  });

  it('auto-commit off: every run is held, never committed, and mailed to the admin addresses', async () => {
    make({ mode: 'interval', autoCommit: 'hold', notify: ['admin@example.test'] });
    const [o] = await app.schedule.tick();
    expect(o).toMatchObject({ status: 'held', held: { reason: 'policy' } });
    expect(app.repos.users.byUserName('u1')).toBeUndefined();
    expect(mails).toEqual([
      { to: ['admin@example.test'], title: expect.stringContaining('Lab: scheduled import held') },
    ]);
    expect(app.schedule.discard(o!.runId!)).toEqual({ discarded: true });
    expect(app.sync.run(o!.runId!).status).toBe('discarded');
    expect(app.schedule.overview().review).toEqual([]);
    expect(() => app.sync.commitImport({ runId: o!.runId! })).toThrow(/not a finished preview/);
  });

  it('no scheduled run while another process holds the data folder', async () => {
    make({ mode: 'interval' });
    busy = true;
    const [o] = await app.schedule.tick();
    expect(o).toMatchObject({ status: 'skipped', skipped: expect.stringMatching(/holds the data folder/) });
    expect(importRuns()).toHaveLength(0);
    busy = false;
    expect((await app.schedule.tick())[0]!.status).toBe('committed');
  });

  it('asks for the changes only, and for everything once the full-read period has passed', async () => {
    make({ mode: 'interval', everyMinutes: 60 * 24, fullReadEveryDays: 2 });
    const modes: Array<string | undefined> = [];
    const preview = app.sync.previewImport.bind(app.sync);
    // The in-memory directory has no change tracking: after the first (full) read, 'auto' reads stand in for deltas.
    app.sync.previewImport = async (id, opts) => {
      modes.push(opts?.mode);
      const r = await preview(id, opts);
      return modes.length > 1 && opts?.mode !== 'full' ? { ...r, mode: 'delta' } : r;
    };
    for (let day = 0; day < 4; day++) {
      expect((await app.schedule.tick())[0]!.status).toBe('committed');
      clock.advance(DAY_MS);
    }
    // The first read of a directory is full anyway; then full again every second day.
    expect(modes).toEqual(['auto', 'auto', 'full', 'auto']);
  });

  it('a schedule switched off does not run; switched on again it counts from then', async () => {
    make({ mode: 'off' });
    expect(await app.schedule.tick()).toEqual([]);
    const d = app.directories.get(dirId);
    app.directories.save(dirId, { ...(d.config as DirectoryConfig), schedule: sched({ mode: 'interval' }) }, {});
    expect((await app.schedule.tick())[0]!.status).toBe('committed');
  });
});

describe('provision-desk sync arguments and exit codes', () => {
  const o = (status: ScheduledOutcome['status'], skipped?: string): ScheduledOutcome => ({
    directoryId: 'd',
    directoryName: 'D',
    status,
    skipped,
  });
  it('a failure outweighs a held run, which outweighs failed provisioning', () => {
    expect(syncExitCode([o('committed')], 0)).toBe(0);
    expect(syncExitCode([o('committed')], 2)).toBe(5);
    expect(syncExitCode([o('committed'), o('held')], 2)).toBe(4);
    expect(syncExitCode([o('held'), o('failed')], 0)).toBe(1);
    expect(syncExitCode([o('skipped', 'Another Provision Desk process holds the data folder')], 0)).toBe(1);
  });
  it('names or --all, not both', () => {
    expect(parseSyncArgs(['A', 'B', '--now', '--json'])).toMatchObject({ names: ['A', 'B'], now: true, json: true });
    expect(() => parseSyncArgs([])).toThrow(/--all/);
    expect(() => parseSyncArgs(['A', '--all'])).toThrow(/--all/);
  });
});
