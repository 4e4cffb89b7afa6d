// A hostile-input corpus: each input goes through the bridge as browser mode
// serves it (HTTP, with the session cookie) or through the command line, and
// must end in a clear refusal with the store and the directory untouched, or
// be stored exactly as given and reach the directory as inert data.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { DatabaseSync } from 'node:sqlite';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src-main/app.ts';
import { startWebServer, type WebServer } from '../../src-main/web/server.ts';
import { webRoutes } from '../../src-main/web/routes.ts';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { cli } from './sync-support.ts';
import { parseDn } from '../../src-main/connectors/ldap/escape.ts';

let srv: SlapdServer;
let work: string;
let app: App;
let web: WebServer;
let cookie: string;
let dirId: string;

const dirConfig = (name = 'Lab LDAP') => ({
  kind: 'ldap',
  name,
  toggles: {
    users: { import: true, create: true, edit: true, delete: true, passwordSync: true },
    groups: { import: true, create: true, delete: true, membership: true },
  },
  connection: {
    urls: [srv.ldapsUrl],
    caCertPem: srv.caCertPem,
    bindDn: srv.adminDn,
    baseDn: srv.baseDn,
    userSearchBase: srv.peopleDn,
    groupSearchBase: srv.groupsDn,
    userTargetOu: srv.peopleDn,
    groupTargetOu: srv.groupsDn,
    userRdnTemplate: 'uid={userName}',
  },
});

beforeAll(async () => {
  srv = await startSlapd();
  work = mkdtempSync(join(tmpdir(), 'pd-hostile-'));
  const rendererDir = join(work, 'renderer');
  const dataDir = join(work, 'data');
  app = createApp({ dataDir, shell: 'browser' });
  dirId = app.directories.save(undefined, dirConfig() as never, { bindPassword: srv.adminPassword }).id;
  app.users.create({ userName: 'existing', name: {}, emails: [], phoneNumbers: [], active: true });
  await app.sync.drain();
  const { mkdirSync } = await import('node:fs');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Provision Desk</title>');
  writeFileSync(join(work, 'secret-next-to-renderer.txt'), 'do not serve');
  web = await startWebServer({ app, rendererDir, routes: webRoutes(app) });
  const launch = await http(`/${new URL(web.url).search}`);
  cookie = String(launch.headers['set-cookie']).split(';')[0]!;
}, 60_000);

afterAll(async () => {
  await web?.close();
  await app?.close();
  await srv?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Every table of the store, hashed: any write shows. */
function storeDigest(db: DatabaseSync | App['db']): string {
  const all = (sql: string) =>
    'sqlite' in db ? (db as App['db']).all<Record<string, unknown>>(sql) : (db as DatabaseSync).prepare(sql).all();
  const tables = all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  const h = createHash('sha256');
  for (const { name } of tables as Array<{ name: string }>)
    h.update(name).update(
      JSON.stringify(all(`SELECT * FROM "${name}"`), (_k, v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'bigint' ? String(v) : v,
      ),
    );
  return h.digest('hex');
}

/** The directory's own change stamp and its entries: any write shows. */
async function directoryDigest(): Promise<string> {
  const c = new Client({ url: srv.ldapsUrl, tlsOptions: { ca: srv.caCertPem } });
  try {
    await c.bind(srv.adminDn, srv.adminPassword);
    const base = await c.search(srv.baseDn, { scope: 'base', attributes: ['contextCSN'] });
    const all = await c.search(srv.baseDn, { scope: 'sub', attributes: ['entryCSN'], paged: true });
    return JSON.stringify([base.searchEntries[0]?.contextCSN, all.searchEntries.map((e) => [e.dn, e.entryCSN])]);
  } finally {
    await c.unbind();
  }
}

function http(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
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
  });
}

const invokeRaw = (body: string, headers: Record<string, string> = {}) =>
  http('/api/invoke', {
    method: 'POST',
    headers: { Cookie: cookie, Origin: `http://127.0.0.1:${web.port}`, 'Content-Type': 'application/json', ...headers },
    body,
  });
const invoke = async (channel: string, input: unknown) => {
  const r = await invokeRaw(JSON.stringify({ channel, input }));
  return JSON.parse(r.body) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };
};

