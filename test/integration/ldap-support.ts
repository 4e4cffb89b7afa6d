// Helpers shared by the LDAP connector's integration tests: configs, the
// ldapsearch reference listing, a silent TCP server for timeouts.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { directoryConfigSchema, type DirectoryConfig, type DirectorySecrets } from '../../src-preload/directory.ts';
import type { RemoteUser, Connector, ListOptions } from '../../src-main/connectors/connector.ts';
import { LdapConnector } from '../../src-main/connectors/ldap/index.ts';

export function ldapConfig(
  kind: 'activeDirectory' | 'ldap',
  connection: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): DirectoryConfig {
  return directoryConfigSchema.parse({ name: `test ${kind}`, kind, connection, ...extra });
}

export interface LdifEntry {
  dn: string;
  attrs: Map<string, string[]>;
}

/**
 * Parses `ldapsearch -LLL -o ldif-wrap=no` output. Base64 values are decoded
 * as UTF-8, except attributes named in `binary` whose bytes come back as hex.
 */
export function parseLdif(text: string, binary: string[] = ['objectguid']): LdifEntry[] {
  const out: LdifEntry[] = [];
  for (const block of text.split(/\n\n+/)) {
    const lines = block.split('\n').filter((l) => l && !l.startsWith('#'));
    if (lines.length === 0) continue;
    let dn = '';
    const attrs = new Map<string, string[]>();
    for (const line of lines) {
      const m = /^([^:]+):(:?) ?(.*)$/.exec(line);
      if (!m) continue;
      const [, name, b64, raw] = m as unknown as [string, string, string, string];
      const bytes = b64 ? Buffer.from(raw, 'base64') : undefined;
      const value = bytes
        ? binary.includes(name.toLowerCase())
          ? bytes.toString('hex')
          : bytes.toString('utf8')
        : raw;
      if (name.toLowerCase() === 'dn') dn = value;
      else attrs.set(name.toLowerCase(), [...(attrs.get(name.toLowerCase()) ?? []), value]);
    }
    if (dn) out.push({ dn, attrs });
  }
  return out;
}

/** Runs ldapsearch with paged results and returns the entries. */
export function ldapsearch(opts: {
  url: string;
  bindDn: string;
  password: string;
  base: string;
  filter: string;
  attributes: string[];
  caCertPath?: string;
  pageSize?: number;
}): Promise<LdifEntry[]> {
  const args = [
    '-x',
    '-H',
    opts.url,
    '-D',
    opts.bindDn,
    '-w',
    opts.password,
    '-b',
    opts.base,
    '-LLL',
    '-o',
    'ldif-wrap=no',
    '-E',
    `pr=${opts.pageSize ?? 1000}/noprompt`,
    opts.filter,
    ...opts.attributes,
  ];
  const env = {
    ...process.env,
    LDAPTLS_CACERT: opts.caCertPath ?? '',
    LDAPTLS_REQCERT: opts.caCertPath ? 'demand' : 'never',
  };
  return new Promise((resolve, reject) => {
    execFile('ldapsearch', args, { env, maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ldapsearch failed: ${stderr || err.message}`));
      else resolve(parseLdif(stdout));
    });
  });
}

/** A TCP server that accepts connections and never answers (for timeouts). */
export async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `ldap://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function collectUsers(c: Connector, pageSizes?: number[]): Promise<RemoteUser[]> {
  const all: RemoteUser[] = [];
  for await (const page of c.listUsers()) {
    pageSizes?.push(page.length);
    all.push(...page);
  }
  return all;
}

export function randomTag(): string {
  return randomBytes(3).toString('hex');
}

/** Streams every user in scope page by page through a fresh connector; returns how many were read. */
export async function streamAllUsers(
  config: DirectoryConfig,
  secrets: DirectorySecrets,
  onPage: (page: RemoteUser[]) => void | Promise<void>,
  opts: ListOptions = {},
): Promise<number> {
  const c = new LdapConnector(config, secrets);
  let n = 0;
  try {
    for await (const page of c.listUsers(opts)) {
      n += page.length;
      await onPage(page);
    }
  } finally {
    await c.close();
  }
  return n;
}
