// The retry policy of the Graph HTTP layer, kept pure so it can be tested:
// which answers are retried, and how long to wait before the next attempt.
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff step when the server gave no Retry-After. */
  baseDelayMs: number;
  /** Cap of one backoff step. */
  maxDelayMs: number;
  /** Longest Retry-After we wait inline; longer ones surface as `throttled` with retryAfterMs for the outbox. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
};

/** Statuses Graph documents as transient: throttled, service unavailable, gateway timeout. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

export function isRetryStatus(status: number): boolean {
  return RETRY_STATUSES.has(status);
}

/**
 * Parses Retry-After: delta-seconds (what Graph sends) or an HTTP date.
 * Returns milliseconds, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Exponential backoff with jitter ("equal jitter"): half the step is fixed,
 * half random, so successive waits grow but concurrent clients spread out.
 * `attempt` is 1 for the wait after the first failure.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

export type RetryDecision =
  | { retry: true; delayMs: number; honoured: boolean }
  | { retry: false; reason: 'not_retryable' | 'attempts_exhausted' | 'retry_after_too_long'; retryAfterMs?: number };

/**
 * What to do after an answer (status) or a network failure (status 0).
 * `attempt` is the number of attempts made so far (1 after the first).
 * A Retry-After is honoured exactly (never shortened); without one, backoff.
 */
export function decideRetry(
  input: { status: number; retryAfter?: string | null; attempt: number; retryNetwork?: boolean },
  policy: RetryPolicy = defaultRetryPolicy,
  random: () => number = Math.random,
  now: number = Date.now(),
): RetryDecision {
  const network = input.status === 0;
  if (network ? !input.retryNetwork : !isRetryStatus(input.status)) return { retry: false, reason: 'not_retryable' };
  const ra = network ? undefined : parseRetryAfter(input.retryAfter, now);
  if (input.attempt >= policy.maxAttempts) return { retry: false, reason: 'attempts_exhausted', retryAfterMs: ra };
  if (ra !== undefined) {
    if (ra > policy.maxRetryAfterMs) return { retry: false, reason: 'retry_after_too_long', retryAfterMs: ra };
    return { retry: true, delayMs: ra, honoured: true };
  }
  return { retry: true, delayMs: backoffDelay(input.attempt, policy, random), honoured: false };
}

/** Sleeps, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
