import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatNumber } from '../../../main/cli/format';
import { planTrials } from '../../../main/core/planning';
import { formatLogLine } from '../../../main/log';
import { readCsvDataset } from '../../../main/runner/data/csv';
import { DatasetError } from '../../../main/runner/data/errors';
import { Store, StoreError } from '../../../main/store';
import type { SearchSpace } from '../../../shared/space/types';
import {
  CLI_ENTRY,
  FIXTURES,
  REPO_ROOT,
  collectOutput,
  makeTempDir,
  quickSettings,
  runCli,
  type CliResult,
} from '../core/helpers';

const temp = makeTempDir('scout-cli-usability-');
const database = path.join(temp.dir, 'scout.sqlite');
after(() => temp.remove());

/** Runs `scout --db DATABASE ARGS`. */
function scout(...args: string[]): Promise<CliResult> {
  return runCli(['--db', database, ...args]);
}

/**
 * Runs `scout --db DATABASE ARGS` with SCOUT_LOG_LEVEL and SCOUT_LOG_FORMAT
 * unset, as a user's shell has them (the test runner sets the level).
 */
function scoutWithDefaultLogging(...args: string[]): Promise<CliResult> {
  const env = { ...process.env };
  delete env.SCOUT_LOG_LEVEL;
  delete env.SCOUT_LOG_FORMAT;
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, '--db', database, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectOutput(child);
}

/** Asserts a successful exit and returns standard output. */
function succeeded(result: CliResult): string {
  assert.equal(result.code, 0, `exit ${result.code}; stderr:\n${result.stderr}`);
  return result.stdout;
}

/** Asserts exit code 1 with a one-line `scout:` message matching `pattern`, no stack and no log record. */
function failed(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 1, `exit ${result.code}; stdout:\n${result.stdout}`);
  assert.match(result.stderr, /^scout: /m);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
  assert.doesNotMatch(result.stderr, /"level":/);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A study whose learning rates are far beyond 1e6, so every printed value
 * needs exponent form. Above about 1e15 iris training turns the weights
 * into NaN and the trials fail, so the range stops at 1e13.
 */
const HUGE_STUDY = `
name: huge
dataset: iris
trials: 2
epochs: 1
seed: 3
workers: 1
hyperparameters:
  - { name: learning_rate, type: float, min: 1.0e10, max: 1.0e13, scale: log }
  - { name: units, type: int, min: 8, max: 16 }
`;

/** A grid whose only axis is an int of 57 values. */
const INT_GRID_STUDY = `
name: int-grid
dataset: iris
hyperparameters:
  - { name: units, type: int, min: 8, max: 64 }
`;

/**
 * Writes iris in the layout of scikit-learn's iris.csv: a first row of
 * "150,4,setosa,versicolor,virginica" (rows, features, class names) and the
 * class index in column 4, so the header name '4' is column 1.
 */
function writeSklearnIris(file: string): void {
  const [, ...rows] = fs.readFileSync(path.join(FIXTURES, 'iris.csv'), 'utf8').trim().split('\n');
  const classes = ['setosa', 'versicolor', 'virginica'];
  const body = rows.map((row) => {
    const cells = row.split(',');
    return [...cells.slice(0, 4), String(classes.indexOf(cells[4]))].join(',');
  });
  fs.writeFileSync(file, [`${rows.length},4,${classes.join(',')}`, ...body].join('\n') + '\n');
}

let runOutput: CliResult;

before(async () => {
  succeeded(
    await scout(
      'dataset',
      'add',
      'iris',
      '--csv',
      path.join(FIXTURES, 'iris.csv'),
      '--target',
      'species',
      '--task',
      'classification',
    ),
  );
  const studyFile = path.join(temp.dir, 'huge.yaml');
  fs.writeFileSync(studyFile, HUGE_STUDY);
  runOutput = await scout('run', studyFile);
  succeeded(runOutput);
});

