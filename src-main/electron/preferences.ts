// Small app preferences of the desktop shell (window size and position) in
// electron-store. Users, groups and everything else live in the SQLite store.
import Store from 'electron-store';
import type { BrowserWindow, Rectangle } from 'electron';

interface Preferences {
  windowBounds?: Rectangle;
  maximized?: boolean;
}

let store: Store<Preferences> | undefined;
const prefs = () => (store ??= new Store<Preferences>({ name: 'preferences' }));

/** Size and position the window had when it was last closed. */
export function savedBounds(): Partial<Rectangle> {
  return prefs().get('windowBounds') ?? {};
}

export function rememberBounds(win: BrowserWindow): void {
  win.on('close', () => {
    prefs().set('maximized', win.isMaximized());
    if (!win.isMaximized()) prefs().set('windowBounds', win.getBounds());
  });
  if (prefs().get('maximized')) win.maximize();
}
