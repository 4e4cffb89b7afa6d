// One process per data folder: the lock file, who holds it in the admin's
// words, a dead holder's lock taken over, and two real processes on one folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireFolderLock,
  describeHolder,
  folderHolder,
  FolderBusyError,
  lockPath,
} from '../../src-main/store/folder-lock.ts';

const MODULE = fileURLToPath(new URL('../../src-main/store/folder-lock.ts', import.meta.url));
let dir: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pd-lock-'));
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Another process that takes the lock, says so, and holds it until killed or told to exit. */
function holderProcess(kind: string): Promise<{ child: ChildProcess; output: () => string }> {
  const script = `
    import { acquireFolderLock } from ${JSON.stringify(MODULE)};
    try {
      acquireFolderLock(${JSON.stringify(dir)}, ${JSON.stringify(kind)});
      console.log('held');
    } catch (e) {
      console.log('busy: ' + e.message);
      process.exit(1);
    }
    process.stdin.on('data', () => process.exit(0));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ child, output: () => out });
    });
    child.on('error', reject);
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode ? resolve() : child.once('exit', () => resolve()),
  );

describe('data folder lock', () => {
  it('is exclusive; the second is told who holds it; release frees it', () => {
    const first = acquireFolderLock(dir, 'browser');
    expect(folderHolder(dir)).toMatchObject({ pid: process.pid, hostname: hostname(), kind: 'browser' });
    let err: unknown;
    try {
      acquireFolderLock(dir, 'cli', { command: 'import' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FolderBusyError);
    expect((err as FolderBusyError).code).toBe('folder_busy');
    expect((err as Error).message).toMatch(
      new RegExp(
        `^Provision Desk \\(browser mode, pid ${process.pid}, since \\d\\d:\\d\\d\\) is using this data folder`,
      ),
    );
    first.release();
    first.release();
    expect(existsSync(lockPath(dir))).toBe(false);
    expect(folderHolder(dir)).toBeUndefined();
    acquireFolderLock(dir, 'cli').release();
  });

  it('describes every kind of holder in the admin words', () => {
    const now = new Date(2026, 11, 4, 16, 0);
    const started = new Date(2026, 11, 4, 15, 2).toISOString();
    const h = { pid: 1234, hostname: hostname(), started };
    expect(describeHolder({ ...h, kind: 'browser' }, now)).toBe(
      'Provision Desk (browser mode, pid 1234, since 15:02) is using this data folder',
    );
    expect(describeHolder({ ...h, kind: 'desktop' }, now)).toContain('(desktop app, pid 1234');
    expect(describeHolder({ ...h, kind: 'cli', command: 'import' }, now)).toContain('(command line: import, pid');
    expect(describeHolder({ ...h, kind: 'serve', hostname: 'admin-01' }, now)).toBe(
      'Provision Desk (provision-desk serve, on admin-01, pid 1234, since 15:02) is using this data folder',
    );
  });

  it('takes over the lock of a process that died on this host, not a fresh or half-written one', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await exited(dead);
    writeFileSync(
      lockPath(dir),
      JSON.stringify({ pid: dead.pid, hostname: hostname(), kind: 'desktop', started: new Date().toISOString() }),
    );
    expect(folderHolder(dir)).toBeUndefined();
    const lock = acquireFolderLock(dir, 'serve');
    expect(folderHolder(dir)).toMatchObject({ pid: process.pid, kind: 'serve' });
    lock.release();

    // Being written right now by its creator: busy; left empty long ago: stale.
    writeFileSync(lockPath(dir), '');
    expect(() => acquireFolderLock(dir, 'cli')).toThrow(FolderBusyError);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockPath(dir), old, old);
    acquireFolderLock(dir, 'cli').release();

    // Another host's holder cannot be checked by pid: it is taken at its word.
    writeFileSync(lockPath(dir), JSON.stringify({ pid: 999999, hostname: 'elsewhere', kind: 'serve', started: '' }));
    expect(() => acquireFolderLock(dir, 'cli')).toThrow(/provision-desk serve, on elsewhere, pid 999999/);
  });

  it('two processes on one folder: the second is refused while the first runs, and gets it after', async () => {
    const { child, output } = await holderProcess('serve');
    expect(output()).toBe('held\n');
    expect(() => acquireFolderLock(dir, 'cli')).toThrow(`provision-desk serve, pid ${child.pid}`);
    // A holder that exits normally removes its lock.
    child.stdin!.write('bye\n');
    await exited(child);
    expect(existsSync(lockPath(dir))).toBe(false);

    const mine = acquireFolderLock(dir, 'desktop');
    const refused = await holderProcess('cli');
    expect(refused.output()).toMatch(new RegExp(`^busy: Provision Desk \\(desktop app, pid ${process.pid}, since`));
    mine.release();

    // Killed without a chance to clean up: the next one takes over.
    const killed = await holderProcess('browser');
    killed.child.kill('SIGKILL');
    await exited(killed.child);
    expect(existsSync(lockPath(dir))).toBe(true);
    acquireFolderLock(dir, 'cli').release();
  });
});
