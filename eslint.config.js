// Lint rules, including the layering rules (after VS Code's): the renderer
// and preload never import the main process; only src-main/electron and the
// preload entry import `electron`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const noMain = { group: ['**/src-main/**', '../src-main/*', '../../src-main/*'], message: 'The renderer and preload never import the main process: use the bridge contract.' };
const noElectron = { name: 'electron', message: 'Only src-main/electron/ (and the preload entry) may import electron: keep main-process logic testable without it.' };

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench-results/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
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
