// The engine's commands: directories, import, push, the outbox and users.
// Each entry is one command of the table in src-main/cli.ts.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { App } from '../app.ts';
import { AppError } from '../errors.ts';
import { directoryConfigSchema, directorySecretsSchema, type DirectorySecrets } from '../../src-preload/directory.ts';
import type { RunSummary } from '../../src-preload/contract/sync.ts';
import type { UserInput } from '../../src-preload/model.ts';
import { EXIT, UsageError } from './args.ts';
import type { Command, CommandContext } from './command.ts';

const WAIT = { wait: { type: 'string' } } as const;

function readJson(file: string | undefined): unknown {
  if (!file) throw new UsageError('--file is required.');
  try {
    return JSON.parse(readFileSync(resolve(file), 'utf8'));
  } catch (e) {
    throw new AppError('validation', `Could not read ${file} as JSON.`, e instanceof Error ? e.message : String(e));
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function planJson(s: RunSummary) {
  return {
    runId: s.runId,
    directory: s.directoryName,
    status: s.status,
    users: s.users,
    groups: s.groups,
    memberships: s.memberships,
    read: s.read,
    ...(s.kind === 'import'
      ? { mode: s.mode, ...(s.modeReason ? { modeReason: s.modeReason } : {}), ...(s.since ? { since: s.since } : {}) }
      : {}),
    deletions: s.deletions,
    threshold: s.threshold,
    ...(s.downstream ? { downstream: s.downstream } : {}),
    ...(s.committed ? { committed: s.committed } : {}),
  };
}

function planText(s: RunSummary): string {
  const u = s.users;
  const g = s.groups;
  const lines = [
    `${s.kind === 'push' ? 'Push' : 'Import'} plan ${s.runId} for ${s.directoryName} (${s.read.users} users, ${s.read.groups} groups read)`,
    ...(s.kind !== 'import'
      ? []
      : s.mode === 'delta'
        ? [`  changes since the import committed ${s.since ?? 'last'} (use --full to read everything)`]
        : [`  full read${s.modeReason ? `: ${s.modeReason}` : ''}`]),
    `  users:       ${u.create} create, ${u.update} update, ${u.unchanged} unchanged, ${u.missing} ${s.kind === 'push' ? 'deprovision' : 'missing'}, ${u.conflict} conflict`,
    `  groups:      ${g.create} create, ${g.update} update, ${g.unchanged} unchanged, ${g.missing} ${s.kind === 'push' ? 'delete' : 'missing'}, ${g.conflict} conflict`,
    `  memberships: ${s.memberships.add} add, ${s.memberships.remove} remove`,
    // What the other directories get, and what cannot be done there, before anything is queued.
    ...(s.downstream ?? []).map((d) => `  then ${d.line}`),
  ];
  if (s.threshold.exceeded)
    lines.push(
      `  STOP: ${s.threshold.deletions} deletions/disables (${s.threshold.percent}%) exceed the limit of ${s.threshold.limitCount} or ${s.threshold.limitPercent}%; use --allow-deletes to go ahead.`,
    );
  return lines.join('\n');
}

/** Runs due outbox work; --wait says how long to wait for retries due later. */
export async function drain(ctx: CommandContext) {
  const wait = Number(ctx.option('wait') ?? 120);
  if (!Number.isFinite(wait) || wait < 0) throw new UsageError('--wait takes a number of seconds.');
  const r = await ctx.app.sync.drain({ waitMs: wait * 1000 });
  const counts = ctx.app.repos.outbox.counts();
  ctx.out.info(
    `Outbox: ${r.done} done, ${r.failed} failed in this run; ${counts.pending + counts.running} pending, ${counts.failed} failed in total.`,
  );
  return { ...r, totals: counts };
}

function dirByName(app: App, name: string) {
  return app.directories.byName(name);
}

const directoryAdd: Command = {
  words: ['directory', 'add'],
  usage: '--file dir.json [--secret-stdin]',
  summary: "add or update a directory (the Directories form's JSON)",
  options: { file: { type: 'string' }, 'secret-stdin': { type: 'boolean' } },
  async run({ app, option, flag, out }) {
    const raw = readJson(option('file')) as Record<string, unknown>;
    const configRaw = (raw.config ?? raw) as Record<string, unknown>;
    const { secrets: inlineSecrets, ...configOnly } = configRaw as { secrets?: unknown };
    const parsed = directoryConfigSchema.safeParse(configOnly);
    if (!parsed.success)
      throw new AppError(
        'validation',
        'The directory file is not valid.',
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      );
    const secrets: DirectorySecrets = directorySecretsSchema.parse(raw.secrets ?? inlineSecrets ?? {});
    if (flag('secret-stdin')) {
      const s = await readStdin();
      if (parsed.data.kind === 'entra') secrets.clientSecret = s;
      else secrets.bindPassword = s;
    }
    const existing = app.repos.directories.byName(parsed.data.name);
    const view = app.directories.save(existing?.id, parsed.data, secrets);
    out.result(
      { id: view.id, name: view.config.name, kind: view.config.kind, hasSecret: view.hasSecret, updated: !!existing },
      `${existing ? 'Updated' : 'Added'} directory "${view.config.name}" (${view.id}).`,
    );
    return EXIT.ok;
  },
};

const directoryList: Command = {
  words: ['directory', 'list'],
  usage: '[--json]',
  summary: 'list directories with their pending/failed work',
  withoutLock: true,
  run({ app, out }) {
    const list = app.directories.list();
    out.result(
      list.map((d) => ({
        id: d.id,
        name: d.config.name,
        kind: d.config.kind,
        hasSecret: d.hasSecret,
        pending: d.pending,
        failed: d.failed,
        lastVerify: d.lastVerify,
        lastRun: d.lastRun,
      })),
      list.length === 0
        ? 'No directories yet. Add one with: provision-desk directory add --file dir.json'
        : list
            .map(
              (d) =>
                `${d.config.name}\t${d.config.kind}\tpending ${d.pending}\tfailed ${d.failed}${d.lastVerify ? `\tverify: ${d.lastVerify.summary}` : ''}`,
            )
            .join('\n'),
    );
    return EXIT.ok;
  },
};

const directoryVerify: Command = {
  words: ['directory', 'verify'],
  usage: '<name> [--json]',
  summary: 'verify credentials (exit 0 when verified)',
  args: { min: 1, max: 1, what: 'a directory name' },
  async run({ app, args, out, io }) {
    const d = dirByName(app, args[0]!);
    const r = await app.directories.verify({ id: d.id, secrets: {} });
    const text = r.ok
      ? [
          `Verified "${d.config.name}".`,
          ...r.steps.map((s) => `  ✓ ${s.name}: ${s.detail}`),
          ...r.warnings.map((w) => `  ! ${w}`),
        ].join('\n')
      : [
          `Verification of "${d.config.name}" failed: ${r.error?.message ?? 'unknown error'}`,
          ...(r.error?.hint ? [`  Hint: ${r.error.hint}`] : []),
          ...(r.error?.details
            ? [`  Server: ${typeof r.error.details === 'string' ? r.error.details : JSON.stringify(r.error.details)}`]
            : []),
          ...r.steps.map((s) => `  ${s.ok ? '✓' : '✗'} ${s.name}: ${s.detail}`),
        ].join('\n');
    if (r.ok || out.json) out.result(r, text);
    else io.stderr.write(text + '\n');
    return r.ok ? EXIT.ok : EXIT.failure;
  },
};

const importCommand: Command = {
  words: ['import'],
  usage: '<name> --preview|--commit [--full] [--allow-deletes] [--wait S] [--json]',
  summary: 'plan (--preview, exit 3) or commit an import; changes only when it can, --full reads all',
  args: { min: 1, max: 1, what: 'a directory name' },
  options: {
    preview: { type: 'boolean' },
    commit: { type: 'boolean' },
    full: { type: 'boolean' },
    'allow-deletes': { type: 'boolean' },
    'no-provision': { type: 'boolean' },
    ...WAIT,
  },
  async run(ctx) {
    const { app, args, flag, out } = ctx;
    const preview = flag('preview');
    if (preview === flag('commit')) throw new UsageError('import takes exactly one of --preview or --commit.');
    const d = dirByName(app, args[0]!);
    const unsub = app.events.subscribe((name, payload) => {
      if (name === 'app.progress' && !out.json && process.stderr.isTTY) {
        const pr = payload as { phase: string; done: number; ratePerSecond?: number };
        process.stderr.write(`\r${pr.phase}: ${pr.done}${pr.ratePerSecond ? ` (${pr.ratePerSecond}/s)` : ''}   `);
      }
    });
    let plan: RunSummary;
    try {
      plan = await app.sync.previewImport(d.id, { mode: flag('full') ? 'full' : 'auto' });
    } finally {
      unsub();
      if (!out.json && process.stderr.isTTY) process.stderr.write('\n');
    }
    if (preview) {
      out.result(planJson(plan), planText(plan) + '\nPlan only: nothing was written.');
      return plan.threshold.exceeded ? EXIT.threshold : EXIT.planOnly;
    }
    if (plan.threshold.exceeded && !flag('allow-deletes')) {
      out.result({ ...planJson(plan), stopped: 'threshold' }, planText(plan) + '\nNothing was written.');
      return EXIT.threshold;
    }
    const c = app.sync.commitImport({ runId: plan.runId, allowDeletes: flag('allow-deletes') });
    const summary = app.sync.run(c.runId);
    let provisioning: Awaited<ReturnType<typeof drain>> | undefined;
    if (c.committed.queued > 0 && !flag('no-provision')) provisioning = await drain(ctx);
    out.result(
      { ...planJson(summary), committed: c.committed, ...(provisioning ? { provisioning } : {}) },
      `${planText(summary)}\nCommitted: ${c.committed.users.create} users created, ${c.committed.users.update} updated, ${c.committed.users.disable + c.committed.users.delete} deprovisioned; ${c.committed.groups.create} groups created; ${c.committed.memberships.add} memberships added, ${c.committed.memberships.remove} removed.${(c.committed.downstream ?? []).map((d) => `\n  queued: ${d.line}`).join('')}`,
    );
    return provisioning && provisioning.failed > 0 ? EXIT.partial : EXIT.ok;
  },
};

const pushCommand: Command = {
  words: ['push'],
  usage: '<name> [--preview] [--allow-deletes] [--wait S] [--json]',
  summary: 'compare the store with the directory; apply via the outbox',
  args: { min: 1, max: 1, what: 'a directory name' },
  options: { preview: { type: 'boolean' }, 'allow-deletes': { type: 'boolean' }, ...WAIT },
  async run(ctx) {
    const { app, args, flag, out } = ctx;
    const d = dirByName(app, args[0]!);
    const plan = await app.sync.previewPush(d.id);
    if (flag('preview')) {
      out.result(planJson(plan), planText(plan) + '\nPlan only: nothing was written.');
      return plan.threshold.exceeded ? EXIT.threshold : EXIT.planOnly;
    }
    if (plan.threshold.exceeded && !flag('allow-deletes')) {
      out.result({ ...planJson(plan), stopped: 'threshold' }, planText(plan) + '\nNothing was queued.');
      return EXIT.threshold;
    }
    const a = app.sync.applyPush({ runId: plan.runId, allowDeletes: flag('allow-deletes') });
    const provisioning = await drain(ctx);
    out.result(
      { ...planJson(plan), queued: a.queued, provisioning },
      `${planText(plan)}\nQueued ${a.queued} operations; ${provisioning.done} done, ${provisioning.failed} failed.`,
    );
    return provisioning.failed > 0 ? EXIT.partial : EXIT.ok;
  },
};

function failedItems(app: App) {
  return app.sync.outbox({ states: ['failed'], limit: 50 }).items.map((f) => ({
    id: f.id,
    directory: f.directoryName,
    op: f.op,
    identifier: f.identifier,
    error: f.lastError,
  }));
}

const outboxCommand: Command = {
  words: ['outbox'],
  usage: '[--list] [--retry-failed] [--wait S] [--json]',
  summary: 'run pending provisioning work until none is due (--list: show it only)',
  options: { list: { type: 'boolean' }, 'retry-failed': { type: 'boolean' }, ...WAIT },
  // Listing reads only, so it works while another process holds the folder.
  withoutLock: (line) => line.values.list === true,
  async run(ctx) {
    const { app, flag, out } = ctx;
    if (flag('list')) {
      if (flag('retry-failed')) throw new UsageError('--list only shows the outbox; run --retry-failed without it.');
      const totals = app.repos.outbox.counts();
      const failed = failedItems(app);
      out.result(
        { totals, failedItems: failed },
        [
          `Outbox: ${totals.pending} pending, ${totals.running} running, ${totals.failed} failed.`,
          ...failed.map((f) => `  failed #${f.id} ${f.directory} ${f.op} ${f.identifier}: ${f.error ?? ''}`),
        ].join('\n'),
      );
      return EXIT.ok;
    }
    const retried = flag('retry-failed') ? app.sync.retryFailed({}).queued : 0;
    const r = await drain(ctx);
    const failed = failedItems(app);
    out.result(
      { retried, ...r, failedItems: failed },
      [
        `Outbox: ${r.done} done, ${r.failed} failed, ${r.pending} still pending${retried ? ` (${retried} failed items retried)` : ''}.`,
        ...failed.map((f) => `  failed #${f.id} ${f.directory} ${f.op} ${f.identifier}: ${f.error ?? ''}`),
      ].join('\n'),
    );
    return r.totals.failed > 0 ? EXIT.partial : EXIT.ok;
  },
};

const userAdd: Command = {
  words: ['user', 'add'],
  usage: '--file user.json [--wait S]',
  summary: 'add a user (JSON: the user, optional "password") and provision it',
  options: { file: { type: 'string' }, ...WAIT },
  async run(ctx) {
    const { app, option, out } = ctx;
    const raw = readJson(option('file')) as UserInput & { password?: string };
    const { password, ...input } = raw;
    const user = app.users.create(input as UserInput, password);
    const r = await drain(ctx);
    out.result(
      { id: user.id, userName: user.userName, provisioning: r, states: app.repos.links.statesOf(user.id) },
      `Added ${user.userName} (${user.id}).`,
    );
    return r.failed > 0 ? EXIT.partial : EXIT.ok;
  },
};

const userDelete: Command = {
  words: ['user', 'delete'],
  usage: '<userName> [--wait S]',
  summary: 'delete a user and deprovision it',
  args: { min: 1, max: 1, what: 'a user name' },
  options: WAIT,
  async run(ctx) {
    const { app, args, out } = ctx;
    const name = args[0]!;
    const user = app.repos.users.byUserName(name);
    if (!user) throw new AppError('not_found', `There is no user named "${name}".`);
    app.users.delete(user.id);
    const r = await drain(ctx);
    out.result({ deleted: user.userName, provisioning: r }, `Deleted ${user.userName}.`);
    return r.failed > 0 ? EXIT.partial : EXIT.ok;
  },
};

export const engineCommands: Command[] = [
  directoryAdd,
  directoryList,
  directoryVerify,
  importCommand,
  pushCommand,
  outboxCommand,
  userAdd,
  userDelete,
];
