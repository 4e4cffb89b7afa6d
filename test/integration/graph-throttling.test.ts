// Throttling against the emulator: 2,000 creates with 10% of writes answered
// 429 and some 503s (plus lost connections) — every user created exactly once,
// every Retry-After honoured (checked in the emulator's log), none lost. And
// the write governor keeping a run under the write limit.
import { afterEach, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator, type LogEntry } from '../graph-emulator/index.ts';
import type { RemoteUser, RemoteUserData } from '../../src-main/connectors/connector.ts';
import { ConnectorError } from '../../src-main/connectors/connector.ts';
import { benchCreateUsers } from '../bench/graph-create.ts';
import { ALL_ROLES, connectTo } from './graph-support.ts';

const person = (userName: string): RemoteUserData => ({
  userName,
  name: { givenName: 'Load', familyName: userName },
  emails: [],
  phoneNumbers: [],
  active: true,
});

/** Every answer with Retry-After that reached the client, and the next attempt of the same operation. */
function retryGaps(
  log: LogEntry[],
): Array<{ status: number; retryAfter: number; gapMs: number | undefined; key: string }> {
  const lost = new Set(
    log
      .filter((e) => !e.subRequest && (e.status === 0 || e.fault === 'drop' || e.fault === 'dropAfterWrite'))
      .map((e) => e.requestId),
  );
  const out: Array<{ status: number; retryAfter: number; gapMs: number | undefined; key: string }> = [];
  log.forEach((e, i) => {
    if (e.kind !== 'graph' || !e.subRequest || e.retryAfter === undefined || !(e.status === 429 || e.status === 503))
      return;
    if (e.batchId && lost.has(e.batchId)) return; // the envelope's answer never reached the client
    const next = log
      .slice(i + 1)
      // (a lookup's key is its path: the query tells one user's lookup from another's)
      .find(
        (x) => x.kind === 'graph' && x.subRequest && x.method === e.method && x.key === e.key && x.query === e.query,
      );
    out.push({
      status: e.status,
      retryAfter: e.retryAfter,
      gapMs: next ? next.time - e.time : undefined,
      key: e.key ?? '',
    });
  });
  return out;
}