describe('scout export overwrite', () => {
  it('rejects an existing --out file', async () => {
    const out = path.join(temp.dir, 'note.txt');
    fs.writeFileSync(out, 'my notes\n');

    failed(
      await scout('export', 'huge', '--format', 'csv', '--out', out),
      new RegExp(`--out ${escape(out)} exists already; pass --force to replace it`),
    );
    assert.equal(fs.readFileSync(out, 'utf8'), 'my notes\n');

    succeeded(await scout('export', 'huge', '--format', 'csv', '--out', out, '--force'));
    assert.match(fs.readFileSync(out, 'utf8'), /^number,status,objective,learning_rate,units/);
  });

  it('rejects a non-empty --model folder', async () => {
    const folder = path.join(temp.dir, 'model-old');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'model.json'), '{"old":true}');
    fs.writeFileSync(path.join(folder, 'readme.txt'), 'mine');

    failed(
      await scout('export', 'huge', '--model', folder),
      new RegExp(
        `--model ${escape(folder)} is a folder with 2 entries in it already; pass --force`,
      ),
    );
    assert.equal(fs.readFileSync(path.join(folder, 'model.json'), 'utf8'), '{"old":true}');

    succeeded(await scout('export', 'huge', '--model', folder, '--force'));
    assert.deepEqual(fs.readdirSync(folder).sort(), [
      'model.json',
      'preprocessing.json',
      'readme.txt',
      'weights.bin',
    ]);
    assert.notEqual(fs.readFileSync(path.join(folder, 'model.json'), 'utf8'), '{"old":true}');
  });

  it('writes into a new or empty folder', async () => {
    const fresh = path.join(temp.dir, 'model-new');
    const empty = path.join(temp.dir, 'model-empty');
    fs.mkdirSync(empty);

    const results = await Promise.all([
      scout('export', 'huge', '--model', fresh),
      scout('export', 'huge', '--model', empty),
    ]);
    results.forEach(succeeded);
    for (const folder of [fresh, empty]) {
      assert.deepEqual(fs.readdirSync(folder).sort(), [
        'model.json',
        'preprocessing.json',
        'weights.bin',
      ]);
    }
  });

  it('rejects a folder as --out and a file as --model', async () => {
    const folder = path.join(temp.dir, 'adir');
    const file = path.join(temp.dir, 'mfile');
    fs.mkdirSync(folder);
    fs.writeFileSync(file, 'not a folder');

    const [outFolder, modelFile] = await Promise.all([
      scout('export', 'huge', '--format', 'csv', '--out', folder),
      scout('export', 'huge', '--model', file),
    ]);
    failed(
      outFolder,
      new RegExp(
        `--out ${escape(folder)} is a folder; give a file path such as ${escape(folder)}/huge-trials\\.csv`,
      ),
    );
    failed(modelFile, new RegExp(`--model ${escape(file)} is a file, not a folder`));
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a folder');
  });

  it('writes no --out file when --model is rejected', async () => {
    const out = path.join(temp.dir, 'best.json');
    const folder = path.join(temp.dir, 'model-busy');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'other.txt'), 'x');

    failed(
      await scout('export', 'huge', '--out', out, '--model', folder),
      /is a folder with 1 entry in it already/,
    );
    assert.equal(fs.existsSync(out), false);
  });
});

describe('scout dataset add --task', () => {
  for (const task of ['classify', 'foo']) {
    it(`rejects '${task}'`, async () => {
      const fresh = path.join(temp.dir, `task-${task}.sqlite`);
      const result = await runCli([
        '--db',
        fresh,
        'dataset',
        'add',
        'iris',
        '--csv',
        path.join(FIXTURES, 'iris.csv'),
        '--target',
        'species',
        '--task',
        task,
      ]);
      failed(
        result,
        new RegExp(`^scout: --task '${task}' must be classification or regression$`, 'm'),
      );
      assert.equal(fs.existsSync(fresh), false);
    });
  }
});

