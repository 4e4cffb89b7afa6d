// The `onboarding` command line, over the same service the Users screen uses:
//
//   onboarding send <userName…> [--all-not-invited] [--temporary-password]
//                   [--enable-on-activation | --keep-disabled] [--json]
//   onboarding status [--state invited|temporary-password|password-set|activated|expired|failed|not-invited] [--json]
//
// `send` mails an activation link (or, with --temporary-password, sets and
// mails a temporary password) to the named users and/or every user not
// invited yet. Ctrl-C cancels: no new user is started, mails in flight
// finish, and what was done is printed; a second Ctrl-C quits at once.
// Activation links open the reset portal that the app or `provision-desk
// serve` runs; the send is refused unless the portal's public address answers
// with the portal's certificate (it runs beside them, without the folder lock).
// Exit codes as every command (src-main/cli/args.ts): 0 done, 1 failure
// (nothing sent), 2 usage, 5 done but some users failed, 130 cancelled.
import type { App } from '../app.ts';
import { AppError } from '../errors.ts';
import type { OnboardingStatus } from '../../src-preload/contract/users.ts';
import { isSendProgress, type SendJobView } from '../../src-preload/contract/onboarding.ts';
import { EXIT, UsageError } from '../cli/args.ts';
import type { Command, CommandContext } from '../cli/command.ts';

const STATES: Record<string, OnboardingStatus> = {
  invited: 'invited',
  'temporary-password': 'temporaryPassword',
  'password-set': 'passwordSet',
  activated: 'activated',
  expired: 'expired',
  failed: 'failed',
  'not-invited': 'notInvited',
};
const STATE_WORDS: Record<OnboardingStatus, string> = {
  notInvited: 'not-invited',
  invited: 'invited',
  temporaryPassword: 'temporary-password',
  passwordSet: 'password-set',
  activated: 'activated',
  expired: 'expired',
  failed: 'failed',
};

const sendCommand: Command = {
  words: ['onboarding', 'send'],
  usage: '<userName…> [--all-not-invited] [--temporary-password] [--enable-on-activation | --keep-disabled] [--json]',
  summary: 'mail activation links (or temporary passwords); Ctrl-C cancels',
  args: { min: 0, max: Number.POSITIVE_INFINITY },
  options: {
    'all-not-invited': { type: 'boolean' },
    'temporary-password': { type: 'boolean' },
    // A disabled account is enabled when the user sets the password (default: only if never activated).
    'enable-on-activation': { type: 'boolean' },
    'keep-disabled': { type: 'boolean' },
  },
  // Beside the app or a serve: their portal answers the links this mails.
  withoutLock: true,
  run(ctx) {
    if (ctx.args.length === 0 && !ctx.flag('all-not-invited'))
      throw new UsageError('Name the users to send to, or use --all-not-invited.', sendCommand);
    if (ctx.flag('enable-on-activation') && ctx.flag('keep-disabled'))
      throw new UsageError('Use --enable-on-activation or --keep-disabled, not both.', sendCommand);
    return send(ctx);
  },
};

const statusCommand: Command = {
  words: ['onboarding', 'status'],
  usage: '[--state invited|temporary-password|password-set|activated|expired|failed|not-invited] [--json]',
  summary: "each user's onboarding status",
  options: { state: { type: 'string' } },
  withoutLock: true,
  run(ctx) {
    const state = ctx.option('state');
    if (state !== undefined && !(state in STATES))
      throw new UsageError(
        `--state must be invited, temporary-password, password-set, activated, expired, failed or not-invited, not "${state}".`,
        statusCommand,
      );
    return status(ctx);
  },
};

export const onboardingCommands: Command[] = [sendCommand, statusCommand];

/** The users named (all must exist: nothing is sent otherwise) plus, with --all-not-invited, those not invited yet. */
function selectUsers(app: App, names: string[], allNotInvited: boolean): string[] {
  const ids: string[] = [];
  const unknown: string[] = [];
  for (const name of names) {
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
  if (allNotInvited) ids.push(...app.onboarding.store.statuses('notInvited').map((r) => r.userId));
  return [...new Set(ids)];
}

async function send({ app, args, flag, json, io }: CommandContext): Promise<number> {
  const kind = flag('temporary-password') ? 'temporaryPassword' : 'activation';
  const ids = selectUsers(app, args, flag('all-not-invited'));
  if (ids.length === 0) {
    const empty = { kind, state: 'finished', total: 0, sent: 0, failed: 0, notReached: [], failures: [] };
    io.stdout.write(
      json ? JSON.stringify(empty, null, 2) + '\n' : 'No user is waiting for an invitation; nothing was sent.\n',
    );
    return EXIT.ok;
  }
  const tty = !json && !!io.stderr.isTTY;
  const unsubscribe = app.events.subscribe((name, payload) => {
    if (name === 'app.progress' && tty && isSendProgress(payload as { operationId: string }))
      io.stderr.write(`\r${(payload as { message?: string }).message ?? ''}   `);
  });
  let interrupted = false;
  let removeInterrupt = () => {};
  try {
    const enableOnActivation = flag('enable-on-activation') ? true : flag('keep-disabled') ? false : undefined;
    const { job, finished } = await app.onboarding.startSend(kind, ids, { portal: 'enabled', enableOnActivation });
    removeInterrupt = io.onInterrupt(() => {
      if (interrupted) {
        // A second Ctrl-C: quit now; mails in flight may or may not arrive.
        io.stderr.write('\nInterrupted again: quitting without waiting.\n');
        process.exit(EXIT.cancelled);
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
    if (v.state === 'cancelled') return EXIT.cancelled;
    return v.failed > 0 ? EXIT.partial : EXIT.ok;
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

function status({ app, option, json, io }: CommandContext): number {
  const state = option('state');
  app.onboarding.sweep();
  const all = app.onboarding.store.statuses();
  const want = state ? STATES[state] : undefined;
  const rows = want ? all.filter((r) => r.status === want) : all;
  // Counts are over every user, so a filtered listing still shows the whole picture.
  const counts: Record<string, number> = {
    'not-invited': 0,
    invited: 0,
    'temporary-password': 0,
    'password-set': 0,
    activated: 0,
    expired: 0,
    failed: 0,
  };
  for (const r of all) counts[STATE_WORDS[r.status]]!++;
  if (json) {
    const users = rows.map((r) => ({ ...r, status: STATE_WORDS[r.status] }));
    io.stdout.write(JSON.stringify({ counts, users }, null, 2) + '\n');
    return EXIT.ok;
  }
  const lines = rows.map((r) => {
    const when =
      r.status === 'activated' || r.status === 'passwordSet'
        ? r.activatedAt
        : r.status === 'invited' && r.expiresAt
          ? `link until ${r.expiresAt}`
          : r.invitedAt;
    return [
      r.userName,
      STATE_WORDS[r.status],
      r.email,
      when ?? '',
      r.status === 'failed' || r.status === 'expired' || r.status === 'passwordSet' ? (r.reason ?? '') : '',
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
    ? `${rows.length} of ${plural(all.length)} ${state}.`
    : `${plural(all.length)}${summary ? `: ${summary}` : ''}.`;
  io.stdout.write([...lines, last].join('\n') + '\n');
  return EXIT.ok;
}
