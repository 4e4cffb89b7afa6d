// The Electron shell against a small fake of the electron module (vitest
// aliases `electron` to test/fakes/electron.ts for the unit project).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
// The same module instance the code under test gets for `electron` (vitest alias).
import { BrowserWindow, shell, safeStorage, contextBridge, ipcRenderer } from '../fakes/electron.ts';
import { isSafeExternalUrl, isTrustedSender, lockDown, windowOptions } from '../../src-main/electron/window.ts';
import { safeStorageCipher } from '../../src-main/electron/safe-storage.ts';
import type { FakeWebContents } from '../fakes/electron.ts';

describe('hardened window', () => {
  it('isolates the page: sandbox, context isolation, no Node', () => {
    const o = windowOptions('/app/preload.cjs');
    expect(o.webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('denies new windows and navigation; opens only https links, in the system browser', () => {
    const win = new BrowserWindow(windowOptions('/p'));
    const wc = win.webContents as unknown as FakeWebContents;
    const opened: string[] = [];
    lockDown(wc as never, (u) => opened.push(u));
    expect(wc.windowOpenHandler!({ url: 'https://learn.microsoft.com/' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    let prevented = false;
    wc.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'http://evil.example/');
    expect(prevented).toBe(true);
    expect(opened).toEqual(['https://learn.microsoft.com/']);
    expect(isSafeExternalUrl('javascript:alert(1)')).toBe(false);
    expect(shell).toBeDefined();
  });

  it('answers the bridge only for the app window top frame from the app origin', () => {
    const win = new BrowserWindow({});
    const id = win.webContents.id;
    const top = { url: 'file:///app/out/renderer/index.html', parent: null };
    expect(isTrustedSender(top, win as never, id, 'file://')).toBe(true);
    expect(isTrustedSender({ ...top, parent: {} }, win as never, id, 'file://')).toBe(false);
    expect(isTrustedSender(top, win as never, id + 1, 'file://')).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', parent: null }, win as never, id, 'file://')).toBe(false);
    expect(isTrustedSender(null, win as never, id, 'file://')).toBe(false);
    expect(
      isTrustedSender({ url: 'http://localhost:5173/', parent: null }, win as never, id, 'http://localhost:5173'),
    ).toBe(true);
  });

  it('keeps secrets through safeStorage and refuses when the keychain is missing', () => {
    const c = safeStorageCipher(safeStorage as never);
    expect(c.decrypt(c.encrypt('pw'))).toBe('pw');
    safeStorage.available = false;
    expect(() => c.encrypt('pw')).toThrow(/keychain/);
    safeStorage.available = true;
  });
});

describe('preload', () => {
  it('exposes only invoke and on, and refuses channels outside the contract', async () => {
    await import('../../src-preload/index.ts');
    const api = contextBridge.exposed.api as {
      invoke: (c: string, i: unknown) => Promise<unknown>;
      on: (e: string, l: () => void) => () => void;
    };
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
    expect(await api.invoke('fs.readFile', {})).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    expect(await api.invoke('users.list', {})).toEqual({ invoked: ['pd:invoke', 'users.list', {}] });
    expect(() => api.on('not.an.event', () => {})).toThrow();
    const off = api.on('app.changed', () => {});
    expect(ipcRenderer.listenerCount('pd:event')).toBe(1);
    off();
    expect(ipcRenderer.listenerCount('pd:event')).toBe(0);
  });
});

describe('one desktop app per data folder', () => {
  it('a second start of the app brings the first window to the front', async () => {
    const { app: fakeApp } = await import('../fakes/electron.ts');
    // electron-store loads the real electron package: the shell's start does not need it.
    vi.doMock('electron-store', () => ({ default: class {} }));
    await import('../../src-main/electron/main.ts');
    expect(fakeApp.listeners.get('second-instance')).toHaveLength(1);
    const { claimSingleInstance } = await import('../../src-main/electron/instance.ts');
    const win = new BrowserWindow({});
    win.minimized = true;
    const before = fakeApp.listeners.get('second-instance')!.length;
    expect(claimSingleInstance(fakeApp as never, () => win as never)).toBe(true);
    fakeApp.listeners.get('second-instance')![before]!();
    expect(win.calls).toEqual(['restore', 'show', 'focus']);

    fakeApp.singleInstance = false;
    const quits = fakeApp.quitCalls;
    expect(claimSingleInstance(fakeApp as never, () => win as never)).toBe(false);
    expect(fakeApp.quitCalls).toBe(quits + 1);
    fakeApp.singleInstance = true;
  });

  it('names the process that holds the data folder (e.g. a headless serve) and quits', async () => {
    const { app: fakeApp, dialog } = await import('../fakes/electron.ts');
    const { claimDataFolder } = await import('../../src-main/electron/instance.ts');
    const { acquireFolderLock } = await import('../../src-main/store/folder-lock.ts');
    const dir = mkdtempSync(join(tmpdir(), 'pd-desktop-lock-'));
    try {
      const serve = acquireFolderLock(dir, 'serve');
      const quits = fakeApp.quitCalls;
      expect(claimDataFolder(dir, fakeApp as never, dialog)).toBeUndefined();
      expect(fakeApp.quitCalls).toBe(quits + 1);
      const [title, text] = dialog.errors.at(-1)!;
      expect(title).toBe('The data folder is in use');
      expect(text).toContain(`Provision Desk (provision-desk serve, pid ${process.pid}, since`);
      expect(text).toContain('A headless Provision Desk (provision-desk serve) runs the reset portal');
      expect(text).toContain('on this computer');
      serve.release();

      const mine = claimDataFolder(dir, fakeApp as never, dialog);
      expect(mine?.holder.kind).toBe('desktop');
      mine!.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
