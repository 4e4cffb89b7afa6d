import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src-main/app.ts';

/** A fresh app on a temporary data folder; close() removes it. */
export function tempApp(): App & { dispose(): Promise<void> } {
  const dataDir = mkdtempSync(join(tmpdir(), 'pd-unit-'));
  const app = createApp({ dataDir, shell: 'test' });
  return Object.assign(app, {
    async dispose() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
