// What the send dialog and the status say: links a new mail would cancel,
// disabled accounts, and the temporary-password state of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src-main/app.ts';
import { Db } from '../../src-main/store/db.ts';

let dir: string;
let app: App;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-onb-status-'));
  app = createApp({ dataDir: dir, shell: 'test' });
});
afterEach(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const user = (userName: string, active = true) =>
  app.users.create({
    userName,
    displayName: userName,
    name: {},
    emails: [{ value: `${userName}@example.test`, primary: true }],
    phoneNumbers: [],
    active,
  }).id;
const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();

describe('before a send', () => {
  it('counts the pending links a new mail cancels and names the disabled accounts', () => {
    const ann = user('ann');
    const bob = user('bob');
    const cid = user('cid', false);
    const dan = user('dan');
    // Disabled after an activation that worked (someone who left): enabling is not the default for them.
    const eve = user('eve', false);
    app.onboarding.store.invite(ann, 'hash-ann', inHours(24));
    app.onboarding.store.invite(bob, 'hash-bob', inHours(-1)); // expired: nothing to cancel
    app.onboarding.store.invitedWithTemporaryPassword(dan, 'Temporary password mailed.');
    app.onboarding.store.invite(eve, 'hash-eve', inHours(24));
    expect(app.onboarding.store.consume('hash-eve')).toBe(true);
    expect(app.onboarding.checkSend([ann, bob, cid, dan, ann, eve])).toEqual({
      total: 5,
      pendingLinks: 1,
      pendingNames: ['ann'],
      disabled: [
        { id: cid, userName: 'cid', neverActivated: true },
        { id: eve, userName: 'eve', neverActivated: false },
      ],
    });
  });
});

describe('temporary password status', () => {
  it('is its own state, listed and filtered as such', () => {
    const ann = user('ann');
    const bob = user('bob');
    app.onboarding.store.invite(ann, 'hash-ann', inHours(24));
    app.onboarding.store.invitedWithTemporaryPassword(bob, 'Temporary password mailed.');
    expect(app.onboarding.store.statuses('temporaryPassword').map((r) => r.userName)).toEqual(['bob']);
    expect(app.onboarding.store.statuses('invited').map((r) => r.userName)).toEqual(['ann']);
    expect(app.users.get(bob).onboarding.status).toBe('temporaryPassword');
  });

  it('a data folder from before keeps its temporary-password users apart from the invited ones', async () => {
    const ann = user('ann');
    const bob = user('bob');
    app.onboarding.store.invite(ann, 'hash-ann', inHours(24));
    await app.close();
    const db = new Db(join(dir, 'provision-desk.sqlite'));
    // As the previous version stored them: 'invited' without a link.
    db.run(
      "INSERT INTO onboarding (user_id, status, invited_at, reason) VALUES (?, 'invited', ?, 'Temporary password mailed.')",
      bob,
      new Date().toISOString(),
    );
    db.run('ALTER TABLE onboarding DROP COLUMN enable_on_activation');
    db.run('PRAGMA user_version = 7');
    db.close();
    app = createApp({ dataDir: dir, shell: 'test' });
    expect(app.onboarding.store.get(bob)?.status).toBe('temporaryPassword');
    expect(app.onboarding.store.get(ann)?.status).toBe('invited');
  });
});