const user = (over: Record<string, unknown>) => ({ userName: 'someone', ...over });
const deep = (n: number): unknown => {
  let v: unknown = 'bottom';
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
};
const MB = 'x'.repeat(1024 * 1024);

/** A directory form as the tables below use it (collected before the server starts). */
const staticConfig = (name = 'Lab LDAP') => ({
  kind: 'ldap',
  name,
  connection: {
    urls: ['ldaps://ldap.example.test:636'],
    bindDn: 'cn=admin,dc=example,dc=test',
    baseDn: 'dc=example,dc=test',
  },
});

/** Inputs the bridge must refuse, whole, with a clear error. */
const refused: Array<[string, string, unknown]> = [
  ['NUL in a user name', 'users.create', { user: user({ userName: 'a\u0000b' }) }],
  ['newline in a user name', 'users.create', { user: user({ userName: 'a\nuid=admin' }) }],
  ['DEL in a user name', 'users.create', { user: user({ userName: 'a\u007f' }) }],
  ['empty user name', 'users.create', { user: user({ userName: '   ' }) }],
  ['1 MB user name', 'users.create', { user: user({ userName: MB.slice(0, 300_000) }) }],
  ['long display name', 'users.create', { user: user({ displayName: 'y'.repeat(5000) }) }],
  ['user name as a number', 'users.create', { user: user({ userName: 42 }) }],
  ['user name as an object', 'users.create', { user: user({ userName: { $ne: null } }) }],
  ['user name as an array', 'users.create', { user: user({ userName: ['a', 'b'] }) }],
  ['active as a string', 'users.create', { user: user({ active: 'false' }) }],
  ['unknown top-level key', 'users.create', { user: user({}), admin: true }],
  ['__proto__ key', 'users.create', JSON.parse('{"user":{"userName":"p"},"__proto__":{"admin":true}}')],
  ['constructor key', 'users.create', { user: user({}), constructor: { prototype: { x: 1 } } }],
  ['input is null', 'users.create', null],
  ['input is a string', 'users.create', '*)(uid=*'],
  ['input is an array', 'users.create', [user({})]],
  ['bad e-mail with a script', 'users.create', { user: user({ emails: [{ value: '<script>@x' }] }) }],
  ['e-mail header injection', 'users.create', { user: user({ emails: [{ value: 'a@x.test\r\nBcc: b@y.test' }] }) }],
  [
    'eleven e-mails',
    'users.create',
    { user: user({ emails: Array.from({ length: 11 }, (_, i) => ({ value: `a${i}@x.test` })) }) },
  ],
  ['user id with path traversal', 'users.get', { id: '../../etc/passwd' }],
  ['user id 1000 chars', 'users.get', { id: 'z'.repeat(1000) }],
  ['delete by a filter-looking id', 'users.delete', { id: '*)(uid=*' }],
  ['delete by a DN', 'users.delete', { id: `uid=existing,${'ou=People,dc=example,dc=test'}` }],
  [
    'password for an unknown user',
    'users.setPassword',
    { id: 'no-such-user', password: 'Passw0rd!', mustChange: false },
  ],
  ['group name empty', 'groups.create', { group: { displayName: '' } }],
  ['group name as a number', 'groups.create', { group: { displayName: 7 } }],
  ['unknown channel', 'users.dropAll', {}],
  ['prototype channel', '__proto__', {}],
  ['constructor channel', 'constructor', {}],
  ['channel with path', '../users.create', { user: user({}) }],
  [
    'directory URL http',
    'directories.save',
    {
      config: { ...staticConfig('x1'), connection: { ...staticConfig().connection, urls: ['http://evil.test'] } },
      secrets: {},
    },
  ],
  [
    'directory URL with a path',
    'directories.save',
    {
      config: {
        ...staticConfig('x2'),
        connection: { ...staticConfig().connection, urls: ['ldap://evil.test/../../etc'] },
      },
      secrets: {},
    },
  ],
  [
    'directory URL with a file scheme',
    'directories.save',
    {
      config: { ...staticConfig('x3'), connection: { ...staticConfig().connection, urls: ['file:///etc/passwd'] } },
      secrets: {},
    },
  ],
  ['directory kind unknown', 'directories.save', { config: { ...staticConfig('x4'), kind: 'samba' }, secrets: {} }],
  [
    'mapping onto unicodePwd',
    'directories.save',
    { config: { ...staticConfig('x5'), userMapping: [{ model: 'userName', remote: 'unicodePwd' }] }, secrets: {} },
  ],
  [
    'mapping onto objectClass',
    'directories.save',
    { config: { ...staticConfig('x6'), userMapping: [{ model: 'title', remote: 'objectClass' }] }, secrets: {} },
  ],
  [
    'mapping onto member',
    'directories.save',
    { config: { ...staticConfig('x7'), groupMapping: [{ model: 'displayName', remote: 'member' }] }, secrets: {} },
  ],
  ['duplicate directory name', 'directories.save', { config: staticConfig(), secrets: {} }],
  ['saved secret pointed elsewhere', 'directories.save', { id: '', config: staticConfig(), secrets: {} }],
  [
    'Entra custom authority over http',
    'directories.save',
    {
      config: {
        kind: 'entra',
        name: 'x8',
        connection: {
          tenantId: 't',
          clientId: 'c',
          cloud: 'custom',
          authorityUrl: 'javascript:alert(1)',
          graphUrl: 'https://g.test',
        },
      },
      secrets: {},
    },
  ],
  ['report id traversal', 'reports.get', { id: '../../../etc/passwd' }],
  ['report export with a path', 'reports.exportToFile', { resolved: {}, format: 'csv', path: '/etc/cron.d/x' }],
  ['report export format exe', 'reports.exportToFile', { resolved: {}, format: 'exe' }],
  [
    'template preview huge',
    'onboarding.template.preview',
    { kind: 'activation', template: { subject: 'x'.repeat(2000), html: '', text: '' } },
  ],
  ['settings with unknown key', 'onboarding.settings.save', { settings: {}, secrets: {}, exec: 'rm -rf /' }],
  [
    'SMTP password to another host',
    'onboarding.mail.test',
    {
      to: 'a@example.test',
      mail: {
        transport: 'smtp',
        fromAddress: 'it@example.test',
        smtp: { host: 'smtp.evil.test', port: 25, security: 'none', username: 'u' },
      },
    },
  ],
];

