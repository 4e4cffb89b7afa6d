// One process writes to a data folder at a time: the desktop app, browser
// mode, `provision-desk serve` and the CLI's writing commands each hold an
// exclusive lock file in the folder while they run. Two writers would both
// run the outbox and the reset portal on one database. The file is created
// with O_EXCL (no native module, works on every platform and on shares) and
// names its holder, so a second process can say who is in the way. A holder
// that died without removing it (crash, kill -9) is detected on this host by
// its pid and the lock is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../errors.ts';

export type HolderKind = 'desktop' | 'browser' | 'cli' | 'serve';

export interface LockHolder {
  pid: number;
  hostname: string;
  kind: HolderKind;
  /** ISO time the holder took the lock. */
  started: string;
  /** CLI: the command that runs (e.g. "import"). */
  command?: string;
}

export interface FolderLock {
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): void;
}

export const LOCK_FILE = 'provision-desk.lock';
// A lock file seen empty is being written by its creator right now; only an
// old empty one is left over from a crash between create and write.
const EMPTY_GRACE_MS = 5_000;

export function lockPath(dataDir: string): string {
  return join(dataDir, LOCK_FILE);
}

/** The folder is in use by another process: code 'folder_busy', the holder in details. */
export class FolderBusyError extends AppError {
  readonly holder: LockHolder | undefined;
  constructor(dataDir: string, holder: LockHolder | undefined) {
    super('folder_busy', `${describeHolder(holder)}: ${dataDir}.`, { dataDir, ...(holder ? { holder } : {}) });
    this.holder = holder;
  }
}

type Seen = { state: 'free' } | { state: 'live'; holder?: LockHolder } | { state: 'stale'; raw: string };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const h = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.hostname === 'string' && typeof h.kind === 'string')
      return { started: '', ...h } as LockHolder;
  } catch {
    // Not JSON: handled as an unreadable lock below.
  }
  return undefined;
}

function look(path: string): Seen {
  let raw: string;
  let ageMs: number;
  try {
    raw = readFileSync(path, 'utf8');
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'free' };
    throw e;
  }
  const holder = parseHolder(raw);
  if (!holder) return ageMs < EMPTY_GRACE_MS ? { state: 'live' } : { state: 'stale', raw };
  // A pid means nothing on another host (a shared folder): that holder is taken at its word.
  if (holder.hostname !== hostname()) return { state: 'live', holder };
  return isAlive(holder.pid) ? { state: 'live', holder } : { state: 'stale', raw };
}

/** Who holds the folder's lock now, or undefined when nobody (a dead holder counts as nobody). */
export function folderHolder(dataDir: string): LockHolder | undefined {
  const seen = look(lockPath(dataDir));
  return seen.state === 'live' ? (seen.holder ?? unknownHolder()) : undefined;
}

function unknownHolder(): LockHolder {
  return { pid: 0, hostname: '', kind: 'cli', started: '' };
}

function create(path: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Removes a dead holder's lock. Two processes may find the same dead lock:
 * the file is first renamed to a name of our own (only one rename wins), and
 * put back if what we moved turned out not to be the dead one.
 */
function breakStale(path: string, raw: string): void {
  const aside = `${path}.${process.pid}.${Date.now()}.stale`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = readFileSync(aside, 'utf8');
  if (moved !== raw) {
    // Someone took the lock between our look and our rename: give it back.
    try {
      renameSync(aside, path);
    } catch {
      // Nothing more to do: the holder's own release tolerates a missing file.
    }
    return;
  }
  unlinkSync(aside);
}

/**
 * Takes the data folder's lock for this process or throws FolderBusyError
 * naming the holder. The lock is released by release() or when the process exits.
 */
export function acquireFolderLock(dataDir: string, kind: HolderKind, opts: { command?: string } = {}): FolderLock {
  mkdirSync(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  const holder: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    kind,
    started: new Date().toISOString(),
    ...(opts.command ? { command: opts.command } : {}),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (create(path, holder)) return held(path, holder);
    const seen = look(path);
    if (seen.state === 'live') throw new FolderBusyError(dataDir, seen.holder);
    if (seen.state === 'stale') breakStale(path, seen.raw);
  }
  throw new FolderBusyError(dataDir, folderHolder(dataDir));
}

function held(path: string, holder: LockHolder): FolderLock {
  const mine = JSON.stringify(holder);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      // Only our own file: a lock broken as stale and retaken belongs to its new holder.
      if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  process.on('exit', release);
  return { holder, release };
}

const KIND_WORDS: Record<HolderKind, string> = {
  desktop: 'desktop app',
  browser: 'browser mode',
  cli: 'command line',
  serve: 'provision-desk serve',
};

function clock(iso: string, now: Date): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return '';
  const hm = `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
  return t.toDateString() === now.toDateString() ? hm : `${t.toISOString().slice(0, 10)} ${hm}`;
}

/** "Provision Desk (browser mode, pid 1234, since 15:02) is using this data folder", in the admin's words. */
export function describeHolder(h: LockHolder | undefined, now = new Date()): string {
  if (!h || h.pid === 0) return 'Another Provision Desk is starting on this data folder';
  const parts = [
    h.kind === 'cli' && h.command ? `command line: ${h.command}` : KIND_WORDS[h.kind],
    h.hostname && h.hostname !== hostname() ? `on ${h.hostname}` : undefined,
    `pid ${h.pid}`,
    clock(h.started, now) ? `since ${clock(h.started, now)}` : undefined,
  ].filter(Boolean);
  return `Provision Desk (${parts.join(', ')}) is using this data folder`;
}
