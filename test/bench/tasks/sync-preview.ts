// Import preview of a directory in its own process (peak RSS is the preview's).
import { previewImportAt } from '../sync-app.ts';

export async function run(args: { dataDir: string; directory: string }) {
  return previewImportAt(args.dataDir, args.directory);
}
