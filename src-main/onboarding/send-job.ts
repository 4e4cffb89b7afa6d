// A bulk send (activation mails or temporary passwords) as a job: an id the
// admin can cancel by, counts for the progress bar, and the outcome per user.
//
//   running ──cancel──▶ cancelling ──last mail in flight settles──▶ cancelled
//      │                                 (nothing in flight: straight to cancelled)
//      └──every user settled──▶ finished
//
// Cancelling stops new users from being started; a mail already handed to
// the server is let finish, so "sent" always means the server took it. Users
// never started keep their previous onboarding status: they are "not reached".
// The class holds no I/O, so its transitions are unit-tested on their own.
import type { BulkResult, SendJobState, SendJobView, SendKind } from '../../src-preload/contract/onboarding.ts';

export interface JobUser {
  id: string;
  userName: string;
}

/** What a worker reports for a user: its result, or that it stopped before anything was done for it. */
export type UserOutcome = BulkResult | 'notReached';

export class SendJob {
  readonly id: string;
  readonly kind: SendKind;
  readonly users: JobUser[];
  readonly startedAt: string;
  private state: SendJobState = 'running';
  private next = 0;
  private inFlight = 0;
  private sent = 0;
  private failed = 0;
  private readonly results: Array<UserOutcome | undefined>;
  private finishedAt: string | undefined;
  private pausedUntil = 0;
  private readonly now: () => Date;
  private resolveDone!: (v: SendJobView) => void;
  /** Resolves with the final view once the job is finished or cancelled. */
  readonly done: Promise<SendJobView>;

  constructor(id: string, kind: SendKind, users: JobUser[], now: () => Date = () => new Date()) {
    this.id = id;
    this.kind = kind;
    this.users = users;
    this.now = now;
    this.startedAt = now().toISOString();
    this.results = new Array<UserOutcome | undefined>(users.length);
    this.done = new Promise((r) => (this.resolveDone = r));
    this.settleIfOver();
  }

  get current(): SendJobState {
    return this.state;
  }

  /** The next user to handle, or undefined when none is left or the job is being cancelled. */
  claim(): { index: number; user: JobUser } | undefined {
    if (this.state !== 'running' || this.next >= this.users.length) return undefined;
    const index = this.next++;
    this.inFlight++;
    return { index, user: this.users[index]! };
  }

  /** A claimed user's outcome. Each claim is settled exactly once. */
  settle(index: number, outcome: UserOutcome): void {
    if (index >= this.next || this.results[index] !== undefined)
      throw new Error(`User ${index} was not claimed or is settled already.`);
    this.results[index] = outcome;
    this.inFlight--;
    if (outcome !== 'notReached') {
      if (outcome.ok) this.sent++;
      else this.failed++;
    }
    this.settleIfOver();
  }

  /** The server asked to wait: no mail starts before this time (ms since the epoch). */
  pause(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** Stops new users from starting. False when the job has ended already (or is cancelling). */
  cancel(): boolean {
    if (this.state !== 'running') return false;
    this.state = 'cancelling';
    this.settleIfOver();
    return true;
  }

  private settleIfOver(): void {
    if (this.inFlight > 0) return;
    // A cancel that landed after the last user had started stopped nothing: the job simply finished.
    if (this.state === 'cancelling') this.end(this.stoppedAny() ? 'cancelled' : 'finished');
    else if (this.state === 'running' && this.next >= this.users.length) this.end('finished');
  }

  private stoppedAny(): boolean {
    return this.next < this.users.length || this.results.includes('notReached');
  }

  private end(state: 'finished' | 'cancelled'): void {
    this.state = state;
    this.finishedAt = this.now().toISOString();
    this.resolveDone(this.view());
  }

  view(): SendJobView {
    const results: BulkResult[] = [];
    const notReached: JobUser[] = [];
    this.users.forEach((u, i) => {
      const r = this.results[i];
      if (r === undefined || r === 'notReached') {
        if (i >= this.next || r === 'notReached') notReached.push(u);
      } else results.push(r);
    });
    const handled = this.sent + this.failed;
    return {
      jobId: this.id,
      kind: this.kind,
      state: this.state,
      total: this.users.length,
      sent: this.sent,
      failed: this.failed,
      remaining: this.users.length - handled,
      inFlight: this.inFlight,
      pausedUntil:
        this.state === 'running' && this.pausedUntil > this.now().getTime()
          ? new Date(this.pausedUntil).toISOString()
          : undefined,
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      results,
      failures: results.filter((r) => !r.ok),
      notReached: this.state === 'cancelled' || this.state === 'cancelling' ? notReached : [],
    };
  }
}

/**
 * Runs `work` for the job's users, `concurrency` at a time, until the job
 * ends. A worker that throws settles its user as failed with the error's text.
 */
export async function runJob(
  job: SendJob,
  concurrency: number,
  work: (user: JobUser) => Promise<UserOutcome>,
  onSettled: () => void = () => undefined,
): Promise<SendJobView> {
  const worker = async () => {
    for (let c = job.claim(); c; c = job.claim()) {
      let outcome: UserOutcome;
      try {
        outcome = await work(c.user);
      } catch (err) {
        outcome = {
          userId: c.user.id,
          userName: c.user.userName,
          ok: false,
          message: err instanceof Error ? err.message : String(err),
        };
      }
      job.settle(c.index, outcome);
      onSettled();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, job.users.length)) }, worker));
  return job.done;
}
