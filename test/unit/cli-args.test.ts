// The one parser of every provision-desk command: global options anywhere,
// each command's own options, one usage-error shape.
import { describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from '../../src-main/cli/args.ts';
import { COMMANDS, helpFor } from '../../src-main/cli.ts';

const parse = (...argv: string[]) => parseCommandLine(argv, COMMANDS);
const usage = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).message;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
};

describe('provision-desk command line', () => {
  it('takes --data-dir and --json before, between and after the command words of every command', () => {
    for (const c of COMMANDS) {
      const words = [...c.words];
      const args = Array.from({ length: c.args?.min ?? 0 }, (_, i) => `arg${i}`);
      for (const argv of [
        ['--data-dir', '/d', '--json', ...words, ...args],
        [...words, '--data-dir=/d', ...args, '--json'],
        [words[0]!, '--json', ...words.slice(1), '--data-dir', '/d', ...args],
      ]) {
        const line = parse(...argv);
        expect(line.command, argv.join(' ')).toBe(c);
        expect(line.dataDir).toBe('/d');
        expect(line.json).toBe(true);
        expect(line.args).toEqual(args);
      }
    }
  });

  it('reads command options with their values wherever they stand', () => {
    const line = parse('reports', '--out', 'x.csv', '--data-dir', '/d', 'export', '--status=failure', '--no-bom');
    expect(line.command?.words).toEqual(['reports', 'export']);
    expect(line.values).toMatchObject({ out: 'x.csv', status: 'failure', 'no-bom': true, 'data-dir': '/d' });
    const send = parse('onboarding', 'send', 'ann', '--temporary-password', 'bob');
    expect(send.args).toEqual(['ann', 'bob']);
  });

  it('says what is wrong in one shape: unknown command, option, missing value, extra argument', () => {
    expect(usage('frobnicate')).toBe('Unknown command "frobnicate".');
    expect(usage('directory', 'lst')).toBe('Unknown command "directory lst": directory takes add, list or verify.');
    expect(usage('directory')).toBe('directory takes add, list or verify.');
    expect(usage('outbox', '--colour', 'red')).toBe('Unknown option --colour for outbox.');
    // Another command's option is not this command's.
    expect(usage('directory', 'list', '--state', 'invited')).toBe('Unknown option --state for directory list.');
    expect(usage('user', 'add', '--file')).toBe('--file needs a value.');
    expect(usage('user', 'add', '--file', '--json')).toBe('--file needs a value.');
    expect(usage('directory', 'list', '--json=yes')).toBe('--json takes no value.');
    expect(usage('directory', 'list', 'extra')).toBe('directory list takes no argument ("extra").');
    expect(usage('import', '--preview')).toBe('import needs a directory name.');
  });

  it('--help anywhere asks for help, even with an unknown command', () => {
    expect(parse('import', '--help').help).toBe(true);
    expect(parse('--help', 'nonsense').help).toBe(true);
    expect(parse('-h').command).toBeUndefined();
  });

  it('lists every command of the table in --help', () => {
    const help = helpFor();
    for (const c of COMMANDS) expect(help).toContain(`  ${c.words.join(' ')}`);
  });
});
