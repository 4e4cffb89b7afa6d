// A saved secret only ever goes to the server it was saved for: a form pointed
// at another host (here a listener that records what it receives) must never
// receive the stored bind password, and changing where it goes needs it typed again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createApp, type App } from '../../src-main/app.ts';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import { checkTokenEndpoint } from '../../src-main/connectors/graph/auth.ts';
import { resolveCloud } from '../../src-main/connectors/graph/clouds.ts';

const SECRET = 'Bind-Pa55word-for-the-real-DC';

let app: App;
let dataDir: string;
let listener: Server;
let received: Buffer;
let port: number;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pd-bind-'));
  app = createApp({ dataDir, shell: 'test' });
  received = Buffer.alloc(0);
  listener = createServer((s) => {
    s.on('data', (d) => {
      received = Buffer.concat([received, d]);
      const reply = answer(d);
      if (reply) s.write(reply);
      else s.destroy();
    });
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  port = (listener.address() as { port: number }).port;
});
afterEach(async () => {
  await new Promise((r) => listener.close(r));
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Just enough LDAP to be taken for a server: a search gets "done, nothing
 * found", a bind gets "invalid credentials" (after its bytes are recorded).
 */
function answer(msg: Buffer): Buffer | undefined {
  let i = 1;
  const len = msg[i++]!;
  if (len & 0x80) i += len & 0x7f;
  if (msg[i] !== 0x02) return undefined;
  const idLen = msg[i + 1]!;
  const id = msg.subarray(i, i + 2 + idLen);
  const op = msg[i + 2 + idLen];
  const result = (tag: number, code: number) => {
    const body = Buffer.from([tag, 7, 0x0a, 1, code, 0x04, 0, 0x04, 0]);
    return Buffer.concat([Buffer.from([0x30, id.length + body.length]), id, body]);
  };
  if (op === 0x63) return result(0x65, 0);
  if (op === 0x60) return result(0x61, 49);
  return undefined;
}

const ldapDir = {
  kind: 'ldap' as const,
  name: 'Corp LDAP',
  connection: {
    urls: ['ldaps://ldap.example.test:636'],
    bindDn: 'cn=admin,dc=example,dc=test',
    baseDn: 'dc=example,dc=test',
    connectTimeoutMs: 1000,
    timeoutMs: 2000,
  },
};
const elsewhere = () => ({ ...ldapDir, connection: { ...ldapDir.connection, urls: [`ldap://127.0.0.1:${port}`] } });

async function saved(): Promise<string> {
  const r = await dispatch(app, 'directories.save', { config: ldapDir, secrets: { bindPassword: SECRET } });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return (r.value as { id: string }).id;
}

describe('a saved secret is bound to its server', () => {
  it('verify of a form pointed at another host does not send the saved password', async () => {
    const id = await saved();
    const r = await dispatch(app, 'directories.verify', { id, config: elsewhere(), secrets: {} });
    expect(r).toMatchObject({ ok: true, value: { ok: false, error: { code: 'secret_required' } } });
    expect(received.includes(SECRET)).toBe(false);
    // Typed again, the new password is the one used.
    await dispatch(app, 'directories.verify', { id, config: elsewhere(), secrets: { bindPassword: 'typed-now' } });
    expect(received.includes('typed-now')).toBe(true);
    expect(received.includes(SECRET)).toBe(false);
  });

  it('verify of the saved directory itself still uses the saved password', async () => {
    const id = await saved();
    const cfg = elsewhere();
    // Saved for the listener: the stored secret may go there.
    await dispatch(app, 'directories.save', { id, config: cfg, secrets: { bindPassword: SECRET } });
    await dispatch(app, 'directories.verify', { id, config: cfg, secrets: {} });
    expect(received.includes(SECRET)).toBe(true);
  });

  it.each([
    ['server URL', (c: typeof ldapDir) => ({ ...c, connection: { ...c.connection, urls: ['ldaps://evil.test:636'] } })],
    [
      'bind DN',
      (c: typeof ldapDir) => ({ ...c, connection: { ...c.connection, bindDn: 'cn=other,dc=example,dc=test' } }),
    ],
    ['certificate check', (c: typeof ldapDir) => ({ ...c, connection: { ...c.connection, verifyCertificate: false } })],
  ])('saving with a changed %s needs the secret again and keeps the old one until then', async (_n, change) => {
    const id = await saved();
    const r = await dispatch(app, 'directories.save', { id, config: change(ldapDir), secrets: {} });
    expect(r).toMatchObject({ ok: false, error: { code: 'secret_required' } });
    expect(app.directories.get(id).config.connection).toMatchObject(ldapDir.connection);
    expect(app.directories.secrets(id)).toEqual({ bindPassword: SECRET });
    const ok = await dispatch(app, 'directories.save', {
      id,
      config: change(ldapDir),
      secrets: { bindPassword: 'new' },
    });
    expect(ok.ok).toBe(true);
    expect(app.directories.secrets(id)).toEqual({ bindPassword: 'new' });
  });

  it('an Entra directory pointed at another authority or proxy needs the client secret again', async () => {
    const entra = {
      kind: 'entra' as const,
      name: 'Contoso',
      connection: { tenantId: 't1', clientId: 'c1', cloud: 'global' as const },
    };
    const r = await dispatch(app, 'directories.save', { config: entra, secrets: { clientSecret: SECRET } });
    const id = (r as { value: { id: string } }).value.id;
    for (const connection of [
      {
        ...entra.connection,
        cloud: 'custom',
        authorityUrl: 'https://login.evil.test',
        graphUrl: 'https://g.evil.test',
      },
      { ...entra.connection, proxyUrl: 'http://proxy.evil.test:8080' },
      { ...entra.connection, tenantId: 't2' },
    ]) {
      const s = await dispatch(app, 'directories.save', { id, config: { ...entra, connection }, secrets: {} });
      expect(s).toMatchObject({ ok: false, error: { code: 'secret_required' } });
      const v = await dispatch(app, 'directories.verify', { id, config: { ...entra, connection }, secrets: {} });
      expect(v).toMatchObject({ ok: true, value: { ok: false, error: { code: 'secret_required' } } });
    }
    // Renaming or changing toggles keeps the secret.
    const rename = await dispatch(app, 'directories.save', {
      id,
      config: { ...entra, name: 'Contoso 2' },
      secrets: {},
    });
    expect(rename.ok).toBe(true);
    expect(app.directories.secrets(id)).toEqual({ clientSecret: SECRET });
  });
});

describe('after a lost key', () => {
  it('a new secret can be saved and the directory edited', async () => {
    const id = await saved();
    await app.close();
    writeFileSync(join(dataDir, 'secret.key'), randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
    app = createApp({ dataDir, shell: 'test' });
    const rename = await dispatch(app, 'directories.save', {
      id,
      config: { ...ldapDir, name: 'Renamed' },
      secrets: {},
    });
    expect(rename.ok).toBe(true);
    const replaced = await dispatch(app, 'directories.save', {
      id,
      config: ldapDir,
      secrets: { bindPassword: 'again' },
    });
    expect(replaced.ok).toBe(true);
    expect(app.directories.secrets(id)).toEqual({ bindPassword: 'again' });
  });
});

describe('a custom Entra cloud', () => {
  const cloud = resolveCloud({
    cloud: 'custom',
    tenantId: 't1',
    authorityUrl: 'https://login.example.test:8443',
    graphUrl: 'https://graph.example.test',
  });
  it.each([
    ['plain http on the authority host', 'http://login.example.test:8443/t1/oauth2/v2.0/token'],
    ['another host', 'https://collector.evil.test/t1/oauth2/v2.0/token'],
    ['another port', 'https://login.example.test:9443/t1/oauth2/v2.0/token'],
    ['not a URL', 'token'],
  ])('refuses a token endpoint on %s', (_n, tokenEndpoint) => {
    expect(() => checkTokenEndpoint({ token_endpoint: tokenEndpoint }, cloud)).toThrow(/token endpoint is not on/);
  });
  it('accepts https on the authority host', () => {
    expect(() =>
      checkTokenEndpoint({ token_endpoint: 'https://login.example.test:8443/t1/oauth2/v2.0/token' }, cloud),
    ).not.toThrow();
  });
});
