// The desktop app in the background: a tray / menu-bar icon with "Open" and
// "Quit", so schedules keep running with the window closed, and desktop
// notifications for scheduled runs that were held, failed or quarantined.
import { Menu, Notification, Tray, nativeImage } from 'electron';
import type { RunNotice } from '../schedule/notices.ts';

// A 32×32 "P" on the app's blue, inline: the shell ships no image files.
const ICON =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAARklEQVR42mNgGAVQwJ+z9z898agDRh1AsgNIAaMOIMYhFDuAGHWjDhh1wPDOBaMF0YDXBaMOGHXAyHPAaJtw1AE0d8CIBQDvTrQzaTPJNgAAAABJRU5ErkJggg==';

export interface BackgroundActions {
  /** Shows the window, making it again when it was closed. */
  open(): void;
  /** Stops the schedules and the outbox worker, then quits. */
  quit(): void;
}

export function createTray(actions: BackgroundActions): Tray {
  const tray = new Tray(nativeImage.createFromDataURL(ICON));
  tray.setToolTip('Provision Desk: schedules keep running while the window is closed');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Open', click: () => actions.open() },
      { type: 'separator' },
      { label: 'Quit', click: () => actions.quit() },
    ]),
  );
  // Windows and Linux open on a click; macOS shows the menu.
  tray.on('click', () => actions.open());
  return tray;
}

/** A desktop notification for a scheduled run's notice; a click opens the window. */
export function notifyDesktop(n: RunNotice, open: () => void): void {
  if (!Notification.isSupported()) return;
  const note = new Notification({ title: n.title, body: n.text.split('\n')[0] ?? n.title });
  note.on('click', () => open());
  note.show();
}
