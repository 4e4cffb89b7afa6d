/**
 * Launcher for a real Samba Active Directory domain controller (Debian
 * packages samba, samba-ad-provision, samba-dsdb-modules, winbind).
 *
 * Samba's LDAP ports are fixed (389/636), so there is one instance per
 * machine, started once per test run by test/services/samba-global-setup.ts.
 * Needs root.
 *
 * startSambaDc():
 * 1. kills a samba left over from an earlier run of ours (a process whose
 *    working directory is one of our /tmp/provision-desk-samba-* dirs and
 *    whose owner process is gone), and fails with a clear message if
 *    something else holds 389/636;
 * 2. `samba-tool domain provision` into a fresh temp dir (about 4 s), with
 *    only the `ldap` server service, loopback interfaces only, and a TLS
 *    certificate of ours (SAN IP:127.0.0.1, DNS:localhost) so clients can
 *    verify it against `caCertPem` with the URL ldaps://127.0.0.1:636;
 * 3. runs `samba -i` (= --foreground --no-process-group, log to stdout,
 *    and terminate when stdin closes) as our child with stdin a pipe from
 *    us: if this process dies in any way, samba exits by itself;
 * 4. waits until an LDAPS simple bind as Administrator succeeds, then sets
 *    minPwdAge = 0 and maxPwdAge = 0 (never expire) so a user may change a
 *    password right after it was set. Complexity stays on, minimum length 7,
 *    history 24, `ldap server require strong auth = yes` (plain-LDAP simple
 *    binds are refused with strongAuthRequired).
 */
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Attribute, Change, Client } from 'ldapts';
import {
  canBind,
  makeOwnedTempDir,
  makeTlsFiles,
  ownProcess,
  pidAlive,
  processesUsingDir,
  terminateChild,
} from './slapd.ts';

const execFileP = promisify(execFile);

export const SAMBA_PACKAGES = ['samba', 'samba-ad-provision', 'samba-dsdb-modules', 'samba-vfs-modules', 'winbind'];
const DIR_PREFIX = 'provision-desk-samba';
const SAMBA_BIN = '/usr/sbin/samba';
const SAMBA_TOOL = '/usr/bin/samba-tool';
const PROVISION_DATA = '/usr/share/samba/setup/provision.ldif';

/** Everything a test needs to reach the DC; plain data (crosses vitest's provide/inject). */
export interface SambaDcInfo {
  ldapUrl: 'ldap://127.0.0.1:389';
  ldapsUrl: 'ldaps://127.0.0.1:636';
  /** Kerberos realm / DNS domain upper-case, e.g. AD.EXAMPLE.TEST */
  realm: string;
  /** NetBIOS domain name, e.g. EXAMPLE */
  domain: string;
  /** DNS domain, e.g. ad.example.test (the UPN suffix). */
  dnsDomain: string;
  /** DC=ad,DC=example,DC=test */
  baseDn: string;
  /** CN=Users,<baseDn> */
  usersDn: string;
  /** Administrator@ad.example.test */
  adminUpn: string;
  /** CN=Administrator,CN=Users,<baseDn> */
  adminDn: string;
  adminPassword: string;
  /** PEM of the CA that signed the DC's certificate (tlsOptions.ca). */
  caCertPem: string;
  caCertPath: string;
  /** Host name of the DC in the certificate too: pddc.ad.example.test */
  dnsHostName: string;
  pid: number;
  /** The provision directory (smb.conf in etc/, sam.ldb in private/). */
  dataDir: string;
  /** private/sam.ldb: for `ldbadd -H` / `samba-tool … -H` while the DC runs. */
  samLdbPath: string;
  smbConfPath: string;
  sambaVersion: string;
  /** Milliseconds spent provisioning and starting. */
  provisionMs: number;
  startMs: number;
}

export interface SambaDc extends SambaDcInfo {
  stop(): Promise<void>;
}

