// The scheduled-provisioning scenario every LDAP kind goes through against its
// real server (slapd, the Samba AD DC), with a clock the test moves: a schedule
// commits exactly one changed, one added and one deleted user; a run over the
// deletion threshold is held and writes nothing (and a newer one supersedes
// it); conflicts hold; a source failing three times in a row is quarantined
// with growing backoff and recovers with "Retry now".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createApp, type App } from '../../src-main/app.ts';
import { reportsFor } from '../../src-main/reports/service.ts';
import type { Notice } from '../../src-preload/contract/app.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import { FakeClock } from '../fakes/clock.ts';

export const MIN = 60_000;

export interface ScheduleSide {
  /** Users in scope before the scenario. */
  seeded: number;
  changed: string;
  added: string;
  removed: string;
  changeOnServer(): Promise<void>;
  /** Deletes these seeded users on the server (more than the threshold allows). */
  deleteOnServer(logins: string[]): Promise<void>;
  /** Logins of seeded users the scenario may delete (never changed/removed). */
  spare: string[];
  /** A login free on the server, for an entry whose e-mail two local users share. */
  conflictLogin: string;
  /** Adds a user with this login and mail on the server. */
  addOnServer(login: string, mail: string): Promise<void>;
  deleteOneOnServer(login: string): Promise<void>;
  /** The directory config the scenario starts with (threshold 3 objects). */
  config(name: string): DirectoryConfig;
  secrets: { bindPassword: string };
  /** A URL nothing listens on, to make the source unreachable. */
  deadUrl: string;
}

export interface ScheduleCtx {
  app: App;
  clock: FakeClock;
  dirId: string;
  notices: Notice[];
  dispose(): Promise<void>;
}

