import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../src-main/store/db.ts';
import { migrations } from '../../src-main/store/migrations.ts';
import { UsersRepo } from '../../src-main/store/users.ts';

describe('local store', () => {
  it('migrates once, runs in WAL mode and reopens without migrating again', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pd-db-')), 'a.sqlite');
    const db = new Db(file);
    expect((db.sqlite.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    expect((db.sqlite.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(
      migrations.length,
    );
    new UsersRepo(db).insert({ userName: 'kept', name: {}, emails: [], phoneNumbers: [], active: true });
    db.close();
    const again = new Db(file);
    expect(new UsersRepo(again).byUserName('KEPT')?.userName).toBe('kept');
    again.close();
  });

  it('rolls a failed transaction back whole, nested calls included', () => {
    const db = new Db(':memory:');
    const users = new UsersRepo(db);
    const before = db.localChange();
    expect(() =>
      db.transaction(() => {
        users.insert({ userName: 'a', name: {}, emails: [], phoneNumbers: [], active: true });
        db.bumpLocalChange();
        db.transaction(() => users.insert({ userName: 'b', name: {}, emails: [], phoneNumbers: [], active: true }));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(users.count()).toBe(0);
    expect(db.localChange()).toBe(before);
  });
});