describe('graph connector: throttling and the write governor', () => {
  let emu: GraphEmulator | undefined;
  afterEach(async () => {
    await emu?.stop();
    emu = undefined;
  });

  it('creates 2,000 users exactly once under 10% 429s, 503s and lost connections, honouring every Retry-After', async () => {
    emu = await startGraphEmulator({ seed: 7 });
    emu.addApp({ clientId: 'app', secret: 's3cret', roles: ALL_ROLES });
    const c = connectTo(emu);
    // a token first, so faults hit Graph only
    expect((await c.verify()).ok).toBe(true);
    Object.assign(emu.faults, {
      rate429: 0.1,
      rate503: 0.03,
      retryAfterSeconds: 1,
      dropConnectionRate: 0.01,
      dropAfterWriteRate: 0.03,
    });
    emu.failNext({ drop: true, method: 'POST', path: '/$batch', times: 2 }); // at least two lost connections, whatever the dice say

    const input = Array.from({ length: 2000 }, (_, i) => ({
      data: person(`load${i}`),
      opts: { password: 'Load-Password-1' },
    }));
    const results = await c.createUsers(input);
    Object.assign(emu.faults, { rate429: 0, rate503: 0, dropConnectionRate: 0, dropAfterWriteRate: 0 });

    // none lost: every result is a user, in input order
    const errors = results.filter((r): r is ConnectorError => r instanceof ConnectorError);
    expect(errors.map((e) => e.message)).toEqual([]);
    const users = results as RemoteUser[];
    expect(users.map((u) => u.data.userName)).toEqual(input.map((x) => `${x.data.userName}@${emu!.tenantDomain}`));
    expect(new Set(users.map((u) => u.ref)).size).toBe(2000);

    // exactly once in the tenant, and exactly one successful create per user in the log
    const inTenant = emu.users().filter((u) => u.userPrincipalName.startsWith('load'));
    expect(inTenant).toHaveLength(2000);
    expect(new Set(inTenant.map((u) => u.userPrincipalName)).size).toBe(2000);
    const creates = emu.log.filter(
      (e) => e.kind === 'graph' && e.method === 'POST' && e.path === '/v1.0/users' && e.status === 201,
    );
    const perKey = new Map<string, number>();
    for (const e of creates) perKey.set(e.key!, (perKey.get(e.key!) ?? 0) + 1);
    expect(perKey.size).toBe(2000);
    expect([...perKey.values()].every((n) => n === 1)).toBe(true);

    // the faults really happened
    const faults = emu.log.filter((e) => e.fault);
    const count = (f: string) => faults.filter((e) => e.fault === f).length;
    expect(count('rate429')).toBeGreaterThan(100);
    expect(count('rate503')).toBeGreaterThan(20);
    expect(count('drop')).toBeGreaterThanOrEqual(2);

    // Retry-After honoured: no retry of the same operation came before its Retry-After elapsed
    const gaps = retryGaps(emu.log);
    expect(gaps.length).toBeGreaterThan(150);
    const early = gaps.filter((g) => g.gapMs !== undefined && g.gapMs < g.retryAfter * 1000);
    expect(early).toEqual([]);
    // and every throttled operation was tried again
    expect(gaps.filter((g) => g.gapMs === undefined)).toEqual([]);

    // batching: far fewer HTTP requests than operations
    const s = c.stats();
    // 2,000 lookups (matching rules, one GET per user) ≈ 100 envelopes, then 2,000 creates + ~13%
    // retried sub-requests ≈ 2,260 sub-requests: ideally 113 envelopes
    console.info(
      `[throttling] 2,000 users: ${s.batch.envelopes} envelopes, ${s.batch.subRequests} sub-requests, ${s.requests} requests`,
    );
    expect(s.batch.envelopes).toBeLessThan(260);
    expect(s.requests).toBeLessThan(400); // envelopes answered 429/503 or lost as a whole are resent
    await c.close();
  });

  it('the governor keeps a run under the write limit: no 429 from the limiter at all', async () => {
    emu = await startGraphEmulator({ writeLimit: { count: 200, windowMs: 4000 } });
    emu.addApp({ clientId: 'app', secret: 's3cret', roles: ALL_ROLES });
    const c = connectTo(emu, undefined, {}, { writeLimit: { limit: 200, windowMs: 4000 } });
    const r = await benchCreateUsers(c, 600, (i) => person(`gov${i}`), { password: 'Gov-Password-1' });
    expect(r).toMatchObject({ users: 600, created: 600, failed: 0 });
    expect(emu.log.filter((e) => e.fault === 'limit')).toEqual([]);
    expect(r.requests).toBe(60); // 600 lookups then 600 creates, each in 30 $batch envelopes of 20
    // In any window of 4 s (by arrival), at most 200 writes reached the server.
    const writes = emu.log
      .filter((e) => e.write)
      .map((e) => e.time)
      .sort((a, b) => a - b);
    for (let i = 0; i < writes.length; i++) {
      const j = writes.findIndex((t) => t > writes[i]! - 4000);
      expect(i - j + 1).toBeLessThanOrEqual(200);
    }
    await c.close();
  });

  it('without the governor, the limiter answers 429 per sub-request and every one waits its Retry-After', async () => {
    emu = await startGraphEmulator({ writeLimit: { count: 150, windowMs: 3000 } });
    emu.addApp({ clientId: 'app', secret: 's3cret', roles: ALL_ROLES });
    const c = connectTo(emu, undefined, {}, { writeLimit: false });
    const res = await c.createUsers(Array.from({ length: 400 }, (_, i) => ({ data: person(`free${i}`) })));
    expect(res.filter((r) => r instanceof ConnectorError)).toEqual([]);
    expect(emu.users().filter((u) => u.userPrincipalName.startsWith('free'))).toHaveLength(400);
    const limited = emu.log.filter((e) => e.fault === 'limit');
    expect(limited.length).toBeGreaterThan(0);
    const gaps = retryGaps(emu.log);
    expect(gaps.filter((g) => g.gapMs === undefined || g.gapMs < g.retryAfter * 1000)).toEqual([]);
    await c.close();
  });
});
