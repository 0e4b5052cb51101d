#!/usr/bin/env node
// Runs the test suite with Node's test runner, TypeScript loaded by tsx.
// `node test/run.mjs` runs the default suite; `--slow` adds the files named
// *.slow.test.ts (long training runs); `--only-slow` runs just those; further
// arguments are test files or folders to run instead of the whole tree.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const slow = args.includes('--slow');
const onlySlow = args.includes('--only-slow');
const targets = args.filter((arg) => !arg.startsWith('--'));

function collect(entry) {
  const stat = fs.statSync(entry);
  if (stat.isFile()) {
    return [entry];
  }
  return fs
    .readdirSync(entry, { withFileTypes: true })
    .flatMap((child) => {
      const full = path.join(entry, child.name);
      if (child.isDirectory()) {
        return child.name === 'fixtures' ? [] : collect(full);
      }
      return child.name.endsWith('.test.ts') ? [full] : [];
    })
    .sort();
}

const files = (targets.length > 0 ? targets : [root]).flatMap(collect).filter((file) => {
  const isSlow = file.endsWith('.slow.test.ts');
  return onlySlow ? isSlow : slow || !isSlow || targets.length > 0;
});

if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

// Tests provoke failures on purpose, and the warnings those log would bury
// the test report; SCOUT_LOG_LEVEL=warn (or debug) shows them again.
const env = { ...process.env, SCOUT_LOG_LEVEL: process.env.SCOUT_LOG_LEVEL ?? 'error' };

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', ...files],
  { stdio: 'inherit', env },
);
process.exit(result.status ?? 1);
