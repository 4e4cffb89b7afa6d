// Self-signed TLS certificate for the emulator, made with the openssl CLI in a temporary directory.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsMaterial {
  dir: string;
  keyPem: string;
  certPem: string;
  certPath: string;
}

export async function runOpenssl(args: string[], cwd?: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('graph-emulator: the `openssl` command is missing (Debian package `openssl`)', { cause: err });
    }
    throw new Error(`graph-emulator: openssl ${args[0]} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/** A self-signed certificate for 127.0.0.1 / localhost, usable as its own CA (NODE_EXTRA_CA_CERTS or `ca`). */
export async function makeServerCertificate(): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), 'graph-emulator-'));
  const keyPath = join(dir, 'server-key.pem');
  const certPath = join(dir, 'server-cert.pem');
  await runOpenssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '7',
    '-subj',
    '/CN=Provision Desk Graph emulator',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,digitalSignature,keyCertSign',
    '-addext',
    'extendedKeyUsage=serverAuth',
  ]);
  return { dir, keyPem: await readFile(keyPath, 'utf8'), certPem: await readFile(certPath, 'utf8'), certPath };
}
