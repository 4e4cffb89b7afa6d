// The outbox's claim rules: only the first unfinished item of an object can be claimed, a group's
// membership changes are claimed together (up to the first other change), claims carry their owner
// (a second worker on the same store runs nothing the first claimed), and a result that cannot be
// written puts its items back to pending instead of stranding them in `running`.
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Db } from '../../src-main/store/db.ts';
import { MEMBERSHIP_BATCH, OutboxRepo } from '../../src-main/store/outbox.ts';
import { ownerAlive } from '../../src-main/sync/worker.ts';
import type { App } from '../../src-main/app.ts';
import { FakeDirectory, fakeLdapConfig, useFakeDirectoryApp } from './sync-fake-connector.ts';

describe('claims', () => {
  let dir: string;
  let db: Db;
  let outbox: OutboxRepo;
  const D = 'dir-1';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pd-claim-'));
    db = new Db(join(dir, 'store.sqlite'));
    db.run(
      "INSERT INTO directories (id, name, kind, config, created, modified) VALUES (?, 'D', 'ldap', '{}', '', '')",
      D,
    );
    outbox = new OutboxRepo(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const add = (localId: string, op: Parameters<OutboxRepo['add']>[0]['op']) =>
    outbox.add({
      directoryId: D,
      objectType: op.startsWith('membership') ? 'membership' : op.startsWith('group') ? 'group' : 'user',
      localId,
      op,
      payload: {},
    });

  it('claims only the first unfinished item of each object; the next becomes claimable when it ends', () => {
    const a1 = add('a', 'user.create');
    const a2 = add('a', 'user.update');
    const b1 = add('b', 'user.create');
    expect(outbox.claim(D, 10, undefined, 'w1').map((i) => i.id)).toEqual([a1, b1]);
    expect(outbox.claim(D, 10, undefined, 'w1')).toEqual([]);
    outbox.markDone(a1);
    expect(outbox.claim(D, 10, undefined, 'w1').map((i) => i.id)).toEqual([a2]);
  });

  it('a failed item lets the next one of its object run; retrying it puts it first again', () => {
    const a1 = add('a', 'user.create');
    const a2 = add('a', 'user.update');
    const a3 = add('a', 'user.update');
    outbox.claim(D, 10, undefined, 'w1');
    outbox.markFailed(a1, 'refused');
    expect(outbox.claim(D, 10, undefined, 'w1').map((i) => i.id)).toEqual([a2]);
    outbox.retryFailed(D);
    outbox.release([a2]);
    // a1 is the first unfinished item again: it alone is claimable, not a2 or a3.
    expect(outbox.claim(D, 10, undefined, 'w1').map((i) => i.id)).toEqual([a1]);
    outbox.markDone(a1);
    expect(outbox.claim(D, 10, undefined, 'w1').map((i) => i.id)).toEqual([a2]);
    outbox.markDone(a2);
    expect(outbox.claim(D, 10, undefined, 'w1').map((i) => i.id)).toEqual([a3]);
  });

  it("a group's membership changes are claimed together, up to the first other change and the batch size", () => {
    const adds = Array.from({ length: 3 }, () => add('g', 'membership.add'));
    const rename = add('g', 'group.update');
    const later = add('g', 'membership.remove');
    expect(outbox.claim(D, 1, undefined, 'w1').map((i) => i.id)).toEqual(adds);
    outbox.markDoneMany(adds);
    expect(outbox.claim(D, 10, undefined, 'w1').map((i) => i.id)).toEqual([rename]);
    outbox.markDone(rename);
    expect(outbox.claim(D, 10, undefined, 'w1').map((i) => i.id)).toEqual([later]);
    outbox.markDone(later);
    for (let i = 0; i < MEMBERSHIP_BATCH + 5; i++) add('h', 'membership.add');
    expect(outbox.claim(D, 10, undefined, 'w1').length).toBe(MEMBERSHIP_BATCH);
  });

  it('a deferred membership change keeps its place: the ones after it wait for it', () => {
    const [m1, m2, m3] = [add('g', 'membership.add'), add('g', 'membership.add'), add('g', 'membership.add')];
    outbox.claim(D, 10, undefined, 'w1');
    outbox.markRetry(m2, new Date(Date.now() + 60_000).toISOString(), 'waiting for the user', false);
    outbox.markDoneMany([m1, m3]);
    expect(outbox.claim(D, 10, undefined, 'w1')).toEqual([]);
    expect(outbox.claim(D, 10, new Date(Date.now() + 120_000).toISOString(), 'w1').map((i) => i.id)).toEqual([m2]);
  });

  it('crash recovery resumes only the items of owners that are gone', () => {
    const mine = add('a', 'user.create');
    const theirs = add('b', 'user.create');
    const dead = add('c', 'user.create');
    outbox.claim(D, 1, undefined, 'host/1/me');
    outbox.claim(D, 1, undefined, 'host/2/other');
    outbox.claim(D, 1, undefined, 'host/3/gone');
    const n = outbox.resumeRunning((o) => o !== 'host/3/gone', 'host/1/me');
    expect(n).toBe(2);
    expect(outbox.get(mine)!.state).toBe('pending');
    expect(outbox.get(theirs)!.state).toBe('running');
    expect(outbox.get(dead)!.state).toBe('pending');
  });

  it('ownerAlive: this process and live processes are alive, a finished one is not', () => {
    const host = hostname();
    expect(ownerAlive(`${host}/${process.pid}/x`)).toBe(true);
    expect(ownerAlive(`${host}/999999999/x`)).toBe(false);
    expect(ownerAlive('another-host/1/x')).toBe(true);
  });
});

describe('workers sharing one store', () => {
  const fx = useFakeDirectoryApp('pd-owner-');
  let app: App;
  beforeEach(() => {
    app = fx.app;
  });

  it('a second worker runs nothing the first has claimed, and a result that cannot be written goes back to pending', async () => {
    const view = app.directories.save(
      undefined,
      fakeLdapConfig('Shared', {
        toggles: {
          users: { import: false, create: true, edit: true, delete: true, passwordSync: true },
          groups: { import: false, create: true, delete: true, membership: true },
        },
      }),
      { bindPassword: 'x' },
    );
    fx.dirs.set('Shared', new FakeDirectory());
    for (let i = 0; i < 5; i++)
      app.users.create({ userName: `s${i}`, name: {}, emails: [], phoneNumbers: [], active: true });
    // Another live worker (its owner names this very process) claimed two items.
    const taken = app.repos.outbox.claim(view.id, 2, undefined, `${hostname()}/${process.pid}/other`);
    expect(taken.length).toBe(2);
    const r = await app.sync.drain({ waitMs: 200 });
    expect(r.done).toBe(3);
    for (const t of taken) expect(app.repos.outbox.get(t.id)).toMatchObject({ state: 'running' });
    expect(fx.dirs.get('Shared')!.calls.filter((c) => c.startsWith('createUser')).length).toBeLessThanOrEqual(3);

    // The database refuses the bookkeeping of the next results: the items are not stranded.
    app.users.create({ userName: 'busy', name: {}, emails: [], phoneNumbers: [], active: true });
    const real = app.db.transaction.bind(app.db);
    let refusals = 0;
    app.db.transaction = (<T>(fn: () => T): T => {
      if (refusals < 3 && new Error().stack?.includes('flush')) {
        refusals++;
        throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      }
      return real(fn);
    }) as typeof app.db.transaction;
    await app.sync.drain({ waitMs: 2000 });
    app.db.transaction = real;
    expect(refusals).toBeGreaterThan(0);
    const busy = app.repos.outbox.list({}).find((i) => i.payload.includes('"busy"'))!;
    expect(busy.state).not.toBe('running');
    await app.sync.drain({ waitMs: 2000 });
    expect(app.repos.outbox.get(busy.id)!.state).toBe('done');
  });
});
