// A small fake of the `electron` module for unit tests of the shell (as
// Electron Fiddle does): records what the shell asks of Electron.
import { EventEmitter } from 'node:events';

export class FakeWebContents extends EventEmitter {
  static nextId = 1;
  id = FakeWebContents.nextId++;
  windowOpenHandler?: (d: { url: string }) => { action: 'deny' | 'allow' };
  setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' | 'allow' }) {
    this.windowOpenHandler = h;
  }
  sent: Array<[string, unknown]> = [];
  send(channel: string, payload: unknown) {
    this.sent.push([channel, payload]);
  }
}

export class BrowserWindow extends EventEmitter {
  static created: BrowserWindow[] = [];
  options: unknown;
  webContents = new FakeWebContents();
  constructor(options: unknown) {
    super();
    this.options = options;
    BrowserWindow.created.push(this);
  }
  loadFile() {
    return Promise.resolve();
  }
  loadURL() {
    return Promise.resolve();
  }
  show() {
    this.calls.push('show');
  }
  minimized = false;
  calls: string[] = [];
  isMinimized() {
    return this.minimized;
  }
  restore() {
    this.minimized = false;
    this.calls.push('restore');
  }
  focus() {
    this.calls.push('focus');
  }
}

export const shell = {
  opened: [] as string[],
  openExternal: (url: string) => (shell.opened.push(url), Promise.resolve()),
};
export const safeStorage = {
  available: true,
  isEncryptionAvailable: () => safeStorage.available,
  encryptString: (s: string) => Buffer.from('enc:' + Buffer.from(s).toString('base64')),
  decryptString: (b: Buffer) => Buffer.from(b.toString().slice(4), 'base64').toString(),
};
export const ipcMain = {
  handlers: new Map<string, unknown>(),
  handle: (c: string, h: unknown) => ipcMain.handlers.set(c, h),
};
export const app = {
  enableSandbox() {},
  whenReady: () => new Promise(() => {}),
  listeners: new Map<string, Array<(...a: unknown[]) => unknown>>(),
  on(event: string, listener: (...a: unknown[]) => unknown) {
    app.listeners.set(event, [...(app.listeners.get(event) ?? []), listener]);
  },
  emit(event: string, ...a: unknown[]) {
    for (const l of app.listeners.get(event) ?? []) l(...a);
  },
  getPath: () => '/tmp',
  /** False plays a second start of the app: another instance holds the lock. */
  singleInstance: true,
  requestSingleInstanceLock: () => app.singleInstance,
  quitCalls: 0,
  quit() {
    app.quitCalls++;
  },
};
export const dialog = {
  errors: [] as Array<[string, string]>,
  showErrorBox: (title: string, content: string) => dialog.errors.push([title, content]),
};
export const session = { defaultSession: {} };
export const contextBridge = {
  exposed: {} as Record<string, unknown>,
  exposeInMainWorld: (k: string, v: unknown) => (contextBridge.exposed[k] = v),
};
export const ipcRenderer = new EventEmitter() as EventEmitter & { invoke: (...a: unknown[]) => Promise<unknown> };
ipcRenderer.invoke = (...a: unknown[]) => Promise.resolve({ invoked: a });

// ----- background: tray, menus, images, notifications
export interface FakeMenuItem {
  label?: string;
  type?: string;
  click?: () => void;
}
export const Menu = {
  buildFromTemplate: (items: FakeMenuItem[]) => ({ items }),
};
export const nativeImage = {
  createFromDataURL: (url: string) => ({ url, isEmpty: () => !url.startsWith('data:image/png;base64,') }),
};
export class Tray extends EventEmitter {
  static created: Tray[] = [];
  image: unknown;
  tooltip = '';
  menu?: { items: FakeMenuItem[] };
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.image = image;
    Tray.created.push(this);
  }
  setToolTip(t: string) {
    this.tooltip = t;
  }
  setContextMenu(m: { items: FakeMenuItem[] }) {
    this.menu = m;
  }
  destroy() {
    this.destroyed = true;
  }
}
export class Notification extends EventEmitter {
  static supported = true;
  static shown: Notification[] = [];
  static isSupported = () => Notification.supported;
  options: { title: string; body: string };
  constructor(options: { title: string; body: string }) {
    super();
    this.options = options;
  }
  show() {
    Notification.shown.push(this);
  }
}

export default {
  BrowserWindow,
  shell,
  safeStorage,
  ipcMain,
  app,
  dialog,
  session,
  contextBridge,
  ipcRenderer,
  Menu,
  nativeImage,
  Tray,
  Notification,
};
