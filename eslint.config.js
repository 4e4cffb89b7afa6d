// Lint rules, including the layering rules (after VS Code's): the renderer
// and preload never import the main process; only src-main/electron and the
// preload entry import `electron`; inside src-main the lower layers (store/,
// connectors/, sync/ ...) import only what their allow-list names
// (docs/architecture.md). No floating or misused promises in the app's code.
// scripts/check-cycles.ts adds the no-cycles check.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const noMain = {
  group: ['**/src-main/**', '../src-main/*', '../../src-main/*'],
  message: 'The renderer and preload never import the main process: use the bridge contract.',
};
const noElectron = {
  name: 'electron',
  message:
    'Only src-main/electron/ (and the preload entry) may import electron: keep main-process logic testable without it.',
};

/**
 * The inside of src-main, bottom up: what each folder may import besides itself, as paths from
 * src-main/ ('../src-preload/' is the shared layer). Anything else it reaches out to is an error.
 */
const insideMain = {
  http: { may: [], why: 'The HTTP plumbing both servers share depends on nothing of the app.' },
  store: {
    may: ['errors.ts', '../src-preload/'],
    why: 'The store is the bottom layer: it never calls connectors, the engine or a service.',
  },
  secrets: { may: ['store/', 'errors.ts', '../src-preload/'], why: 'Secrets sit on the store only.' },
  events: { may: ['../src-preload/'], why: 'The event bus depends on the contract only.' },
  mapping: {
    may: ['connectors/connector.ts', '../src-preload/'],
    why: 'Model paths depend on the connector interface only.',
  },
  connectors: {
    // sync/matching.ts is the one matching decision every connector's look-up goes through; it
    // depends on the connector interface and the preload layer only.
    may: ['mapping/', 'sync/matching.ts', '../src-preload/'],
    why: 'Connectors list and write a directory: they never touch the store, the engine or a service.',
  },
  sync: {
    may: ['store/', 'connectors/', 'mapping/', 'secrets/', 'events/', 'errors.ts', '../src-preload/'],
    why: 'The sync engine sits between the store and the connectors: services, the bridge and the shells call it, never the other way.',
  },
};

/** For files `depth` folders below src-main: a relative import that leaves `folder` must start with an allowed path. */
function allowOnly(folder, depth, { may, why }) {
  const up = '\\.\\./'.repeat(depth);
  const allowed = [`${folder}/`, ...may].map((p) => p.replace(/[.]/g, '\\.') + (p.endsWith('/') ? '' : '$')).join('|');
  return {
    files: [`src-main/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            {
              regex: `^${up}(?!${allowed})`,
              message: `${why} Allowed outside ${folder}/: ${may.join(', ') || 'nothing'}.`,
            },
          ],
        },
      ],
    },
  };
}

const layering = Object.entries(insideMain).flatMap(([folder, rule]) =>
  [1, 2].map((depth) => allowOnly(folder, depth, rule)),
);

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench-results/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-control-regex': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/electron/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron] }] },
  },
  ...layering,
  {
    // Type-aware promise rules for this very asynchronous code: a promise nobody awaits loses its
    // error, and a promise where a callback's result is ignored (an event handler) does the same.
    files: ['src-main/**/*.ts', 'src-preload/**/*.ts', 'src-renderer/**/*.{ts,tsx}'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': 'error' },
  },
  {
    files: ['src-preload/**/*.ts'],
    ignores: ['src-preload/index.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: [noMain] }] },
  },
  {
    files: ['src-preload/index.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noMain] }] },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // TanStack Virtual is used as documented; the compiler hint is not a defect.
      'react-hooks/incompatible-library': 'off',
      'no-restricted-imports': ['error', { paths: [noElectron], patterns: [noMain] }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty-pattern': 'off', // Playwright fixtures take `{}` when they need no other fixture
    },
  },
);
