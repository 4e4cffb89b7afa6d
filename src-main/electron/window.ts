// The hardened main window (after Electron Fiddle and Electron's security
// checklist): isolated, sandboxed, no Node in the page, a strict CSP, no new
// windows, no navigation away; https links open in the system browser.
import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { join } from 'node:path';
import { APP_CSP as CSP } from '../http/headers.ts';

/** The app's icon beside the build (out/main → resources/), for the window and the task bar. */
export const windowIconPath = (mainDir: string): string => join(mainDir, '..', '..', 'resources', 'icon-256.png');

export function windowOptions(preloadPath: string, iconPath?: string): BrowserWindowConstructorOptions {
  return {
    ...(iconPath && { icon: iconPath }),
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Provision Desk',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** Only https links leave the app, and only to the system browser. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

export function lockDown(contents: WebContents, openExternal: (url: string) => void): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    if (isSafeExternalUrl(url)) openExternal(url);
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** The CSP header on every response the window loads. */
export function applyCsp(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
}

/**
 * The bridge answers only the app's own top frame, loaded from the app's own
 * files (or the dev server in development).
 */
export function isTrustedSender(
  frame: { url: string; parent: unknown } | null | undefined,
  window: Pick<BrowserWindow, 'webContents'> | undefined,
  senderId: number,
  allowedOrigin: string,
): boolean {
  if (!frame || !window || frame.parent) return false;
  if (window.webContents.id !== senderId) return false;
  try {
    const url = new URL(frame.url);
    if (allowedOrigin === 'file://') return url.protocol === 'file:';
    return url.origin === allowedOrigin;
  } catch {
    return false;
  }
}

/**
 * The dev server URL the renderer loads from in development. A packaged app
 * always loads its own files: an environment variable must never point the
 * window (and its bridge) at another origin.
 */
export function rendererDevUrl(isPackaged: boolean, env: Record<string, string | undefined>): string | undefined {
  if (isPackaged) return undefined;
  return env['ELECTRON_RENDERER_URL'] || undefined;
}
