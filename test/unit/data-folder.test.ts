// Files and keys: the data folder is the owner's alone, every shell reads the
// secrets of one folder through the cipher recorded in it, a lost key never
// blocks saving a new secret, and a queued password that cannot be decrypted
// stays queued for a retry instead of being scrubbed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createApp, type App } from '../../src-main/app.ts';
import type { SecretCipher } from '../../src-main/secrets/cipher.ts';
import { defaultDataDir } from '../../src-main/paths.ts';
import { rendererDevUrl } from '../../src-main/electron/window.ts';
import { FakeDirectory, fakeLdapConfig } from './sync-fake-connector.ts';

let dataDir: string;
const opened: App[] = [];
beforeEach(() => {
  dataDir = join(mkdtempSync(join(tmpdir(), 'pd-folder-')), 'data');
});
afterEach(async () => {
  for (const a of opened.splice(0)) await a.close().catch(() => undefined);
  rmSync(join(dataDir, '..'), { recursive: true, force: true });
});

const mode = (p: string) => statSync(p).mode & 0o777;
const open = (o: Partial<Parameters<typeof createApp>[0]> = {}) => {
  const a = createApp({ dataDir, shell: 'cli', ...o });
  opened.push(a);
  return a;
};
const close = async (a: App) => {
  opened.splice(opened.indexOf(a), 1);
  await a.close();
};
const ldap = (name = 'Corp LDAP') => fakeLdapConfig(name);

/** A stand-in for Electron's safeStorage: its own sealing, so a key file cannot open it. */
function fakeKeychain(): SecretCipher {
  return {
    name: 'keychain',
    encrypt: (p) => Buffer.from('kc:' + Buffer.from(p).toString('base64')),
    decrypt: (s) => {
      const t = Buffer.from(s).toString();
      if (!t.startsWith('kc:')) throw new Error('not sealed by this keychain');
      return Buffer.from(t.slice(3), 'base64').toString();
    },
  };
}

describe('file permissions', () => {
  it('creates the data folder 0700 and the database, WAL and key file 0600', async () => {
    const app = open();
    app.directories.save(undefined, ldap(), { bindPassword: 'pw' });
    expect(mode(dataDir)).toBe(0o700);
    for (const f of ['provision-desk.sqlite', 'provision-desk.sqlite-wal', 'secret.key']) {
      expect(existsSync(join(dataDir, f)), f).toBe(true);
      expect(mode(join(dataDir, f)), f).toBe(0o600);
    }
  });

  it('tightens a folder and files an older version left readable by others', async () => {
    await close(open());
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'provision-desk.sqlite'), 0o644);
    chmodSync(join(dataDir, 'secret.key'), 0o644);
    open();
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'provision-desk.sqlite'))).toBe(0o600);
    expect(mode(join(dataDir, 'secret.key'))).toBe(0o600);
  });
});

describe('one cipher per data folder', () => {
  it('the desktop app, browser mode and the command line read the same secrets', async () => {
    const cli = open({ shell: 'cli' });
    const id = cli.directories.save(undefined, ldap(), { bindPassword: 'from-the-cli' }).id;
    await close(cli);
    expect(JSON.parse(readFileSync(join(dataDir, 'secrets-cipher.json'), 'utf8'))).toEqual({ cipher: 'key-file' });
    const desktop = open({ shell: 'electron', keychain: { cipher: fakeKeychain(), backend: 'gnome_libsecret' } });
    expect(desktop.directories.secrets(id)).toEqual({ bindPassword: 'from-the-cli' });
    desktop.directories.save(id, ldap(), { bindPassword: 'from-the-desktop' });
    await close(desktop);
    const browser = open({ shell: 'browser' });
    expect(browser.directories.secrets(id)).toEqual({ bindPassword: 'from-the-desktop' });
  });

  it('a folder the desktop sealed with its keychain: kept there, refused clearly elsewhere', async () => {
    // An older desktop version: secrets sealed by the keychain, no key file, no record.
    const old = open({ shell: 'electron', cipher: fakeKeychain() });
    const id = old.directories.save(undefined, ldap(), { bindPassword: 'keychain-sealed' }).id;
    await close(old);
    const desktop = open({ shell: 'electron', keychain: { cipher: fakeKeychain(), backend: 'kwallet5' } });
    expect(desktop.directories.secrets(id)).toEqual({ bindPassword: 'keychain-sealed' });
    await close(desktop);
    const cli = open({ shell: 'cli' });
    expect(() => cli.directories.secrets(id)).toThrow(/system keychain, which browser mode and the command line/);
  });

  it('Linux basic_text is no keychain: say so, use the key file, still read what it sealed', async () => {
    const old = open({ shell: 'electron', cipher: fakeKeychain() });
    const id = old.directories.save(undefined, ldap(), { bindPassword: 'basic-text-sealed' }).id;
    await close(old);
    const warnings: string[] = [];
    const desktop = open({
      shell: 'electron',
      keychain: { cipher: fakeKeychain(), backend: 'basic_text' },
      warn: (m) => warnings.push(m),
    });
    expect(warnings.join()).toMatch(/basic_text.*key file/);
    expect(desktop.directories.secrets(id)).toEqual({ bindPassword: 'basic-text-sealed' });
    desktop.directories.save(id, ldap(), { bindPassword: 'now-in-the-key-file' });
    await close(desktop);
    expect(open({ shell: 'cli' }).directories.secrets(id)).toEqual({ bindPassword: 'now-in-the-key-file' });
  });

  it('every shell defaults to the folder Electron names after the package', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { name: string };
    expect(basename(defaultDataDir())).toBe(pkg.name);
  });

  it('a packaged desktop app ignores ELECTRON_RENDERER_URL', () => {
    expect(rendererDevUrl(true, { ELECTRON_RENDERER_URL: 'http://evil.test/' })).toBeUndefined();
    expect(rendererDevUrl(false, { ELECTRON_RENDERER_URL: 'http://localhost:5173/' })).toBe('http://localhost:5173/');
  });
});

describe('a lost key', () => {
  it('keeps a queued password that cannot be decrypted, so a retry after the key is back sets it', async () => {
    const fake = new FakeDirectory();
    const withFake = () =>
      open({
        shell: 'test',
        outbox: { baseBackoffMs: 20, maxBackoffMs: 50, idleMs: 20 },
        createConnector: () => fake.connector(),
      });
    let app = withFake();
    const config = ldap();
    config.toggles.users = { import: false, create: true, edit: true, delete: false, passwordSync: true };
    app.directories.save(undefined, config, { bindPassword: 'x' });
    app.users.create({ userName: 'neo', name: {}, emails: [], phoneNumbers: [], active: true }, 'S3cret-Pass!');
    await close(app);
    mkdirSync(join(dataDir, '..', 'backup'));
    copyFileSync(join(dataDir, 'secret.key'), join(dataDir, '..', 'backup', 'secret.key'));
    writeFileSync(join(dataDir, 'secret.key'), randomBytes(32).toString('base64') + '\n', { mode: 0o600 });

    app = withFake();
    await app.sync.drain();
    const item = app.db.get<{ state: string; payload: string }>('SELECT state, payload FROM outbox')!;
    expect(item.state).toBe('failed');
    expect(item.payload).toContain('passwordSealed');
    await close(app);

    copyFileSync(join(dataDir, '..', 'backup', 'secret.key'), join(dataDir, 'secret.key'));
    app = withFake();
    app.sync.retryFailed();
    await app.sync.drain();
    expect(fake.passwords.get(fake.byUserName('neo')!.anchor)).toBe('S3cret-Pass!');
  });
});
