// `npm start`: the Electron window when its runtime is here and a display is
// available; otherwise one line saying why, then browser mode.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const args = process.argv.slice(2);
const require = createRequire(import.meta.url);

function electronBinary(): { path?: string; why?: string } {
  let pkgDir: string;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { why: 'the electron package is not installed' };
  }
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile) || !existsSync(join(pkgDir, 'dist', readFileSync(pathFile, 'utf8')))) {
    // Electron 42+ fetches its runtime on first launch; give that one bounded try.
    const r = spawnSync(process.execPath, [join(pkgDir, 'install.js')], { stdio: 'ignore', timeout: 120_000 });
    if (r.status !== 0 || !existsSync(pathFile)) return { why: 'the Electron runtime could not be downloaded' };
  }
  return { path: join(pkgDir, 'dist', readFileSync(pathFile, 'utf8')) };
}

function startBrowserMode(reason: string): void {
  console.log(`Provision Desk: ${reason}, so it starts in browser mode.`);
  const child = spawn(process.execPath, ['src-main/web/main.ts', ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}

const hasDisplay = process.platform !== 'linux' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY;
const bin = electronBinary();
if (!bin.path) startBrowserMode(bin.why!);
else if (!hasDisplay) startBrowserMode('there is no display to open a window on');
else {
  const started = Date.now();
  let stderr = '';
  const child = spawn(bin.path, ['.', ...args], { stdio: ['inherit', 'inherit', 'pipe'] });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    process.stderr.write(d);
  });
  child.on('exit', (code) => {
    // A window that dies at once (no display, missing libraries) falls back.
    if (code !== 0 && Date.now() - started < 10_000)
      startBrowserMode(`Electron could not open a window (${stderr.split('\n')[0]?.trim() || `exit ${code}`})`);
    else process.exit(code ?? 0);
  });
}
