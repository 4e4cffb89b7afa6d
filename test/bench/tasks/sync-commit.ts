// Commit of a previewed import run, in its own process.
import { commitImportAt } from '../sync-app.ts';

export async function run(args: { dataDir: string; runId: string }) {
  return commitImportAt(args.dataDir, args.runId);
}