export interface SambaDcOptions {
  /** Default AD.EXAMPLE.TEST */
  realm?: string;
  /** Default EXAMPLE */
  domain?: string;
  /** Default 'Pr0vision-Desk!Adm1n' (complex, as Samba requires). */
  adminPassword?: string;
  /** Give up waiting for the first LDAPS bind after this many ms (default 180 s). */
  startTimeoutMs?: number;
  /** How long to wait for another test run on this machine to release the
   *  DC (default PD_SAMBA_WAIT_MS or 15 minutes). */
  lockWaitMs?: number;
}

/** Throws an Error naming what is missing, or returns the Samba version. */
export async function checkSambaInstalled(): Promise<string> {
  const missing: string[] = [];
  if (!existsSync(SAMBA_BIN)) missing.push('samba');
  if (!existsSync(SAMBA_TOOL)) missing.push('samba-common-bin');
  if (!existsSync(PROVISION_DATA)) missing.push('samba-ad-provision');
  // samba-dsdb-modules: the AD database modules, in /usr/lib/<multiarch>/samba/ldb/.
  if (!readdirSafe('/usr/lib').some((d) => existsSync(join('/usr/lib', d, 'samba/ldb/acl.so')))) {
    missing.push('samba-dsdb-modules');
  }
  if (missing.length > 0) {
    throw new Error(
      `Samba AD DC is not installed (missing: ${missing.join(', ')}). Install the Debian packages ` +
        `${SAMBA_PACKAGES.join(' ')} (run scripts/install-prereqs.sh as root).`,
    );
  }
  const { stdout } = await execFileP(SAMBA_BIN, ['-V']);
  return stdout.trim().replace(/^Version\s+/i, '');
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------
// Stale processes and busy ports

/** Kills samba processes started by an earlier run of ours whose owner is gone. */
export async function killStaleSamba(): Promise<number[]> {
  const base = tmpdir();
  const killed: number[] = [];
  for (const name of readdirSafe(base)) {
    if (!name.startsWith(`${DIR_PREFIX}-`)) continue;
    const dir = join(base, name);
    let owner = 0;
    try {
      owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8').trim());
    } catch {
      /* no owner file: treat as stale */
    }
    if (owner > 1 && owner !== process.pid && pidAlive(owner)) continue;
    for (const pid of processesUsingDir(dir, SAMBA_BIN)) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        /* gone */
      }
    }
  }
  const deadline = Date.now() + 5000;
  while (killed.some((p) => pidAlive(p)) && Date.now() < deadline) await sleep(50);
  return killed;
}

/** Who listens on TCP `port` (any address), as "comm (pid N)" strings. */
export function portHolders(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/);
      const [, local, , state, , , , , , inode] = cols;
      if (local?.endsWith(`:${hex}`) && state === '0A' && inode) inodes.add(inode);
    }
  }
  if (inodes.size === 0) return [];
  const holders: string[] = [];
  for (const p of readdirSafe('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    for (const fd of readdirSafe(`/proc/${p}/fd`)) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${p}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m?.[1] && inodes.has(m[1])) {
        let comm = '?';
        try {
          comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
        } catch {
          /* gone */
        }
        holders.push(`${comm} (pid ${p})`);
        break;
      }
    }
  }
  return holders.length > 0 ? holders : ['an unknown process'];
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Samba processes of another live test run (started from one of our dirs). */
function otherRunSambaPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSafe(tmpdir())) {
    if (name.startsWith(`${DIR_PREFIX}-`)) pids.push(...processesUsingDir(join(tmpdir(), name), SAMBA_BIN));
  }
  return pids;
}

async function assertPortsFree(waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (const port of [389, 636]) {
    let free = await portFree(port);
    for (let i = 0; !free && i < 20; i++) {
      await sleep(100);
      free = await portFree(port);
    }
    // Another test run's DC (started by code without the machine lock): wait for it.
    while (!free && Date.now() < deadline && otherRunSambaPids().length > 0) {
      if (!announced) {
        announced = true;
        console.warn(`[samba] port ${port} is held by another test run's Samba DC; waiting for it to stop…`);
      }
      await sleep(500);
      free = await portFree(port);
    }
    if (!free) {
      throw new Error(
        `Port ${port} on 127.0.0.1 is in use by ${portHolders(port).join(', ')}; the Samba AD DC test instance needs 389 and 636. ` +
          "Stop Debian's slapd / samba-ad-dc / smbd services (scripts/install-prereqs.sh does it) or the other test run.",
      );
    }
  }
}

