// The smaller hardening points: CSV formulas in the import plan export,
// a huge Retry-After, mapping rows onto sensitive attributes, a store written
// by a newer version, a damaged store, and the browser-mode cookie name.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createApp } from '../../src-main/app.ts';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import { ConnectorError } from '../../src-main/connectors/connector.ts';
import { startWebServer } from '../../src-main/web/server.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import { FakeDirectory, fakeLdapConfig, useFakeDirectoryApp } from './sync-fake-connector.ts';
import { tempApp } from './helpers.ts';

const t = useFakeDirectoryApp('pd-small-');

function source(name: string, over: Partial<DirectoryConfig> = {}) {
  const view = t.app.directories.save(undefined, fakeLdapConfig(name, over), { bindPassword: 'x' });
  const fake = new FakeDirectory();
  t.dirs.set(name, fake);
  return { id: view.id, fake };
}

describe('import plan CSV export', () => {
  it('neutralises formulas like the report export does', async () => {
    const { id, fake } = source('Formulas', {
      toggles: {
        users: { import: true, create: false, edit: false, delete: false, passwordSync: false },
        groups: { import: false, create: false, delete: false, membership: false },
      },
    } as Partial<DirectoryConfig>);
    fake.addUser({ userName: '=HYPERLINK("http://evil.test","x")', displayName: '+cmd|calc!A1' });
    const plan = await t.app.sync.previewImport(id);
    const { csv } = t.app.sync.exportCsv(plan.runId);
    expect(csv).not.toMatch(/(^|,)"?[=+]/m);
    expect(csv).toContain(`'=HYPERLINK`);
  });
});

describe('outbox Retry-After', () => {
  it('is capped, so a server cannot park an item for years', async () => {
    const { fake } = source('Throttled', {
      toggles: {
        users: { import: false, create: true, edit: false, delete: false, passwordSync: false },
        groups: { import: false, create: false, delete: false, membership: false },
      },
    } as Partial<DirectoryConfig>);
    fake.failNext.push(new ConnectorError('throttled', 'Slow down', { retryAfterMs: 10 * 365 * 86_400_000 }));
    t.app.users.create({ userName: 'patient', name: {}, emails: [], phoneNumbers: [], active: true });
    await t.app.sync.drain({ waitMs: 200 });
    const row = t.app.db.get<{ state: string; next_attempt_at: string }>('SELECT state, next_attempt_at FROM outbox')!;
    expect(row.state).toBe('pending');
    expect(Date.parse(row.next_attempt_at) - Date.now()).toBeLessThanOrEqual(60 * 60_000);
  });
});

describe('mapping rows onto sensitive attributes', () => {
  it.each([
    ['userName', 'unicodePwd'],
    ['displayName', 'userPassword'],
    ['title', 'userAccountControl'],
    ['userName', 'servicePrincipalName'],
    ['displayName', 'member'],
    ['title', 'objectClass'],
    ['title', 'OBJECTCLASS'],
  ])('refuses %s → %s with a reason, and stores nothing', async (model, remote) => {
    const r = await dispatch(t.app, 'directories.save', {
      config: { ...fakeLdapConfig('Mapped'), userMapping: [{ model, remote, direction: 'export' }] },
      secrets: {},
    });
    expect(r).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(JSON.stringify(r)).toContain(`cannot be mapped`);
    expect(t.app.directories.list()).toHaveLength(0);
  });

  it('still maps active ↔ userAccountControl', async () => {
    const r = await dispatch(t.app, 'directories.save', {
      config: {
        ...fakeLdapConfig('AD-like'),
        userMapping: [{ model: 'active', remote: 'userAccountControl', direction: 'both' }],
      },
      secrets: {},
    });
    expect(r.ok).toBe(true);
  });
});

describe('opening the store', () => {
  it('refuses a store written by a newer version and leaves it as it was', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pd-newer-'));
    try {
      await createApp({ dataDir, shell: 'test' }).close();
      const file = join(dataDir, 'provision-desk.sqlite');
      const raw = new DatabaseSync(file);
      raw.exec('PRAGMA user_version = 999');
      raw.close();
      expect(() => createApp({ dataDir, shell: 'test' })).toThrow(/newer version of Provision Desk/);
      const again = new DatabaseSync(file);
      expect((again.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBe(999);
      again.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('says clearly that a damaged store cannot be opened', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pd-corrupt-'));
    try {
      writeFileSync(join(dataDir, 'provision-desk.sqlite'), 'this is not a database at all'.repeat(200));
      expect(() => createApp({ dataDir, shell: 'test' })).toThrow(/cannot be opened: it is damaged/);
      expect(readFileSync(join(dataDir, 'provision-desk.sqlite'), 'utf8')).toMatch(/^this is not a database/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('browser mode cookie', () => {
  it('is named for its port, since browsers share cookies across ports of 127.0.0.1', async () => {
    const app = tempApp();
    const rendererDir = mkdtempSync(join(tmpdir(), 'pd-renderer-'));
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>x</title>');
    const web = await startWebServer({ app, rendererDir });
    try {
      const res = await fetch(`${web.url}`, { redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^pd_session_${web.port}=`));
    } finally {
      await web.close();
      await app.dispose();
      rmSync(rendererDir, { recursive: true, force: true });
    }
  });
});
