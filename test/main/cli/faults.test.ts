import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { MIGRATIONS } from '../../../main/store/migrations';
import { FIXTURES, makeTempDir, runCli, type CliResult } from '../core/helpers';

const temp = makeTempDir('scout-cli-faults-');
after(() => temp.remove());

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Asserts exit code 1 with a `scout:` message matching `pattern` and no stack trace. */
function failed(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 1, `exit ${result.code}; stdout:\n${result.stdout}`);
  assert.match(result.stderr, /^scout: /m);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

const STUDY_FILE = `
dataset: iris
hyperparameters:
  - { name: learning_rate, type: float, min: 1.0e-3, max: 1.0e-2, scale: log }
  - { name: units, type: int, min: 4, max: 16 }
`;

describe('scout faults', () => {
  const database = path.join(temp.dir, 'scout.sqlite');
  const scout = (...args: string[]) => runCli(['--db', database, '--backend', 'cpu', ...args]);

  it('--max-failures pauses with the errors', async () => {
    const csv = path.join(FIXTURES, 'iris.csv');
    const added = await scout(
      'dataset',
      'add',
      'iris',
      '--csv',
      csv,
      '--target',
      'species',
      '--task',
      'classification',
    );
    assert.equal(added.code, 0, added.stderr);
    const file = path.join(temp.dir, 'slow.yaml');
    fs.writeFileSync(file, STUDY_FILE);

    // Each trial needs far longer than its time limit, so each one fails.
    const run = await scout(
      ...[
        'run',
        file,
        '--trials',
        '6',
        '--epochs',
        '5000',
        '--patience',
        '0',
        '--trial-timeout',
        '0.5',
      ],
      ...['--max-failures', '2', '--keep-models', '0', '--workers', '1'],
    );
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /study 1 'slow' paused in \d+ s: 0 completed, 2 failed/);
    assert.match(run.stdout, /paused after 2 failed trials in a row:\n {2}2x the trial timed out/);
    assert.match(run.stdout, /resume it with: scout resume 1/);

    const show = await scout('show', '1');
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /pause after 2 failed trials in a row/);
    assert.match(show.stdout, /paused after 2 failed trials in a row:\n {2}2x the trial timed out/);
    assert.match(show.stdout, /trials: 2 failed, 4 queued/);
  });

  it('--max-failures -1 names the flag', async () => {
    const file = path.join(temp.dir, 'bad.yaml');
    fs.writeFileSync(file, STUDY_FILE);
    failed(
      await scout('run', file, '--max-failures', '-1'),
      /maxConsecutiveFailures \(--max-failures\): must be 0 \(off\) or more/,
    );
  });

  it('upgrade names the backup', async () => {
    const file = path.join(temp.dir, 'old.sqlite');
    const old = new BetterSqlite3(file);
    MIGRATIONS[0].up(old);
    old.pragma('user_version = 1');
    old.close();

    const result = await runCli(['--db', file, 'list']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `upgraded the schema of ${escape(file)}; the copy from before is ${escape(file)}\\.backup-v1-`,
      ),
    );
    const backups = fs
      .readdirSync(temp.dir)
      .filter((name) => name.startsWith('old.sqlite.backup-v1-'));
    assert.equal(backups.length, 1);
  });

  it('damaged file is reported, not thrown', async () => {
    const file = path.join(temp.dir, 'damaged.sqlite');
    fs.copyFileSync(database, file);
    const size = fs.statSync(file).size;
    const handle = fs.openSync(file, 'r+');
    fs.writeSync(handle, Buffer.alloc(4096, 0xa5), 0, 4096, Math.max(4096, size - 8192));
    fs.closeSync(handle);

    failed(
      await runCli(['--db', file, 'list']),
      new RegExp(
        `the database ${escape(file)} is damaged .*start a new database with --db NEW_FILE`,
      ),
    );
  });
});