export function scheduleApp(side: ScheduleSide, name: string): ScheduleCtx {
  const dataDir = mkdtempSync(join(tmpdir(), 'pd-schedule-it-'));
  const clock = new FakeClock(Date.now());
  const app = createApp({
    dataDir,
    shell: 'test',
    clock,
    outbox: { baseBackoffMs: 200, maxBackoffMs: 2000, concurrency: 8 },
  });
  const config = {
    ...side.config(name),
    schedule: {
      mode: 'interval',
      everyMinutes: 10,
      dailyAt: '02:00',
      fullReadEveryDays: 7,
      autoCommit: 'safe',
      notify: [],
    },
  } as DirectoryConfig;
  const dirId = app.directories.save(undefined, config, side.secrets).id;
  const notices: Notice[] = [];
  app.events.subscribe((n, p) => {
    if (n === 'app.notice') notices.push(p as Notice);
  });
  return {
    app,
    clock,
    dirId,
    notices,
    async dispose() {
      await app.close().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Registers the scenario's steps (one `it` each; they share state and run in order). */
export function scheduleScenario(ctx: () => ScheduleCtx, side: ScheduleSide, timeout = 120_000): void {
  const c = ctx;
  const users = () => c().app.repos.users;
  const s = { held: '' };

  it(
    'a schedule switched on runs at once: a full read, committed on its own, marked scheduled',
    async () => {
      const [o] = await c().app.schedule.tick();
      expect(o).toMatchObject({ status: 'committed', mode: 'full' });
      expect(o!.committed!.users.create).toBe(side.seeded);
      const run = c().app.sync.run(o!.runId!);
      expect(run).toMatchObject({ status: 'committed', trigger: 'scheduled' });
      expect(users().byUserName(side.changed)).toBeDefined();
      // Not due again before its interval.
      c().clock.advance(9 * MIN);
      expect(await c().app.schedule.tick()).toEqual([]);
    },
    timeout,
  );

  it(
    'one changed, one added and one deleted user on the server: the next run commits exactly those',
    async () => {
      await side.changeOnServer();
      const before = users().byUserName(side.changed)!.meta.version;
      c().clock.advance(1 * MIN);
      const [o] = await c().app.schedule.tick();
      expect(o).toMatchObject({ status: 'committed', mode: 'delta' });
      expect(o!.plan!.users).toEqual({ create: 1, update: 1, unchanged: 0, missing: 1, conflict: 0 });
      expect(o!.committed!.users).toMatchObject({ create: 1, update: 1, disable: 1, delete: 0, link: 0 });
      expect(c().app.sync.rows(o!.runId!).total).toBe(3);
      expect(users().byUserName(side.added)).toBeDefined();
      expect(users().byUserName(side.removed)!.active).toBe(false);
      expect(users().byUserName(side.changed)!.meta.version).toBe(before + 1);
      // Only the three users got report entries, each with the scheduled run's id.
      const entries = c().app.db.all<{ id: number }>(
        "SELECT id FROM report_entries WHERE run_id = ? AND object_type = 'user'",
        o!.runId!,
      );
      expect(entries).toHaveLength(3);
      // The report says the schedule started them.
      expect(reportsFor(c().app).get(entries[0]!.id)).toMatchObject({ runId: o!.runId, trigger: 'scheduled' });
    },
    timeout,
  );

  it(
    'a run over the deletion threshold is held and writes nothing; the next one supersedes it',
    async () => {
      const gone = side.spare.slice(0, 4);
      await side.deleteOnServer(gone);
      const change = c().app.db.localChange();
      c().clock.advance(10 * MIN);
      const [o] = await c().app.schedule.tick();
      expect(o).toMatchObject({ status: 'held', held: { reason: 'threshold' } });
      expect(o!.plan!.users.missing).toBe(4);
      expect(c().app.db.localChange()).toBe(change);
      for (const l of gone) expect(users().byUserName(l)!.active).toBe(true);
      expect(c().app.sync.run(o!.runId!)).toMatchObject({ status: 'previewed', held: { reason: 'threshold' } });
      const review = c().app.schedule.overview().review;
      expect(review).toEqual([
        expect.objectContaining({ runId: o!.runId, kind: 'held', reason: 'threshold', deletions: 4 }),
      ]);
      expect(c().notices.at(-1)).toMatchObject({ level: 'warning', message: expect.stringMatching(/held for review/) });

      c().clock.advance(10 * MIN);
      const [again] = await c().app.schedule.tick();
      expect(again).toMatchObject({ status: 'held', superseded: [o!.runId] });
      expect(c().app.sync.run(o!.runId!).status).toBe('superseded');
      expect(c().app.sync.rows(o!.runId!).total).toBe(4); // nothing lost
      expect(
        c()
          .app.schedule.overview()
          .review.map((r) => r.runId),
      ).toEqual([again!.runId]);
      s.held = again!.runId!;
    },
    timeout,
  );

  it(
    'the admin commits a selection of the held run; the next scheduled run picks up the rest',
    async () => {
      const missing = c()
        .app.sync.rows(s.held)
        .rows.filter((r) => r.action === 'missing');
      const chosen = missing.slice(0, 2);
      const r = c().app.sync.commitImport({ runId: s.held, seqs: chosen.map((x) => x.seq) });
      expect(r.committed.users.disable).toBe(2);
      c().clock.advance(10 * MIN);
      const [o] = await c().app.schedule.tick();
      expect(o).toMatchObject({ status: 'committed' });
      expect(o!.committed!.users.disable).toBe(2);
      for (const l of side.spare.slice(0, 4)) expect(users().byUserName(l)!.active).toBe(false);
      expect(c().app.schedule.overview().review).toEqual([]);
    },
    timeout,
  );

  it(
    'a plan with a conflict is held, and nothing of it is written',
    async () => {
      // Two local users share an e-mail; a new directory user with that e-mail matches both.
      const locals = ['dupe-a', 'dupe-b'].map((userName) =>
        c().app.users.create({
          userName,
          displayName: userName,
          emails: [{ value: 'dupe@example.test', type: 'work', primary: true }],
          active: true,
        } as never),
      );
      await side.addOnServer(side.conflictLogin, 'dupe@example.test');
      const change = c().app.db.localChange();
      c().clock.advance(10 * MIN);
      const [o] = await c().app.schedule.tick();
      expect(o).toMatchObject({ status: 'held', held: { reason: 'conflicts' } });
      expect(o!.plan!.users.conflict).toBeGreaterThan(0);
      expect(c().app.db.localChange()).toBe(change);
      for (const l of locals) expect(c().app.repos.links.get(c().dirId, 'user', l.id)).toBeUndefined();
      expect(users().byUserName(side.conflictLogin)).toBeUndefined();
      expect(c().app.schedule.overview().review[0]).toMatchObject({ kind: 'held', reason: 'conflicts' });
      // The entry goes away again on the server: the next run has nothing left to hold.
      await side.deleteOneOnServer(side.conflictLogin);
    },
    timeout,
  );

  it(
    'a source failing three times in a row is quarantined with growing backoff; Retry now lifts it',
    async () => {
      const app = c().app;
      const config = app.directories.get(c().dirId).config as DirectoryConfig;
      const good = config.connection as { urls: string[] };
      app.directories.save(
        c().dirId,
        { ...config, connection: { ...config.connection, urls: [side.deadUrl] } } as DirectoryConfig,
        // Another server: the saved password goes there only when entered again.
        side.secrets,
      );
      for (let i = 1; i <= 3; i++) {
        c().clock.advance(10 * MIN);
        const [o] = await app.schedule.tick();
        expect(o).toMatchObject({ status: 'failed', error: { code: 'source_failed' } });
        expect(o!.quarantinedUntil === undefined).toBe(i < 3);
      }
      const view = () => app.schedule.overview().directories.find((d) => d.directoryId === c().dirId)!;
      expect(view()).toMatchObject({
        failures: 3,
        quarantinedUntil: new Date(c().clock.now() + 30 * MIN).toISOString(),
      });
      expect(view().lastError?.message).toBeTruthy();
      expect(c().notices.at(-1)).toMatchObject({ level: 'error', message: expect.stringMatching(/quarantined/) });
      expect(app.schedule.overview().review[0]).toMatchObject({ kind: 'failed', reason: 'source_failed' });
      // Its interval passes, the quarantine does not: nothing runs.
      c().clock.advance(20 * MIN);
      expect(await app.schedule.tick()).toEqual([]);
      c().clock.advance(10 * MIN);
      const [fourth] = await app.schedule.tick();
      expect(fourth!.status).toBe('failed');
      // The wait doubles.
      expect(view().quarantinedUntil).toBe(new Date(c().clock.now() + 60 * MIN).toISOString());

      app.directories.save(
        c().dirId,
        { ...config, connection: { ...config.connection, urls: good.urls } } as DirectoryConfig,
        // Another server: the saved password goes there only when entered again.
        side.secrets,
      );
      const retried = await app.schedule.runNow(c().dirId);
      expect(retried.status).toBe('committed');
      expect(view()).toMatchObject({ failures: 0, lastOutcome: 'committed' });
      expect(view().quarantinedUntil).toBeUndefined();
      expect(app.schedule.overview().review).toEqual([]);
    },
    timeout,
  );
}
