// The `onboarding` command line, over the same service the Users screen uses:
//
//   onboarding send <userName…> [--all-not-invited] [--temporary-password] [--json]
//   onboarding status [--state invited|activated|expired|failed|not-invited] [--json]
//
// `send` mails an activation link (or, with --temporary-password, sets and
// mails a temporary password) to the named users and/or every user not
// invited yet. Ctrl-C cancels: no new user is started, mails in flight
// finish, and what was done is printed; a second Ctrl-C quits at once.
// Activation links open the reset portal that the app serves: the admin must
// have started it in the app (it then starts with the app).
// Exit codes, as the other commands (src-main/cli.ts): 0 done, 1 failure
// (nothing sent), 2 usage, 5 done but some users failed, 130 cancelled.
import { resolve } from 'node:path';
import { createApp, type App } from '../app.ts';
import { argValue, defaultDataDir } from '../paths.ts';
import { AppError, toBridgeError } from '../errors.ts';
import type { OnboardingStatus } from '../../src-preload/contract/users.ts';
import { isSendProgress, type SendJobView } from '../../src-preload/contract/onboarding.ts';

export const ONBOARDING_EXIT = { ok: 0, failure: 1, usage: 2, partial: 5, cancelled: 130 } as const;

export const ONBOARDING_USAGE = `Usage:
  onboarding send <userName…> [--all-not-invited] [--temporary-password] [--json]
  onboarding status [--state invited|activated|expired|failed|not-invited] [--json]`;

const STATES: Record<string, OnboardingStatus> = {
  invited: 'invited',
  activated: 'activated',
  expired: 'expired',
  failed: 'failed',
  'not-invited': 'notInvited',
};
const STATE_WORDS: Record<OnboardingStatus, string> = {
  notInvited: 'not-invited',
  invited: 'invited',
  activated: 'activated',
  expired: 'expired',
  failed: 'failed',
};

export interface OnboardingIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Ctrl-C: registers the handler; returns its removal. */
  onInterrupt(handler: () => void): () => void;
}

