// The benchmark harness: runs each measurement a few times, side by side
// with its reference tool in the same run, and reports ratios. Benchmarks
// report; they never fail on a timing.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

export interface Figure {
  name: string;
  unit: string;
  ours: number | null;
  reference: number | null;
  /** ours / reference (for times: below 1 is faster than the reference). */
  ratio: number | null;
  peakRssMb: number | null;
  runs: number;
  notes: string;
}

export interface Measurement {
  name: string;
  /** Produces one or more figures; throws only when something is broken. */
  run(ctx: BenchContext): Promise<Figure[]>;
}

export interface BenchContext {
  runs: number;
  log(message: string): void;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

export function figure(f: Partial<Figure> & Pick<Figure, 'name' | 'unit'>): Figure {
  const ours = f.ours ?? null;
  const reference = f.reference ?? null;
  return {
    ours,
    reference,
    ratio: f.ratio ?? (ours !== null && reference ? round(ours / reference, 3) : null),
    peakRssMb: f.peakRssMb ?? null,
    runs: f.runs ?? 0,
    notes: f.notes ?? '',
    name: f.name,
    unit: f.unit,
  };
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Times a command; returns wall milliseconds and the child's peak RSS. */
/**
 * Runs a reference untimed until it settles (two runs in a row within 10 %, at most five): a
 * freshly started slapd answers its first full reads 1.5–2.7x slower, and takes two or three
 * reads to get there, so one warm-up run is not enough for a fair reference.
 */
export async function warmUp(
  run: () => Promise<{ ms: number }>,
  log: (s: string) => void,
  what: string,
): Promise<void> {
  let last = (await run()).ms;
  for (let i = 1; i < 5; i++) {
    const ms = (await run()).ms;
    const settled = Math.abs(ms - last) <= 0.1 * Math.min(ms, last);
    last = ms;
    if (settled) break;
  }
  log(`${what} warmed up (last untimed run ${Math.round(last)} ms)`);
}

export function timeCommand(cmd: string, args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ ms: number; stdoutBytes: number; peakRssMb: number | null; stdout: string }>(
    (resolve, reject) => {
      const started = performance.now();
      // GNU time is not always present; /proc is read through a tiny wrapper instead.
      const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
      let stdoutBytes = 0;
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => {
        stdoutBytes += d.length;
        if (stdout.length < 64 * 1024) stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
      else child.stdin.end();
      child.on('error', reject);
      child.on('exit', (code) => {
        const ms = performance.now() - started;
        if (code !== 0) reject(new Error(`${cmd} exited ${code}: ${stderr.slice(0, 2000)}`));
        else resolve({ ms, stdoutBytes, peakRssMb: null, stdout });
      });
    },
  );
}

/**
 * Runs a bench task (a module under test/bench/tasks exporting `run(args)`)
 * in its own Node process, so its peak RSS is its own. The task prints one
 * JSON line last.
 */
export function runTask<T>(task: string, args: Record<string, unknown>): Promise<T & { peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['test/bench/task-runner.ts', task, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench task ${task} exited ${code}: ${out.slice(-2000)}`));
      const last = out.trim().split('\n').pop()!;
      resolve(JSON.parse(last));
    });
  });
}

export function printTable(figures: Figure[]): void {
  const rows = [
    ['name', 'ours', 'reference', 'ratio', 'peak RSS MB', 'runs', 'unit', 'notes'],
    ...figures.map((f) => [
      f.name,
      f.ours === null ? 'n/a' : String(f.ours),
      f.reference === null ? '—' : String(f.reference),
      f.ratio === null ? '—' : String(f.ratio),
      f.peakRssMb === null ? '—' : String(f.peakRssMb),
      String(f.runs),
      f.unit,
      f.notes,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.min(60, Math.max(...rows.map((r) => r[i]!.length))));
  for (const r of rows) console.log(r.map((c, i) => (i === 7 ? c : c.padEnd(widths[i]!))).join('  '));
}

export function writeResults(figures: Figure[]): string {
  mkdirSync('bench-results', { recursive: true });
  const file = 'bench-results/latest.json';
  writeFileSync(file, JSON.stringify(figures, null, 2) + '\n');
  return file;
}
