// `provision-desk`: headless commands over the same composition root as the
// window, so admins can script and schedule runs (like GCDS's sync-cmd).
// Exit codes (docs/cli.md): 0 success, 1 failure, 2 usage, 3 plan only
// (a preview: nothing written), 4 stopped at the deletion threshold,
// 5 done but some provisioning work failed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApp, type App } from './app.ts';
import { argValue, defaultDataDir } from './paths.ts';
import { reportsMain } from './reports/cli.ts';
import { onboardingMain } from './onboarding/cli.ts';
import { AppError, toBridgeError } from './errors.ts';
import { directoryConfigSchema, directorySecretsSchema, type DirectorySecrets } from '../src-preload/directory.ts';
import type { RunSummary } from '../src-preload/contract/sync.ts';
import type { UserInput } from '../src-preload/model.ts';

export const EXIT = { ok: 0, failure: 1, usage: 2, planOnly: 3, threshold: 4, partial: 5 } as const;

const HELP = `provision-desk — Provision Desk on the command line

Usage: provision-desk <command> [options]   (every command takes --data-dir DIR)

  directory add --file dir.json [--secret-stdin]   add or update a directory (the Directories form's JSON)
  directory list [--json]                          list directories with their pending/failed work
  directory verify <name> [--json]                 verify credentials (exit 0 when verified)
  import <name> --preview [--full] [--json]        build the import plan; nothing is written (exit 3)
  import <name> --commit [--full] [--allow-deletes] [--json]  preview and commit every row
                                                   (reads only the changes since the last committed
                                                   import when it can; --full reads everything)
  push <name> [--preview] [--allow-deletes] [--json]  compare the store with the directory; apply via the outbox
  outbox [--retry-failed] [--json]                 run pending provisioning work until none is due
  user add --file user.json                        add a user (JSON: the user, optional "password") and provision it
  user delete <userName>                           delete a user and deprovision it
  reports export [--from --to --user --app --action --status] --format csv|json --out FILE
                                                   export matching report entries (streamed)
  reports purge [--days N]                         delete report entries older than the retention
  onboarding send <userName…> [--all-not-invited] [--temporary-password] [--json]
                                                   mail activation links (or temporary passwords); Ctrl-C cancels
  onboarding status [--state invited|activated|expired|failed|not-invited] [--json]
                                                   each user's onboarding status

Options:
  --data-dir DIR    data folder (default: ${defaultDataDir()})
  --wait SECONDS    how long outbox runs wait for retries that are due later (default 120)
  --json            one JSON object on stdout
  --help            this text

Exit codes: 0 success · 1 failure · 2 usage error · 3 plan only (preview) · 4 stopped at the deletion
threshold (nothing written; repeat with --allow-deletes) · 5 finished but some provisioning work failed.`;

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  flags: Set<string>;
  values: Map<string, string>;
}

const VALUE_FLAGS = new Set(['data-dir', 'file', 'wait']);

export function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (VALUE_FLAGS.has(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`--${name} needs a value.`);
        values.set(name, v);
      } else flags.add(name);
    } else positional.push(a);
  }
  return { positional, flags, values };
}

interface Out {
  json: boolean;
  result(obj: unknown, text: string): void;
  info(text: string): void;
}

function output(json: boolean): Out {
  return {
    json,
    result(obj, text) {
      process.stdout.write(json ? JSON.stringify(obj, null, 2) + '\n' : text + '\n');
    },
    info(text) {
      if (!json) process.stderr.write(text + '\n');
    },
  };
}

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

