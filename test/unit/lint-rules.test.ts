// The lint rules that guard the inside of the code base fire on deliberate
// violations: the per-folder import allow-lists of src-main, the type-aware
// promise rules, and the import-cycle check of scripts/check-cycles.ts.
// Each sample is linted as if it were an existing file of that folder.
import { beforeAll, describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { relative, resolve } from 'node:path';
import {
  circleThrough,
  cyclesOf,
  importGraph,
  importsOf,
  KNOWN_CYCLES,
  sourceFiles,
} from '../../scripts/check-cycles.ts';

const root = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function rulesFired(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

// The first type-aware lint loads the TypeScript project of src-main: slow once, quick after.
beforeAll(() => rulesFired('src-main/sync/ids.ts', ''), 180_000);

describe('import allow-lists inside src-main', () => {
  it('the store imports nothing from the sync engine, connectors or services', async () => {
    const fired = await rulesFired('src-main/store/users.ts', "export { nowIso } from '../sync/ids.ts';\n");
    expect(fired).toEqual(['no-restricted-imports']);
    expect(await rulesFired('src-main/store/users.ts', "export { AppError } from '../errors.ts';\n")).toEqual([]);
  });

  it('connectors import neither the store nor the sync engine', async () => {
    for (const target of ['../../store/db.ts', '../../sync/ids.ts', '../../secrets/vault.ts']) {
      const fired = await rulesFired('src-main/connectors/ldap/guid.ts', `export * from '${target}';\n`);
      expect(fired, target).toEqual(['no-restricted-imports']);
    }
    const inside = "export * from '../connector.ts';\nexport * from '../../mapping/model-paths.ts';\n";
    expect(await rulesFired('src-main/connectors/ldap/guid.ts', inside)).toEqual([]);
  });

  it('the sync engine never imports a service, the bridge or a shell', async () => {
    for (const target of ['../users/service.ts', '../bridge/dispatch.ts', '../app.ts']) {
      const fired = await rulesFired('src-main/sync/ids.ts', `export * from '${target}';\n`);
      expect(fired, target).toEqual(['no-restricted-imports']);
    }
    expect(await rulesFired('src-main/sync/ids.ts', "export * from '../store/db.ts';\n")).toEqual([]);
  });
});

describe('type-aware promise rules', () => {
  it('a promise nobody awaits is an error', async () => {
    const code = 'async function later(): Promise<void> {}\nexport function now(): void {\n  later();\n}\n';
    expect(await rulesFired('src-main/sync/ids.ts', code)).toEqual(['@typescript-eslint/no-floating-promises']);
    const marked = 'async function later(): Promise<void> {}\nexport function now(): void {\n  void later();\n}\n';
    expect(await rulesFired('src-main/sync/ids.ts', marked)).toEqual([]);
  });

  it('an async callback where nothing awaits its result is an error', async () => {
    const code =
      "import { EventEmitter } from 'node:events';\nexport function watch(e: EventEmitter): void {\n  e.on('x', async () => {});\n}\n";
    expect(await rulesFired('src-main/sync/ids.ts', code)).toEqual(['@typescript-eslint/no-misused-promises']);
  });
});

describe('import cycles (scripts/check-cycles.ts)', () => {
  it('finds a cycle and names a circle through it', () => {
    const files: Record<string, string> = {
      '/p/a.ts': "import { b } from './b.ts';",
      '/p/b.ts': "import type { C } from './c.ts';",
      '/p/c.ts': "export * from './a.ts';",
      '/p/d.ts': "import { a } from './a.ts';\nconst later = () => import('./d.ts');",
    };
    const graph = importGraph(Object.keys(files), (f) => files[f]!);
    const cycles = cyclesOf(graph);
    expect(cycles).toEqual([['/p/a.ts', '/p/b.ts', '/p/c.ts']]);
    expect(circleThrough(graph, cycles[0]!)).toEqual(['/p/a.ts', '/p/b.ts', '/p/c.ts', '/p/a.ts']);
  });

  it('ignores packages and dynamic imports', () => {
    expect(importsOf('/p/x.ts', "import ts from 'typescript';\nconst m = () => import('./y.ts');")).toEqual([]);
  });

  it('src-main and src-renderer have none but the listed ones', () => {
    const files = ['src-main', 'src-renderer'].flatMap((d) => sourceFiles(resolve(root, d)));
    const cycles = cyclesOf(importGraph(files)).map((group) => group.map((f) => relative(root, f)));
    expect(cycles.filter((c) => !KNOWN_CYCLES.some((k) => k.join() === c.join()))).toEqual([]);
  });
});
