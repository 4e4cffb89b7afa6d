/**
 * Launcher for a real OpenLDAP `slapd` (Debian package `slapd`) used by the
 * integration tests and the benchmarks.
 *
 * Every call to startSlapd() builds a fresh server in its own temporary
 * directory: a generated slapd.conf (not cn=config), an mdb database, a
 * throw-away CA and server certificate made with `openssl`, and two free
 * loopback ports (ldap:// and ldaps://). slapd runs in the foreground
 * (`-d 0`) as our child, so we own its pid. stop() kills it, waits for it
 * to exit and removes the directory.
 *
 * Leftovers are impossible by construction:
 * - a `process.on('exit')` hook kills every server this process started;
 * - each slapd has a tiny watchdog (`sh`) whose stdin is a pipe from this
 *   process: when this process dies in any way (even SIGKILL), the pipe
 *   closes and the watchdog kills slapd.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'ldapts';

const execFileP = promisify(execFile);

export interface SlapdOptions {
  /** Directory suffix; default `dc=example,dc=test`. */
  suffix?: string;
  /** Path of an LDIF file loaded with `slapadd` before the server starts
   *  (offline, fast). It must not contain the base entries (the suffix,
   *  ou=People, ou=Groups, cn=admin): they are always created. */
  seedLdif?: string;
  /** Soft size limit for unpaged searches (default 500, like a stock slapd).
   *  Paged searches by the admin are never cut. */
  sizeLimit?: number | 'unlimited';
  /** Schema names (files under /etc/ldap/schema, without `.schema`) or
   *  absolute paths of .schema files, loaded after the default ones
   *  (core, cosine, inetorgperson, nis). */
  schemas?: string[];
  /** Load the password-policy overlay when the module is installed
   *  (default true); false gives a server without ppolicy. */
  ppolicy?: boolean;
  /** The server certificate's subjectAltName entries instead of the usual
   *  loopback names (e.g. ['DNS:dc1.example.test']): a certificate whose
   *  names do not match the URL, as when a server is reached by its IP. */
  certificateNames?: string[];
}

export interface SlapdServer {
  /** ldap://127.0.0.1:PORT (StartTLS works on it too). */
  url: string;
  /** ldaps://127.0.0.1:PORT; the certificate has SAN IP:127.0.0.1 and DNS:localhost. */
  ldapsUrl: string;
  baseDn: string;
  /** A regular entry (cn=admin,<suffix>) with `manage` rights on the whole
   *  tree. Unlike the rootdn it is subject to size limits: paged searches
   *  pass, an unpaged search past the soft limit gets sizeLimitExceeded. */
  adminDn: string;
  adminPassword: string;
  /** The rootdn (bypasses every limit and ACL); rarely needed by tests. */
  rootDn: string;
  rootPassword: string;
  /** ou=People,<suffix> */
  peopleDn: string;
  /** ou=Groups,<suffix> */
  groupsDn: string;
  /** PEM of the CA that signed the server certificate (pass as tlsOptions.ca). */
  caCertPem: string;
  caCertPath: string;
  dataDir: string;
  /** Whether the memberof overlay is active (memberOf kept on members). */
  memberOf: boolean;
  /** Whether the ppolicy overlay is active, with the default policy
   *  {@link SlapdServer.policyDn} (pwdLockout, pwdMustChange, pwdAllowUserChange):
   *  pwdAccountLockedTime locks an account, pwdReset forces a password change. */
  ppolicy: boolean;
  /** cn=default,ou=Policies,<suffix> when ppolicy is on. */
  policyDn?: string;
  pid: number;
  stop(): Promise<void>;
}

const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';
const SLAPD_CANDIDATES = ['/usr/sbin/slapd', '/usr/local/libexec/slapd'];
const DEFAULT_SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis'];

// ---------------------------------------------------------------------------
// Process bookkeeping shared by the launchers

export interface Owned {
  /** 0 when only a directory is owned. */
  pid: number;
  dir?: string;
  extraPids: number[];
  /** Signal sent to `pid` at exit (default SIGKILL). */
  signal?: NodeJS.Signals;
}

const owned = new Set<Owned>();
let exitHookInstalled = false;

