// One argument parser for every `provision-desk` command. Global options
// (--data-dir, --json, --help) are accepted anywhere on the line, before or
// after the command words, so scheduled scripts may put them where they like.
// Each command declares its own options; anything else is a usage error in
// one shape (exit 2), whichever command it belongs to.
import { parseArgs } from 'node:util';

/** The exit codes of every command (docs/cli.md keeps the same table). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  planOnly: 3,
  threshold: 4,
  partial: 5,
  cancelled: 130,
} as const;

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** What the parser needs to know of a command; the shell adds how to run it. */
export interface CommandSpec {
  /** The command words, e.g. ['directory', 'add'] or ['outbox']. */
  words: readonly string[];
  /** What follows the words in the usage line, e.g. '<name> --preview [--full]'. */
  usage: string;
  /** One line for --help. */
  summary: string;
  options?: Record<string, OptionSpec>;
  /** How many arguments may follow the words (default: none), and what they are ("a directory name"). */
  args?: { min: number; max: number; what?: string };
}

export class UsageError extends Error {
  /** The command the error is about, when the words were recognised: its usage line is shown. */
  readonly command?: CommandSpec;
  constructor(message: string, command?: CommandSpec) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

export interface CommandLine<C extends CommandSpec> {
  /** Undefined when only global options were given (e.g. `--help`). */
  command?: C;
  /** Arguments after the command words. */
  args: string[];
  /** Every option given, global ones included. */
  values: Record<string, string | boolean>;
  dataDir?: string;
  json: boolean;
  help: boolean;
}

export function commandName(c: CommandSpec): string {
  return c.words.join(' ');
}

/** Every option any command knows, so one pass consumes each value whatever the command. */
function allOptions(commands: readonly CommandSpec[]): Record<string, OptionSpec> {
  const all: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const c of commands)
    for (const [name, spec] of Object.entries(c.options ?? {})) {
      const seen = all[name];
      // One meaning per option name across commands, or a value could be read as a command word.
      if (seen && seen.type !== spec.type)
        throw new Error(`Option --${name} is a ${seen.type} in one command and a ${spec.type} in another.`);
      all[name] = spec;
    }
  return all;
}

function findCommand<C extends CommandSpec>(commands: readonly C[], positionals: string[]): C | undefined {
  let best: C | undefined;
  for (const c of commands)
    if (c.words.every((w, i) => positionals[i] === w) && (!best || c.words.length > best.words.length)) best = c;
  return best;
}

function unknownCommand(commands: readonly CommandSpec[], positionals: string[]): UsageError {
  const group = commands.filter((c) => c.words.length > 1 && c.words[0] === positionals[0]);
  if (group.length > 0) {
    const subs = group.map((c) => c.words[1]!);
    const list = subs.length > 1 ? `${subs.slice(0, -1).join(', ')} or ${subs.at(-1)}` : subs[0];
    return new UsageError(
      positionals[1]
        ? `Unknown command "${positionals[0]} ${positionals[1]}": ${positionals[0]} takes ${list}.`
        : `${positionals[0]} takes ${list}.`,
    );
  }
  return new UsageError(`Unknown command "${positionals[0]}".`);
}

/** Parses the whole command line against the command table; throws UsageError in the admin's words. */
export function parseCommandLine<C extends CommandSpec>(
  argv: readonly string[],
  commands: readonly C[],
): CommandLine<C> {
  const known = allOptions(commands);
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    options: known,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const help = values.help === true;
  const command = positionals.length ? findCommand(commands, positionals) : undefined;
  if (positionals.length && !command) {
    if (help) return { args: [], values: {}, json: false, help };
    throw unknownCommand(commands, positionals);
  }
  const allowed = { ...GLOBAL_OPTIONS, ...(command?.options ?? {}) };
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = allowed[t.name];
    const where = command ? ` for ${commandName(command)}` : '';
    if (!spec) throw new UsageError(`Unknown option ${t.rawName}${where}.`, command);
    if (spec.type === 'boolean' && t.value !== undefined) throw new UsageError(`${t.rawName} takes no value.`, command);
    // A value that looks like an option is a forgotten value, not a value.
    if (spec.type === 'string' && (t.value === undefined || (!t.inlineValue && t.value.startsWith('-'))))
      throw new UsageError(`${t.rawName} needs a value.`, command);
  }
  const args = command ? positionals.slice(command.words.length) : [];
  if (command && !help) {
    const { min, max } = command.args ?? { min: 0, max: 0 };
    if (args.length > max)
      throw new UsageError(
        max === 0
          ? `${commandName(command)} takes no argument ("${args[0]}").`
          : `${commandName(command)} takes at most ${max} argument${max === 1 ? '' : 's'}.`,
        command,
      );
    if (args.length < min)
      throw new UsageError(`${commandName(command)} needs ${command.args?.what ?? 'more arguments'}.`, command);
  }
  const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined;
  return {
    command,
    args,
    values: values as Record<string, string | boolean>,
    ...(dataDir !== undefined ? { dataDir } : {}),
    json: values.json === true,
    help,
  };
}

/** The `--help` text: every command's usage line from the table, so a new command documents itself. */
export function helpText(commands: readonly CommandSpec[], header: string, footer: string): string {
  const lines = commands.map((c) => {
    const usage = `  ${commandName(c)}${c.usage ? ` ${c.usage}` : ''}`;
    return usage.length < 50 ? `${usage.padEnd(50)} ${c.summary}` : `${usage}\n${' '.repeat(51)}${c.summary}`;
  });
  return [header, '', ...lines, '', footer].join('\n');
}

export function usageLine(c: CommandSpec): string {
  return `Usage: provision-desk ${commandName(c)}${c.usage ? ` ${c.usage}` : ''}`;
}
