// The composition root: every service built from a data directory. The
// Electron shell, browser mode, the command line and the tests all start
// here, so they run the same code (docs/architecture.md).
import { join } from 'node:path';
import { Db } from './store/db.ts';
import { UsersRepo } from './store/users.ts';
import { GroupsRepo } from './store/groups.ts';
import { LinksRepo } from './store/links.ts';
import { ReportsRepo } from './store/reports.ts';
import { DirectoriesRepo } from './store/directories.ts';
import { OutboxRepo } from './store/outbox.ts';
import { RunsRepo } from './store/runs.ts';
import type { SecretCipher } from './secrets/cipher.ts';
import { folderCipher, type Keychain } from './secrets/folder-cipher.ts';
import { secureDataFolder, DB_FILE } from './store/data-folder.ts';
import { Vault } from './secrets/vault.ts';
import { EventBus } from './events/bus.ts';
import { Operations } from './events/operations.ts';
import { UsersService } from './users/service.ts';
import { GroupsService } from './groups/service.ts';
import { DirectoriesService } from './directories/service.ts';
import { createConnector } from './connectors/registry.ts';
import { createChangeRecorder } from './sync/recorder.ts';
import { SyncService } from './sync/service.ts';
import type { WorkerOptions } from './sync/worker.ts';
import { OnboardingService } from './onboarding/service.ts';
import type { PortalLimits } from './onboarding/portal/server.ts';
import type { DirectoryConfig, DirectorySecrets } from '../src-preload/directory.ts';
import type { Connector } from './connectors/connector.ts';
import { Scheduler } from './schedule/scheduler.ts';
import { ScheduleStateRepo } from './schedule/state.ts';
import { systemClock, type Clock } from './schedule/clock.ts';

export interface AppOptions {
  dataDir: string;
  /** Overrides the data folder's recorded cipher (tests). */
  cipher?: SecretCipher;
  /** The desktop app's system keychain, for a folder whose secrets it sealed. */
  keychain?: Keychain;
  /** How the shell tells the admin about a fallback (e.g. no system keychain). */
  warn?: (message: string) => void;
  shell: 'electron' | 'browser' | 'cli' | 'test';
  /** Tests may swap how connectors are made (e.g. to add a CA); defaults to the registry. */
  createConnector?: (config: DirectoryConfig, secrets: DirectorySecrets) => Connector;
  /** Outbox worker tuning (concurrency per directory, backoff); tests and the bench lower delays. */
  outbox?: WorkerOptions;
  /** Tests lower the reset portal's rate limits. */
  portalLimits?: Partial<PortalLimits>;
  /** Tests move the scheduler's time by hand. */
  clock?: Clock;
  /**
   * Holds the data folder for one scheduled run: the release function, or undefined when another process
   * holds it. Default: always free.
   */
  holdFolder?: () => (() => void) | undefined;
}

export function createApp(opts: AppOptions) {
  secureDataFolder(opts.dataDir);
  const db = new Db(join(opts.dataDir, DB_FILE));
  const cipher = opts.cipher ?? folderCipher({ dataDir: opts.dataDir, db, keychain: opts.keychain, warn: opts.warn });
  const events = new EventBus();
  const operations = new Operations();
  const repos = {
    users: new UsersRepo(db),
    groups: new GroupsRepo(db),
    links: new LinksRepo(db),
    reports: new ReportsRepo(db),
    directories: new DirectoriesRepo(db),
    outbox: new OutboxRepo(db),
    runs: new RunsRepo(db),
  };
  const vault = new Vault(db, cipher);
  // The recorder queues outbox work inside each change's transaction; the worker wakes after.
  let wakeWorker = () => {};
  const changes = createChangeRecorder({
    db,
    outbox: repos.outbox,
    links: repos.links,
    reports: repos.reports,
    cipher,
    onQueued: () => wakeWorker(),
  });
  const users = new UsersService({ db, users: repos.users, links: repos.links, changes, events });
  const groups = new GroupsService({
    db,
    groups: repos.groups,
    users: repos.users,
    links: repos.links,
    changes,
    events,
  });
  const directories = new DirectoriesService({
    db,
    directories: repos.directories,
    vault,
    events,
    createConnector: opts.createConnector ?? createConnector,
  });

  const sync = new SyncService(
    {
      db,
      repos,
      cipher,
      events,
      operations,
      changes,
      connectorFor: (id) => directories.connector(id),
    },
    opts.outbox,
  );
  wakeWorker = () => queueMicrotask(() => sync.worker.wake());

  // Background work (outbox worker, reset portal) starts only in shells that
  // run the app for an admin, not in one-shot CLI commands or unit tests.
  const lifecycle = { start: [] as Array<() => Promise<void> | void>, stop: [] as Array<() => Promise<void> | void> };
  lifecycle.start.push(() => sync.worker.start());
  lifecycle.stop.push(() => sync.worker.stop());
  const onboarding = new OnboardingService({
    db,
    users: repos.users,
    links: repos.links,
    reports: repos.reports,
    vault,
    events,
    operations,
    directories,
    enableUser: (id) => {
      const u = repos.users.get(id);
      if (u && !u.active) users.update(id, { ...u, active: true });
    },
    portalLimits: opts.portalLimits,
  });
  lifecycle.start.push(() => onboarding.start());
  lifecycle.stop.push(() => onboarding.stop());

  const schedule = new Scheduler({
    clock: opts.clock ?? systemClock,
    state: new ScheduleStateRepo(db),
    directories: repos.directories,
    runs: repos.runs,
    sync,
    holdFolder: opts.holdFolder ?? (() => () => {}),
    mail: (to, n) => onboarding.sendAdminMail(to, `Provision Desk: ${n.title}`, n.text),
    onChanged: () => events.emit('app.changed', { what: 'runs' }),
  });
  events.subscribe((name, payload) => {
    if (name === 'app.changed' && (payload as { what: string }).what === 'directories') schedule.poke();
  });
  schedule.onNotice((n) => events.emit('app.notice', { level: n.level, message: n.title, details: n.text }));
  // Started last and stopped first: a scheduled run needs the worker and the mail transport.
  lifecycle.start.push(() => schedule.start());
  lifecycle.stop.push(() => schedule.stop());

  return {
    options: opts,
    lifecycle,
    db,
    repos,
    vault,
    events,
    operations,
    users,
    groups,
    directories,
    onboarding,
    sync,
    schedule,
    async start() {
      for (const fn of lifecycle.start) await fn();
    },
    async close() {
      for (const fn of lifecycle.stop.reverse()) await fn();
      db.close();
    },
  };
}

export type App = ReturnType<typeof createApp>;
