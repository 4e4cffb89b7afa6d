// One desktop app at a time, and one process per data folder. A second
// start of the app hands over to the first (its window comes to the front)
// through Electron's single-instance lock; a data folder already held by
// browser mode, `provision-desk serve` or a CLI command is named in a dialog
// instead of being opened twice.
import type { App as ElectronApp, BrowserWindow, Dialog } from 'electron';
import { acquireFolderLock, FolderBusyError, type FolderLock } from '../store/folder-lock.ts';
import { hostname } from 'node:os';

/** False when another desktop app already runs: this one quits (the other comes to the front). */
export function claimSingleInstance(electronApp: ElectronApp, window: () => BrowserWindow | undefined): boolean {
  if (!electronApp.requestSingleInstanceLock()) {
    electronApp.quit();
    return false;
  }
  electronApp.on('second-instance', () => {
    const win = window();
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  });
  return true;
}

/** The folder's lock for the desktop app, or undefined after telling the admin who holds it (the app then quits). */
export function claimDataFolder(
  dataDir: string,
  electronApp: ElectronApp,
  dialog: Pick<Dialog, 'showErrorBox'>,
): FolderLock | undefined {
  try {
    return acquireFolderLock(dataDir, 'desktop');
  } catch (e) {
    if (!(e instanceof FolderBusyError)) throw e;
    dialog.showErrorBox('The data folder is in use', busyExplanation(e));
    electronApp.quit();
    return undefined;
  }
}

function busyExplanation(e: FolderBusyError): string {
  const h = e.holder;
  const where = h && h.hostname && h.hostname !== hostname() ? `on ${h.hostname}` : 'on this computer';
  const what =
    h?.kind === 'serve'
      ? `A headless Provision Desk (provision-desk serve) runs the reset portal and the provisioning work for this folder ${where}. Stop that service to open the folder here, or keep it running and use it from there.`
      : h?.kind === 'cli'
        ? 'A command-line run is working on this folder; start Provision Desk again when it has finished.'
        : `Close the other Provision Desk ${where} first, then start this one again.`;
  return `${e.message}\n\n${what}`;
}
