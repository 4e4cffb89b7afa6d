// The Electron shell: lifecycle, the window, ipcMain wiring, safeStorage.
// Everything else is the same library the browser mode and the CLI use.
import { app as electronApp, BrowserWindow, dialog, ipcMain, safeStorage, session, shell } from 'electron';
import { join, resolve } from 'node:path';
import { createApp, type App } from '../app.ts';
import { dispatch } from '../bridge/dispatch.ts';
import { argValue, defaultDataDir } from '../paths.ts';
import { applyCsp, isTrustedSender, lockDown, rendererDevUrl, windowIconPath, windowOptions } from './window.ts';
import { safeStorageCipher } from './safe-storage.ts';
import { installDialogs } from './dialogs.ts';
import { rememberBounds, savedBounds } from './preferences.ts';
import { claimDataFolder, claimSingleInstance } from './instance.ts';
import type { FolderLock } from '../store/folder-lock.ts';
import { createTray, notifyDesktop } from './tray.ts';

const devUrl = rendererDevUrl(electronApp.isPackaged, process.env);
const allowedOrigin = devUrl ? new URL(devUrl).origin : 'file://';

electronApp.enableSandbox();
let mainWindow: BrowserWindow | undefined;
let app: App | undefined;
let folderLock: FolderLock | undefined;
// A second start hands over to this one (its window comes to the front) and quits.
const firstInstance = claimSingleInstance(electronApp, () => mainWindow);
let tray: ReturnType<typeof createTray> | undefined;

/** Shows the window, making it again when it was closed (the app went on in the background). */
function openWindow(): void {
  if (!mainWindow || mainWindow.isDestroyed()) mainWindow = createWindow();
  else mainWindow.show();
}

async function quit(): Promise<void> {
  tray?.destroy();
  tray = undefined;
  await app?.close();
  folderLock?.release();
  electronApp.quit();
}

function openApp(dataDir: string): App {
  return createApp({
    dataDir,
    shell: 'electron',
    keychain: {
      cipher: safeStorageCipher(safeStorage),
      backend: process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : undefined,
    },
    warn: (message) => console.warn(message),
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    ...windowOptions(join(import.meta.dirname, '../preload/index.cjs'), windowIconPath(import.meta.dirname)),
    ...savedBounds(),
  });
  rememberBounds(win);
  lockDown(win.webContents, (url) => void shell.openExternal(url));
  win.once('ready-to-show', () => win.show());
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(join(import.meta.dirname, '../renderer/index.html'));
  return win;
}

void electronApp.whenReady().then(async () => {
  if (!firstInstance) return;
  // The same default folder as browser mode and the command line, so all three see one store.
  const dataDir = resolve(argValue(process.argv, 'data-dir') ?? defaultDataDir());
  folderLock = claimDataFolder(dataDir, electronApp, dialog);
  if (!folderLock) return;
  try {
    app = openApp(dataDir);
  } catch (err) {
    // A damaged or newer store: a clear error and a failure exit, never a blank window.
    folderLock.release();
    dialog.showErrorBox('Provision Desk cannot start', (err as Error).message ?? String(err));
    electronApp.exit(1);
    return;
  }
  applyCsp(session.defaultSession);
  installDialogs(app, () => mainWindow);

  ipcMain.handle('pd:invoke', (event, channel: unknown, input: unknown) => {
    if (!isTrustedSender(event.senderFrame, mainWindow, event.sender.id, allowedOrigin))
      return { ok: false, error: { code: 'forbidden', message: 'Request from an untrusted frame refused.' } };
    return dispatch(app!, channel, input);
  });
  app.events.subscribe((name, payload) => mainWindow?.webContents.send('pd:event', { name, payload }));

  mainWindow = createWindow();
  // Schedules keep running with the window closed; the tray icon opens it again or quits.
  tray = createTray({ open: openWindow, quit: () => void quit() });
  app.schedule.onNotice((n) => notifyDesktop(n, openWindow));
  await app.start();
});

electronApp.on('web-contents-created', (_e, contents) => lockDown(contents, (url) => void shell.openExternal(url)));
electronApp.on('window-all-closed', () => {
  // With the tray icon the app stays in the background; without one (no tray on this desktop) it quits.
  if (!tray) void quit();
});