/** Inputs that may be stored: they must come back exactly and reach the directory as plain data. */
const stored: Array<[string, string]> = [
  ['filter injection', '*)(uid=*'],
  ['filter wildcard', '*'],
  ['escaped NUL text', 'x\\00y'],
  ['DN injection', ',cn=admin,dc=example,dc=test'],
  ['RDN addition', 'x+cn=root'],
  ['leading hash', '#42'],
  ['all DN specials', 'walk,=+<>#;\\"'],
  ['emoji after specials', 'walk,=+<>#;\\"😀'],
  ['HTML', '<img src=x onerror=alert(1)>'],
  ['script', '<script>alert(1)</script>'],
  ['CSV formula', '=HYPERLINK("http://evil.test")'],
  ['CSV formula plus', '+cmd|calc!A1'],
  ['RTL override', '\u202Eadmin'],
  ['confusable Cyrillic a', 'аdmin'],
  ['zero-width space', 'ad\u200Bmin'],
  ['path traversal as a name', '../../etc/passwd'],
];

describe('the bridge over HTTP refuses hostile input and changes nothing', () => {
  it.each(refused)('%s', async (_name, channel, input) => {
    const before = storeDigest(app.db);
    const dirBefore = await directoryDigest();
    if (channel === 'directories.save' && (input as { id?: string }).id === '') {
      // A saved directory pointed at another server without its secret typed again.
      (input as { id?: string }).id = dirId;
      (input as { config: ReturnType<typeof staticConfig> }).config.connection.urls = ['ldap://127.0.0.1:1'];
    }
    const r = await invoke(channel, input);
    expect(r.ok, JSON.stringify(r).slice(0, 300)).toBe(false);
    expect(r.error?.code).toMatch(/^[a-z_]+$/);
    expect(r.error?.message.length).toBeGreaterThan(5);
    expect(storeDigest(app.db)).toBe(before);
    expect(await directoryDigest()).toBe(dirBefore);
  });

  it('drops unknown keys inside nested objects, deep JSON included: nothing of them is stored', async () => {
    const r = await invoke('users.create', { user: { userName: 'nested', name: deep(2000) } });
    expect(r.ok).toBe(true);
    const g = await invoke('groups.create', { group: { displayName: 'nested-group', owner: 'cn=admin' } });
    expect(g.ok).toBe(true);
    const dump = JSON.stringify(app.db.all('SELECT * FROM users')) + JSON.stringify(app.db.all('SELECT * FROM groups'));
    expect(dump).not.toContain('bottom');
    expect(dump).not.toContain('cn=admin');
  });

  it('refuses deep JSON as the whole input', async () => {
    const before = storeDigest(app.db);
    const n = 20_000;
    const body = `{"channel":"users.create","input":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`;
    const r = await invokeRaw(body);
    expect(r.status).toBeLessThan(500);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(storeDigest(app.db)).toBe(before);
  });

  it('refuses a 1 MB body, non-JSON and truncated JSON', async () => {
    const before = storeDigest(app.db);
    expect(
      (await invokeRaw(JSON.stringify({ channel: 'users.create', input: { user: user({ displayName: MB }) } }))).status,
    ).toBe(413);
    expect((await invokeRaw('{"channel":"users.create","input":{"user":')).status).toBe(400);
    expect(
      (await invokeRaw('channel=users.create', { 'Content-Type': 'application/x-www-form-urlencoded' })).status,
    ).toBe(415);
    expect(storeDigest(app.db)).toBe(before);
  });
});

