// `provision-desk`: headless commands over the same composition root as the
// window, so admins can script and schedule runs (like GCDS's sync-cmd).
// The command table below has one entry per command; the parser, the exit
// codes and the usage-error shape are shared (src-main/cli/args.ts).
import { resolve } from 'node:path';
import { createApp, type App } from './app.ts';
import { defaultDataDir } from './paths.ts';
import { toBridgeError } from './errors.ts';
import { EXIT, helpText, parseCommandLine, UsageError, usageLine, type CommandLine } from './cli/args.ts';
import { outputFor, type CliIo, type Command } from './cli/command.ts';
import { engineCommands } from './cli/engine-commands.ts';
import { reportsCommands } from './reports/cli.ts';
import { onboardingCommands } from './onboarding/cli.ts';
import { serveCommand } from './cli/serve.ts';
import { syncCommand } from './schedule/cli.ts';
import { acquireFolderLock, type FolderLock } from './store/folder-lock.ts';

export { EXIT } from './cli/args.ts';
export { planJson } from './cli/engine-commands.ts';

export const COMMANDS: Command[] = [
  ...engineCommands,
  ...reportsCommands,
  ...onboardingCommands,
  serveCommand,
  syncCommand,
];

const HEADER = `provision-desk — Provision Desk on the command line

Usage: provision-desk <command> [options]   (--data-dir, --json and --help go anywhere on the line)`;

const footer = () => `Options for every command:
  --data-dir DIR    data folder (default: ${defaultDataDir()})
  --json            one JSON object on stdout
  --help            this text (after a command: that command's usage)
  --wait SECONDS    commands that run provisioning work: how long to wait for retries due later (default 120)

Exit codes: 0 success · 1 failure (also: another process is using the data folder) · 2 usage error ·
3 plan only (preview) · 4 stopped at the deletion threshold (nothing written; repeat with --allow-deletes) ·
5 finished but some work failed · 130 cancelled with Ctrl-C.`;

export function helpFor(commands: readonly Command[] = COMMANDS): string {
  return helpText(commands, HEADER, footer());
}

const processIo: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  onInterrupt(handler) {
    interruptHandler = handler;
    return () => {
      if (interruptHandler === handler) interruptHandler = undefined;
    };
  },
};
let interruptHandler: (() => void) | undefined;

function usageFailure(err: UsageError, json: boolean, io: CliIo, command?: Command): number {
  const about = err.command ?? command;
  // One shape for every usage error: the sentence, the command's usage line (or a pointer to --help).
  if (json) io.stdout.write(JSON.stringify({ error: { code: 'usage', message: err.message } }, null, 2) + '\n');
  io.stderr.write(
    `${err.message}\n\n${about ? usageLine(about) + '\n' : ''}Run provision-desk --help for the commands.\n`,
  );
  return EXIT.usage;
}

function failure(err: unknown, json: boolean, io: CliIo): number {
  const e = toBridgeError(err);
  if (json) io.stdout.write(JSON.stringify({ error: e }, null, 2) + '\n');
  io.stderr.write(`Error: ${e.message}\n`);
  if (e.details !== undefined && !json && e.code !== 'folder_busy')
    io.stderr.write(`Details: ${typeof e.details === 'string' ? e.details : JSON.stringify(e.details)}\n`);
  return e.code === 'threshold' ? EXIT.threshold : EXIT.failure;
}

function takesLock(line: CommandLine<Command>): boolean {
  const r = line.command!.withoutLock;
  return !(typeof r === 'function' ? r(line) : r);
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  let line: CommandLine<Command>;
  try {
    line = parseCommandLine(argv, COMMANDS);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(e, argv.includes('--json'), io);
    throw e;
  }
  const command = line.command;
  if (line.help || !command) {
    io.stdout.write((command ? `${usageLine(command)}\n  ${command.summary}\n` : helpFor()) + '\n');
    return line.help ? EXIT.ok : EXIT.usage;
  }
  const dataDir = resolve(line.dataDir ?? defaultDataDir());
  let app: App | undefined;
  let lock: FolderLock | undefined;
  const onSignal = () => {
    if (interruptHandler) return interruptHandler();
    // No handler of its own: stop now (a running preview's run is left cancelled, nothing is written).
    process.exitCode = EXIT.cancelled;
    io.stderr.write('Interrupted.\n');
    process.exit(EXIT.cancelled);
  };
  process.on('SIGINT', onSignal);
  try {
    if (takesLock(line))
      lock = acquireFolderLock(dataDir, command.lockKind ?? 'cli', { command: command.words.join(' ') });
    app = createApp({ dataDir, shell: 'cli' });
    const opened = app;
    return await command.run({
      app: opened,
      dataDir,
      json: line.json,
      args: line.args,
      option: (n) => (typeof line.values[n] === 'string' ? (line.values[n] as string) : undefined),
      flag: (n) => line.values[n] === true,
      io,
      out: outputFor(line.json, io),
    });
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err, line.json, io, command);
    return failure(err, line.json, io);
  } finally {
    process.off('SIGINT', onSignal);
    interruptHandler = undefined;
    await app?.close().catch(() => undefined);
    lock?.release();
  }
}

// `node src-main/cli.ts …` runs it too (bin/provision-desk.mjs calls main itself).
if (process.argv[1] && /cli\.ts$/.test(process.argv[1])) process.exit(await main(process.argv.slice(2)));
