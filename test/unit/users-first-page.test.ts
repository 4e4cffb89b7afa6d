// The Users page asks first for one screen of rows and the count, so it shows
// something at once however many users there are.
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import type { UserRow } from '../../src-preload/contract.ts';
import { useFakeDirectoryApp } from './sync-fake-connector.ts';

const fx = useFakeDirectoryApp('pd-users-page-');

describe('users.page', () => {
  it('gives the first rows by user name with their states, and how many users there are', async () => {
    const { app } = fx;
    for (const n of ['cid', 'ann', 'bob', 'dan'])
      app.users.create({ userName: n, name: {}, emails: [], phoneNumbers: [], active: true });
    const ann = app.repos.users.byUserName('ann')!;
    const dir = app.directories.save(
      undefined,
      {
        kind: 'ldap',
        name: 'Lab',
        connection: { urls: ['ldap://127.0.0.1:1'], bindDn: 'cn=a', baseDn: 'dc=x' },
      } as never,
      {},
    );
    app.db.run(
      "INSERT INTO links (directory_id, object_type, local_id, state, reason, updated) VALUES (?, 'user', ?, 'failed', 'x', ?)",
      dir.id,
      ann.id,
      new Date().toISOString(),
    );
    const r = (await dispatch(app, 'users.page', { limit: 2 })) as {
      ok: true;
      value: { rows: UserRow[]; total: number };
    };
    expect(r.value.total).toBe(4);
    expect(r.value.rows.map((u) => u.userName)).toEqual(['ann', 'bob']);
    expect(r.value.rows[0]!.states).toEqual([[dir.id, 'failed']]);
    const full = (await dispatch(app, 'users.list', {})) as { ok: true; value: UserRow[] };
    expect(full.value.slice(0, 2)).toEqual(r.value.rows);
  });
});
