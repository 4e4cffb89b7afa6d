// JSON $batch: up to 20 sub-requests per envelope, each answered on its own.
// Each sub-request is retried on its own: a 429/503/504 sub-answer waits its
// own Retry-After (backoff when absent), a 424 (failed dependency, or a batch
// throttled as a whole) is resent; the others come back as they are so the
// caller can judge them (404 on a delete, "already exists" on a create).
import { randomUUID } from 'node:crypto';
import { ConnectorError } from '../connector.ts';
import { cancelled, graphError } from './errors.ts';
import type { GraphHttp, HttpMethod } from './http.ts';
import { backoffDelay, decideRetry, parseRetryAfter, sleep } from './retry.ts';

export const MAX_BATCH = 20;
/** How long a part-filled envelope waits for retries that are due soon. */
const COALESCE_MS = 250;

export interface BatchItem {
  method: HttpMethod;
  /** Relative to the version root, e.g. "/users" or "/groups/{id}/members/{mid}/$ref". */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** For the error sentence. */
  what?: string;
}

export interface BatchItemResult {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** Times the sub-request was sent. */
  attempts: number;
  /** Set for any status >= 400 (after retries); the caller may still accept it. */
  error?: ConnectorError;
}

export interface BatchSubResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface BatchStats {
  envelopes: number;
  subRequests: number;
  subRetries: number;
}

export interface BatchOptions {
  signal?: AbortSignal;
  /** Envelopes in flight at once. */
  concurrency?: number;
  stats?: BatchStats;
  random?: () => number;
  /** Called for each sub-answer (tests and the bench). */
  onSubResponse?: (index: number, status: number, attempt: number, delayMs?: number) => void;
}

/** Splits a list into chunks of at most `size` (Graph's $batch limit is 20). */
export function chunk<T>(items: readonly T[], size: number = MAX_BATCH): T[][] {
  if (size < 1) throw new Error('chunk size must be positive');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The $batch request body for items keyed by id (headers per sub-request, content-type when a body rides along). */
export function buildBatchBody(entries: ReadonlyArray<{ id: string; item: BatchItem; clientRequestId?: string }>): {
  requests: Array<{ id: string; method: HttpMethod; url: string; headers?: Record<string, string>; body?: unknown }>;
} {
  if (entries.length > MAX_BATCH) throw new Error(`a $batch holds at most ${MAX_BATCH} requests`);
  return {
    requests: entries.map(({ id, item, clientRequestId }) => {
      const headers: Record<string, string> = { ...item.headers };
      if (clientRequestId) headers['client-request-id'] = clientRequestId;
      if (item.body !== undefined) headers['Content-Type'] = 'application/json';
      return {
        id,
        method: item.method,
        url: item.url.startsWith('/') ? item.url : `/${item.url}`,
        ...(Object.keys(headers).length ? { headers } : {}),
        ...(item.body !== undefined ? { body: item.body } : {}),
      };
    }),
  };
}

/** Sub-answers by id (they may come in any order); header names lower-cased. */
export function parseBatchResponse(body: unknown): Map<string, BatchSubResponse> {
  const out = new Map<string, BatchSubResponse>();
  const responses = (body as { responses?: unknown } | undefined)?.responses;
  if (!Array.isArray(responses)) return out;
  for (const r of responses as Array<Record<string, unknown>>) {
    if (typeof r?.id !== 'string' || typeof r.status !== 'number') continue;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((r.headers as Record<string, unknown>) ?? {}))
      headers[k.toLowerCase()] = String(v);
    out.set(r.id, { id: r.id, status: r.status, headers, body: r.body });
  }
  return out;
}

interface Slot {
  index: number;
  attempts: number;
  notBefore: number;
  clientRequestId: string;
}

