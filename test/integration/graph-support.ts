// Shared set-up for the Graph connector's integration tests: the emulator,
// a directory config pointing at it, and certificates made with openssl.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { directoryConfigSchema, type DirectoryConfig, type DirectorySecrets } from '../../src-preload/directory.ts';
import {
  createGraphConnector,
  type GraphConnector,
  type GraphConnectorOptions,
} from '../../src-main/connectors/graph/index.ts';
import type { GraphEmulator } from '../graph-emulator/index.ts';

export const ALL_ROLES = [
  'User.ReadWrite.All',
  'Group.ReadWrite.All',
  'GroupMember.ReadWrite.All',
  'Mail.Send',
  'User-PasswordProfile.ReadWrite.All',
  'Organization.Read.All',
];

export const ALL_ON = {
  users: { import: true, create: true, edit: true, delete: true, passwordSync: true },
  groups: { import: true, create: true, delete: true, membership: true },
};

export function entraConfig(
  emu: GraphEmulator,
  over: { clientId?: string; connection?: Record<string, unknown>; toggles?: unknown; userMapping?: unknown[] } = {},
): DirectoryConfig {
  return directoryConfigSchema.parse({
    kind: 'entra',
    name: 'Emulated tenant',
    toggles: over.toggles ?? ALL_ON,
    userMapping: over.userMapping ?? [],
    connection: {
      tenantId: emu.tenantId,
      clientId: over.clientId ?? 'app',
      cloud: 'custom',
      authorityUrl: emu.baseUrl,
      graphUrl: `${emu.baseUrl}/v1.0`,
      caCertPem: emu.caCertPem,
      upnDomain: emu.tenantDomain,
      mailFrom: `noreply@${emu.tenantDomain}`,
      timeoutMs: 10_000,
      ...over.connection,
    },
  });
}

export function connectTo(
  emu: GraphEmulator,
  secrets: DirectorySecrets = { clientSecret: 's3cret' },
  over: Parameters<typeof entraConfig>[1] = {},
  options: GraphConnectorOptions = {},
): GraphConnector {
  return createGraphConnector(entraConfig(emu, over), secrets, {
    retry: { baseDelayMs: 50, maxDelayMs: 1000 },
    ...options,
  });
}

const run = promisify(execFile);

export interface CertPair {
  certPem: string;
  keyPem: string;
}

/** A self-signed RSA certificate; `expired` makes one valid only in January 2020 (openssl ca with explicit dates). */
export async function makeCertificate(opts: { expired?: boolean; pkcs1?: boolean } = {}): Promise<CertPair> {
  const dir = await mkdtemp(join(tmpdir(), 'graph-cert-'));
  try {
    if (!opts.expired) {
      await run(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          'key.pem',
          '-out',
          'cert.pem',
          '-days',
          '30',
          '-subj',
          '/CN=provision-desk-test',
        ],
        { cwd: dir },
      );
    } else {
      await writeFile(join(dir, 'index.txt'), '');
      await writeFile(join(dir, 'serial'), '01\n');
      await writeFile(
        join(dir, 'ca.cnf'),
        '[ca]\ndefault_ca=d\n[d]\ndir=.\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\nemail_in_dn=no\n[p]\ncommonName=supplied\n',
      );
      await run(
        'openssl',
        [
          'req',
          '-new',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          'key.pem',
          '-out',
          'req.csr',
          '-subj',
          '/CN=provision-desk-expired',
        ],
        { cwd: dir },
      );
      await run(
        'openssl',
        [
          'ca',
          '-batch',
          '-config',
          'ca.cnf',
          '-selfsign',
          '-keyfile',
          'key.pem',
          '-in',
          'req.csr',
          '-out',
          'cert.pem',
          '-startdate',
          '20200101000000Z',
          '-enddate',
          '20200201000000Z',
        ],
        { cwd: dir },
      );
    }
    if (opts.pkcs1) await run('openssl', ['rsa', '-in', 'key.pem', '-out', 'key.pem', '-traditional'], { cwd: dir });
    const certPem = (await readFile(join(dir, 'cert.pem'), 'utf8')).replace(
      /^[\s\S]*?(-----BEGIN CERTIFICATE-----)/,
      '$1',
    );
    return { certPem, keyPem: await readFile(join(dir, 'key.pem'), 'utf8') };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT')
      throw new Error('the `openssl` command is missing (Debian package `openssl`)', { cause: err });
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every page of an async iterable. */
export async function collect<T>(it: AsyncIterable<T[]>): Promise<{ pages: number; items: T[] }> {
  let pages = 0;
  const items: T[] = [];
  for await (const p of it) {
    pages++;
    items.push(...p);
  }
  return { pages, items };
}