describe('requests that are not the session', () => {
  const good = JSON.stringify({ channel: 'users.create', input: { user: user({ userName: 'forged' }) } });
  const cases: Array<[string, () => Promise<{ status: number }>]> = [
    ['no cookie', () => invokeRaw(good, { Cookie: '' })],
    ['forged cookie', () => invokeRaw(good, { Cookie: `pd_session_${web.port}=${'a'.repeat(43)}` })],
    ['cookie of another port', () => invokeRaw(good, { Cookie: cookie.replace(`_${web.port}=`, `_${web.port + 1}=`) })],
    ['replayed launch token', () => http(`/${new URL(web.url).search}`)],
    ['forged launch token', () => http('/?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')],
    ['cross-origin POST', () => invokeRaw(good, { Origin: 'http://evil.test' })],
    ['null origin', () => invokeRaw(good, { Origin: 'null' })],
    ['no Origin on POST', () => invokeRaw(good, { Origin: '' })],
    ['foreign Host (DNS rebinding)', () => invokeRaw(good, { Host: `evil.test:${web.port}` })],
    ['cross-site fetch', () => invokeRaw(good, { 'Sec-Fetch-Site': 'cross-site' })],
    ['GET on the bridge', () => http('/api/invoke', { headers: { Cookie: cookie } })],
    ['static path traversal', () => http('/../secret-next-to-renderer.txt', { headers: { Cookie: cookie } })],
    ['encoded path traversal', () => http('/%2e%2e/secret-next-to-renderer.txt', { headers: { Cookie: cookie } })],
    [
      'double-encoded traversal',
      () => http('/%252e%252e/secret-next-to-renderer.txt', { headers: { Cookie: cookie } }),
    ],
    [
      'report download with a bad filter',
      () => http('/api/reports/download?format=csv&filter=%7B%22__proto__%22%3A1%7D', { headers: { Cookie: cookie } }),
    ],
  ];
  it.each(cases)('%s is refused', async (name, send) => {
    const before = storeDigest(app.db);
    const r = (await send()) as { status: number; body: string };
    expect(r.body).not.toContain('do not serve');
    // Traversal attempts may get the app's own page back (the path is normalised inside its folder).
    if (name.includes('traversal')) expect([200, 400, 403, 404]).toContain(r.status);
    else expect(r.status, r.body).toBeGreaterThanOrEqual(400);
    expect(storeDigest(app.db)).toBe(before);
  });
});

