import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import { tempApp } from './helpers.ts';

let app: ReturnType<typeof tempApp>;
beforeEach(() => {
  app = tempApp();
});
afterEach(async () => app.dispose());

const jane = {
  userName: 'jdoe',
  name: { givenName: 'Jane', familyName: 'Doe' },
  emails: [{ value: 'jane@example.test', primary: true }],
};

describe('bridge validation', () => {
  it('refuses an unknown channel and changes nothing', async () => {
    const r = await dispatch(app, 'users.dropAll', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    const proto = await dispatch(app, '__proto__', {});
    expect(proto).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    expect(app.repos.users.count()).toBe(0);
  });

  it('refuses a wrong shape with field errors and changes nothing', async () => {
    const r = await dispatch(app, 'users.create', { user: { userName: 42 } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('validation');
      expect(JSON.stringify(r.error.details)).toContain('user.userName');
    }
    const extra = await dispatch(app, 'users.create', { user: jane, sneaky: true });
    expect(extra).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(app.repos.users.count()).toBe(0);
  });

  it('refuses oversize strings', async () => {
    const r = await dispatch(app, 'users.create', { user: { ...jane, displayName: 'x'.repeat(100_000) } });
    expect(r).toMatchObject({ ok: false, error: { code: 'validation' } });
    const id = await dispatch(app, 'users.get', { id: 'y'.repeat(1000) });
    expect(id).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(app.repos.users.count()).toBe(0);
  });

  it('refuses a badly formed e-mail and a control character in the user name', async () => {
    const mail = await dispatch(app, 'users.create', { user: { ...jane, emails: [{ value: 'not-an-address' }] } });
    expect(mail).toMatchObject({ ok: false, error: { code: 'validation' } });
    const ctl = await dispatch(app, 'users.create', { user: { ...jane, userName: 'bad\u0000name' } });
    expect(ctl).toMatchObject({ ok: false, error: { code: 'validation' } });
  });
});

describe('users through the bridge', () => {
  it('creates, reads, updates and deletes a user', async () => {
    const created = await dispatch(app, 'users.create', { user: jane });
    expect(created.ok).toBe(true);
    const id = (created as { value: { id: string } }).value.id;
    const list = await dispatch(app, 'users.list', {});
    expect(list).toMatchObject({
      ok: true,
      value: [{ id, userName: 'jdoe', email: 'jane@example.test', onboarding: 'notInvited' }],
    });

    const updated = await dispatch(app, 'users.update', {
      id,
      user: { ...jane, department: 'Finance' },
      expectedVersion: 1,
    });
    expect(updated).toMatchObject({ ok: true, value: { department: 'Finance', meta: { version: 2 } } });
    const stale = await dispatch(app, 'users.update', { id, user: jane, expectedVersion: 1 });
    expect(stale).toMatchObject({ ok: false, error: { code: 'conflict' } });

    expect(await dispatch(app, 'users.delete', { id })).toEqual({
      ok: true,
      value: { deleted: true, removing: false },
    });
    expect(await dispatch(app, 'users.get', { id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('keeps user names unique regardless of case', async () => {
    await dispatch(app, 'users.create', { user: jane });
    const dup = await dispatch(app, 'users.create', { user: { ...jane, userName: 'JDOE' } });
    expect(dup).toMatchObject({ ok: false, error: { code: 'conflict', details: { field: 'userName' } } });
    expect(app.repos.users.count()).toBe(1);
  });

  it('refuses group cycles', async () => {
    const a = (await dispatch(app, 'groups.create', { group: { displayName: 'A' } })) as {
      ok: true;
      value: { id: string };
    };
    const b = (await dispatch(app, 'groups.create', { group: { displayName: 'B' } })) as {
      ok: true;
      value: { id: string };
    };
    expect((await dispatch(app, 'groups.addMembers', { id: a.value.id, memberIds: [b.value.id] })).ok).toBe(true);
    const cycle = await dispatch(app, 'groups.addMembers', { id: b.value.id, memberIds: [a.value.id] });
    expect(cycle).toMatchObject({ ok: false, error: { code: 'validation' } });
    const detail = await dispatch(app, 'groups.get', { id: b.value.id });
    expect(detail).toMatchObject({ ok: true, value: { memberOf: [{ id: a.value.id, displayName: 'A' }] } });
  });
});
