// Starts browser mode (the real app, a fresh data folder) for a test file and
// opens it the way an admin does: through the one-time URL it prints.
import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BrowserApp {
  url: string;
  origin: string;
  dataDir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `node src-main/web/main.ts` and waits for its URL line. */
export async function startBrowserApp(env: Record<string, string> = {}): Promise<BrowserApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pd-e2e-'));
  const child = spawn(process.execPath, ['src-main/web/main.ts', '--data-dir', dataDir], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`browser mode did not start:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => reject(new Error(`browser mode exited with ${code}:\n${output}`)));
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[app] ${d}`));
  return {
    url,
    origin: new URL(url).origin,
    dataDir,
    process: child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every console error on the page fails the test that got it. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export function screenshotPath(name: string): string {
  mkdirSync('test-results/screenshots', { recursive: true });
  return join('test-results/screenshots', `${name}.png`);
}

export const test = base.extend<{ app: BrowserApp }>({
  app: async ({}, use) => {
    const app = await startBrowserApp();
    await use(app);
    await app.stop();
  },
});
export { expect };
