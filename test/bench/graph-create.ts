// For `npm run bench`: create N users through the bulk path and report the
// HTTP requests made (batching) and the time taken. The sustained write rate
// as a fraction of the emulator's limit is writes / durationMs compared with
// limit / windowMs (pass the emulator's numbers as writeLimit so the governor
// paces to them).
import type { RemoteUserData } from '../../src-main/connectors/connector.ts';
import type { GraphConnector } from '../../src-main/connectors/graph/index.ts';

export interface BenchCreateResult {
  users: number;
  created: number;
  failed: number;
  /** HTTP requests sent to Graph ($batch envelopes and token-free retries included). */
  requests: number;
  /** Sub-requests inside those envelopes (retries included). */
  subRequests: number;
  retries: number;
  throttled: number;
  durationMs: number;
  /** Writes per second sustained over the run. */
  writesPerSecond: number;
}

export async function benchCreateUsers(
  connector: GraphConnector,
  n: number,
  make: (i: number) => RemoteUserData,
  opts: { chunk?: number; password?: string } = {},
): Promise<BenchCreateResult> {
  const before = connector.stats();
  const started = performance.now();
  let created = 0;
  let failed = 0;
  const size = Math.max(1, opts.chunk ?? n);
  for (let i = 0; i < n; i += size) {
    const part = Array.from({ length: Math.min(size, n - i) }, (_, k) => ({
      data: make(i + k),
      opts: { password: opts.password },
    }));
    const results = await connector.createUsers(part);
    for (const r of results) {
      if (r instanceof Error) failed++;
      else created++;
    }
  }
  const durationMs = performance.now() - started;
  const after = connector.stats();
  return {
    users: n,
    created,
    failed,
    requests: after.requests - before.requests,
    subRequests: after.batch.subRequests - before.batch.subRequests,
    retries: after.retries - before.retries + (after.batch.subRetries - before.batch.subRetries),
    throttled: after.throttled - before.throttled,
    durationMs: Math.round(durationMs),
    writesPerSecond: created / (durationMs / 1000),
  };
}
