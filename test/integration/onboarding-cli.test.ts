// `provision-desk onboarding send | status` as a child process (the real bin,
// Node 24 type stripping) on a data folder set up by the app, mailing through
// a real SMTP receiver: JSON output, exit codes, the server's refusal in the
// output, and Ctrl-C (SIGINT) during a send of every not-invited user, which
// cancels the job: what was sent is printed, exit 130, statuses consistent
// with the mails that arrived.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src-main/app.ts';
import { generateSelfSigned } from '../../src-main/onboarding/portal/certificate.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../onboarding/smtp.ts';
import { mailSettings, seedMailUsers, SMTP_PASSWORD, SMTP_USER, until, type Seeded } from '../onboarding/bulk.ts';
import { cli, CLI, NODE } from './sync-support.ts';

let smtp: SmtpReceiver;
let work: string;
let dataDir: string;
/** The admin's app on the same folder, left open: its reset portal answers the links the CLI mails. */
let app: App;
let people: Seeded[];
const dd = () => ['--data-dir', dataDir];

interface StatusJson {
  counts: Record<string, number>;
  users: Array<{ userName: string; email: string; status: string; reason?: string }>;
}
const status = async (...args: string[]) => {
  const r = await cli(['onboarding', 'status', '--json', ...args, ...dd()]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pd-onboarding-cli-'));
  dataDir = join(work, 'data');
  const pair = await generateSelfSigned(['localhost', '127.0.0.1']);
  smtp = await startSmtpReceiver({
    ...pair,
    user: SMTP_USER,
    password: SMTP_PASSWORD,
    refuse: (a) => a.startsWith('gone'),
  });
  // The data folder as the app leaves it: users, a directory, mail settings, the portal started by the admin.
  app = createApp({ dataDir, shell: 'test' });
  {
    people = seedMailUsers(app, 30, 'cli');
    const gone = app.users.create({
      userName: 'gone.user',
      name: {},
      emails: [{ value: 'gone@example.test', primary: true }],
      phoneNumbers: [],
      active: true,
    });
    const link = app.repos.links.forLocal(people[0]!.id)[0]!;
    app.repos.links.upsert({ ...link, localId: gone.id, anchor: 'anchor-gone', ref: 'uid=gone' });
    await mailSettings(app, smtp.port, pair.certPem, { autoStart: true });
    await app.onboarding.startPortal();
  }
});

