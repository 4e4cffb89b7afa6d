// The `reports` command line, over the same service the screens use:
//
//   reports export [--from DATE] [--to DATE] [--user TEXT] [--app NAME] [--action ACTION]
//                  [--status success|failure|skipped|pending] [--format csv|json]
//                  [--out FILE] [--no-bom]
//   reports purge
//
// DATE is YYYY-MM-DD (local time; --to includes that whole day) or an ISO
// time. Without --from/--to every entry is exported. Without --out (or with
// --out -) the export goes to standard output. CSV carries a byte-order mark
// for Excel unless --no-bom. Exit codes: 0 done, 1 failed, 2 wrong usage.
import { pipeline } from 'node:stream/promises';
import { resolve } from 'node:path';
import { createApp, type App } from '../app.ts';
import { argValue, defaultDataDir } from '../paths.ts';
import type { ReportExportFormat, ResolvedReportFilter } from '../../src-preload/contract/reports.ts';
import { AppError } from '../errors.ts';
import { isReportStatus, normalizeResolved, parseAdminTime } from './filter.ts';
import { reportsFor } from './service.ts';

export const REPORTS_USAGE = `Usage:
  reports export [--from DATE] [--to DATE] [--user TEXT] [--app NAME] [--action ACTION]
                 [--status success|failure|skipped|pending] [--format csv|json] [--out FILE] [--no-bom]
  reports purge
DATE is YYYY-MM-DD (local time; --to includes that day) or an ISO time such as 2025-03-01T08:00:00Z.
Without --out the export is written to standard output.`;

const VALUE_OPTIONS = new Set(['from', 'to', 'user', 'app', 'action', 'status', 'format', 'out', 'data-dir']);
const FLAG_OPTIONS = new Set(['no-bom', 'bom']);

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: { write(s: string): unknown };
}

function parseOptions(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new AppError('usage', `Unexpected argument "${a}".`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (FLAG_OPTIONS.has(name) && eq < 0) {
      out.set(name, 'true');
      continue;
    }
    if (!VALUE_OPTIONS.has(name)) throw new AppError('usage', `Unknown option --${name}.`);
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new AppError('usage', `--${name} needs a value.`);
    out.set(name, value);
  }
  return out;
}

/** Builds the filter of `reports export` from its options. */
export function exportFilterFromOptions(opts: Map<string, string>): ResolvedReportFilter {
  const f: ResolvedReportFilter = {};
  const from = opts.get('from');
  const to = opts.get('to');
  if (from) f.from = parseAdminTime(from, 'from');
  if (to) f.to = parseAdminTime(to, 'to');
  const user = opts.get('user');
  const app = opts.get('app');
  const action = opts.get('action');
  const status = opts.get('status');
  if (user) f.user = user;
  if (app) f.application = app;
  if (action) f.action = action;
  if (status) {
    if (!isReportStatus(status))
      throw new AppError('usage', `--status must be success, failure, skipped or pending, not "${status}".`);
    f.status = status;
  }
  return normalizeResolved(f);
}

/**
 * Runs `reports …`. `argv` is what follows the program name: it may start
 * with "reports" or directly with the subcommand. Returns the exit code.
 */
export async function runReportsCommand(
  app: App,
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const args = argv[0] === 'reports' ? argv.slice(1) : argv;
  const sub = args[0];
  try {
    if (sub === 'export') {
      const opts = parseOptions(args.slice(1));
      const format = (opts.get('format') ?? 'csv') as ReportExportFormat;
      if (format !== 'csv' && format !== 'json')
        throw new AppError('usage', `--format must be csv or json, not "${format}".`);
      const filter = exportFilterFromOptions(opts);
      const bom = !opts.has('no-bom');
      const out = opts.get('out');
      const reports = reportsFor(app);
      if (!out || out === '-') {
        let entries = 0;
        await pipeline(reports.stream(filter, format, { bom, onProgress: (n) => (entries = n) }), io.stdout, {
          end: false,
        });
        io.stderr.write(`Exported ${entries} report entries.\n`);
      } else {
        const { entries } = await reports.exportToPath(filter, format, out, { bom });
        io.stderr.write(`Exported ${entries} report entries to ${out}.\n`);
      }
      return 0;
    }
    if (sub === 'purge') {
      if (args.length > 1) throw new AppError('usage', 'reports purge takes no options.');
      const r = await reportsFor(app).purge();
      io.stderr.write(`Purged ${r.deleted} report entries older than ${r.before}.\n`);
      return 0;
    }
    io.stderr.write(`${sub ? `Unknown command "reports ${sub}".\n` : ''}${REPORTS_USAGE}\n`);
    return 2;
  } catch (err) {
    if (err instanceof AppError && err.code === 'usage') {
      io.stderr.write(`${err.message}\n${REPORTS_USAGE}\n`);
      return 2;
    }
    if (err instanceof AppError) {
      io.stderr.write(
        `${err.message}${err.details ? ` (${typeof err.details === 'string' ? err.details : JSON.stringify(err.details)})` : ''}\n`,
      );
      return err.code === 'validation' ? 2 : 1;
    }
    // The reader went away (e.g. `| head`): not a failure of the export.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    io.stderr.write(`The export failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** `provision-desk reports …` from the program's own argv: opens the data folder (--data-dir), runs, closes. */
export async function reportsMain(argv: string[]): Promise<number> {
  const app = createApp({ dataDir: resolve(argValue(argv, 'data-dir') ?? defaultDataDir()), shell: 'cli' });
  try {
    return await runReportsCommand(app, argv);
  } finally {
    await app.close();
  }
}
