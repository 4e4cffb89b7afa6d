// Bulk activation mail as a job, against a real SMTP receiver (smtp-server,
// STARTTLS, authentication): 40 users, the receiver paused after 10 mails so
// the cancel lands while mails are in flight. Mails that arrived have working
// links and an "invited" status; users not reached keep their previous status
// and have no link; the job's result and progress events say the same.
// Also: a finished job lists the server's own refusal per failed user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import { generateSelfSigned } from '../../src-main/onboarding/portal/certificate.ts';
import { isSendProgress, type SendJobView, type SendProgress } from '../../src-preload/contract/onboarding.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../onboarding/smtp.ts';
import { PortalBrowser, resetLinks } from '../onboarding/browser.ts';
import { testApp } from '../onboarding/fixtures.ts';
import {
  hashToken,
  mailSettings,
  seedMailUsers,
  SMTP_PASSWORD,
  SMTP_USER,
  tokenOf,
  until,
  type Seeded,
} from '../onboarding/bulk.ts';

let smtp: SmtpReceiver;
let portalCa: string;
const t = testApp();
const app = t.app;

async function call<T>(channel: string, input: unknown): Promise<T> {
  const r = await dispatch(app, channel, input);
  if (!r.ok) throw new Error(`${channel}: ${JSON.stringify(r.error)}`);
  return r.value as T;
}

beforeAll(async () => {
  const pair = await generateSelfSigned(['localhost', '127.0.0.1']);
  smtp = await startSmtpReceiver({
    ...pair,
    user: SMTP_USER,
    password: SMTP_PASSWORD,
    refuse: (a) => a.startsWith('gone'),
  });
  await mailSettings(app, smtp.port, pair.certPem);
  await app.onboarding.startPortal();
  portalCa = app.vault.get<{ certPem: string }>('onboarding:portal-self-signed')!.certPem;
});

afterAll(async () => {
  await smtp?.stop();
  await t.dispose();
});