describe('scout dataset add --target', () => {
  const file = path.join(temp.dir, 'iris.csv');
  before(() => writeSklearnIris(file));

  it('rejects a name that is another index', async () => {
    const add = (name: string, target: string) =>
      scout('dataset', 'add', name, '--csv', file, '--target', target, '--task', 'classification');
    const [plain, byIndex] = await Promise.all([add('sk-plain', '4'), add('sk-index', '#4')]);

    failed(
      plain,
      /target column '4' is ambiguous: .*column at index 1 .*column 'virginica'; give '#4' for the column at index 4, or '#1' for the column named '4'/,
    );
    assert.match(
      succeeded(byIndex),
      /registered dataset \d+ 'sk-index': 150 rows, 4 features, classification into 3 classes/,
    );
  });

  it('loader reads #N as an index', () => {
    const byIndex = readCsvDataset(file, '#4', 'classification');
    assert.deepEqual(byIndex.featureNames, ['150', '4', 'setosa', 'versicolor']);
    assert.deepEqual([...new Set(byIndex.y)].sort(), [0, 1, 2]);

    const named = readCsvDataset(file, '#1', 'regression');
    assert.deepEqual(named.featureNames, ['150', 'setosa', 'versicolor', 'virginica']);
    assert.equal(named.y[0], 3.5);
  });

  it('loader rejects an ambiguous target', () => {
    assert.throws(
      () => readCsvDataset(file, '4', 'classification'),
      (error: unknown) => error instanceof DatasetError && error.code === 'ambiguous-column',
    );
    assert.throws(
      () => readCsvDataset(file, '#5', 'classification'),
      (error: unknown) => error instanceof DatasetError && error.code === 'missing-column',
    );
  });

  it('loader keeps plain indexes without a header', () => {
    const headerless = path.join(temp.dir, 'iris-no-header.csv');
    const [, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
    fs.writeFileSync(headerless, rows.join('\n') + '\n');

    const plain = readCsvDataset(headerless, '4', 'classification');
    const hashed = readCsvDataset(headerless, '#4', 'classification');
    assert.deepEqual(plain.featureNames, ['0', '1', '2', '3']);
    assert.deepEqual(hashed.y, plain.y);
  });
});

describe('scout grid budget message', () => {
  it('advises a step for an int axis', async () => {
    const file = path.join(temp.dir, 'int-grid.yaml');
    fs.writeFileSync(file, INT_GRID_STUDY);
    const result = await scout(
      'run',
      file,
      '--strategy',
      'grid',
      '--grid-points',
      '2',
      '--trials',
      '3',
    );
    failed(
      result,
      /^scout: the grid has 57 points, more than the budget of 3 configs \(units 57 values\); raise the trial budget to at least 57, or raise the step or narrow the range of units$/m,
    );
    assert.doesNotMatch(result.stderr, /points per/);
  });

  it('names each kind of axis', () => {
    const space: SearchSpace = [
      { name: 'learning_rate', type: 'float', min: 1e-3, max: 1e-1, scale: 'log' },
      { name: 'units', type: 'int', min: 8, max: 16 },
      { name: 'activation', type: 'choice', values: ['relu', 'tanh', 'sigmoid'] },
      { name: 'epochs', type: 'fixed', value: 2 },
    ];
    const settings = quickSettings({ strategy: 'grid', gridPoints: 2, trials: 10 });
    assert.throws(
      () => planTrials(space, settings),
      new RegExp(
        escape(
          'the grid has 54 points, more than the budget of 10 configs ' +
            '(learning_rate 2 points x units 9 values x activation 3 values); ' +
            'raise the trial budget to at least 54, ' +
            'or raise the step or narrow the range of units, ' +
            'or list fewer values for activation, ' +
            'or lower the points per continuous axis (now 2, for learning_rate)',
        ),
      ),
    );
  });
});

describe('scout read-only commands', () => {
  it('do not create a missing database', async () => {
    const folder = path.join(temp.dir, 'nodir');
    const missing = path.join(folder, 'x.sqlite');
    const commands = [['list'], ['show', '1'], ['export', '1'], ['dataset', 'list']];

    const results = await Promise.all(commands.map((args) => runCli(['--db', missing, ...args])));
    for (const result of results) {
      failed(
        result,
        new RegExp(
          `^scout: no Scout database at ${escape(missing)}; check the path, or create one with \`scout dataset add\`$`,
          'm',
        ),
      );
    }
    assert.equal(fs.existsSync(folder), false);
  });

  it('Store.open without create rejects a missing file', () => {
    const folder = path.join(temp.dir, 'nodir-store');
    const missing = path.join(folder, 'x.sqlite');

    assert.throws(
      () => Store.open(missing, { create: false }),
      (error: unknown) =>
        error instanceof StoreError &&
        error.message === `no Scout database at ${missing}; check the path`,
    );
    assert.equal(fs.existsSync(folder), false);

    const store = Store.open(database, { create: false });
    try {
      assert.ok(store.studies.list().length > 0);
    } finally {
      store.close();
    }
  });
});

describe('scout logging', () => {
  it('run prints no log records by default', async () => {
    const file = path.join(temp.dir, 'huge.yaml');
    const args = ['run', file, '--trials', '1', '--trial-timeout', '0.001'];
    const result = await scoutWithDefaultLogging(...args, '--name', 'timeout-quiet');

    assert.match(result.stdout, /^trial 1\/1 {2}failed: the trial timed out/m);
    assert.equal(result.stderr, '');
  });

  it('SCOUT_LOG_LEVEL=warn shows readable warnings', async () => {
    const file = path.join(temp.dir, 'huge.yaml');
    const result = await runCli(
      [
        '--db',
        database,
        'run',
        file,
        '--name',
        'timeout-warn',
        '--trials',
        '1',
        '--trial-timeout',
        '0.001',
      ],
      { env: { SCOUT_LOG_LEVEL: 'warn' } },
    );
    assert.match(
      result.stderr,
      /^\d{4}-\d\d-\d\dT[\d:.]+Z WARN core: trial failed studyId=\d+ trial=1 reason="the trial timed out/m,
    );
    assert.doesNotMatch(result.stderr, /"level":/);
  });

  it('serve keeps warnings, other commands errors only', async () => {
    const probe = path.join(temp.dir, 'probe.ts');
    // Replaces the actions, so only the program's own hooks run before the level is printed.
    fs.writeFileSync(
      probe,
      [
        `import { createProgram } from ${JSON.stringify(path.join(REPO_ROOT, 'main/cli/main'))};`,
        `import { logger } from ${JSON.stringify(path.join(REPO_ROOT, 'main/log'))};`,
        'const program = createProgram();',
        'for (const command of program.commands) {',
        '  command.action(() => console.log(`${logger.level} ${process.env.SCOUT_LOG_FORMAT}`));',
        '}',
        "void program.parseAsync(['node', 'scout', process.argv[2]]);",
      ].join('\n'),
    );
    const levelOf = (command: string, extra: Record<string, string> = {}) => {
      const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
      if (extra.SCOUT_LOG_LEVEL === undefined) {
        delete env.SCOUT_LOG_LEVEL;
      }
      delete env.SCOUT_LOG_FORMAT;
      const child = spawn(process.execPath, ['--import', 'tsx', probe, command], {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return collectOutput(child).then((result) => succeeded(result).trim());
    };

    const [serve, list, chosen] = await Promise.all([
      levelOf('serve'),
      levelOf('list'),
      levelOf('list', { SCOUT_LOG_LEVEL: 'debug' }),
    ]);
    assert.equal(serve, 'warn text');
    assert.equal(list, 'error text');
    assert.equal(chosen, 'debug text');
  });

  it('formatLogLine writes one readable line', () => {
    const record = {
      level: 40,
      time: Date.UTC(2026, 0, 2, 3, 4, 5),
      pid: 1,
      hostname: 'host',
      name: 'scout',
      subsystem: 'core',
      studyId: 3,
      reason: 'timed out',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
      msg: 'trial failed',
    };
    assert.equal(
      formatLogLine(JSON.stringify(record)),
      '2026-01-02T03:04:05.000Z WARN core: trial failed studyId=3 reason="timed out" err="Error: boom"\n',
    );
    assert.equal(formatLogLine('not json\n'), 'not json\n');
  });
});

describe('scout number format', () => {
  it('formatNumber switches to exponents', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [64, '64'],
      [999999, '999999'],
      [1e6, '1e+6'],
      [12195779041210700000, '1.22e+19'],
      [2.82e13, '2.82e+13'],
      [0.941234, '0.9412'],
      [1e-4, '0.0001'],
      [5e-5, '5e-5'],
      [-3.14159e-7, '-3.142e-7'],
      [999999.5, '1e+6'],
    ];
    for (const [value, expected] of cases) {
      assert.equal(formatNumber(value), expected, `formatNumber(${value})`);
    }
  });

  it('progress lines and show use exponents', async () => {
    const lines = runOutput.stdout.split('\n').filter((line) => line.startsWith('trial '));
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.match(line, / learning_rate=\d(\.\d{1,3})?e\+1[0-3] units=\d+$/);
    }
    assert.doesNotMatch(runOutput.stdout, /\d{7,}/);

    const shown = succeeded(await scout('show', 'huge'));
    assert.match(shown, /^learning_rate\s+float 1e\+10\.\.1e\+13 log$/m);
    assert.doesNotMatch(shown, /\d{7,}/);
  });
});