/** Registers a process that must not outlive this one. Returns an unregister function. */
export function ownProcess(entry: Owned): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const o of owned) {
        for (const p of [...o.extraPids, o.pid]) {
          if (!(p > 1)) continue; // never kill(-1) or kill(0)
          try {
            process.kill(p, p === o.pid ? (o.signal ?? 'SIGKILL') : 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
        if (o.dir) {
          try {
            rmSync(o.dir, { recursive: true, force: true });
          } catch {
            /* best effort */
          }
        }
      }
    });
  }
  owned.add(entry);
  return () => {
    owned.delete(entry);
  };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by a parent that is not us) counts as gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Sends SIGTERM, waits up to `graceMs` for the child to exit, then SIGKILL. */
export async function terminateChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    child.kill('SIGTERM');
  } catch {
    /* gone */
  }
  let handle: NodeJS.Timeout | undefined;
  const timer = new Promise<'timeout'>((resolve) => {
    handle = setTimeout(() => resolve('timeout'), graceMs);
  });
  const outcome = await Promise.race([exited, timer]);
  clearTimeout(handle);
  if (outcome === 'timeout') {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
    await exited;
  }
}

/**
 * Starts `sh` reading its stdin from a pipe held by this process; on EOF
 * (this process died) it kills `pid` (TERM, then KILL). Killed by us on stop().
 */
