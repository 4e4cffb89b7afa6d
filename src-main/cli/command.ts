// What a `provision-desk` command is: its spec for the shared parser plus how
// it runs on an opened data folder. The command table in src-main/cli.ts
// holds one entry per command.
import type { App } from '../app.ts';
import type { CommandLine, CommandSpec } from './args.ts';
import type { HolderKind } from '../store/folder-lock.ts';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Ctrl-C: registers the command's own handler (instead of quitting at once); returns its removal. */
  onInterrupt(handler: () => void): () => void;
}

export interface Out {
  json: boolean;
  /** The result: JSON on stdout with --json, else the text. */
  result(obj: unknown, text: string): void;
  /** A message for the admin on stderr (not with --json). */
  info(text: string): void;
}

export interface CommandContext {
  app: App;
  dataDir: string;
  json: boolean;
  /** Arguments after the command words. */
  args: string[];
  option(name: string): string | undefined;
  flag(name: string): boolean;
  io: CliIo;
  out: Out;
}

export interface Command extends CommandSpec {
  /**
   * Runs without the data folder's lock, so also while the app or a serve
   * holds it: commands that only read, and `onboarding send`, which writes
   * only its own rows and needs the holder's reset portal to answer its links.
   * Every other command takes the lock first (and exits 1 naming the holder).
   */
  withoutLock?: boolean | ((line: CommandLine<Command>) => boolean);
  /** How the lock names this process; 'cli' unless the command is a long-running service. */
  lockKind?: Extract<HolderKind, 'cli' | 'serve'>;
  run(ctx: CommandContext): Promise<number> | number;
}

export function outputFor(json: boolean, io: CliIo): Out {
  return {
    json,
    result(obj, text) {
      io.stdout.write(json ? JSON.stringify(obj, null, 2) + '\n' : text + '\n');
    },
    info(text) {
      if (!json) io.stderr.write(text + '\n');
    },
  };
}
