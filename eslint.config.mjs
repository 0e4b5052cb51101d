// ESLint flat config. Besides the recommended rules it enforces the process
// boundaries: shared/ runs in every process, so it imports no Node built-in,
// Electron, SQLite or TensorFlow.js module; renderer/ imports only shared/
// and browser packages.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeOnly = [
  {
    group: ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'zlib', 'worker_threads'],
    message: 'shared/ and renderer/ run outside Node; move this code under main/.',
  },
  { group: ['electron', 'electron/*'], message: 'Electron imports belong in main/app.' },
  { group: ['better-sqlite3'], message: 'SQLite imports belong in main/store.' },
  { group: ['@tensorflow/*'], message: 'TensorFlow.js imports belong in main/runner.' },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'release/**',
      'test-results/**',
      'docs/**',
      '**/*.svelte',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-console': 'off',
    },
  },
  {
    files: ['shared/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': ['error', { patterns: nodeOnly }],
      'no-console': 'error',
    },
  },
  {
    files: ['renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...nodeOnly,
            {
              group: ['**/main/**'],
              message: 'the renderer calls main/ only through the API client.',
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI launcher is plain CommonJS so it runs without a build step of its own.
    files: ['bin/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['main/runner/**/*.ts', 'main/store/**/*.ts', 'main/core/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
);
