// The bulk-send job's state machine (running → finished, running →
// cancelling → cancelled), its worker pool, and the shared pause that
// "try again later" answers put on every worker.
import { describe, expect, it } from 'vitest';
import { runJob, SendJob, type JobUser, type UserOutcome } from '../../src-main/onboarding/send-job.ts';
import { MAIL_ATTEMPTS, retryLaterMs, SendCancelled, SendGate, sendPaced } from '../../src-main/onboarding/throttle.ts';
import { MailError, type MailTransport, type OutgoingMail } from '../../src-main/onboarding/mail.ts';
import { AppError } from '../../src-main/errors.ts';
import { ConnectorError } from '../../src-main/connectors/connector.ts';

const users = (n: number): JobUser[] => Array.from({ length: n }, (_, i) => ({ id: `id${i}`, userName: `user${i}` }));
const ok = (u: JobUser): UserOutcome => ({ userId: u.id, userName: u.userName, ok: true, message: 'sent' });
const bad = (u: JobUser): UserOutcome => ({
  userId: u.id,
  userName: u.userName,
  ok: false,
  message: 'refused',
  details: { response: '550 no such user' },
});

/** A promise with its resolve handle, to settle workers one by one. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('SendJob', () => {
  it('runs to finished, counting sent and failed; remaining falls to 0', async () => {
    const job = new SendJob('j1', 'activation', users(3));
    expect(job.view()).toMatchObject({ state: 'running', total: 3, sent: 0, failed: 0, remaining: 3, inFlight: 0 });
    const a = job.claim()!;
    const b = job.claim()!;
    expect(job.view()).toMatchObject({ inFlight: 2, remaining: 3 });
    job.settle(a.index, ok(a.user));
    job.settle(b.index, bad(b.user));
    expect(job.view()).toMatchObject({ state: 'running', sent: 1, failed: 1, remaining: 1 });
    const c = job.claim()!;
    expect(job.claim()).toBeUndefined();
    job.settle(c.index, ok(c.user));
    const v = await job.done;
    expect(v).toMatchObject({ state: 'finished', sent: 2, failed: 1, remaining: 0, inFlight: 0, notReached: [] });
    expect(v.results.map((r) => r.userName)).toEqual(['user0', 'user1', 'user2']);
    expect(v.failures).toEqual([bad(b.user)]);
    expect(v.finishedAt).toBeDefined();
    expect(job.cancel()).toBe(false);
  });

  it('a cancel with mails in flight waits for them (cancelling), then lists who was not reached', async () => {
    const job = new SendJob('j2', 'activation', users(5));
    const a = job.claim()!;
    const b = job.claim()!;
    job.settle(a.index, ok(a.user));
    expect(job.cancel()).toBe(true);
    expect(job.current).toBe('cancelling');
    expect(job.cancel()).toBe(false);
    expect(job.claim()).toBeUndefined();
    expect(job.view()).toMatchObject({ state: 'cancelling', inFlight: 1, sent: 1 });
    job.settle(b.index, ok(b.user));
    const v = await job.done;
    expect(v).toMatchObject({ state: 'cancelled', sent: 2, failed: 0, remaining: 3 });
    expect(v.notReached.map((u) => u.userName)).toEqual(['user2', 'user3', 'user4']);
  });

  it('a cancel with nothing in flight ends at once; a worker that stopped before its user counts it not reached', async () => {
    const job = new SendJob('j3', 'temporaryPassword', users(3));
    const a = job.claim()!;
    job.settle(a.index, 'notReached');
    expect(job.cancel()).toBe(true);
    const v = await job.done;
    expect(v).toMatchObject({ state: 'cancelled', sent: 0, failed: 0, remaining: 3 });
    expect(v.notReached.map((u) => u.id)).toEqual(['id0', 'id1', 'id2']);
    expect(v.results).toEqual([]);
  });

  it('a cancel after the last user had started stopped nothing: the job finishes', async () => {
    const job = new SendJob('j4', 'activation', users(2));
    const a = job.claim()!;
    const b = job.claim()!;
    expect(job.cancel()).toBe(true);
    job.settle(a.index, ok(a.user));
    job.settle(b.index, ok(b.user));
    expect((await job.done).state).toBe('finished');
  });

  it('shows a server-asked pause while it lasts and the job runs', async () => {
    let now = 1_000_000;
    const job = new SendJob('jp', 'activation', users(1), () => new Date(now));
    job.pause(now + 60_000);
    expect(job.view().pausedUntil).toBe(new Date(1_060_000).toISOString());
    now += 61_000;
    expect(job.view().pausedUntil).toBeUndefined();
    job.pause(now + 5_000);
    const a = job.claim()!;
    job.settle(a.index, ok(a.user));
    expect((await job.done).pausedUntil).toBeUndefined();
  });

  it('refuses a settle for a user not claimed, or twice', () => {
    const job = new SendJob('j5', 'activation', users(2));
    expect(() => job.settle(0, 'notReached')).toThrow();
    const a = job.claim()!;
    job.settle(a.index, ok(a.user));
    expect(() => job.settle(a.index, ok(a.user))).toThrow();
  });
});

describe('runJob', () => {
  it('never has more than `concurrency` users in flight, and a throwing worker fails only its user', async () => {
    const job = new SendJob('r1', 'activation', users(20));
    let inFlight = 0;
    let most = 0;
    const v = await runJob(job, 4, async (u) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      if (u.id === 'id7') throw new Error('the server hung up');
      return ok(u);
    });
    expect(most).toBe(4);
    expect(v).toMatchObject({ state: 'finished', sent: 19, failed: 1 });
    expect(v.failures).toEqual([{ userId: 'id7', userName: 'user7', ok: false, message: 'the server hung up' }]);
  });

  it('cancelled midway: users in flight finish, no new one starts', async () => {
    const job = new SendJob('r2', 'activation', users(10));
    const gates = new Map<string, ReturnType<typeof deferred<void>>>();
    const started: string[] = [];
    const run = runJob(job, 2, async (u) => {
      started.push(u.id);
      const d = deferred<void>();
      gates.set(u.id, d);
      await d.promise;
      return ok(u);
    });
    const tick = () => new Promise((r) => setImmediate(r));
    await tick();
    gates.get('id0')!.resolve();
    gates.get('id1')!.resolve();
    await tick();
    expect(started).toEqual(['id0', 'id1', 'id2', 'id3']);
    job.cancel();
    gates.get('id2')!.resolve();
    gates.get('id3')!.resolve();
    const v = await run;
    expect(started).toHaveLength(4);
    expect(v).toMatchObject({ state: 'cancelled', sent: 4, remaining: 6 });
    expect(v.notReached.map((u) => u.id)).toEqual(['id4', 'id5', 'id6', 'id7', 'id8', 'id9']);
  });
});

describe('pacing', () => {
  const mail: OutgoingMail = { to: 'a@example.test', subject: 's', html: '', text: '' };
  const fakeTransport = (answers: Array<Error | 'ok'>): MailTransport & { sends: number } => {
    const t = {
      label: 'fake',
      sends: 0,
      async send() {
        const a = answers[t.sends++] ?? 'ok';
        if (a !== 'ok') throw a;
        return { messageId: `m${t.sends}` };
      },
      async close() {},
    };
    return t;
  };

  it('reads "try again later": Graph 429 with Retry-After, SMTP 421/45x; not a refusal', () => {
    expect(retryLaterMs(new MailError('throttled', 'slow down', {}, 7_000), 1)).toBe(7_000);
    expect(retryLaterMs(new ConnectorError('throttled', 'slow down', { retryAfterMs: 9_000 }), 1)).toBe(9_000);
    expect(retryLaterMs(new AppError('mail_failed', 'later', { responseCode: 451 }), 2)).toBe(20_000);
    expect(retryLaterMs(new AppError('mail_refused', 'no', { responseCode: 550 }), 1)).toBeUndefined();
    expect(retryLaterMs(new Error('boom'), 1)).toBeUndefined();
  });

  it('a throttled answer pauses the gate for Retry-After, then the mail is tried again', async () => {
    let now = 0;
    const waits: number[] = [];
    const gate = new SendGate({
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    });
    const t = fakeTransport([new MailError('throttled', 'slow down', {}, 30_000), 'ok']);
    await expect(sendPaced(t, mail, gate)).resolves.toEqual({ messageId: 'm2' });
    expect(t.sends).toBe(2);
    expect(waits).toEqual([30_000]);
  });

  it(`gives up after ${MAIL_ATTEMPTS} tries and throws the server's answer; a refusal is not retried`, async () => {
    let now = 0;
    const gate = new SendGate({ now: () => now, sleep: async (ms) => void (now += ms) });
    const later = new AppError('mail_failed', 'later', { responseCode: 421 });
    const t = fakeTransport([later, later, later, 'ok']);
    await expect(sendPaced(t, mail, gate)).rejects.toBe(later);
    expect(t.sends).toBe(MAIL_ATTEMPTS);
    const refused = new AppError('mail_refused', 'no', { responseCode: 550, response: '550 5.1.1 unknown' });
    const t2 = fakeTransport([refused]);
    await expect(sendPaced(t2, mail, gate)).rejects.toBe(refused);
    expect(t2.sends).toBe(1);
  });

  it('a cancel during the pause rejects with SendCancelled and sends nothing', async () => {
    const gate = new SendGate();
    gate.hold(60_000);
    const ctl = new AbortController();
    const t = fakeTransport([]);
    const p = sendPaced(t, mail, gate, ctl.signal);
    ctl.abort();
    await expect(p).rejects.toBeInstanceOf(SendCancelled);
    expect(t.sends).toBe(0);
  });
});