function dirByName(app: App, name: string | undefined) {
  if (!name) throw new UsageError('Name the directory.');
  return app.directories.byName(name);
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

async function drain(app: App, p: Parsed, out: Out) {
  const wait = Number(p.values.get('wait') ?? 120);
  if (!Number.isFinite(wait) || wait < 0) throw new UsageError('--wait takes a number of seconds.');
  const r = await app.sync.drain({ waitMs: wait * 1000 });
  const counts = app.repos.outbox.counts();
  out.info(
    `Outbox: ${r.done} done, ${r.failed} failed in this run; ${counts.pending + counts.running} pending, ${counts.failed} failed in total.`,
  );
  return { ...r, totals: counts };
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'reports') return reportsMain(argv); // reports export/purge parse their own options
  if (argv[0] === 'onboarding') return onboardingMain(argv); // handles its own Ctrl-C (cancels the send job)
  let p: Parsed;
  try {
    p = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}\n`);
    return EXIT.usage;
  }
  if (p.flags.has('help') || p.positional.length === 0 || p.positional[0] === 'help') {
    process.stdout.write(HELP + '\n');
    return p.positional.length === 0 && !p.flags.has('help') ? EXIT.usage : EXIT.ok;
  }
  const out = output(p.flags.has('json'));
  const dataDir = resolve(p.values.get('data-dir') ?? argValue(argv, 'data-dir') ?? defaultDataDir());
  let app: App | undefined;
  const onSignal = () => {
    // Let a running preview stop cleanly (its run is marked cancelled, nothing is written).
    process.exitCode = 130;
    process.stderr.write('Interrupted.\n');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  try {
    app = createApp({ dataDir, shell: 'cli' });
    return await run(app, p, out);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\nRun provision-desk --help for the commands.\n`);
      return EXIT.usage;
    }
    const e = toBridgeError(err);
    if (out.json) process.stdout.write(JSON.stringify({ error: e }, null, 2) + '\n');
    process.stderr.write(`Error: ${e.message}\n`);
    if (e.details !== undefined && !out.json)
      process.stderr.write(`Details: ${typeof e.details === 'string' ? e.details : JSON.stringify(e.details)}\n`);
    return e.code === 'threshold' ? EXIT.threshold : EXIT.failure;
  } finally {
    process.off('SIGINT', onSignal);
    await app?.close().catch(() => undefined);
  }
}

