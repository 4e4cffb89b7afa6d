// `npm run lint` step: fails when the static imports of src-main or
// src-renderer form a cycle. A cycle makes module load order matter and ties
// layers together that should depend one way only (docs/architecture.md).
// Type-only imports count too: they are erased at run time, but they still
// say one file needs the other. Dynamic import() does not count.
//
//   node scripts/check-cycles.ts            checks src-main and src-renderer
//   node scripts/check-cycles.ts DIR...     checks those folders instead
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');

/**
 * Cycles that exist and are reported without failing, until the file split that removes them.
 * Each entry is the sorted list of the cycle's files; a listed cycle that is gone is reported too.
 */
export const KNOWN_CYCLES: string[][] = [
  // downstream.ts needs the import's row types, which live in import.ts with the planner that
  // calls downstream.ts: moving the row types to their own file breaks it.
  ['src-main/sync/downstream.ts', 'src-main/sync/import.ts'],
];

/** Every .ts / .tsx file under dir. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The relative modules a file imports or re-exports statically, resolved to absolute paths. */
export function importsOf(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const node of source.statements) {
    if (!ts.isImportDeclaration(node) && !ts.isExportDeclaration(node)) continue;
    const spec = node.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    out.push(resolve(dirname(file), spec.text));
  }
  return out;
}

/** The import graph of the given files; edges to files outside them are dropped. */
export function importGraph(files: string[], read = (f: string) => readFileSync(f, 'utf8')): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files)
    graph.set(
      f,
      [...new Set(importsOf(f, read(f)))].filter((to) => known.has(to)),
    );
  return graph;
}

/** Every group of files that import each other in a circle (strongly connected components, Tarjan). */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(group.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** One circle through the group, as a readable path a → b → … → a. */
export function circleThrough(graph: Map<string, string[]>, group: string[]): string[] {
  const members = new Set(group);
  const start = group[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at = v; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return group;
}

function main(): void {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['src-main', 'src-renderer'];
  const files = dirs.flatMap((d) => sourceFiles(resolve(root, d)));
  const graph = importGraph(files);
  const known = new Set(KNOWN_CYCLES.map((c) => c.join(' ')));
  const cycles = cyclesOf(graph);
  const found = new Set<string>();
  const failing: string[][] = [];
  for (const group of cycles) {
    const key = group.map((f) => relative(root, f)).join(' ');
    found.add(key);
    const path = circleThrough(graph, group).map((f) => relative(root, f));
    if (known.has(key)) console.warn(`Known import cycle (listed in KNOWN_CYCLES): ${path.join(' → ')}`);
    else {
      console.error(`Import cycle (${group.length} files): ${path.join(' → ')}`);
      failing.push(group);
    }
  }
  for (const key of known)
    if (!found.has(key) && dirs.includes(key.split('/')[0]!))
      console.warn(`KNOWN_CYCLES lists a cycle that is gone; remove it: ${key}`);
  if (failing.length) {
    console.error(`${failing.length} import cycle(s) in ${dirs.join(', ')}: make one side depend on the other only.`);
    process.exitCode = 1;
  }
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) main();