describe('stored as given, inert in the directory', () => {
  it.each(stored)('%s', async (_name, value) => {
    const r = await invoke('users.create', { user: { userName: value, displayName: value, title: value } });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const id = (r.value as { id: string }).id;
    const back = await invoke('users.get', { id });
    expect((back.value as { user: unknown }).user).toMatchObject({ userName: value, displayName: value, title: value });
    await app.sync.drain();
    const link = app.repos.links.get(dirId, 'user', id);
    expect(link?.state, link?.reason ?? '').toBe('provisioned');
    // The DN holds the value as one RDN value, never as extra RDNs or attributes.
    const rdns = parseDn(link!.ref!);
    expect(rdns[0]).toEqual([{ type: 'uid', value }]);
    const c = new Client({ url: srv.ldapsUrl, tlsOptions: { ca: srv.caCertPem } });
    try {
      await c.bind(srv.adminDn, srv.adminPassword);
      const e = await c.search(link!.ref!, { scope: 'base', attributes: ['uid', 'title'] });
      expect(e.searchEntries[0]).toMatchObject({ uid: value, title: value });
    } finally {
      await c.unbind();
    }
  });
});

describe('the command line refuses hostile input and changes nothing', () => {
  let dataDir: string;
  const digest = () => {
    const db = new DatabaseSync(join(dataDir, 'provision-desk.sqlite'), { readOnly: true });
    try {
      return storeDigest(db);
    } finally {
      db.close();
    }
  };
  beforeAll(async () => {
    dataDir = join(work, 'cli-data');
    const file = join(work, 'dir.json');
    writeFileSync(file, JSON.stringify({ config: dirConfig('CLI LDAP') }));
    const r = await cli(['directory', 'add', '--file', file, '--secret-stdin', '--data-dir', dataDir], {
      stdin: srv.adminPassword,
    });
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);

  const files: Record<string, string> = {
    'deep.json': JSON.stringify({ config: deep(3000) }),
    'unknown.json': JSON.stringify({ config: { kind: 'ldap', name: 'u' }, evil: true }),
    'http.json': JSON.stringify({
      config: { kind: 'ldap', name: 'h', connection: { urls: ['http://evil.test'], bindDn: 'x', baseDn: 'y' } },
    }),
    'mapping.json': JSON.stringify({
      config: {
        kind: 'ldap',
        name: 'm',
        userMapping: [{ model: 'userName', remote: 'userPassword' }],
        connection: { urls: ['ldaps://x.test'], bindDn: 'x', baseDn: 'y' },
      },
    }),
    'notjson.json': '=cmd|calc!A1',
    'user-nul.json': JSON.stringify({ userName: 'a\u0000b' }),
  };
  const cases: Array<[string, (f: (n: string) => string) => string[]]> = [
    ['directory file traversal', () => ['directory', 'add', '--file', '../../../../../../etc/shadow']],
    ['directory file is a folder', () => ['directory', 'add', '--file', '/']],
    ['directory file deep JSON', (f) => ['directory', 'add', '--file', f('deep.json')]],
    ['directory file unknown key', (f) => ['directory', 'add', '--file', f('unknown.json')]],
    ['directory file http URL', (f) => ['directory', 'add', '--file', f('http.json')]],
    ['directory file sensitive mapping', (f) => ['directory', 'add', '--file', f('mapping.json')]],
    ['directory file not JSON', (f) => ['directory', 'add', '--file', f('notjson.json')]],
    ['verify a filter as a name', () => ['directory', 'verify', '*)(uid=*']],
    ['import a DN as a name', () => ['import', ',cn=admin,dc=example,dc=test', '--preview']],
    ['user file with NUL', (f) => ['user', 'add', '--file', f('user-nul.json')]],
    ['delete a wildcard user', () => ['user', 'delete', '*']],
    [
      'report from SQL',
      () => ['reports', 'export', '--from', "'; DROP TABLE users;--", '--format', 'csv', '--out', join(work, 'r.csv')],
    ],
    ['report format traversal', () => ['reports', 'export', '--format', '../../csv', '--out', join(work, 'r2.csv')]],
  ];
  it.each(cases)('%s', async (_name, args) => {
    for (const [n, text] of Object.entries(files)) writeFileSync(join(work, n), text);
    const before = digest();
    const r = await cli([...args((n) => join(work, n)), '--data-dir', dataDir]);
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    expect(r.stderr.trim().length).toBeGreaterThan(5);
    expect(r.stderr).not.toMatch(/at .+\.ts:\d+/); // a sentence, not a stack trace
    expect(digest()).toBe(before);
  });
});
