// Delta imports: when a preview reads only the changes, and when a change-tracking
// token becomes the directory's (only when its run is committed whole). Against an
// in-memory directory that keeps a change journal (the real servers are in
// test/integration/sync-delta-*.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src-main/app.ts';
import type { Connector, RemoteUser } from '../../src-main/connectors/connector.ts';
import { ConnectorError } from '../../src-main/connectors/connector.ts';
import { directoryConfigSchema, type DirectoryConfig } from '../../src-preload/directory.ts';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import { holdReason, readDeltaState, scopeConfigHash } from '../../src-main/sync/delta.ts';
import { FakeDirectory } from './sync-fake-connector.ts';

/** A FakeDirectory with a change journal: the token is the journal position. */
class TrackedDirectory extends FakeDirectory {
  version = 0;
  epoch = 1;
  changedAt = new Map<string, number>();
  removedAt: Array<{ anchor: string; at: number }> = [];
  deltaCalls: Array<string | undefined> = [];
  failDelta?: ConnectorError;

  touch(u: RemoteUser) {
    this.changedAt.set(u.anchor, ++this.version);
  }
  add(userName: string) {
    const u = this.addUser({
      userName,
      displayName: userName,
      emails: [{ value: `${userName}@example.test`, primary: true }],
    });
    this.touch(u);
    return u;
  }
  remove(u: RemoteUser) {
    this.users.delete(u.anchor);
    this.removedAt.push({ anchor: u.anchor, at: ++this.version });
  }
  tracked(): Connector & Pick<Required<Connector>, 'delta'> {
    const base = this.connector();
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the closures below read this directory's journal
    const dir = this;
    return {
      ...base,
      async *listUsers(opts) {
        dir.calls.push('listUsers');
        yield* base.listUsers(opts);
      },
      async delta(token) {
        dir.deltaCalls.push(token);
        if (dir.failDelta) throw dir.failDelta;
        const next = JSON.stringify({ e: dir.epoch, v: dir.version });
        const empty = { users: { changed: [], removed: [] }, groups: { changed: [], removed: [] } };
        if (token === undefined) return { usable: true, ...empty, nextToken: next };
        const t = JSON.parse(token) as { e: number; v: number };
        if (t.e !== dir.epoch) return { usable: false, ...empty, nextToken: next };
        return {
          usable: true,
          users: {
            changed: [...dir.users.values()]
              .filter((u) => (dir.changedAt.get(u.anchor) ?? 0) > t.v)
              .map((u) => structuredClone(u)),
            removed: dir.removedAt.filter((r) => r.at > t.v).map((r) => r.anchor),
          },
          groups: { changed: [], removed: [] },
          nextToken: next,
        };
      },
    };
  }
}

/**
 * A TrackedDirectory whose token comes from its listing (Connector.trackListing): each user's journal
 * version as the listing read it, like generic LDAP's entryCSN. `duringListing` runs after each page.
 */
class ListingTrackedDirectory extends TrackedDirectory {
  canTrack = true;
  trackCalls = 0;
  duringListing?: (page: number) => void;
  override tracked(): Connector & Pick<Required<Connector>, 'delta'> {
    const base = super.tracked();
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the closures below read this directory's journal
    const dir = this;
    let stamps: Map<string, number> | undefined;
    let complete = false;
    return {
      ...base,
      async trackListing() {
        dir.trackCalls++;
        stamps = dir.canTrack ? new Map() : undefined;
        return dir.canTrack;
      },
      listingToken() {
        return stamps && complete ? JSON.stringify({ e: dir.epoch, s: [...stamps] }) : undefined;
      },
      async *listUsers(opts) {
        complete = false;
        stamps?.clear();
        let n = 0;
        for await (const page of base.listUsers(opts)) {
          for (const u of page) stamps?.set(u.anchor, dir.changedAt.get(u.anchor) ?? 0);
          yield page;
          dir.duringListing?.(n++);
        }
        complete = true;
      },
      async delta(token, opts) {
        const t = token === undefined ? undefined : (JSON.parse(token) as { e: number; s?: Array<[string, number]> });
        if (!t?.s) return base.delta(token, opts);
        dir.deltaCalls.push(token);
        const before = new Map(t.s);
        const now = new Map([...dir.users.keys()].map((a) => [a, dir.changedAt.get(a) ?? 0]));
        return {
          usable: t.e === dir.epoch,
          users: {
            changed: [...dir.users.values()]
              .filter((u) => before.get(u.anchor) !== now.get(u.anchor))
              .map((u) => structuredClone(u)),
            removed: [...before.keys()].filter((a) => !now.has(a)),
          },
          groups: { changed: [], removed: [] },
          nextToken: JSON.stringify({ e: dir.epoch, s: [...now] }),
        };
      },
    };
  }
}

