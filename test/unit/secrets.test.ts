import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import { keyFileCipher } from '../../src-main/secrets/cipher.ts';
import { tempApp } from './helpers.ts';

let app: ReturnType<typeof tempApp>;
beforeEach(() => {
  app = tempApp();
});
afterEach(async () => app.dispose());

const ldapDir = {
  kind: 'ldap',
  name: 'Corp LDAP',
  connection: {
    urls: ['ldaps://ldap.example.test:636'],
    bindDn: 'cn=admin,dc=example,dc=test',
    baseDn: 'dc=example,dc=test',
  },
};

describe('secrets', () => {
  it('keeps the key file readable by the owner only and round-trips', () => {
    const file = join(app.options.dataDir, 'secret.key');
    const c = keyFileCipher(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const sealed = c.encrypt('S3cret!');
    expect(Buffer.from(sealed).toString('utf8')).not.toContain('S3cret!');
    expect(c.decrypt(sealed)).toBe('S3cret!');
  });

  it('never returns a directory secret over the bridge, and stores it encrypted', async () => {
    const saved = await dispatch(app, 'directories.save', {
      config: ldapDir,
      secrets: { bindPassword: 'Bind-Pa55word' },
    });
    expect(saved).toMatchObject({ ok: true, value: { hasSecret: true } });
    const everything = JSON.stringify([saved, await dispatch(app, 'directories.list', {})]);
    expect(everything).not.toContain('Bind-Pa55word');
    const dbFile = readFileSync(join(app.options.dataDir, 'provision-desk.sqlite'));
    const wal = (() => {
      try {
        return readFileSync(join(app.options.dataDir, 'provision-desk.sqlite-wal'));
      } catch {
        return Buffer.alloc(0);
      }
    })();
    expect(Buffer.concat([dbFile, wal]).includes('Bind-Pa55word')).toBe(false);

    // Saving again without a secret keeps the stored one.
    const id = (saved as { value: { id: string } }).value.id;
    await dispatch(app, 'directories.save', { id, config: { ...ldapDir, name: 'Corp LDAP 2' }, secrets: {} });
    expect(app.directories.secrets(id)).toEqual({ bindPassword: 'Bind-Pa55word' });
  });

  it('refuses a duplicate directory name and a bad server URL', async () => {
    await dispatch(app, 'directories.save', { config: ldapDir, secrets: {} });
    const dup = await dispatch(app, 'directories.save', { config: ldapDir, secrets: {} });
    expect(dup).toMatchObject({ ok: false, error: { code: 'conflict' } });
    const bad = await dispatch(app, 'directories.save', {
      config: { ...ldapDir, name: 'x', connection: { ...ldapDir.connection, urls: ['http://evil'] } },
      secrets: {},
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'validation' } });
  });
});
