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
// for Excel unless --no-bom. Exit codes as every command (src-main/cli/args.ts).
import { pipeline } from 'node:stream/promises';
import type { App } from '../app.ts';
import type { ReportExportFormat, ResolvedReportFilter } from '../../src-preload/contract/reports.ts';
import { AppError } from '../errors.ts';
import { EXIT, parseCommandLine, UsageError, usageLine } from '../cli/args.ts';
import { outputFor, type CliIo, type Command, type CommandContext } from '../cli/command.ts';
import { isReportStatus, normalizeResolved, parseAdminTime } from './filter.ts';
import { reportsFor } from './service.ts';

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

/** The filter from the options; a bad date or status is a usage error (exit 2). */
function filterOf(ctx: CommandContext): ResolvedReportFilter {
  const opts = new Map<string, string>();
  for (const name of ['from', 'to', 'user', 'app', 'action', 'status']) {
    const v = ctx.option(name);
    if (v !== undefined) opts.set(name, v);
  }
  try {
    return exportFilterFromOptions(opts);
  } catch (e) {
    if (e instanceof AppError) throw new UsageError(e.message);
    throw e;
  }
}

const reportsExport: Command = {
  words: ['reports', 'export'],
  usage:
    '[--from DATE] [--to DATE] [--user TEXT] [--app NAME] [--action ACTION] [--status S] [--format csv|json] [--out FILE] [--no-bom]',
  summary: 'export matching report entries (without --out: to standard output)',
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    user: { type: 'string' },
    app: { type: 'string' },
    action: { type: 'string' },
    status: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    'no-bom': { type: 'boolean' },
    bom: { type: 'boolean' },
  },
  withoutLock: true,
  async run(ctx) {
    const format = (ctx.option('format') ?? 'csv') as ReportExportFormat;
    if (format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json, not "${format}".`);
    const filter = filterOf(ctx);
    const bom = !ctx.flag('no-bom');
    const out = ctx.option('out');
    const reports = reportsFor(ctx.app);
    try {
      if (!out || out === '-') {
        let entries = 0;
        await pipeline(reports.stream(filter, format, { bom, onProgress: (n) => (entries = n) }), ctx.io.stdout, {
          end: false,
        });
        ctx.io.stderr.write(`Exported ${entries} report entries.\n`);
      } else {
        const { entries } = await reports.exportToPath(filter, format, out, { bom });
        ctx.io.stderr.write(`Exported ${entries} report entries to ${out}.\n`);
      }
    } catch (err) {
      // The reader went away (e.g. `| head`): not a failure of the export.
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') return EXIT.ok;
      if (err instanceof AppError) throw err;
      throw new AppError('export_failed', 'The export failed.', err instanceof Error ? err.message : String(err));
    }
    return EXIT.ok;
  },
};

const reportsPurge: Command = {
  words: ['reports', 'purge'],
  usage: '',
  summary: 'delete report entries older than the retention',
  async run(ctx) {
    const r = await reportsFor(ctx.app).purge();
    ctx.io.stderr.write(`Purged ${r.deleted} report entries older than ${r.before}.\n`);
    return EXIT.ok;
  },
};

export const reportsCommands: Command[] = [reportsExport, reportsPurge];

/**
 * Runs `reports …` on an opened app (the unit tests' way in; the program
 * goes through src-main/cli.ts). `argv` may start with "reports" or directly
 * with the subcommand. Returns the exit code.
 */
export async function runReportsCommand(
  app: App,
  argv: string[],
  io: Omit<CliIo, 'onInterrupt'> = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const full = argv[0] === 'reports' ? argv : ['reports', ...argv];
  try {
    const line = parseCommandLine(full, reportsCommands);
    if (!line.command) throw new UsageError('reports takes export or purge.');
    const cliIo: CliIo = { ...io, onInterrupt: () => () => {} };
    return await line.command.run({
      app,
      dataDir: '',
      json: line.json,
      args: line.args,
      option: (n) => (typeof line.values[n] === 'string' ? line.values[n] : undefined),
      flag: (n) => line.values[n] === true,
      io: cliIo,
      out: outputFor(line.json, cliIo),
    });
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n${(err.command ? [err.command] : reportsCommands).map(usageLine).join('\n')}\n`);
      return EXIT.usage;
    }
    const e = err as AppError;
    io.stderr.write(
      `${e.message}${e.details ? ` (${typeof e.details === 'string' ? e.details : JSON.stringify(e.details)})` : ''}\n`,
    );
    return EXIT.failure;
  }
}