async function run(app: App, p: Parsed, out: Out): Promise<number> {
  const [cmd, sub, arg] = p.positional;
  switch (cmd) {
    case 'directory': {
      if (sub === 'add') {
        const raw = readJson(p.values.get('file')) as Record<string, unknown>;
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
        if (p.flags.has('secret-stdin')) {
          const s = await readStdin();
          if (parsed.data.kind === 'entra') secrets.clientSecret = s;
          else secrets.bindPassword = s;
        }
        const existing = app.repos.directories.byName(parsed.data.name);
        const view = app.directories.save(existing?.id, parsed.data, secrets);
        out.result(
          {
            id: view.id,
            name: view.config.name,
            kind: view.config.kind,
            hasSecret: view.hasSecret,
            updated: !!existing,
          },
          `${existing ? 'Updated' : 'Added'} directory "${view.config.name}" (${view.id}).`,
        );
        return EXIT.ok;
      }
      if (sub === 'list') {
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
      }
      if (sub === 'verify') {
        const d = dirByName(app, arg);
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
                ? [
                    `  Server: ${typeof r.error.details === 'string' ? r.error.details : JSON.stringify(r.error.details)}`,
                  ]
                : []),
              ...r.steps.map((s) => `  ${s.ok ? '✓' : '✗'} ${s.name}: ${s.detail}`),
            ].join('\n');
        if (r.ok || out.json) out.result(r, text);
        else process.stderr.write(text + '\n');
        return r.ok ? EXIT.ok : EXIT.failure;
      }
      throw new UsageError('directory takes add, list or verify.');
    }
    case 'import': {
      const preview = p.flags.has('preview');
      const commit = p.flags.has('commit');
      if (preview === commit) throw new UsageError('import takes exactly one of --preview or --commit.');
      const d = dirByName(app, sub);
      const unsub = app.events.subscribe((name, payload) => {
        if (name === 'app.progress' && !out.json && process.stderr.isTTY) {
          const pr = payload as { phase: string; done: number; ratePerSecond?: number };
          process.stderr.write(`\r${pr.phase}: ${pr.done}${pr.ratePerSecond ? ` (${pr.ratePerSecond}/s)` : ''}   `);
        }
      });
      let plan: RunSummary;
      try {
        plan = await app.sync.previewImport(d.id, { mode: p.flags.has('full') ? 'full' : 'auto' });
      } finally {
        unsub();
        if (!out.json && process.stderr.isTTY) process.stderr.write('\n');
      }
      if (preview) {
        out.result(planJson(plan), planText(plan) + '\nPlan only: nothing was written.');
        return plan.threshold.exceeded ? EXIT.threshold : EXIT.planOnly;
      }
      if (plan.threshold.exceeded && !p.flags.has('allow-deletes')) {
        out.result({ ...planJson(plan), stopped: 'threshold' }, planText(plan) + '\nNothing was written.');
        return EXIT.threshold;
      }
      const c = app.sync.commitImport({ runId: plan.runId, allowDeletes: p.flags.has('allow-deletes') });
      const summary = app.sync.run(c.runId);
      let provisioning: Awaited<ReturnType<typeof drain>> | undefined;
      if (c.committed.queued > 0 && !p.flags.has('no-provision')) provisioning = await drain(app, p, out);
      out.result(
        { ...planJson(summary), committed: c.committed, ...(provisioning ? { provisioning } : {}) },
        `${planText(summary)}\nCommitted: ${c.committed.users.create} users created, ${c.committed.users.update} updated, ${c.committed.users.disable + c.committed.users.delete} deprovisioned; ${c.committed.groups.create} groups created; ${c.committed.memberships.add} memberships added, ${c.committed.memberships.remove} removed.${(c.committed.downstream ?? []).map((d) => `\n  queued: ${d.line}`).join('')}`,
      );
      return provisioning && provisioning.failed > 0 ? EXIT.partial : EXIT.ok;
    }
    case 'push': {
      const d = dirByName(app, sub);
      const plan = await app.sync.previewPush(d.id);
      if (p.flags.has('preview')) {
        out.result(planJson(plan), planText(plan) + '\nPlan only: nothing was written.');
        return plan.threshold.exceeded ? EXIT.threshold : EXIT.planOnly;
      }
      if (plan.threshold.exceeded && !p.flags.has('allow-deletes')) {
        out.result({ ...planJson(plan), stopped: 'threshold' }, planText(plan) + '\nNothing was queued.');
        return EXIT.threshold;
      }
      const a = app.sync.applyPush({ runId: plan.runId, allowDeletes: p.flags.has('allow-deletes') });
      const provisioning = await drain(app, p, out);
      out.result(
        { ...planJson(plan), queued: a.queued, provisioning },
        `${planText(plan)}\nQueued ${a.queued} operations; ${provisioning.done} done, ${provisioning.failed} failed.`,
      );
      return provisioning.failed > 0 ? EXIT.partial : EXIT.ok;
    }
    case 'outbox': {
      const retried = p.flags.has('retry-failed') ? app.sync.retryFailed({}).queued : 0;
      const r = await drain(app, p, out);
      const failed = app.sync.outbox({ states: ['failed'], limit: 50 }).items;
      out.result(
        {
          retried,
          ...r,
          failedItems: failed.map((f) => ({
            id: f.id,
            directory: f.directoryName,
            op: f.op,
            identifier: f.identifier,
            error: f.lastError,
          })),
        },
        [
          `Outbox: ${r.done} done, ${r.failed} failed, ${r.pending} still pending${retried ? ` (${retried} failed items retried)` : ''}.`,
          ...failed.map((f) => `  failed #${f.id} ${f.directoryName} ${f.op} ${f.identifier}: ${f.lastError ?? ''}`),
        ].join('\n'),
      );
      return r.totals.failed > 0 ? EXIT.partial : EXIT.ok;
    }
    case 'user': {
      if (sub === 'add') {
        const raw = readJson(p.values.get('file')) as UserInput & { password?: string };
        const { password, ...input } = raw;
        const user = app.users.create(input as UserInput, password);
        const r = await drain(app, p, out);
        out.result(
          { id: user.id, userName: user.userName, provisioning: r, states: app.repos.links.statesOf(user.id) },
          `Added ${user.userName} (${user.id}).`,
        );
        return r.failed > 0 ? EXIT.partial : EXIT.ok;
      }
      if (sub === 'delete') {
        if (!arg) throw new UsageError('Name the user to delete.');
        const user = app.repos.users.byUserName(arg);
        if (!user) throw new AppError('not_found', `There is no user named "${arg}".`);
        app.users.delete(user.id);
        const r = await drain(app, p, out);
        out.result({ deleted: user.userName, provisioning: r }, `Deleted ${user.userName}.`);
        return r.failed > 0 ? EXIT.partial : EXIT.ok;
      }
      throw new UsageError('user takes add or delete.');
    }
    default:
      throw new UsageError(`Unknown command "${cmd}".`);
  }
}

// `node src-main/cli.ts …` runs it too (bin/provision-desk.mjs calls main itself).
if (process.argv[1] && /cli\.ts$/.test(process.argv[1])) process.exit(await main(process.argv.slice(2)));
