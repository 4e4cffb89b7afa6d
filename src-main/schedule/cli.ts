// `provision-desk sync [NAME…|--all] [--now] [--json] [--wait S]`: runs the
// scheduled imports that are due (or all of the named ones with --now), with
// the same auto-commit policy as the app, then the provisioning they queued.
// Made for cron, a systemd timer or the Windows Task Scheduler.
// Exit codes: 0 done · 1 a run failed (or the data folder was busy) · 2 usage ·
// 4 a run was held for review · 5 committed, but some provisioning failed.
import type { App } from '../app.ts';
import { UsageError } from '../cli/args.ts';
import type { Command } from '../cli/command.ts';
import type { ScheduledOutcome } from '../../src-preload/contract/schedule.ts';

export const SYNC_EXIT = { ok: 0, failure: 1, usage: 2, held: 4, partial: 5 } as const;

interface SyncArgs {
  names: string[];
  all: boolean;
  now: boolean;
  json: boolean;
  waitSeconds: number;
}

export function parseSyncArgs(args: string[]): SyncArgs {
  const a: SyncArgs = { names: [], all: false, now: false, json: false, waitSeconds: 120 };
  for (let i = 0; i < args.length; i++) {
    const x = args[i]!;
    if (x === '--all') a.all = true;
    else if (x === '--now') a.now = true;
    else if (x === '--json') a.json = true;
    else if (x === '--data-dir' || x === '--wait') {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${x} needs a value.`);
      if (x === '--wait') a.waitSeconds = seconds(v);
    } else if (x.startsWith('--data-dir=')) continue;
    else if (x.startsWith('--wait=')) a.waitSeconds = seconds(x.slice(7));
    else if (x.startsWith('--')) throw new UsageError(`Unknown option ${x}.`);
    else a.names.push(x);
  }
  if (a.all === a.names.length > 0) throw new UsageError('Name the directories to run, or give --all.');
  return a;
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError('--wait takes a number of seconds.');
  return n;
}

/** The exit code of a set of outcomes: a failure outweighs a held run, which outweighs failed provisioning. */
export function syncExitCode(outcomes: ScheduledOutcome[], provisioningFailed: number): number {
  if (outcomes.some((o) => o.status === 'failed' || (o.status === 'skipped' && o.skipped?.includes('data folder'))))
    return SYNC_EXIT.failure;
  if (outcomes.some((o) => o.status === 'held')) return SYNC_EXIT.held;
  return provisioningFailed > 0 ? SYNC_EXIT.partial : SYNC_EXIT.ok;
}

function line(o: ScheduledOutcome): string {
  const p = o.plan?.users;
  const counts = p
    ? ` (users: ${p.create} new, ${p.update} changed, ${p.missing} missing, ${p.conflict} in conflict)`
    : '';
  switch (o.status) {
    case 'committed':
      return `${o.directoryName}: committed${o.mode === 'delta' ? ' the changes' : ' a full read'}${counts}.`;
    case 'held':
      return `${o.directoryName}: held for review${counts}. ${o.held?.message ?? ''}`;
    case 'failed':
      return `${o.directoryName}: failed. ${o.error?.message ?? ''}${o.quarantinedUntil ? ` Quarantined until ${o.quarantinedUntil}.` : ''}`;
    case 'skipped':
      return `${o.directoryName}: skipped. ${o.skipped ?? ''}`;
  }
}

export async function runSyncCommand(
  app: App,
  args: SyncArgs,
): Promise<{ code: number; result: unknown; text: string }> {
  const ids = args.all ? undefined : args.names.map((n) => app.directories.byName(n).id);
  const runs = await app.schedule.runDue({ directoryIds: ids, now: args.now });
  const queued = runs.reduce((n, o) => n + (o.committed?.queued ?? 0), 0);
  const provisioning = queued > 0 ? await app.sync.drain({ waitMs: args.waitSeconds * 1000 }) : undefined;
  const lines = runs.length > 0 ? runs.map(line) : ['Nothing was due.'];
  if (provisioning) lines.push(`Provisioning: ${provisioning.done} done, ${provisioning.failed} failed.`);
  return {
    code: syncExitCode(runs, provisioning?.failed ?? 0),
    result: { runs, ...(provisioning ? { provisioning } : {}) },
    text: lines.join('\n'),
  };
}

/**
 * The `sync` entry of the command table: the shared parser checks the options, the table's runner takes the
 * data folder's lock first (another process holding it: exit 1, nothing runs).
 */
export const syncCommand: Command = {
  words: ['sync'],
  usage: '[NAME…|--all] [--now] [--wait S] [--json]',
  summary: 'run the scheduled imports that are due (--now: all of them); exit 4 when a run is held for review',
  options: { all: { type: 'boolean' }, now: { type: 'boolean' }, wait: { type: 'string' } },
  args: { min: 0, max: 100, what: 'directory names' },
  async run(ctx) {
    const wait = ctx.option('wait');
    const args = parseSyncArgs([
      ...ctx.args,
      ...(ctx.flag('all') ? ['--all'] : []),
      ...(ctx.flag('now') ? ['--now'] : []),
      ...(wait !== undefined ? ['--wait', wait] : []),
      ...(ctx.json ? ['--json'] : []),
    ]);
    const r = await runSyncCommand(ctx.app, args);
    ctx.out.result(r.result, r.text);
    return r.code;
  },
};
