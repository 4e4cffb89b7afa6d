// The Electron shell: lifecycle, the window, ipcMain wiring, safeStorage.
// Everything else is the same library the browser mode and the CLI use.
import { app as electronApp, BrowserWindow, dialog, ipcMain, safeStorage, session, shell } from 'electron';
import { join, resolve } from 'node:path';
import { createApp, type App } from '../app.ts';
import { dispatch } from '../bridge/dispatch.ts';
import { argValue } from '../paths.ts';
import { applyCsp, isTrustedSender, lockDown, windowOptions } from './window.ts';
import { safeStorageCipher } from './safe-storage.ts';
import { installDialogs } from './dialogs.ts';
import { rememberBounds, savedBounds } from './preferences.ts';
import { claimDataFolder, claimSingleInstance } from './instance.ts';
import type { FolderLock } from '../store/folder-lock.ts';

const devUrl = process.env['ELECTRON_RENDERER_URL'];
const allowedOrigin = devUrl ? new URL(devUrl).origin : 'file://';

electronApp.enableSandbox();
let mainWindow: BrowserWindow | undefined;
let app: App | undefined;
let folderLock: FolderLock | undefined;
// A second start hands over to this one (its window comes to the front) and quits.
const firstInstance = claimSingleInstance(electronApp, () => mainWindow);

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    ...windowOptions(join(import.meta.dirname, '../preload/index.cjs')),
    ...savedBounds(),
  });
  rememberBounds(win);
  lockDown(win.webContents, (url) => void shell.openExternal(url));
  win.once('ready-to-show', () => win.show());
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(join(import.meta.dirname, '../renderer/index.html'));
  return win;
}

electronApp.whenReady().then(async () => {
  if (!firstInstance) return;
  const dataDir = resolve(argValue(process.argv, 'data-dir') ?? electronApp.getPath('userData'));
  folderLock = claimDataFolder(dataDir, electronApp, dialog);
  if (!folderLock) return;
  app = createApp({ dataDir, shell: 'electron', cipher: safeStorageCipher(safeStorage) });
  applyCsp(session.defaultSession);
  installDialogs(app, () => mainWindow);

  ipcMain.handle('pd:invoke', (event, channel: unknown, input: unknown) => {
    if (!isTrustedSender(event.senderFrame, mainWindow, event.sender.id, allowedOrigin))
      return { ok: false, error: { code: 'forbidden', message: 'Request from an untrusted frame refused.' } };
    return dispatch(app!, channel, input);
  });
  app.events.subscribe((name, payload) => mainWindow?.webContents.send('pd:event', { name, payload }));

  mainWindow = createWindow();
  await app.start();
});

electronApp.on('web-contents-created', (_e, contents) => lockDown(contents, (url) => void shell.openExternal(url)));
electronApp.on('window-all-closed', async () => {
  await app?.close();
  folderLock?.release();
  electronApp.quit();
});
