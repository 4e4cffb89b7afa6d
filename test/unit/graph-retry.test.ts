import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  decideRetry,
  defaultRetryPolicy,
  parseRetryAfter,
  sleep,
} from '../../src-main/connectors/graph/retry.ts';

describe('graph retry policy', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter('1.5')).toBe(1500);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('retries 429, 503 and 504 only', () => {
    for (const status of [429, 503, 504]) expect(decideRetry({ status, attempt: 1 }).retry).toBe(true);
    for (const status of [400, 401, 403, 404, 409, 500, 502])
      expect(decideRetry({ status, attempt: 1 })).toEqual({ retry: false, reason: 'not_retryable' });
  });

  it('honours Retry-After exactly, never shorter', () => {
    const d = decideRetry({ status: 429, retryAfter: '7', attempt: 1 }, defaultRetryPolicy, () => 0);
    expect(d).toEqual({ retry: true, delayMs: 7000, honoured: true });
    const e = decideRetry({ status: 503, retryAfter: '2', attempt: 3 }, defaultRetryPolicy, () => 0);
    expect(e).toEqual({ retry: true, delayMs: 2000, honoured: true });
  });

  it('backs off exponentially with jitter when no Retry-After is given', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    // equal jitter: between step/2 and step
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(2, policy, () => 0)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000); // capped
    const seen = new Set(Array.from({ length: 20 }, () => backoffDelay(4, policy)));
    expect(seen.size).toBeGreaterThan(1); // jitter spreads retries
    for (const v of seen) {
      expect(v).toBeGreaterThanOrEqual(400);
      expect(v).toBeLessThanOrEqual(800);
    }
  });

  it('stops after the attempt budget and surfaces very long Retry-After to the outbox', () => {
    const p = { ...defaultRetryPolicy, maxAttempts: 3, maxRetryAfterMs: 60_000 };
    expect(decideRetry({ status: 429, attempt: 3, retryAfter: '1' }, p)).toEqual({
      retry: false,
      reason: 'attempts_exhausted',
      retryAfterMs: 1000,
    });
    expect(decideRetry({ status: 429, attempt: 1, retryAfter: '600' }, p)).toEqual({
      retry: false,
      reason: 'retry_after_too_long',
      retryAfterMs: 600_000,
    });
  });

  it('retries network failures only when asked (idempotent requests)', () => {
    expect(decideRetry({ status: 0, attempt: 1 }).retry).toBe(false);
    expect(decideRetry({ status: 0, attempt: 1, retryNetwork: true }).retry).toBe(true);
  });

  it('sleep is cancellable', async () => {
    const ac = new AbortController();
    const p = sleep(10_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });
});
