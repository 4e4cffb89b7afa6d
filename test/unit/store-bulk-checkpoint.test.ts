// Db.bulkTransaction's background checkpoint: whatever happens to its thread, the committed
// transaction stands and the WAL is copied into the database file in the end.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Db } from '../../src-main/store/db.ts';

const threads = vi.hoisted(() => ({ refuse: false }));
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class Worker extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      if (threads.refuse) throw new Error('ERR_WORKER_INIT_FAILED: no thread');
      super(...args);
    }
  }
  return { ...real, Worker };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-checkpoint-'));
  threads.refuse = false;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const blob = 'x'.repeat(1000);
const fill = (db: Db) =>
  db.bulkTransaction(() => {
    for (let i = 0; i < 40_000; i++) db.run('INSERT INTO settings (key, value) VALUES (?, ?)', `k${i}`, blob);
    return 'done';
  });
const count = (file: string) => {
  const db = new Db(file);
  const n = db.get<{ n: number }>('SELECT count(*) AS n FROM settings')!.n;
  db.close();
  return n;
};

describe('bulk transaction checkpoint', () => {
  it('a thread that cannot be started does not fail the committed transaction: the WAL is copied here', () => {
    const file = join(dir, 'a.sqlite');
    const db = new Db(file);
    const auto = Object.values(db.sqlite.prepare('PRAGMA wal_autocheckpoint').get()!)[0];
    threads.refuse = true;
    expect(fill(db)).toBe('done');
    expect(Object.values(db.sqlite.prepare('PRAGMA wal_autocheckpoint').get()!)[0]).toBe(auto);
    expect(statSync(file).size).toBeGreaterThan(40_000_000);
    db.close();
    expect(count(file)).toBe(40_000);
  });

  it('closing the store while the thread copies the WAL loses nothing and throws nothing', async () => {
    const file = join(dir, 'b.sqlite');
    const db = new Db(file);
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    try {
      fill(db);
      db.close();
      // Let the thread finish (or fail) against the closed store.
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(errors).toEqual([]);
    expect(count(file)).toBe(40_000);
  });
});

describe('Db.withoutIndexes', () => {
  const indexes = (db: Db) =>
    db.all<{ name: string }>(
      "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'links' ORDER BY name",
    );
  const link = (db: Db, localId: string, anchor: string) =>
    db.run(
      "INSERT INTO links (directory_id, object_type, local_id, anchor, ref, state, updated) VALUES ('d', 'user', ?, ?, NULL, 'provisioned', 'now')",
      localId,
      anchor,
    );
  const withDirectory = (db: Db) =>
    db.run(
      "INSERT INTO directories (id, kind, name, config, created, modified) VALUES ('d', 'ldap', 'D', '{}', 'now', 'now')",
    );

  it("a unique index two new rows break fails in the admin's words, with the table and indexes as before", () => {
    const db = new Db(':memory:');
    withDirectory(db);
    const before = indexes(db);
    let thrown: unknown;
    db.transaction(() => {
      try {
        db.withoutIndexes('links', ['links_anchor'], 2, () => {
          link(db, 'u1', 'same');
          link(db, 'u2', 'same');
        });
      } catch (err) {
        thrown = err; // caught inside the transaction, which then commits
      }
    });
    expect(thrown).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/same value where it must be unique; nothing was changed/),
      details: { index: 'links_anchor' },
    });
    expect(indexes(db)).toEqual(before);
    expect(db.get<{ n: number }>('SELECT count(*) AS n FROM links')!.n).toBe(0);
    expect(() => db.transaction(() => (link(db, 'u1', 'x'), link(db, 'u2', 'x')))).toThrow(/UNIQUE/);
    db.close();
  });
});
