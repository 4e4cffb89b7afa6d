import { describe, expect, it } from 'vitest';
import {
  buildBatchBody,
  chunk,
  parseBatchResponse,
  runBatch,
  type BatchItem,
} from '../../src-main/connectors/graph/batch.ts';
import { defaultRetryPolicy } from '../../src-main/connectors/graph/retry.ts';
import type { GraphHttp, GraphRequest } from '../../src-main/connectors/graph/http.ts';

/**
 * A stand-in for the HTTP layer that answers $batch envelopes from a script:
 * `answer(id, attemptOfThatId)` gives the sub-answer. Records every sub-request.
 */
function fakeHttp(
  answer: (
    id: string,
    attempt: number,
    body: unknown,
  ) => { status: number; headers?: Record<string, string>; body?: unknown } | undefined,
) {
  const sent: Array<{ id: string; at: number; envelope: number }> = [];
  const attempts = new Map<string, number>();
  let envelopes = 0;
  const http = {
    policy: { ...defaultRetryPolicy, baseDelayMs: 5, maxDelayMs: 20 },
    stats: { requests: 0, retries: 0, throttled: 0, unavailable: 0, networkFailures: 0 },
    async request(req: GraphRequest) {
      envelopes++;
      const { requests } = req.body as { requests: Array<{ id: string; body?: unknown }> };
      expect(requests.length).toBeLessThanOrEqual(20);
      const responses = [];
      for (const r of requests) {
        const n = (attempts.get(r.id) ?? 0) + 1;
        attempts.set(r.id, n);
        sent.push({ id: r.id, at: Date.now(), envelope: envelopes });
        const a = answer(r.id, n, r.body);
        if (a) responses.push({ id: r.id, ...a });
      }
      return { status: 200, body: { responses: responses.reverse() }, headers: new Headers(), clientRequestId: 'x' };
    },
  } as unknown as GraphHttp;
  return { http, sent, envelopes: () => envelopes };
}

const items = (n: number): BatchItem[] =>
  Array.from({ length: n }, (_, i) => ({ method: 'POST', url: '/users', body: { i } }));

describe('graph $batch', () => {
  it('splits into chunks of at most 20', () => {
    expect(chunk(Array.from({ length: 45 }, (_, i) => i)).map((c) => c.length)).toEqual([20, 20, 5]);
    expect(chunk([])).toEqual([]);
    expect(() =>
      buildBatchBody(Array.from({ length: 21 }, (_, i) => ({ id: String(i), item: { method: 'GET', url: '/users' } }))),
    ).toThrow();
  });

  it('builds sub-requests with relative URLs, content-type on bodies and per-request headers', () => {
    const b = buildBatchBody([
      { id: '1', item: { method: 'POST', url: 'users', body: { a: 1 } }, clientRequestId: 'c1' },
      { id: '2', item: { method: 'GET', url: '/users?$top=1', headers: { ConsistencyLevel: 'eventual' } } },
    ]);
    expect(b.requests[0]).toEqual({
      id: '1',
      method: 'POST',
      url: '/users',
      headers: { 'client-request-id': 'c1', 'Content-Type': 'application/json' },
      body: { a: 1 },
    });
    expect(b.requests[1]).toEqual({
      id: '2',
      method: 'GET',
      url: '/users?$top=1',
      headers: { ConsistencyLevel: 'eventual' },
    });
  });

  it('matches answers by id whatever their order, lower-casing header names', () => {
    const m = parseBatchResponse({
      responses: [
        { id: 'b', status: 204 },
        { id: 'a', status: 429, headers: { 'Retry-After': '3' } },
      ],
    });
    expect(m.get('a')?.headers?.['retry-after']).toBe('3');
    expect(m.get('b')?.status).toBe(204);
  });

  it('retries each throttled sub-request after its own Retry-After and returns results in order', async () => {
    const f = fakeHttp((id, attempt) => {
      const n = Number(id);
      if (n % 5 === 0 && attempt === 1) return { status: 429, headers: { 'Retry-After': '0.2' } };
      if (n % 7 === 0 && attempt === 1) return { status: 503 };
      return { status: 201, body: { id: `obj-${n}` } };
    });
    const started = Date.now();
    const res = await runBatch(f.http, items(45), { concurrency: 2 });
    expect(res.map((r) => (r.body as { id: string }).id)).toEqual(Array.from({ length: 45 }, (_, i) => `obj-${i}`));
    expect(res.every((r) => r.status === 201 && !r.error)).toBe(true);
    // every id answered 201 exactly once
    expect(new Set(f.sent.map((s) => s.id)).size).toBe(45);
    // the 429'd ones were resent no sooner than their Retry-After
    for (const id of ['0', '5', '10', '15', '20', '25', '30', '35', '40']) {
      const times = f.sent.filter((s) => s.id === id).map((s) => s.at);
      expect(times.length).toBe(2);
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(200);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(res.find((_, i) => i === 7)?.attempts).toBe(2);
  });

  it('resends 424 (failed dependency / whole batch throttled) and unanswered ids', async () => {
    const f = fakeHttp((id, attempt) => {
      if (id === '1' && attempt === 1) return { status: 424 };
      if (id === '2' && attempt === 1) return undefined; // missing from the envelope
      return { status: 204 };
    });
    const res = await runBatch(f.http, items(3));
    expect(res.map((r) => r.status)).toEqual([204, 204, 204]);
    expect(res.map((r) => r.attempts)).toEqual([1, 2, 2]);
  });

  it('hands back permanent failures as errors, keeping the status and body', async () => {
    const f = fakeHttp((id) =>
      id === '1'
        ? {
            status: 400,
            body: {
              error: {
                code: 'Request_BadRequest',
                message: 'Another object with the same value for property userPrincipalName already exists.',
                innerError: { 'request-id': 'rid-1' },
              },
            },
          }
        : { status: 201, body: {} },
    );
    const res = await runBatch(f.http, items(2));
    expect(res[1]!.status).toBe(400);
    expect(res[1]!.error?.code).toBe('already_exists');
    expect((res[1]!.error?.details as { requestId?: string }).requestId).toBe('rid-1');
    expect(res[0]!.error).toBeUndefined();
  });

  it('gives up after the attempt budget with a throttled error', async () => {
    const f = fakeHttp(() => ({ status: 429, headers: { 'Retry-After': '0' } }));
    const res = await runBatch(f.http, items(1));
    expect(res[0]!.error?.code).toBe('throttled');
    expect(res[0]!.attempts).toBe(defaultRetryPolicy.maxAttempts);
  });

  it('is cancellable', async () => {
    const f = fakeHttp(() => ({ status: 429, headers: { 'Retry-After': '30' } }));
    const ac = new AbortController();
    const p = runBatch(f.http, items(3), { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
  });
});