describe('a bulk send cancelled midway', () => {
  let people: Seeded[];
  let final: SendJobView;
  const events: SendProgress[] = [];
  const byEmail = () => new Map(people.map((p) => [p.email, p]));

  beforeAll(async () => {
    people = seedMailUsers(app, 40, 'bulk');
    // The last five had a failed invitation before: not reached, they must stay so.
    for (const p of people.slice(35)) app.onboarding.store.fail(p.id, 'An earlier mail bounced.');
    const off = app.events.subscribe((name, payload) => {
      if (name === 'app.progress' && isSendProgress(payload as SendProgress)) events.push(payload as SendProgress);
    });
    smtp.allow(10);
    const started = await call<SendJobView>('onboarding.send.start', {
      kind: 'activation',
      userIds: people.map((p) => p.id),
    });
    expect(started).toMatchObject({ state: 'running', total: 40, sent: 0 });
    // Ten taken, and at least one more mail waiting unanswered at the receiver: the cancel lands mid-send.
    await smtp.waitFor(10);
    await until(() => smtp.waiting > 0, 'a mail held at the receiver');
    expect(await call('onboarding.send.cancel', { jobId: started.jobId })).toEqual({ cancelled: true });
    const mid = await call<SendJobView>('onboarding.send.job', { jobId: started.jobId });
    expect(mid.state).toBe('cancelling');
    expect(mid.inFlight).toBeGreaterThan(0);
    smtp.allow(Infinity);
    final = await call<SendJobView>('onboarding.send.wait', { jobId: started.jobId });
    off();
    // A second cancel of an ended job does nothing.
    expect(await call('onboarding.send.cancel', { jobId: started.jobId })).toEqual({ cancelled: false });
  });

  it('ends cancelled: the mails in flight were let finish, nobody after them was started', () => {
    expect(final.state).toBe('cancelled');
    expect(final.failed).toBe(0);
    expect(final.sent).toBe(smtp.mails.length);
    // 10 let through, then at most one per worker (4) in flight when the cancel landed.
    expect(final.sent).toBeGreaterThan(10);
    expect(final.sent).toBeLessThanOrEqual(14);
    expect(final.sent + final.notReached.length).toBe(40);
    expect(final.remaining).toBe(final.notReached.length);
    // The users are started in the order selected: the sent ones are a prefix.
    expect(final.results.map((r) => r.userName)).toEqual(people.slice(0, final.sent).map((p) => p.userName));
    expect(final.notReached.map((u) => u.userName)).toEqual(people.slice(final.sent).map((p) => p.userName));
  });

  it('exactly the users whose mail arrived are invited, with the link in their mail stored (as a hash)', async () => {
    const who = byEmail();
    const received = smtp.mails.map((m) => who.get(m.to[0]!)!);
    expect(new Set(received.map((p) => p.userName)).size).toBe(final.sent);
    for (const m of smtp.mails) {
      const p = who.get(m.to[0]!)!;
      const row = app.onboarding.store.get(p.id)!;
      expect(row.status).toBe('invited');
      expect(row.tokenHash).toBe(hashToken(tokenOf(m)));
    }
    // A link from the batch opens the reset page for its user.
    const m = smtp.mails[smtp.mails.length - 1]!;
    const page = await new PortalBrowser(portalCa).get(resetLinks(m.text)[0]!);
    expect(page.status).toBe(200);
    expect(page.body).toContain(who.get(m.to[0]!)!.userName);
  });

  it('users not reached keep their previous status and have no link', () => {
    for (const p of people.slice(final.sent)) {
      const row = app.onboarding.store.get(p.id);
      if (people.indexOf(p) >= 35)
        expect(row).toMatchObject({ status: 'failed', reason: 'An earlier mail bounced.', tokenHash: null });
      else expect(row).toBeUndefined();
      expect(app.users.get(p.id).onboarding.status).toBe(people.indexOf(p) >= 35 ? 'failed' : 'notInvited');
    }
    const live = app.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM onboarding WHERE token_hash IS NOT NULL')!.n;
    expect(live).toBe(final.sent);
    const reported = app.db.all<{ user_identifier: string }>(
      "SELECT user_identifier FROM report_entries WHERE action = 'activation.sent' AND status = 'success'",
    );
    expect(reported.map((r) => r.user_identifier).sort()).toEqual(people.slice(0, final.sent).map((p) => p.userName));
  });

  it('progress events carried sent / failed / remaining, through cancelling to cancelled', () => {
    const mine = events.filter((e) => e.operationId === final.jobId);
    expect(mine[0]).toMatchObject({ phase: 'sending', sent: 0, remaining: 40, total: 40 });
    expect(mine.some((e) => e.phase === 'cancelling')).toBe(true);
    expect(mine.at(-1)).toMatchObject({ phase: 'cancelled', sent: final.sent, failed: 0, remaining: 40 - final.sent });
    for (let i = 1; i < mine.length; i++) expect(mine[i]!.sent).toBeGreaterThanOrEqual(mine[i - 1]!.sent);
    expect(mine.at(-1)!.message).toContain(`${final.sent} sent`);
  });
});

describe('a bulk send that runs to the end', () => {
  it("lists each failure with the server's own refusal in details; the others are invited", async () => {
    const people = seedMailUsers(app, 6, 'fin');
    const gone = app.users.create({
      userName: 'gone.user',
      name: {},
      emails: [{ value: 'gone@example.test', primary: true }],
      phoneNumbers: [],
      active: true,
    });
    const link = app.repos.links.forLocal(people[0]!.id)[0]!;
    app.repos.links.upsert({ ...link, localId: gone.id, anchor: 'anchor-gone', ref: 'uid=gone' });
    const before = smtp.mails.length;
    const started = await call<SendJobView>('onboarding.send.start', {
      kind: 'activation',
      userIds: [gone.id, ...people.map((p) => p.id)],
    });
    const v = await call<SendJobView>('onboarding.send.wait', { jobId: started.jobId });
    expect(v).toMatchObject({ state: 'finished', total: 7, sent: 6, failed: 1, remaining: 0, notReached: [] });
    expect(v.failures).toHaveLength(1);
    expect(v.failures[0]).toMatchObject({ userName: 'gone.user', ok: false });
    expect(v.failures[0]!.message).toContain('refused the sender or the recipient');
    expect(JSON.stringify(v.failures[0]!.details)).toContain('Recipient address rejected: mailbox unavailable');
    expect(JSON.stringify(v.failures[0]!.details)).not.toContain(SMTP_PASSWORD);
    expect(app.onboarding.store.get(gone.id)).toMatchObject({ status: 'failed', tokenHash: null });
    expect(smtp.mails.length - before).toBe(6);
    for (const p of people) expect(app.onboarding.store.get(p.id)?.status).toBe('invited');
    // The job is still known after it ended.
    expect((await call<SendJobView>('onboarding.send.job', { jobId: v.jobId })).state).toBe('finished');
  });
});
