// Opening a group lists its members with what tells people of the same name
// apart (user name, e-mail), nested groups first, in one answer.
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import type { GroupDetail } from '../../src-preload/contract.ts';
import { useFakeDirectoryApp } from './sync-fake-connector.ts';

const fx = useFakeDirectoryApp('pd-members-');

describe('groups.get members', () => {
  it('gives user name and e-mail beside the name, nested groups first', async () => {
    const { app } = fx;
    const user = (userName: string, email: string) =>
      app.users.create({
        userName,
        displayName: 'Ana-María Brown',
        name: {},
        emails: [{ value: email, primary: true }],
        phoneNumbers: [],
        active: true,
      });
    const a = user('abrown', 'abrown@x.test');
    const b = user('abrown2', 'ana.brown@x.test');
    const inner = app.groups.create({ displayName: 'Inner' });
    const g = app.groups.create({ displayName: 'Outer' });
    app.groups.addMembers(g.id, [a.id, b.id, inner.id]);
    const r = (await dispatch(app, 'groups.get', { id: g.id })) as { ok: true; value: GroupDetail };
    expect(r.value.members).toEqual([
      { id: inner.id, type: 'Group', displayName: 'Inner', userName: '', email: '' },
      { id: a.id, type: 'User', displayName: 'Ana-María Brown', userName: 'abrown', email: 'abrown@x.test' },
      { id: b.id, type: 'User', displayName: 'Ana-María Brown', userName: 'abrown2', email: 'ana.brown@x.test' },
    ]);
  });
});
