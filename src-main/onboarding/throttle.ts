// Pacing of a bulk send. The mail server or Graph may say "slow down":
// Graph answers 429 with Retry-After (its HTTP layer waits out short ones
// itself and gives up on long ones), an SMTP server answers 421 or 450-452
// ("try again later"). One such answer pauses every worker of the job, not
// just the one that got it, and that user's mail is tried again.
import { AppError } from '../errors.ts';
import { ConnectorError } from '../connectors/connector.ts';
import { MailError, type MailTransport, type OutgoingMail } from './mail.ts';

/** Thrown when the job was cancelled while a worker waited for the pause to end. */
export class SendCancelled extends Error {
  constructor() {
    super('Cancelled before this mail was sent.');
    this.name = 'SendCancelled';
  }
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new SendCancelled());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new SendCancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** One pause shared by the workers of a job. */
export class SendGate {
  private until = 0;
  private readonly sleep: Sleep;
  private readonly now: () => number;

  private readonly onHold: (until: number) => void;

  constructor(opts: { sleep?: Sleep; now?: () => number; onHold?: (until: number) => void } = {}) {
    this.sleep = opts.sleep ?? sleep;
    this.now = opts.now ?? Date.now;
    this.onHold = opts.onHold ?? (() => undefined);
  }

  /** No worker starts a mail before now + ms. */
  hold(ms: number): void {
    this.until = Math.max(this.until, this.now() + ms);
    this.onHold(this.until);
  }

  /** How long the pause still lasts (0 when none). */
  pausedFor(): number {
    return Math.max(0, this.until - this.now());
  }

  /** Waits out the pause; rejects with SendCancelled when the signal aborts meanwhile. */
  async ready(signal?: AbortSignal): Promise<void> {
    for (let left = this.pausedFor(); left > 0; left = this.pausedFor()) await this.sleep(left, signal);
    if (signal?.aborted) throw new SendCancelled();
  }
}

/** Waits when the server gave no Retry-After: 5 s, 20 s, 60 s. */
const BACKOFF_MS = [5_000, 20_000, 60_000];
/** Tries of one mail in all while the server keeps saying "later". */
export const MAIL_ATTEMPTS = 3;

/** How long the server asked us to wait, when its answer means "try again later"; undefined for other failures. */
export function retryLaterMs(err: unknown, attempt: number): number | undefined {
  const backoff = BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]!;
  if (err instanceof ConnectorError) return err.code === 'throttled' ? (err.retryAfterMs ?? backoff) : undefined;
  if (err instanceof AppError) {
    const d = (err.details ?? {}) as { responseCode?: unknown };
    if (err.code === 'throttled') return (err instanceof MailError ? err.retryAfterMs : undefined) ?? backoff;
    // SMTP: 421 service not available / closing, 450-452 mailbox busy, local error, too many messages.
    if (typeof d.responseCode === 'number' && [421, 450, 451, 452].includes(d.responseCode)) return backoff;
  }
  return undefined;
}

/**
 * Sends one mail through the shared gate. "Try again later" answers pause the
 * gate and retry (up to MAIL_ATTEMPTS); any other failure is thrown as is.
 * With a signal, a cancel during a pause rejects with SendCancelled (nothing
 * was sent); without one the mail is always tried (a temporary password that
 * was already set must reach its user).
 */
export async function sendPaced(
  t: MailTransport,
  mail: OutgoingMail,
  gate: SendGate,
  signal?: AbortSignal,
): Promise<{ messageId?: string }> {
  for (let attempt = 1; ; attempt++) {
    await gate.ready(signal);
    try {
      return await t.send(mail);
    } catch (err) {
      const wait = retryLaterMs(err, attempt);
      if (wait === undefined || attempt >= MAIL_ATTEMPTS) throw err;
      gate.hold(wait);
    }
  }
}
