// Entry points for `npm run bench` (sync.ts and tasks/sync-*.ts): the engine's import
// preview, commit and provisioning, each callable with just a data folder,
// through the same composition root the app and the command line use.
import { createApp } from '../../src-main/app.ts';
import type { DirectoryConfig, DirectorySecrets } from '../../src-preload/directory.ts';
import type { UserInput } from '../../src-preload/model.ts';
import type { CommittedCounts, PlanCounts } from '../../src-preload/contract/sync.ts';
import type { WorkerOptions } from '../../src-main/sync/worker.ts';

/** Adds (or updates, by name) a directory in the data folder; returns its id. */
export async function addDirectoryAt(
  dataDir: string,
  config: DirectoryConfig,
  secrets: DirectorySecrets,
): Promise<string> {
  const app = createApp({ dataDir, shell: 'cli' });
  try {
    const existing = app.repos.directories.byName(config.name);
    return app.directories.save(existing?.id, config, secrets).id;
  } finally {
    await app.close();
  }
}

/** Import preview of one directory: the plan's counts and its wall time. */
export async function previewImportAt(
  dataDir: string,
  directoryName: string,
): Promise<{ runId: string; ms: number } & Pick<PlanCounts, 'users' | 'groups' | 'memberships' | 'read'>> {
  const app = createApp({ dataDir, shell: 'cli' });
  try {
    const d = app.directories.byName(directoryName);
    const started = performance.now();
    const s = await app.sync.previewImport(d.id);
    return {
      runId: s.runId,
      ms: performance.now() - started,
      users: s.users,
      groups: s.groups,
      memberships: s.memberships,
      read: s.read,
    };
  } finally {
    await app.close();
  }
}

/** Commits every row of a previewed import run. */
export async function commitImportAt(
  dataDir: string,
  runId: string,
  opts: { allowDeletes?: boolean } = {},
): Promise<{ ms: number; committed: CommittedCounts }> {
  const app = createApp({ dataDir, shell: 'cli' });
  try {
    const started = performance.now();
    const c = app.sync.commitImport({ runId, allowDeletes: opts.allowDeletes });
    return { ms: performance.now() - started, committed: c.committed };
  } finally {
    await app.close();
  }
}

/**
 * Creates the users locally (queueing one outbox item per user for every
 * directory whose create toggle is on), then runs the outbox to the end.
 * queueMs is the local part; runMs the provisioning itself.
 */
export async function provisionCreatesAt(
  dataDir: string,
  users: UserInput[],
  opts: { worker?: WorkerOptions } = {},
): Promise<{ queueMs: number; runMs: number; done: number; failed: number }> {
  const app = createApp({ dataDir, shell: 'cli', outbox: opts.worker });
  try {
    const t0 = performance.now();
    for (const u of users) app.users.create(u);
    const t1 = performance.now();
    const r = await app.sync.drain({ waitMs: 60_000 });
    return { queueMs: t1 - t0, runMs: performance.now() - t1, done: r.done, failed: r.failed };
  } finally {
    await app.close();
  }
}