// One Samba DC per machine: a lock file says which process owns it, so that
// two test runs on one machine (a developer's watch mode and a full run, or
// parallel agents) wait for each other instead of fighting over 389/636.
const LOCK_PATH = join(tmpdir(), `${DIR_PREFIX}.lock`);
let lockHeld = false;

function releaseMachineLock(): void {
  if (!lockHeld) return;
  lockHeld = false;
  try {
    if (readFileSync(LOCK_PATH, 'utf8').trim() === String(process.pid)) unlinkSync(LOCK_PATH);
  } catch {
    /* already gone */
  }
}

async function acquireMachineLock(waitMs: number): Promise<void> {
  if (lockHeld) return;
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    try {
      writeFileSync(LOCK_PATH, `${process.pid}\n`, { flag: 'wx' });
      lockHeld = true;
      process.once('exit', releaseMachineLock);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: number;
    try {
      holder = Number(readFileSync(LOCK_PATH, 'utf8').trim());
    } catch {
      continue; // released meanwhile
    }
    if (!(holder > 1) || !pidAlive(holder) || holder === process.pid) {
      // Stale (owner gone) or being written right now: look again shortly.
      if (holder > 1 || Date.now() - statMtime(LOCK_PATH) > 2000) rmSync(LOCK_PATH, { force: true });
      await sleep(50);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Another test run (pid ${holder}) holds the machine's Samba AD DC (${LOCK_PATH}); waited ${Math.round(waitMs / 1000)} s. ` +
          'Set PD_SAMBA_WAIT_MS to wait longer.',
      );
    }
    if (!announced) {
      announced = true;
      console.warn(`[samba] waiting for test run pid ${holder} to release the Samba AD DC (ports 389/636)…`);
    }
    await sleep(500);
  }
}

function statMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------

