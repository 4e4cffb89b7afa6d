import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const fakeElectron = fileURLToPath(new URL('./test/fakes/electron.ts', import.meta.url));

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias: { electron: fakeElectron } },
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/services/samba-global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // Real servers on fixed ports (Samba) and 2 cores: files run one after another.
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