export function startWatchdog(pid: number): ChildProcess {
  // Kill only if /proc/PID/exe is still the executable it was at start (no pid reuse accident).
  const script =
    'exe=$(readlink /proc/$0/exe); read _ignored; ' +
    '[ -n "$exe" ] && [ "$(readlink /proc/$0/exe)" = "$exe" ] || exit 0; ' +
    'kill -TERM "$0" 2>/dev/null; sleep 3; ' +
    '[ "$(readlink /proc/$0/exe)" = "$exe" ] && kill -KILL "$0" 2>/dev/null; exit 0';
  const dog = spawn('/bin/sh', ['-c', script, String(pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
  dog.on('error', () => {});
  dog.stdin?.on('error', () => {});
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return dog;
}

export function killQuietly(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill(signal);
  } catch {
    /* gone */
  }
}

/**
 * Creates a temp dir named PREFIX-XXXXXX with an `owner.pid` file, after
 * removing the dirs of earlier runs whose owning process is gone (a run
 * killed with SIGKILL cannot clean up after itself).
 */
export function makeOwnedTempDir(prefix: string): string {
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    if (!name.startsWith(`${prefix}-`)) continue;
    const dir = join(base, name);
    let ownerPid = 0;
    try {
      ownerPid = Number(readFileSync(join(dir, 'owner.pid'), 'utf8').trim());
    } catch {
      // No owner file: being created right now, or not ours; leave it unless old.
      try {
        if (Date.now() - statSync(dir).mtimeMs < 6 * 3600_000) continue;
      } catch {
        continue;
      }
    }
    if (ownerPid > 1 && pidAlive(ownerPid)) continue;
    if (processesUsingDir(dir).length > 0) continue;
    rmSync(dir, { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(base, `${prefix}-`));
  writeFileSync(join(dir, 'owner.pid'), `${process.pid}\n`);
  return dir;
}

/** Live processes whose working directory is `dir` or below it. */
export function processesUsingDir(dir: string, exe?: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
      if (exe && !readlinkSync(`/proc/${pid}/exe`).startsWith(exe)) continue;
      if (pidAlive(pid)) pids.push(pid);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

// ---------------------------------------------------------------------------
// Ports and certificates

/** A TCP port free on 127.0.0.1 right now (the caller retries on a race). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface TlsFiles {
  caCertPath: string;
  caCertPem: string;
  certPath: string;
  keyPath: string;
}

/**
 * A throw-away CA and a server certificate signed by it, made with the
 * `openssl` command. The server certificate always carries
 * SAN IP:127.0.0.1, IP:::1 and DNS:localhost, plus `extraDnsNames` (or exactly `onlyNames`).
 */
export async function makeTlsFiles(dir: string, extraDnsNames: string[] = [], onlyNames?: string[]): Promise<TlsFiles> {
  const caKey = join(dir, 'ca.key');
  const caCertPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certPath = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  const san = (onlyNames ?? ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost', ...extraDnsNames.map((d) => `DNS:${d}`)]).join(
    ',',
  );
  writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${san}`,
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid,issuer',
      '',
    ].join('\n'),
  );
  const openssl = async (args: string[]): Promise<void> => {
    try {
      await execFileP('openssl', args, { cwd: dir });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === 'ENOENT') {
        throw new Error('openssl is not installed: install the Debian package "openssl" (scripts/install-prereqs.sh)', {
          cause: e,
        });
      }
      throw new Error(`openssl ${args[0]} failed: ${err.stderr ?? err.message}`, { cause: e });
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    caCertPath,
    '-days',
    '3650',
    '-sha256',
    '-subj',
    '/O=Provision Desk tests/CN=Provision Desk Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl([
    'req',
    '-new',
    ...ec,
    '-keyout',
    keyPath,
    '-out',
    csr,
    '-subj',
    '/O=Provision Desk tests/CN=localhost',
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caCertPath,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    certPath,
    '-days',
    '825',
    '-sha256',
    '-extfile',
    ext,
  ]);
  return { caCertPath, caCertPem: readFileSync(caCertPath, 'utf8'), certPath, keyPath };
}

// ---------------------------------------------------------------------------
// slapd

function findSlapd(): string {
  const found = SLAPD_CANDIDATES.find((p) => existsSync(p));
  if (!found || !existsSync(`${SCHEMA_DIR}/core.schema`)) {
    throw new Error(
      'OpenLDAP slapd is not installed: install the Debian packages "slapd" and "ldap-utils" ' +
        '(run scripts/install-prereqs.sh as root).',
    );
  }
  return found;
}

function hasModule(name: string): boolean {
  return existsSync(join(MODULE_DIR, `${name}.la`)) || existsSync(join(MODULE_DIR, `${name}.so`));
}

function schemaPath(name: string): string {
  const p = name.startsWith('/') ? name : join(SCHEMA_DIR, `${name}.schema`);
  if (!existsSync(p)) throw new Error(`slapd schema not found: ${p}`);
  return p;
}

/** Quotes a value for slapd.conf (double quotes, backslash-escaped). */
function q(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function firstRdnValue(dn: string): string {
  const m = /^[^=]+=((?:\\.|[^,\\])*)/.exec(dn);
  return m?.[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : dn;
}

async function ssha(password: string): Promise<string> {
  const { createHash, randomBytes } = await import('node:crypto');
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

function randomSecret(): string {
  return `Pd-${Math.random().toString(36).slice(2, 10)}-${Date.now().toString(36)}`;
}

async function runTool(cmd: string, args: string[], what: string): Promise<void> {
  try {
    await execFileP(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as Error & { stderr?: string; stdout?: string };
    throw new Error(`${what} failed: ${(err.stderr || err.stdout || err.message).trim().slice(-4000)}`, { cause: e });
  }
}

export async function canBind(
  url: string,
  dn: string,
  password: string,
  caPem?: string,
  anyName = false,
): Promise<boolean> {
  const client = new Client({
    url,
    connectTimeout: 1000,
    timeout: 5000,
    // anyName: a server started with certificate names other than the URL's is still "up".
    tlsOptions: caPem ? { ca: caPem, ...(anyName && { checkServerIdentity: () => undefined }) } : undefined,
  });
  try {
    await client.bind(dn, password);
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => {});
  }
}

export async function startSlapd(opts: SlapdOptions = {}): Promise<SlapdServer> {
  const slapdBin = findSlapd();
  const suffix = opts.suffix ?? 'dc=example,dc=test';
  const sizeLimit = opts.sizeLimit ?? 500;
  const schemas = [...DEFAULT_SCHEMAS, ...(opts.schemas ?? []).filter((s) => !DEFAULT_SCHEMAS.includes(s))];
  const adminDn = `cn=admin,${suffix}`;
  const adminPassword = 'Admin-Passw0rd!';
  const rootDn = `cn=root,${suffix}`;
  const rootPassword = randomSecret();
  const peopleDn = `ou=People,${suffix}`;
  const groupsDn = `ou=Groups,${suffix}`;
  const memberOf = hasModule('memberof');
  // OpenLDAP 2.5+ has the ppolicy schema built into the module.
  const ppolicy = opts.ppolicy !== false && hasModule('ppolicy');
  const policiesDn = `ou=Policies,${suffix}`;
  const policyDn = `cn=default,${policiesDn}`;

  const dir = makeOwnedTempDir('provision-desk-slapd');
  const unregisterDir = ownProcess({ pid: 0, dir, extraPids: [] });
  try {
    const dbDir = join(dir, 'db');
    mkdirSync(dbDir, { mode: 0o700 });
    const tls = await makeTlsFiles(dir, [], opts.certificateNames);

    const confPath = join(dir, 'slapd.conf');
    const limitsValue = sizeLimit === 'unlimited' ? 'unlimited' : String(sizeLimit);
    const conf = [
      ...schemas.map((s) => `include ${schemaPath(s)}`),
      `pidfile ${join(dir, 'slapd.pid')}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      `modulepath ${MODULE_DIR}`,
      ...(hasModule('back_mdb') ? ['moduleload back_mdb'] : []),
      ...(memberOf ? ['moduleload memberof'] : []),
      ...(ppolicy ? ['moduleload ppolicy'] : []),
      `TLSCACertificateFile ${tls.caCertPath}`,
      `TLSCertificateFile ${tls.certPath}`,
      `TLSCertificateKeyFile ${tls.keyPath}`,
      'password-hash {SSHA}',
      // Default for everybody but the rootdn: a stock server's soft limit,
      // no hard cap, and paged searches never cut.
      `sizelimit size.soft=${limitsValue} size.hard=unlimited size.prtotal=unlimited`,
      'timelimit unlimited',
      'access to dn.base="" by * read',
      'access to dn.base="cn=Subschema" by * read',
      '',
      'database mdb',
      `suffix ${q(suffix)}`,
      `rootdn ${q(rootDn)}`,
      `rootpw ${q(rootPassword)}`,
      `directory ${dbDir}`,
      'maxsize 4294967296',
      // Fast writes: these are throw-away databases.
      'dbnosync',
      'checkpoint 65536 60',
      'index objectClass eq',
      // Equality only: substring indexes make slapadd of 100k users 5x slower.
      'index uid,mail,cn,sn,givenName,displayName eq',
      'index member,uniqueMember eq',
      ...(memberOf ? ['index memberOf eq'] : []),
      'index entryUUID,entryCSN eq',
      'index employeeNumber eq',
      `limits dn.exact=${q(adminDn)} size.soft=${limitsValue} size.hard=unlimited size.prtotal=unlimited time=unlimited`,
      `limits users size.soft=${limitsValue} size.hard=unlimited size.prtotal=unlimited`,
      'access to attrs=userPassword',
      `  by dn.exact=${q(adminDn)} manage`,
      '  by self write',
      '  by anonymous auth',
      '  by * none',
      'access to *',
      `  by dn.exact=${q(adminDn)} manage`,
      '  by self write',
      '  by users read',
      '  by * none',
      'lastmod on',
      ...(memberOf
        ? [
            'overlay memberof',
            'memberof-group-oc groupOfNames',
            'memberof-member-ad member',
            'memberof-memberof-ad memberOf',
            'memberof-refint TRUE',
            'memberof-dangling ignore',
          ]
        : []),
      ...(ppolicy ? ['overlay ppolicy', `ppolicy_default ${q(policyDn)}`, 'ppolicy_use_lockout'] : []),
      '',
    ].join('\n');
    writeFileSync(confPath, conf);

    // Base entries, offline.
    const adminHash = await ssha(adminPassword);
    const dcValue = firstRdnValue(suffix);
    const suffixAttr = (suffix.split('=')[0] ?? '').trim().toLowerCase();
    const baseEntry =
      suffixAttr === 'dc'
        ? [
            `dn: ${suffix}`,
            'objectClass: top',
            'objectClass: dcObject',
            'objectClass: organization',
            `dc: ${dcValue}`,
            `o: ${dcValue}`,
          ]
        : suffixAttr === 'o'
          ? [`dn: ${suffix}`, 'objectClass: top', 'objectClass: organization', `o: ${dcValue}`]
          : [`dn: ${suffix}`, 'objectClass: top', 'objectClass: organizationalUnit', `ou: ${dcValue}`];
    const baseLdif = [
      ...baseEntry,
      '',
      `dn: ${peopleDn}`,
      'objectClass: top',
      'objectClass: organizationalUnit',
      'ou: People',
      '',
      `dn: ${groupsDn}`,
      'objectClass: top',
      'objectClass: organizationalUnit',
      'ou: Groups',
      '',
      `dn: ${adminDn}`,
      'objectClass: top',
      'objectClass: person',
      'objectClass: simpleSecurityObject',
      'cn: admin',
      'sn: admin',
      'description: Directory administrator for the Provision Desk tests',
      `userPassword: ${adminHash}`,
      '',
      ...(ppolicy
        ? [
            `dn: ${policiesDn}`,
            'objectClass: top',
            'objectClass: organizationalUnit',
            'ou: Policies',
            '',
            `dn: ${policyDn}`,
            'objectClass: top',
            'objectClass: organizationalRole',
            'objectClass: pwdPolicy',
            'cn: default',
            'pwdAttribute: userPassword',
            'pwdLockout: TRUE',
            'pwdMustChange: TRUE',
            'pwdAllowUserChange: TRUE',
            '',
          ]
        : []),
    ].join('\n');
    const baseLdifPath = join(dir, 'base.ldif');
    writeFileSync(baseLdifPath, baseLdif);
    const slapadd = join(MODULE_DIR, '..', '..', 'sbin', 'slapadd');
    const slapaddBin = existsSync(slapadd) ? slapadd : 'slapadd';
    await runTool(slapaddBin, ['-q', '-f', confPath, '-l', baseLdifPath], 'slapadd of the base entries');
    if (opts.seedLdif) {
      if (!existsSync(opts.seedLdif)) throw new Error(`seed LDIF not found: ${opts.seedLdif}`);
      await runTool(slapaddBin, ['-q', '-f', confPath, '-l', opts.seedLdif], `slapadd of ${opts.seedLdif}`);
    }

    // Start; retry on a port race with a parallel test.
    let lastError = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      let tlsPort = await freePort();
      while (tlsPort === port) tlsPort = await freePort();
      const url = `ldap://127.0.0.1:${port}`;
      const ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`;
      const logPath = join(dir, `slapd.${attempt}.log`);
      const logFd = openSync(logPath, 'w');
      const child = spawn(slapdBin, ['-d', '0', '-h', `${url}/ ${ldapsUrl}/`, '-f', confPath], {
        cwd: dir,
        stdio: ['ignore', logFd, logFd],
      });
      closeSync(logFd);
      child.on('error', () => {});
      if (child.pid === undefined) {
        await new Promise((r) => setTimeout(r, 50));
        throw new Error(`cannot start ${slapdBin}`);
      }
      const pid = child.pid;
      const watchdog = startWatchdog(pid);
      const entry: Owned = { pid, dir, extraPids: watchdog.pid ? [watchdog.pid] : [] };
      const unregister = ownProcess(entry);
      child.once('exit', () => {
        unregister();
        killQuietly(watchdog);
      });
      child.unref();

      const deadline = Date.now() + 30_000;
      let up = false;
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) break;
        if (await canBind(url, adminDn, adminPassword)) {
          up = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const anyName = !!opts.certificateNames;
      if (up && !(await canBind(ldapsUrl, adminDn, adminPassword, tls.caCertPem, anyName))) {
        // ldaps listener bound later than ldap:// or failed; give it a moment.
        up = false;
        for (let i = 0; i < 40 && !up; i++) {
          await new Promise((r) => setTimeout(r, 50));
          up = await canBind(ldapsUrl, adminDn, adminPassword, tls.caCertPem, anyName);
        }
      }
      if (up) {
        unregisterDir();
        let stopped: Promise<void> | undefined;
        const server: SlapdServer = {
          url,
          ldapsUrl,
          baseDn: suffix,
          adminDn,
          adminPassword,
          rootDn,
          rootPassword,
          peopleDn,
          groupsDn,
          caCertPem: tls.caCertPem,
          caCertPath: tls.caCertPath,
          dataDir: dir,
          memberOf,
          ppolicy,
          ...(ppolicy ? { policyDn } : {}),
          pid,
          stop() {
            stopped ??= (async () => {
              killQuietly(watchdog);
              await terminateChild(child);
              unregister();
              rmSync(dir, { recursive: true, force: true });
            })();
            return stopped;
          },
        };
        return server;
      }
      killQuietly(watchdog);
      await terminateChild(child, 2000);
      unregister();
      lastError = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
      if (!/bind|address already in use/i.test(lastError)) break;
    }
    throw new Error(`slapd did not start: ${lastError.trim().slice(-4000) || 'no output'}`);
  } catch (e) {
    if (process.env.PD_KEEP_TEST_DIRS) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
    unregisterDir();
    throw e;
  }
}