const processIo: OnboardingIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  onInterrupt(handler) {
    process.on('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
};

class UsageError extends Error {}

interface Args {
  sub: string | undefined;
  names: string[];
  flags: Set<string>;
  state?: string;
  dataDir?: string;
}

const FLAGS = new Set(['all-not-invited', 'temporary-password', 'json']);

function parse(argv: string[]): Args {
  const rest = argv[0] === 'onboarding' ? argv.slice(1) : argv;
  const a: Args = { sub: rest[0], names: [], flags: new Set() };
  for (let i = 1; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      a.names.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === 'state' || name === 'data-dir') {
      const v = eq > 0 ? arg.slice(eq + 1) : rest[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value.`);
      if (name === 'state') a.state = v;
      else a.dataDir = v;
    } else if (FLAGS.has(name) && eq < 0) a.flags.add(name);
    else throw new UsageError(`Unknown option --${name}.`);
  }
  return a;
}

/** Runs `onboarding …`; argv may start with "onboarding". Returns the exit code. */
export async function onboardingMain(argv: string[], io: OnboardingIo = processIo): Promise<number> {
  let args: Args;
  try {
    args = parse(argv);
    if (args.sub !== 'send' && args.sub !== 'status') throw new UsageError('onboarding takes send or status.');
    if (args.sub === 'status' && args.names.length) throw new UsageError('onboarding status takes no user names.');
    if (args.state !== undefined && !(args.state in STATES))
      throw new UsageError(`--state must be invited, activated, expired, failed or not-invited, not "${args.state}".`);
    if (args.sub === 'send' && args.state !== undefined) throw new UsageError('--state is for onboarding status.');
    if (args.sub === 'send' && args.names.length === 0 && !args.flags.has('all-not-invited'))
      throw new UsageError('Name the users to send to, or use --all-not-invited.');
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n\n${ONBOARDING_USAGE}\n`);
    return ONBOARDING_EXIT.usage;
  }
  const json = args.flags.has('json');
  const dataDir = resolve(args.dataDir ?? argValue(argv, 'data-dir') ?? defaultDataDir());
  let app: App | undefined;
  try {
    app = createApp({ dataDir, shell: 'cli' });
    return args.sub === 'send' ? await send(app, args, io) : status(app, args, io);
  } catch (err) {
    const e = toBridgeError(err);
    if (json) io.stdout.write(JSON.stringify({ error: e }, null, 2) + '\n');
    io.stderr.write(`Error: ${e.message}\n`);
    if (e.details !== undefined && !json)
      io.stderr.write(`Details: ${typeof e.details === 'string' ? e.details : JSON.stringify(e.details)}\n`);
    return ONBOARDING_EXIT.failure;
  } finally {
    await app?.close().catch(() => undefined);
  }
}

/** The users named (all must exist: nothing is sent otherwise) plus, with --all-not-invited, those not invited yet. */
function selectUsers(app: App, args: Args): string[] {
  const ids: string[] = [];
  const unknown: string[] = [];
  for (const name of args.names) {
    const u = app.repos.users.byUserName(name);
    if (u) ids.push(u.id);
    else unknown.push(name);
  }
  if (unknown.length)
    throw new AppError(
      'not_found',
      `There is no user named ${unknown.map((n) => `"${n}"`).join(', ')}; nothing was sent.`,
      { unknown },
    );
  if (args.flags.has('all-not-invited')) ids.push(...app.onboarding.store.statuses('notInvited').map((r) => r.userId));
  return [...new Set(ids)];
}

async function send(app: App, args: Args, io: OnboardingIo): Promise<number> {
  const json = args.flags.has('json');
  const kind = args.flags.has('temporary-password') ? 'temporaryPassword' : 'activation';
  const ids = selectUsers(app, args);
  if (ids.length === 0) {
    const empty = { kind, state: 'finished', total: 0, sent: 0, failed: 0, notReached: [], failures: [] };
    io.stdout.write(
      json ? JSON.stringify(empty, null, 2) + '\n' : 'No user is waiting for an invitation; nothing was sent.\n',
    );
    return ONBOARDING_EXIT.ok;
  }
  const tty = !json && !!io.stderr.isTTY;
  const unsubscribe = app.events.subscribe((name, payload) => {
    if (name === 'app.progress' && tty && isSendProgress(payload as { operationId: string }))
      io.stderr.write(`\r${(payload as { message?: string }).message ?? ''}   `);
  });
  let interrupted = false;
  let removeInterrupt = () => {};
  try {
    const { job, finished } = await app.onboarding.startSend(kind, ids, { portal: 'enabled' });
    removeInterrupt = io.onInterrupt(() => {
      if (interrupted) {
        // A second Ctrl-C: quit now; mails in flight may or may not arrive.
        io.stderr.write('\nInterrupted again: quitting without waiting.\n');
        process.exit(ONBOARDING_EXIT.cancelled);
      }
      interrupted = true;
      app.onboarding.cancelSend(job.id);
      io.stderr.write(
        `${tty ? '\n' : ''}Cancelling: no new mail is started; mails in flight finish (Ctrl-C again to quit at once).\n`,
      );
    });
    const v = await finished;
    if (tty) io.stderr.write('\n');
    io.stdout.write(json ? JSON.stringify(sendJson(v), null, 2) + '\n' : sendText(v) + '\n');
    if (v.state === 'cancelled') return ONBOARDING_EXIT.cancelled;
    return v.failed > 0 ? ONBOARDING_EXIT.partial : ONBOARDING_EXIT.ok;
  } finally {
    removeInterrupt();
    unsubscribe();
  }
}

function sendJson(v: SendJobView) {
  return {
    jobId: v.jobId,
    kind: v.kind,
    state: v.state,
    total: v.total,
    sent: v.sent,
    failed: v.failed,
    notReached: v.notReached.map((u) => u.userName),
    failures: v.failures.map((f) => ({ userName: f.userName, message: f.message, details: f.details })),
    sentTo: v.results.filter((r) => r.ok).map((r) => r.userName),
  };
}

function sendText(v: SendJobView): string {
  const what = v.kind === 'activation' ? 'Activation mail' : 'Temporary password';
  const lines = [`${what}: ${v.sent} sent, ${v.failed} failed of ${v.total}.`];
  for (const f of v.failures)
    lines.push(
      `  failed ${f.userName}: ${f.message}${f.details !== undefined ? ` (server: ${typeof f.details === 'string' ? f.details : JSON.stringify(f.details)})` : ''}`,
    );
  if (v.state === 'cancelled')
    lines.push(
      `Cancelled: ${v.notReached.length} not reached; their status is unchanged and they got no mail: ${v.notReached
        .slice(0, 20)
        .map((u) => u.userName)
        .join(', ')}${v.notReached.length > 20 ? ', …' : ''}`,
    );
  return lines.join('\n');
}

function status(app: App, args: Args, io: OnboardingIo): number {
  app.onboarding.sweep();
  const all = app.onboarding.store.statuses();
  const want = args.state ? STATES[args.state] : undefined;
  const rows = want ? all.filter((r) => r.status === want) : all;
  // Counts are over every user, so a filtered listing still shows the whole picture.
  const counts: Record<string, number> = { 'not-invited': 0, invited: 0, activated: 0, expired: 0, failed: 0 };
  for (const r of all) counts[STATE_WORDS[r.status]]!++;
  if (args.flags.has('json')) {
    const users = rows.map((r) => ({ ...r, status: STATE_WORDS[r.status] }));
    io.stdout.write(JSON.stringify({ counts, users }, null, 2) + '\n');
    return ONBOARDING_EXIT.ok;
  }
  const lines = rows.map((r) => {
    const when =
      r.status === 'activated'
        ? r.activatedAt
        : r.status === 'invited' && r.expiresAt
          ? `link until ${r.expiresAt}`
          : r.invitedAt;
    return [
      r.userName,
      STATE_WORDS[r.status],
      r.email,
      when ?? '',
      r.status === 'failed' || r.status === 'expired' ? (r.reason ?? '') : '',
    ]
      .join('\t')
      .replace(/\t+$/, '');
  });
  const summary = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const plural = (n: number) => `${n} user${n === 1 ? '' : 's'}`;
  const last = want
    ? `${rows.length} of ${plural(all.length)} ${args.state}.`
    : `${plural(all.length)}${summary ? `: ${summary}` : ''}.`;
  io.stdout.write([...lines, last].join('\n') + '\n');
  return ONBOARDING_EXIT.ok;
}
