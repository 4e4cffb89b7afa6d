// `npm run start:web`: browser mode on loopback. Prints the one-time URL.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { createApp } from '../app.ts';
import { startWebServer } from './server.ts';
import { argValue, defaultDataDir } from '../paths.ts';
import { webRoutes } from './routes.ts';
import { acquireFolderLock, FolderBusyError, type FolderLock } from '../store/folder-lock.ts';

const argv = process.argv.slice(2);
const dataDir = resolve(argValue(argv, 'data-dir') ?? defaultDataDir());
const port = Number(argValue(argv, 'port') ?? 0);
const rendererDir = fileURLToPath(new URL('../../out/renderer', import.meta.url));

let lock: FolderLock;
try {
  lock = acquireFolderLock(dataDir, 'browser');
} catch (e) {
  if (!(e instanceof FolderBusyError)) throw e;
  console.error(`${e.message}\nStop it first, or start browser mode on another data folder with --data-dir.`);
  process.exit(1);
}
const app = (() => {
  try {
    return createApp({ dataDir, shell: 'browser', warn: (m) => console.warn(m) });
  } catch (err) {
    // A damaged or newer store: one clear sentence and a failure exit, never a page that cannot load.
    const e = err as { message?: string; details?: unknown };
    console.error(`Provision Desk cannot start: ${e.message ?? String(err)}`);
    if (typeof e.details === 'string') console.error(`Details: ${e.details}`);
    lock.release();
    process.exit(1);
  }
})();
const web = await startWebServer({ app, rendererDir, port, routes: webRoutes(app) });
await app.start();
console.log(`Provision Desk is running in browser mode at ${web.url}`);
console.log(`Data folder: ${dataDir}. Press Ctrl+C to stop.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void stop());
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await web.close();
  await app.close();
  lock.release();
  process.exit(0);
}