export async function startSambaDc(opts: SambaDcOptions = {}): Promise<SambaDc> {
  if (process.platform !== 'linux') throw new Error('The Samba AD DC test server needs Linux');
  const sambaVersion = await checkSambaInstalled();
  if (process.getuid?.() !== 0) {
    throw new Error('The Samba AD DC test server must run as root (samba refuses to run as another user)');
  }
  const realm = (opts.realm ?? 'AD.EXAMPLE.TEST').toUpperCase();
  const dnsDomain = realm.toLowerCase();
  const domain = (opts.domain ?? 'EXAMPLE').toUpperCase();
  const adminPassword = opts.adminPassword ?? 'Pr0vision-Desk!Adm1n';
  const hostName = 'pddc';
  const dnsHostName = `${hostName}.${dnsDomain}`;
  const baseDn = dnsDomain
    .split('.')
    .map((p) => `DC=${p}`)
    .join(',');
  const usersDn = `CN=Users,${baseDn}`;
  const adminDn = `CN=Administrator,${usersDn}`;
  const adminUpn = `Administrator@${dnsDomain}`;

  const waitMs = opts.lockWaitMs ?? Number(process.env.PD_SAMBA_WAIT_MS ?? 15 * 60_000);
  await acquireMachineLock(waitMs);
  try {
    await killStaleSamba();
    await assertPortsFree(waitMs);
  } catch (e) {
    releaseMachineLock();
    throw e;
  }

  const t0 = Date.now();
  const dir = makeOwnedTempDir(DIR_PREFIX);
  const unregisterDir = ownProcess({ pid: 0, dir, extraPids: [] });
  try {
    for (const sub of ['tls', 'run', 'log', 'ncalrpc', 'winbindd']) mkdirSync(join(dir, sub), { mode: 0o755 });
    const tls = await makeTlsFiles(join(dir, 'tls'), [dnsHostName, dnsDomain, hostName]);
    chmodSync(tls.keyPath, 0o600); // samba refuses a key readable by others

    const options = [
      'interfaces=lo',
      'bind interfaces only=yes',
      // Only the LDAP server: no smbd file server, no NetBIOS (137/138), no
      // KDC (88), no RPC (135), no replication / DNS update tasks. This is
      // what lets it start quickly and without conflicts in a container.
      'server services=ldap',
      'ldap server require strong auth=yes',
      // After a password change the previous password would still be
      // accepted for 60 minutes (also by LDAP simple binds): make it fail at once.
      'old password allowed period=0',
      'tls enabled=yes',
      `tls keyfile=${tls.keyPath}`,
      `tls certfile=${tls.certPath}`,
      `tls cafile=${tls.caCertPath}`,
      `pid directory=${join(dir, 'run')}`,
      `ncalrpc dir=${join(dir, 'ncalrpc')}`,
      `winbindd socket directory=${join(dir, 'winbindd')}`,
      `log file=${join(dir, 'log', 'log.%m')}`,
      'log level=1',
      // Throw-away database: no fsync on commit (each write transaction
      // otherwise waits for several fdatasync calls, and every other worker
      // waits for its lock). Together with TDB_NO_FSYNC=1 in the environment.
      'ldb:nosync=true',
    ];
    const env = { ...process.env, TDB_NO_FSYNC: '1' };
    const provisionArgs = [
      'domain',
      'provision',
      `--targetdir=${dir}`,
      `--realm=${realm}`,
      `--domain=${domain}`,
      '--server-role=dc',
      '--dns-backend=NONE',
      `--adminpass=${adminPassword}`,
      `--host-name=${hostName}`,
      `--option=netbios name=${hostName.toUpperCase()}`,
      ...options.map((o) => `--option=${o}`),
    ];
    try {
      await execFileP(SAMBA_TOOL, provisionArgs, { cwd: dir, env, maxBuffer: 32 * 1024 * 1024, timeout: 300_000 });
    } catch (e) {
      const err = e as Error & { stderr?: string; stdout?: string };
      throw new Error(
        `samba-tool domain provision failed: ${(err.stderr || err.stdout || err.message).trim().slice(-4000)}`,
        {
          cause: e,
        },
      );
    }
    const smbConfPath = join(dir, 'etc', 'smb.conf');
    const samLdbPath = join(dir, 'private', 'sam.ldb');
    const provisionMs = Date.now() - t0;

    const t1 = Date.now();
    const logPath = join(dir, 'log', 'samba.stdout.log');
    const logFd = openSync(logPath, 'w');
    // -i: foreground, no new process group, log to stdout, and exit when
    // stdin reaches EOF, i.e. when this process is gone.
    const child = spawn(SAMBA_BIN, ['-i', '--no-process-group', '-s', smbConfPath, '--maximum-runtime=21600'], {
      cwd: dir,
      env,
      stdio: ['pipe', logFd, logFd],
    });
    closeSync(logFd);
    child.on('error', () => {});
    child.stdin?.on('error', () => {});
    if (child.pid === undefined) throw new Error(`cannot start ${SAMBA_BIN}`);
    const pid = child.pid;
    const unregister = ownProcess({ pid, dir, extraPids: [], signal: 'SIGTERM' });
    child.once('exit', () => unregister());
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();

    const stopAll = async (): Promise<void> => {
      child.stdin?.end();
      await terminateChild(child, 15_000);
      // Any worker still around (they share our temp dir as cwd).
      for (let i = 0; i < 50; i++) {
        const left = processesUsingDir(dir, SAMBA_BIN);
        if (left.length === 0) break;
        if (i >= 20) for (const p of left) process.kill(p, 'SIGKILL');
        await sleep(100);
      }
      unregister();
    };

    const timeoutMs = opts.startTimeoutMs ?? 180_000;
    const deadline = Date.now() + timeoutMs;
    let up = false;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await canBind('ldaps://127.0.0.1:636', adminDn, adminPassword, tls.caCertPem)) {
        up = true;
        break;
      }
      await sleep(200);
    }
    if (!up) {
      const exited = child.exitCode !== null || child.signalCode !== null;
      await stopAll();
      const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
      throw new Error(
        `Samba AD DC ${exited ? 'exited during start' : `did not accept an LDAPS bind within ${timeoutMs} ms`}: ` +
          (log.trim().slice(-4000) || 'no output'),
      );
    }

    // Let a user change a password right after it was set (tests do that).
    const admin = new Client({ url: 'ldaps://127.0.0.1:636', tlsOptions: { ca: tls.caCertPem }, timeout: 30_000 });
    try {
      await admin.bind(adminDn, adminPassword);
      await admin.modify(baseDn, [
        new Change({ operation: 'replace', modification: new Attribute({ type: 'minPwdAge', values: ['0'] }) }),
        new Change({ operation: 'replace', modification: new Attribute({ type: 'maxPwdAge', values: ['0'] }) }),
      ]);
    } finally {
      await admin.unbind().catch(() => {});
    }
    const startMs = Date.now() - t1;
    unregisterDir();

    let stopped: Promise<void> | undefined;
    return {
      ldapUrl: 'ldap://127.0.0.1:389',
      ldapsUrl: 'ldaps://127.0.0.1:636',
      realm,
      domain,
      dnsDomain,
      baseDn,
      usersDn,
      adminUpn,
      adminDn,
      adminPassword,
      caCertPem: tls.caCertPem,
      caCertPath: tls.caCertPath,
      dnsHostName,
      pid,
      dataDir: dir,
      samLdbPath,
      smbConfPath,
      sambaVersion,
      provisionMs,
      startMs,
      stop() {
        stopped ??= (async () => {
          await stopAll();
          rmSync(dir, { recursive: true, force: true });
          releaseMachineLock();
        })();
        return stopped;
      },
    };
  } catch (e) {
    if (process.env.PD_KEEP_TEST_DIRS) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
    unregisterDir();
    releaseMachineLock();
    throw e;
  }
}

