// The delta-import scenario every directory kind goes through against its real
// server (slapd, Samba AD DC, the Graph emulator): commit a full import; change
// one user, add one, delete one on the server; the next automatic preview is a
// delta of exactly those three rows; abandoning it and previewing again shows
// them again (the token did not advance); committing it leaves nothing to do;
// a changed mapping forces a full read.
import { expect, it } from 'vitest';
import type { RunSummary } from '../../src-preload/contract/sync.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import { defaultsFor } from '../../src-main/connectors/defaults.ts';
import { readDeltaState } from '../../src-main/sync/delta.ts';
import type { TestApp } from './sync-support.ts';

export interface DeltaSide {
  /** Users in scope before the scenario (their logins are the local userNames). */
  seeded: number;
  changed: string;
  added: string;
  removed: string;
  /** The title the changed user had, and gets. */
  titles: [string, string];
  /** Makes the three changes on the server, as another admin would. */
  changeOnServer(): Promise<void>;
}

const rowsOf = (t: TestApp, run: RunSummary) =>
  t.app.sync.rows(run.runId).rows.map((r) => ({
    action: r.action,
    objectType: r.objectType,
    display: r.display,
    changes: r.changes,
    reason: r.reason,
  }));

/** Registers the scenario's steps (one `it` each; they share state and run in order). */
export function deltaScenario(ctx: () => { t: TestApp; dirId: string }, side: DeltaSide, timeout = 120_000): void {
  const s = { full: undefined as RunSummary | undefined, delta: undefined as RunSummary | undefined, token: '' };
  const app = () => ctx().t.app;
  const state = () => readDeltaState(app().repos.directories.get(ctx().dirId)!);

  it(
    "a first preview is a full read; committing it makes its token the directory's",
    async () => {
      expect(state().token).toBeUndefined();
      const full = await app().sync.previewImport(ctx().dirId);
      expect(full.mode).toBe('full');
      expect(full.modeReason).toMatch(/no starting point/);
      expect(full.users.create).toBe(side.seeded);
      expect(full.users.conflict).toBe(0);
      // A preview never moves the directory's token.
      expect(state().token).toBeUndefined();
      app().sync.commitImport({ runId: full.runId });
      expect(app().sync.run(full.runId).deltaToken).toBe('advanced');
      s.token = state().token!;
      expect(s.token).toBe(app().repos.runs.get(full.runId)!.delta!.token);
      s.full = full;
    },
    timeout,
  );

  it(
    'one change, one addition and one deletion on the server: the next preview is a delta of exactly those rows',
    async () => {
      await side.changeOnServer();
      const d = await app().sync.previewImport(ctx().dirId);
      expect(d.mode).toBe('delta');
      expect(d.since).toBe(state().at);
      expect(d.users).toEqual({ create: 1, update: 1, unchanged: 0, missing: 1, conflict: 0 });
      expect(d.groups).toMatchObject({ create: 0, update: 0, missing: 0, conflict: 0 });
      expect(d.memberships).toEqual({ add: 0, remove: 0 });
      const rows = rowsOf(ctx().t, d);
      expect(rows).toHaveLength(3);
      const by = (action: string) => rows.find((r) => r.action === action)!;
      expect(by('update').display).toContain(side.changed);
      expect(by('update').changes).toEqual({ title: side.titles });
      expect(by('create').display).toContain(side.added);
      expect(by('missing').display).toContain(side.removed);
      expect(by('missing').changes).toEqual({ active: [true, false] });
      expect(by('missing').reason).toMatch(/Deleted in the directory/);
      s.delta = d;
    },
    timeout,
  );

  it(
    'abandoning that preview and previewing again shows the same rows: the token did not advance',
    async () => {
      expect(state().token).toBe(s.token);
      const again = await app().sync.previewImport(ctx().dirId);
      expect(again.mode).toBe('delta');
      const strip = (r: ReturnType<typeof rowsOf>) => r.map((x) => `${x.action} ${x.display}`).sort();
      expect(strip(rowsOf(ctx().t, again))).toEqual(strip(rowsOf(ctx().t, s.delta!)));
      expect(state().token).toBe(s.token);
      s.delta = again;
    },
    timeout,
  );

  it(
    'committing it applies the three rows; the next preview has nothing to do',
    async () => {
      const c = app().sync.commitImport({ runId: s.delta!.runId });
      expect(c.committed.users).toMatchObject({ create: 1, update: 1, disable: 1 });
      expect(app().sync.run(s.delta!.runId).deltaToken).toBe('advanced');
      expect(state().token).not.toBe(s.token);
      const users = app().repos.users;
      expect(users.byUserName(side.changed)!.title).toBe(side.titles[1]);
      expect(users.byUserName(side.added)).toBeDefined();
      expect(users.byUserName(side.removed)!.active).toBe(false);
      const next = await app().sync.previewImport(ctx().dirId);
      expect(next.mode).toBe('delta');
      expect(app().sync.rows(next.runId).total).toBe(0);
      expect(next.users).toMatchObject({ create: 0, update: 0, missing: 0, conflict: 0 });
      expect(next.groups).toMatchObject({ create: 0, update: 0, missing: 0, conflict: 0 });
      expect(next.memberships).toEqual({ add: 0, remove: 0 });
    },
    timeout,
  );

  it(
    'a changed mapping forces a full read, which finds everything in step',
    async () => {
      const view = app().directories.get(ctx().dirId);
      const config = view.config as DirectoryConfig;
      const mapping = defaultsFor(config.kind).userMapping.filter((r) => r.model !== 'title');
      app().directories.save(ctx().dirId, { ...config, userMapping: mapping } as DirectoryConfig, {});
      const full = await app().sync.previewImport(ctx().dirId);
      expect(full.mode).toBe('full');
      expect(full.modeReason).toMatch(/mapping, matching or scope of .* changed/);
      expect(full.users).toMatchObject({ create: 0, update: 0, missing: 0, conflict: 0, unchanged: side.seeded });
      expect(app().sync.rows(full.runId).total).toBe(0);
    },
    timeout,
  );
}
