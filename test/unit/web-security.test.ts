import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebServer, type WebServer } from '../../src-main/web/server.ts';
import { tempApp } from './helpers.ts';

let app: ReturnType<typeof tempApp>;
let web: WebServer;
beforeEach(async () => {
  app = tempApp();
  const rendererDir = mkdtempSync(join(tmpdir(), 'pd-renderer-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Provision Desk</title>');
  web = await startWebServer({ app, rendererDir });
});
afterEach(async () => {
  await web.close();
  await app.dispose();
});

/** Raw HTTP so tests control Host, Origin and cookies exactly. */
function http(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: web.port,
          path,
          method: opts.method ?? 'GET',
          headers: { Host: `127.0.0.1:${web.port}`, ...opts.headers },
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      if (opts.body) req.write(opts.body);
      req.end();
    },
  );
}

async function login(): Promise<string> {
  const token = new URL(web.url).search;
  const r = await http(`/${token}`);
  expect(r.status).toBe(303);
  const cookie = String(r.headers['set-cookie']);
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  return cookie.split(';')[0]!;
}

const origin = () => `http://127.0.0.1:${web.port}`;
const invoke = (cookie: string, body: unknown, headers: Record<string, string> = {}) =>
  http('/api/invoke', {
    method: 'POST',
    headers: { Cookie: cookie, Origin: origin(), 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('browser mode security', () => {
  it('listens on loopback only', () => {
    expect((web.server.address() as { address: string }).address).toBe('127.0.0.1');
  });

  it('answers 401 without the token or its cookie', async () => {
    expect((await http('/')).status).toBe(401);
    expect((await http('/api/invoke', { method: 'POST', headers: { Origin: origin() }, body: '{}' })).status).toBe(401);
  });

  it('accepts the launch token once only', async () => {
    await login();
    const again = await http(`/${new URL(web.url).search}`);
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('rejects a wrong Host header (DNS rebinding)', async () => {
    const cookie = await login();
    const r = await http('/', { headers: { Host: `evil.example:${web.port}`, Cookie: cookie } });
    expect(r.status).toBe(421);
  });

  it('rejects a cross-origin POST even with the cookie', async () => {
    const cookie = await login();
    const r = await invoke(
      cookie,
      { channel: 'users.create', input: { user: { userName: 'x' } } },
      { Origin: 'http://evil.example' },
    );
    expect(r.status).toBe(403);
    const noOrigin = await http('/api/invoke', {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/json' },
      body: '{"channel":"users.list","input":{}}',
    });
    expect(noOrigin.status).toBe(403);
    expect(app.repos.users.count()).toBe(0);
  });

  it('serves the bridge to the session, with security headers', async () => {
    const cookie = await login();
    const r = await invoke(cookie, { channel: 'users.create', input: { user: { userName: 'jdoe' } } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ ok: true, value: { userName: 'jdoe' } });
    expect(r.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(r.headers['x-frame-options']).toBe('DENY');
    const page = await http('/', { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Provision Desk');
  });

  it('refuses oversize bodies, non-JSON and unknown channels', async () => {
    const cookie = await login();
    const big = await invoke(cookie, { channel: 'users.list', input: { pad: 'x'.repeat(1_100_000) } });
    expect(big.status).toBe(413);
    const text = await invoke(cookie, {}, { 'Content-Type': 'text/plain' });
    expect(text.status).toBe(415);
    const unknown = await invoke(cookie, { channel: 'fs.readFile', input: {} });
    expect(JSON.parse(unknown.body)).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
  });

  it('does not serve files outside the renderer folder', async () => {
    const cookie = await login();
    const r = await http('/..%2f..%2f..%2fetc%2fpasswd', { headers: { Cookie: cookie } });
    expect(r.body).not.toContain('root:');
  });
});
