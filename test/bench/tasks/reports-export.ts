// Exports every report entry of a data folder to a file through the same
// code the app and the command line use; prints the count and the time.
import { createApp } from '../../../src-main/app.ts';
import { reportsFor } from '../../../src-main/reports/service.ts';

export async function run(args: { dataDir: string; out: string; format: 'csv' | 'json' }) {
  const app = createApp({ dataDir: args.dataDir, shell: 'cli' });
  try {
    const started = performance.now();
    const { entries } = await reportsFor(app).exportToPath({}, args.format, args.out, { bom: true });
    return { entries, ms: performance.now() - started };
  } finally {
    await app.close();
  }
}