/** Runs the items through $batch envelopes of <= 20; results come back in the items' order. */
export async function runBatch(
  http: GraphHttp,
  items: readonly BatchItem[],
  opts: BatchOptions = {},
): Promise<BatchItemResult[]> {
  const { signal } = opts;
  const policy = http.policy;
  const random = opts.random ?? Math.random;
  const results: Array<BatchItemResult | undefined> = new Array(items.length);
  let queue: Slot[] = items.map((_, index) => ({ index, attempts: 0, notBefore: 0, clientRequestId: randomUUID() }));
  let remaining = items.length;
  let waiters: Array<() => void> = [];
  const changed = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const waitChange = async (ms: number): Promise<void> => {
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([
        new Promise<void>((r) => waiters.push(r)),
        sleep(Math.max(1, ms), ac.signal).catch(() => undefined),
      ]);
    } finally {
      ac.abort();
      signal?.removeEventListener('abort', onAbort);
    }
    if (signal?.aborted) throw cancelled();
  };
  const settle = (slot: Slot, r: Omit<BatchItemResult, 'attempts'>): void => {
    results[slot.index] = { ...r, attempts: slot.attempts };
    remaining--;
  };
  const requeue = (slot: Slot, delayMs: number): void => {
    slot.notBefore = Date.now() + delayMs;
    queue.push(slot);
  };

  const send = async (slots: Slot[]): Promise<void> => {
    const entries = slots.map((s) => ({
      id: String(s.index),
      item: items[s.index]!,
      clientRequestId: s.clientRequestId,
    }));
    for (const s of slots) s.attempts++;
    const writes = entries.filter((e) => e.item.method !== 'GET').length;
    if (opts.stats) {
      opts.stats.envelopes++;
      opts.stats.subRequests += slots.length;
    }
    let envelope;
    try {
      envelope = await http.request<unknown>({
        method: 'POST',
        url: '/$batch',
        body: buildBatchBody(entries),
        writes,
        retryUnsafe: true,
        signal,
        what: 'run a batch of requests',
      });
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'cancelled') throw err;
      const ce =
        err instanceof ConnectorError
          ? err
          : new ConnectorError('unknown', 'The batch request failed.', { cause: err });
      for (const s of slots) {
        if (ce.transient && s.attempts < policy.maxAttempts)
          requeue(s, ce.retryAfterMs ?? backoffDelay(s.attempts, policy, random));
        else settle(s, { status: 0, body: undefined, headers: {}, error: ce });
      }
      return;
    }
    const byId = parseBatchResponse(envelope.body);
    for (const s of slots) {
      const sub = byId.get(String(s.index));
      if (!sub) {
        // Not answered: send it again after a short backoff.
        if (s.attempts < policy.maxAttempts) requeue(s, backoffDelay(s.attempts, policy, random));
        else
          settle(s, {
            status: 0,
            body: undefined,
            headers: {},
            error: new ConnectorError('unknown', 'Microsoft Graph left a batched request unanswered.', {
              transient: true,
            }),
          });
        continue;
      }
      const subHeaders = sub.headers ?? {};
      if (sub.status === 424) {
        const ra = parseRetryAfter(subHeaders['retry-after']);
        const delay = ra ?? backoffDelay(s.attempts, policy, random);
        opts.onSubResponse?.(s.index, sub.status, s.attempts, delay);
        if (s.attempts < policy.maxAttempts) {
          if (opts.stats) opts.stats.subRetries++;
          requeue(s, delay);
          continue;
        }
      }
      if (sub.status < 400) {
        opts.onSubResponse?.(s.index, sub.status, s.attempts);
        settle(s, { status: sub.status, body: sub.body, headers: subHeaders });
        continue;
      }
      const decision = decideRetry(
        { status: sub.status, retryAfter: subHeaders['retry-after'], attempt: s.attempts },
        policy,
        random,
      );
      if (decision.retry) {
        if (sub.status === 429) http.stats.throttled++;
        else http.stats.unavailable++;
        if (opts.stats) opts.stats.subRetries++;
        opts.onSubResponse?.(s.index, sub.status, s.attempts, decision.delayMs);
        requeue(s, decision.delayMs);
        continue;
      }
      opts.onSubResponse?.(s.index, sub.status, s.attempts);
      const item = items[s.index]!;
      settle(s, {
        status: sub.status,
        body: sub.body,
        headers: subHeaders,
        error: graphError(sub.status, sub.body, {
          what: item.what,
          requestId: subHeaders['request-id'] ?? envelope.requestId,
          clientRequestId: s.clientRequestId,
          method: item.method,
          url: item.url,
          retryAfterMs: decision.retry ? undefined : decision.retryAfterMs,
        }),
      });
    }
  };

  const worker = async (): Promise<void> => {
    while (remaining > 0) {
      if (signal?.aborted) throw cancelled();
      const now = Date.now();
      const due: Slot[] = [];
      const rest: Slot[] = [];
      for (const s of queue) (due.length < MAX_BATCH && s.notBefore <= now ? due : rest).push(s);
      if (due.length === 0) {
        if (queue.length === 0) {
          await waitChange(1000);
        } else {
          await waitChange(Math.min(...queue.map((s) => s.notBefore)) - now);
        }
        continue;
      }
      if (due.length < MAX_BATCH && rest.length > 0) {
        // Retries come due one by one: wait a moment for the ones due soon, to fill the envelope.
        const soon = rest.filter((s) => s.notBefore <= now + COALESCE_MS).sort((a, b) => a.notBefore - b.notBefore);
        const k = Math.min(soon.length, MAX_BATCH - due.length) - 1;
        if (k >= 0) {
          await waitChange(soon[k]!.notBefore - now);
          continue;
        }
      }
      queue = rest;
      try {
        await send(due);
      } finally {
        changed();
      }
    }
  };

  const n = Math.max(1, Math.min(opts.concurrency ?? 2, Math.ceil(items.length / MAX_BATCH) || 1));
  await Promise.all(Array.from({ length: n }, () => worker()));
  return results.map((r) => r ?? { status: 0, body: undefined, headers: {}, attempts: 0, error: cancelled() });
}
