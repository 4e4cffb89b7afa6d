// `npm run bench [-- name ...]`: prepares its own data and servers, runs
// every measurement (or the named ones), prints a table and writes
// bench-results/latest.json. A figure whose feature is missing says so.
import { figure, printTable, writeResults, type Figure, type Measurement } from './harness.ts';
import { measurements } from './measurements.ts';
import { stopBenchSlapd } from './ldap-data.ts';

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const runs = Number(process.env.BENCH_RUNS ?? 3);
const selected: Measurement[] = wanted.length
  ? measurements.filter((m) => wanted.some((w) => m.name.includes(w)))
  : measurements;
if (selected.length === 0) {
  console.error(`No benchmark matches ${wanted.join(', ')}. Known: ${measurements.map((m) => m.name).join(', ')}`);
  process.exit(2);
}

const figures: Figure[] = [];
const started = Date.now();
for (const m of selected) {
  console.log(`\n--- ${m.name}`);
  try {
    figures.push(...(await m.run({ runs, log: (s) => console.log(`    ${s}`) })));
  } catch (err) {
    console.error(`    ${m.name} failed:`, err instanceof Error ? err.message : err);
    figures.push(
      figure({
        name: m.name,
        unit: '',
        notes: `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      }),
    );
  }
}
await stopBenchSlapd();
console.log(
  `\nBenchmarks done in ${Math.round((Date.now() - started) / 1000)} s (${runs} runs each where repeated).\n`,
);
printTable(figures);
console.log(`\nWritten to ${writeResults(figures)}`);
process.exit(0);