afterAll(async () => {
  await app?.close();
  await smtp?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('provision-desk onboarding', () => {
  it('usage errors exit 2; an unknown user exits 1 and nothing is sent', async () => {
    expect((await cli(['onboarding', 'send', ...dd()])).code).toBe(2);
    expect((await cli(['onboarding', 'status', '--state', 'sleeping', ...dd()])).code).toBe(2);
    expect((await cli(['onboarding', 'frobnicate', ...dd()])).code).toBe(2);
    const r = await cli(['onboarding', 'send', 'cli00', 'nobody', '--json', ...dd()]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: 'not_found',
      message: 'There is no user named "nobody"; nothing was sent.',
    });
    expect(smtp.mails).toHaveLength(0);
    const help = await cli(['--help']);
    expect(help.stdout).toContain('onboarding send <userName…>');
  });

  it('takes --data-dir and --json before every subcommand', async () => {
    const status = await cli(['--data-dir', dataDir, '--json', 'onboarding', 'status']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).counts['not-invited']).toBe(31);
    const reports = await cli(['--data-dir', dataDir, 'reports', 'export', '--format', 'json']);
    expect(reports.code, reports.stderr).toBe(0);
    expect(JSON.parse(reports.stdout)).toEqual(expect.any(Array));
    const send = await cli(['--json', '--data-dir', dataDir, 'onboarding', 'send', 'nobody']);
    expect(send.code).toBe(1);
    expect(JSON.parse(send.stdout).error.code).toBe('not_found');
    const unknown = await cli(['--data-dir', dataDir, 'onboarding', 'status', '--colour']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown option --colour for onboarding status.');
  });

  it('refuses to send while the links would open a loopback address, or nothing answers there', async () => {
    const saved = app.onboarding.store.settings();
    const port = saved.portal.port;
    app.onboarding.store.saveSettings({
      ...saved,
      portal: { ...saved.portal, publicUrl: `https://127.0.0.1:${port}` },
    });
    const loop = await cli(['onboarding', 'send', 'cli00', ...dd()]);
    expect(loop.code).toBe(1);
    expect(loop.stderr).toContain(
      `Nothing was sent: the links would open https://127.0.0.1:${port}, but that is a loopback address: only this computer can open it. Set the portal's public address in Settings, Reset portal`,
    );
    app.onboarding.store.saveSettings(saved);

    await app.onboarding.stopPortal();
    const stopped = await cli(['onboarding', 'send', 'cli00', '--json', ...dd()]);
    expect(stopped.code).toBe(1);
    expect(JSON.parse(stopped.stdout).error).toMatchObject({
      code: 'portal_unreachable',
      details: { reason: 'nothing answers there', settings: 'settings' },
    });
    expect(stopped.stderr).toContain('provision-desk serve');
    await app.onboarding.startPortal();
    expect(smtp.mails).toHaveLength(0);
    expect((await status('--state', 'invited')).users).toEqual([]);
  });

  it('sends to named users (JSON), then status lists them invited', async () => {
    const r = await cli(['onboarding', 'send', 'cli00', 'cli01', '--json', ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      kind: 'activation',
      state: 'finished',
      total: 2,
      sent: 2,
      failed: 0,
      failures: [],
      notReached: [],
    });
    expect(out.sentTo.sort()).toEqual(['cli00', 'cli01']);
    expect(smtp.mails.map((m) => m.to[0]).sort()).toEqual(['cli00@example.test', 'cli01@example.test']);
    const s = await status('--state', 'invited');
    expect(s.users.map((u) => u.userName)).toEqual(['cli00', 'cli01']);
    expect(s.counts).toMatchObject({ invited: 2, 'not-invited': 29 });
    const text = await cli(['onboarding', 'status', ...dd()]);
    expect(text.stdout).toMatch(/^cli00\tinvited\tcli00@example\.test\tlink until /m);
    expect(text.stdout).toContain('31 users: 29 not-invited, 2 invited.');
  });

  it("a refused recipient: exit 5 with the server's own message; the user is failed", async () => {
    const r = await cli(['onboarding', 'send', 'gone.user', 'cli02', '--json', ...dd()]);
    expect(r.code).toBe(5);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ state: 'finished', sent: 1, failed: 1 });
    expect(out.failures[0].userName).toBe('gone.user');
    expect(JSON.stringify(out.failures[0].details)).toContain('Recipient address rejected: mailbox unavailable');
    const text = await cli(['onboarding', 'send', 'gone.user', ...dd()]);
    expect(text.code).toBe(5);
    expect(text.stdout).toMatch(/failed gone\.user: .*server: .*Recipient address rejected/);
    expect((await status('--state', 'failed')).users.map((u) => u.userName)).toEqual(['gone.user']);
  });

  it('Ctrl-C during --all-not-invited cancels: mails in flight finish, the rest keep their status; exit 130', async () => {
    const before = smtp.mails.length;
    const notInvited = (await status('--state', 'not-invited')).users.map((u) => u.userName);
    expect(notInvited).toHaveLength(27);
    smtp.allow(3);
    const child = spawn(NODE, [CLI, 'onboarding', 'send', '--all-not-invited', ...dd()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await smtp.waitFor(before + 3);
    await until(() => smtp.waiting > 0, 'a mail held at the receiver');
    child.kill('SIGINT');
    await until(() => stderr.includes('Cancelling'), 'the CLI to say it is cancelling');
    smtp.allow(Infinity);
    const code = await exited;
    expect(code, stderr).toBe(130);
    const arrived = smtp.mails.slice(before).map((m) => m.to[0]!.replace('@example.test', ''));
    expect(arrived.length).toBeGreaterThan(3);
    expect(arrived.length).toBeLessThan(27);
    expect(stdout).toContain(`Activation mail: ${arrived.length} sent, 0 failed of 27.`);
    expect(stdout).toContain(`Cancelled: ${27 - arrived.length} not reached; their status is unchanged`);
    const s = await status();
    const invitedNow = s.users.filter((u) => u.status === 'invited').map((u) => u.userName);
    expect(invitedNow.sort()).toEqual(['cli00', 'cli01', 'cli02', ...arrived].sort());
    expect(s.counts['not-invited']).toBe(27 - arrived.length);
    expect(s.users.find((u) => u.userName === 'gone.user')?.status).toBe('failed');
    // Not reached: exactly the not-invited users that got no mail.
    expect(
      s.users
        .filter((u) => u.status === 'not-invited')
        .map((u) => u.userName)
        .sort(),
    ).toEqual(notInvited.filter((n) => !arrived.includes(n)).sort());
  });
});