let app: App;
let dataDir: string;
let fake: TrackedDirectory;

function config(over: Record<string, unknown> = {}): DirectoryConfig {
  return directoryConfigSchema.parse({
    kind: 'ldap',
    name: 'Tracked',
    toggles: { users: { import: true }, groups: { import: false } },
    safety: { deleteThresholdCount: 500, deleteThresholdPercent: 50, deprovision: 'disable' },
    connection: {
      urls: ['ldaps://127.0.0.1:6360'],
      bindDn: 'cn=admin',
      baseDn: 'dc=example,dc=test',
      userSearchBase: 'ou=people,dc=example,dc=test',
    },
    ...over,
  });
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'pd-delta-'));
  fake = new TrackedDirectory();
  app = createApp({ dataDir, shell: 'test', createConnector: () => fake.tracked() });
});
afterEach(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function seedAndCommit(n = 5): { dirId: string; users: RemoteUser[] } {
  const users = Array.from({ length: n }, (_, i) => fake.add(`user${i}`));
  const dirId = app.directories.save(undefined, config(), { bindPassword: 'x' }).id;
  return { dirId, users };
}
const state = (dirId: string) => readDeltaState(app.repos.directories.get(dirId)!);
const rowsOf = (runId: string) =>
  app.sync
    .rows(runId)
    .rows.map((r) => `${r.action} ${r.display.split(' (')[0]}`)
    .sort();

describe('delta imports: mode and token rules', () => {
  it("a first preview is full; its token (taken before the read) becomes the directory's only when committed", async () => {
    const { dirId } = seedAndCommit();
    const p = await app.sync.previewImport(dirId);
    expect(p.mode).toBe('full');
    expect(p.modeReason).toMatch(/No import of Tracked has been committed whole yet/);
    expect(p.users.create).toBe(5);
    // The starting point was asked for before anything was listed.
    expect(fake.deltaCalls).toEqual([undefined]);
    expect(fake.calls.indexOf('listUsers')).toBeGreaterThanOrEqual(0);
    expect(app.repos.runs.get(p.runId)!.delta?.token).toBe(JSON.stringify({ e: 1, v: 5 }));
    expect(state(dirId).token).toBeUndefined();
    const c = app.sync.commitImport({ runId: p.runId });
    expect(c.committed.users.create).toBe(5);
    expect(state(dirId)).toMatchObject({
      token: JSON.stringify({ e: 1, v: 5 }),
      runId: p.runId,
      configHash: scopeConfigHash(config()),
    });
    expect(app.sync.run(p.runId).deltaToken).toBe('advanced');
  });

  it('the token read before the full read catches a change made during it', async () => {
    const { dirId, users } = seedAndCommit(3);
    const p = await app.sync.previewImport(dirId);
    // A change after the starting point was taken (as if made while everything was read).
    users[1]!.data.title = 'Engineer';
    fake.touch(users[1]!);
    app.sync.commitImport({ runId: p.runId });
    const d = await app.sync.previewImport(dirId);
    expect(d.mode).toBe('delta');
    expect(d.read.users).toBe(1);
    expect(rowsOf(d.runId)).toEqual(['update user1']);
  });

  it('an abandoned, a failed and a cancelled-by-newer preview never advance the token', async () => {
    const { dirId, users } = seedAndCommit();
    app.sync.commitImport({ runId: (await app.sync.previewImport(dirId)).runId });
    const committed = state(dirId).token;
    users[0]!.data.title = 'Boss';
    fake.touch(users[0]!);
    fake.add('newcomer');
    fake.remove(users[4]!);
    const d1 = await app.sync.previewImport(dirId);
    expect(d1.mode).toBe('delta');
    expect(d1.since).toBe(state(dirId).at);
    expect(rowsOf(d1.runId)).toEqual(['create newcomer', 'missing user4', 'update user0']);
    expect(d1.users).toEqual({ create: 1, update: 1, unchanged: 0, missing: 1, conflict: 0 });
    expect(state(dirId).token).toBe(committed);
    // Abandoned: the next preview reads from the same point and shows the same rows.
    const d2 = await app.sync.previewImport(dirId);
    expect(fake.deltaCalls.at(-1)).toBe(committed);
    expect(rowsOf(d2.runId)).toEqual(rowsOf(d1.runId));
    // The abandoned run no longer keeps a token (only the latest preview can be committed).
    expect(app.repos.runs.get(d1.runId)!.delta).toBeUndefined();
    expect(app.repos.runs.get(d2.runId)!.delta?.token).toBe(JSON.stringify({ e: 1, v: 8 }));
    // Failed: nothing moves either.
    fake.failDelta = new ConnectorError('unreachable', 'down');
    await expect(app.sync.previewImport(dirId)).rejects.toMatchObject({ code: 'source_failed' });
    fake.failDelta = undefined;
    expect(state(dirId).token).toBe(committed);
    // The older preview cannot be committed (a newer one exists), so it cannot advance the token.
    expect(() => app.sync.commitImport({ runId: d2.runId })).toThrow(/preview again/i);
    expect(state(dirId).token).toBe(committed);
    // Committing the latest one advances it, and then there is nothing to do.
    const d3 = await app.sync.previewImport(dirId);
    app.sync.commitImport({ runId: d3.runId });
    expect(state(dirId).token).toBe(app.repos.runs.get(d3.runId)!.delta!.token);
    expect(app.repos.users.byUserName('user4')!.active).toBe(false);
    const d4 = await app.sync.previewImport(dirId);
    expect(d4.mode).toBe('delta');
    expect(app.sync.rows(d4.runId).total).toBe(0);
    expect(d4.users).toEqual({ create: 0, update: 0, unchanged: 0, missing: 0, conflict: 0 });
  });

  it("the token moves in the commit's own transaction: a commit that cannot record it changes nothing", async () => {
    const { dirId } = seedAndCommit(3);
    const p = await app.sync.previewImport(dirId);
    const setDeltaState = app.repos.directories.setDeltaState;
    app.repos.directories.setDeltaState = () => {
      throw new Error('disk I/O error');
    };
    try {
      expect(() => app.sync.commitImport({ runId: p.runId })).toThrow(/disk I\/O/);
    } finally {
      app.repos.directories.setDeltaState = setDeltaState;
    }
    expect(app.repos.users.count()).toBe(0);
    expect(app.sync.run(p.runId).status).toBe('previewed');
    expect(state(dirId).token).toBeUndefined();
    // The same plan then goes in whole, token and all.
    expect(app.sync.commitImport({ runId: p.runId }).committed.users.create).toBe(3);
    expect(state(dirId).token).toBe(app.repos.runs.get(p.runId)!.delta!.token);
  });

  it('a partial commit keeps the previous token: the rows left behind come back in the next delta', async () => {
    const { dirId, users } = seedAndCommit();
    app.sync.commitImport({ runId: (await app.sync.previewImport(dirId)).runId });
    const committed = state(dirId).token;
    users[1]!.data.title = 'A';
    fake.touch(users[1]!);
    users[2]!.data.title = 'B';
    fake.touch(users[2]!);
    const d = await app.sync.previewImport(dirId);
    const one = app.sync.rows(d.runId).rows.find((r) => r.display.startsWith('user1 '))!;
    app.sync.commitImport({ runId: d.runId, seqs: [one.seq] });
    expect(app.sync.run(d.runId).deltaToken).toBe('held');
    expect(state(dirId)).toMatchObject({
      token: committed,
      held: { runId: d.runId, reason: expect.stringMatching(/1 row was not selected/) },
    });
    const again = await app.sync.previewImport(dirId);
    expect(again.mode).toBe('delta');
    // user1 was applied (now unchanged, not listed); user2 was left behind and is back.
    expect(rowsOf(again.runId)).toEqual(['update user2']);
    expect(again.users.unchanged).toBe(1);
  });

  it('a conflict left unresolved holds the token', async () => {
    const { dirId } = seedAndCommit(2);
    app.sync.commitImport({ runId: (await app.sync.previewImport(dirId)).runId });
    const committed = state(dirId).token;
    fake.add('twin');
    fake.add('TWIN'); // two objects with one user name: both conflict
    const d = await app.sync.previewImport(dirId);
    expect(d.users.conflict).toBe(2);
    app.sync.commitImport({ runId: d.runId });
    expect(state(dirId).token).toBe(committed);
    expect(state(dirId).held?.reason).toMatch(/2 conflicts were left unresolved/);
  });

  it('a changed mapping, matching or scope forces a full read; full is always available; an unusable token falls back to full', async () => {
    const { dirId, users } = seedAndCommit(3);
    app.sync.commitImport({ runId: (await app.sync.previewImport(dirId)).runId });
    // Explicit full, through the bridge.
    const full = await dispatch(app, 'import.preview', { directoryId: dirId, mode: 'full' });
    expect(full).toMatchObject({
      ok: true,
      value: { mode: 'full', modeReason: 'A full preview was asked for.', users: { unchanged: 3 } },
    });
    // A page size change keeps the delta going; a mapping change does not.
    app.directories.save(dirId, config({ connection: { ...config().connection, pageSize: 50 } }), {});
    expect((await app.sync.previewImport(dirId)).mode).toBe('delta');
    app.directories.save(dirId, config({ matching: ['email'] }), {});
    const afterEdit = await app.sync.previewImport(dirId);
    expect(afterEdit.mode).toBe('full');
    expect(afterEdit.modeReason).toMatch(/mapping, matching or scope of Tracked changed/);
    app.sync.commitImport({ runId: afterEdit.runId });
    expect(state(dirId).configHash).toBe(scopeConfigHash(config({ matching: ['email'] })));
    expect((await app.sync.previewImport(dirId)).mode).toBe('delta');
    // The directory's change tracking started over (restored DC, expired deltaLink).
    fake.epoch++;
    users[0]!.data.title = 'X';
    const resync = await app.sync.previewImport(dirId);
    expect(resync.mode).toBe('full');
    expect(resync.modeReason).toMatch(/change tracking of Tracked started over/);
    expect(rowsOf(resync.runId)).toEqual(['update user0']);
    // Its token is the fresh one the connector gave, and it advances on commit.
    app.sync.commitImport({ runId: resync.runId });
    expect(JSON.parse(state(dirId).token!)).toMatchObject({ e: 2 });
    expect((await app.sync.previewImport(dirId)).mode).toBe('delta');
  });

  it('a delta request with nothing to start from says why it is full', async () => {
    const { dirId } = seedAndCommit(1);
    const r = await dispatch(app, 'import.preview', { directoryId: dirId, mode: 'delta' });
    expect(r).toMatchObject({
      ok: true,
      value: { mode: 'full', modeReason: expect.stringMatching(/no starting point/) },
    });
    expect(await dispatch(app, 'import.preview', { directoryId: dirId, mode: 'sideways' })).toMatchObject({
      ok: false,
    });
  });

  it('the config hash covers what decides the read, not connection details', () => {
    const h = scopeConfigHash(config());
    expect(
      scopeConfigHash(
        config({ connection: { ...config().connection, pageSize: 10, timeoutMs: 5000, urls: ['ldaps://127.0.0.2'] } }),
      ),
    ).toBe(h);
    expect(scopeConfigHash(config({ connection: { ...config().connection, userFilter: '(ou=x)' } }))).not.toBe(h);
    expect(scopeConfigHash(config({ connection: { ...config().connection, exclusions: ['ou=x'] } }))).not.toBe(h);
    expect(scopeConfigHash(config({ userMapping: [{ model: 'userName', remote: 'cn', direction: 'both' }] }))).not.toBe(
      h,
    );
    expect(scopeConfigHash(config({ toggles: { users: { import: true }, groups: { import: true } } }))).not.toBe(h);
  });

  it('holdReason: a whole plan without conflicts advances; anything left behind holds', () => {
    const counts = (c: number) => ({
      users: { create: 0, update: 0, unchanged: 0, missing: 0, conflict: c },
      groups: { create: 0, update: 0, unchanged: 0, missing: 0, conflict: 0 },
    });
    expect(holdReason(counts(0), 10, 10)).toBeUndefined();
    expect(holdReason(counts(0), 0, 0)).toBeUndefined();
    expect(holdReason(counts(0), 10, 9)).toMatch(/1 row was not selected/);
    expect(holdReason(counts(1), 10, 10)).toMatch(/1 conflict was left unresolved/);
    expect(holdReason(counts(2), 10, 5)).toMatch(/5 rows were not applied \(2 of them conflicts\)/);
  });
});

describe('delta imports: a token taken from the full listing itself', () => {
  let lf: ListingTrackedDirectory;
  beforeEach(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
    dataDir = mkdtempSync(join(tmpdir(), 'pd-delta-'));
    lf = new ListingTrackedDirectory();
    fake = lf;
    app = createApp({ dataDir, shell: 'test', createConnector: () => lf.tracked() });
  });
  const listingToken = (dirId: string) => JSON.parse(state(dirId).token!) as { s: Array<[string, number]> };

  it("a full preview asks for no starting point before the read; its token is the listing's", async () => {
    const { dirId } = seedAndCommit(5);
    const p = await app.sync.previewImport(dirId);
    expect(p.mode).toBe('full');
    expect(lf.trackCalls).toBe(1);
    expect(lf.deltaCalls).toEqual([]); // no delta(undefined)
    app.sync.commitImport({ runId: p.runId });
    expect(listingToken(dirId).s).toHaveLength(5);
    const d = await app.sync.previewImport(dirId);
    expect(d.mode).toBe('delta');
    expect(app.sync.rows(d.runId).total).toBe(0);
  });

  it('a change made during the full read, after that user was listed, shows in the next delta', async () => {
    const { dirId, users } = seedAndCommit(7); // pages of 3: users 0-2, 3-5, 6
    // After the first page was handed over (user1 already listed): user1 is edited and user4 (not yet
    // listed) too; user0 is deleted; a newcomer arrives.
    lf.duringListing = (page) => {
      if (page !== 0) return;
      users[1]!.data.title = 'Changed while listed';
      lf.touch(users[1]!);
      users[4]!.data.title = 'Changed before listed';
      lf.touch(users[4]!);
      lf.remove(users[0]!);
      lf.add('newcomer');
    };
    const p = await app.sync.previewImport(dirId);
    lf.duringListing = undefined;
    // The full read saw user1 as it was, and user4 already changed.
    expect(app.sync.rows(p.runId).rows.find((r) => r.display.startsWith('user4 '))!.changes).toMatchObject({
      title: [null, 'Changed before listed'],
    });
    app.sync.commitImport({ runId: p.runId });
    expect(app.repos.users.byUserName('user1')!.title).toBeFalsy();
    const d = await app.sync.previewImport(dirId);
    expect(d.mode).toBe('delta');
    // user1's change, user0's deletion and the newcomer the listing did not see come back; user4 was
    // read already changed and does not.
    expect(rowsOf(d.runId)).toEqual(['create newcomer', 'missing user0', 'update user1']);
    app.sync.commitImport({ runId: d.runId });
    expect(app.repos.users.byUserName('user1')!.title).toBe('Changed while listed');
  });

  it('a listing cut short gives no token: the preview fails and the directory keeps its own', async () => {
    const { dirId } = seedAndCommit(7);
    app.sync.commitImport({ runId: (await app.sync.previewImport(dirId)).runId });
    const committed = state(dirId).token;
    lf.failListAfter = { after: 3, error: new ConnectorError('unreachable', 'down') };
    const err = (await app.sync.previewImport(dirId, { mode: 'full' }).catch((e: unknown) => e)) as {
      code: string;
      details: { runId: string };
    };
    expect(err.code).toBe('source_failed');
    lf.failListAfter = undefined;
    expect(app.repos.runs.get(err.details.runId)!.delta?.token).toBeUndefined();
    expect(state(dirId).token).toBe(committed);
  });

  it('a connector that cannot track its listing this time falls back to a token taken before the read', async () => {
    const { dirId } = seedAndCommit(2);
    lf.canTrack = false;
    const p = await app.sync.previewImport(dirId);
    expect(lf.deltaCalls).toEqual([undefined]);
    expect(app.repos.runs.get(p.runId)!.delta?.token).toBe(JSON.stringify({ e: 1, v: 2 }));
  });
});