/** The plain-data part of a SambaDc (what globalSetup provides to the tests). */
export function sambaDcInfo(dc: SambaDc): SambaDcInfo {
  const { stop: _stop, ...info } = dc;
  return { ...info };
}

/**
 * Adds the entries of an LDIF file (e.g. from writeUsersLdif({ ad: true,
 * containers: true })) straight into the DC's database in one transaction,
 * through Samba's own Python bindings, while the DC runs (as samba-tool
 * does with -H). All the AD modules apply: objectGUID, objectSid,
 * sAMAccountType, memberOf, uSNChanged are set as for an LDAP add; users
 * without a password get userAccountControl 546 (disabled). Needs root and
 * the same machine as the DC. Speed is close to LDAP adds in parallel; its
 * advantage is one process call for thousands of entries.
 */
export async function loadLdifIntoSamba(
  dc: Pick<SambaDcInfo, 'smbConfPath' | 'samLdbPath'>,
  ldifPath: string,
): Promise<void> {
  const script = [
    'import sys',
    'from samba.samdb import SamDB',
    'from samba.param import LoadParm',
    'from samba.auth import system_session',
    'lp = LoadParm()',
    'lp.load(sys.argv[1])',
    'db = SamDB(url=sys.argv[2], session_info=system_session(), lp=lp)',
    "text = open(sys.argv[3], encoding='utf-8').read()",
    'db.transaction_start()',
    'try:',
    '    db.add_ldif(text)',
    '    db.transaction_commit()',
    'except Exception:',
    '    db.transaction_cancel()',
    '    raise',
  ].join('\n');
  try {
    // Debian's interpreter (the one samba-tool uses), not a pyenv shim.
    await execFileP('/usr/bin/python3', ['-c', script, dc.smbConfPath, dc.samLdbPath, ldifPath], {
      env: { ...process.env, TDB_NO_FSYNC: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`loading ${ldifPath} into Samba failed: ${(err.stderr || err.message).trim().slice(-4000)}`, {
      cause: e,
    });
  }
}
