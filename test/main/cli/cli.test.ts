import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import YAML from 'yaml';
import { describeParam } from '../../../main/cli/format';
import { Store } from '../../../main/store';
import type { SearchSpace } from '../../../shared/space/types';
import BetterSqlite3 from 'better-sqlite3';
import {
  FIXTURES,
  collectOutput,
  makeTempDir,
  runCli,
  spawnCli,
  waitFor,
  type CliResult,
} from '../core/helpers';

const temp = makeTempDir('scout-cli-');
const database = path.join(temp.dir, 'scout.sqlite');
after(() => temp.remove());

/** Runs `scout --db DATABASE ARGS`. */
function scout(...args: string[]): Promise<CliResult> {
  return runCli(['--db', database, ...args]);
}

/** Asserts a successful exit and returns standard output. */
function succeeded(result: CliResult): string {
  assert.equal(result.code, 0, `exit ${result.code}; stderr:\n${result.stderr}`);
  return result.stdout;
}

/** Asserts exit code 1 with a one-line `scout:` message matching `pattern` and no stack trace. */
function failed(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 1, `exit ${result.code}; stdout:\n${result.stdout}`);
  assert.match(result.stderr, /^scout: /m);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

/** Reads the database with a store of its own, for checks beside the CLI's output. */
function withStore<T>(read: (store: Store) => T): T {
  const store = Store.open(database);
  try {
    return read(store);
  } finally {
    store.close();
  }
}

const STUDY_FILE = `
name: cli-coarse
dataset: mnist
trials: 3
epochs: 1
seed: 5
trainLimit: 600
testLimit: 200
hyperparameters:
  - { name: learning_rate, type: float, min: 1.0e-3, max: 1.0e-2, scale: log }
  - { name: units, type: int, min: 16, max: 64, step: 2, scale: log }
  - { name: activation, type: choice, values: [relu, tanh] }
`;

describe('scout dataset', () => {
  it('add --mnist prints the summary', async () => {
    const output = succeeded(await scout('dataset', 'add', 'mnist', '--mnist'));
    assert.match(
      output,
      /registered dataset 1 'mnist': 60000 rows, 784 features, classification into 10 classes, 10000 test rows/,
    );
  });

  it('add --csv prints the summary', async () => {
    const output = succeeded(
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
    assert.match(
      output,
      /registered dataset 2 'iris': 150 rows, 4 features, classification into 3 classes\n/,
    );
  });

  it('broken CSV fails and writes nothing', async () => {
    const broken = path.join(temp.dir, 'broken.csv');
    const lines = fs.readFileSync(path.join(FIXTURES, 'iris.csv'), 'utf8').split('\n');
    lines[3] = lines[3].replace(/^[^,]+/, 'abc');
    fs.writeFileSync(broken, lines.join('\n'));

    const result = await scout(
      'dataset',
      'add',
      'broken',
      '--csv',
      broken,
      '--target',
      'species',
      '--task',
      'classification',
    );
    failed(result, /broken\.csv/);
    assert.match(result.stderr, /'abc' is not a number/);
    assert.equal(result.stdout, '');
    assert.equal(
      withStore((store) => store.datasets.findByName('broken')),
      undefined,
    );
  });

  it('add without a source explains the flags', async () => {
    failed(await scout('dataset', 'add', 'nothing'), /--mnist, --images and --labels, --csv/);
  });

  it('list shows both datasets', async () => {
    const output = succeeded(await scout('dataset', 'list'));
    const lines = output.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0], /^id\s+name\s+format\s+task\s+rows\s+features\s+classes\s+test$/);
    assert.match(lines[2], /^1\s+mnist\s+idx\s+classification\s+60000\s+784\s+10\s+10000$/);
    assert.match(lines[3], /^2\s+iris\s+csv\s+classification\s+150\s+4\s+3\s+-$/);
  });
});

describe('scout --db', () => {
  it('rejects a file that is not SQLite', async () => {
    const notDatabase = path.join(temp.dir, 'iris.csv');
    fs.copyFileSync(path.join(FIXTURES, 'iris.csv'), notDatabase);
    const result = await runCli(['--db', notDatabase, 'list']);
    failed(result, /^scout: cannot open database .*iris\.csv: file is not a database; .* --db$/m);
    assert.doesNotMatch(result.stderr, /"level":50/);
  });

  it('rejects a newer schema version', async () => {
    const newer = path.join(temp.dir, 'newer.sqlite');
    const db = new BetterSqlite3(newer);
    db.pragma('user_version = 1000');
    db.close();

    const result = await runCli(['--db', newer, 'list']);
    failed(result, /schema version 1000, newer than this Scout's \d+; upgrade Scout/);
    assert.doesNotMatch(result.stderr, /"level":50/);
  });
});

describe('scout studies', () => {
  const studyFile = path.join(temp.dir, 'coarse.yaml');
  let runOutput: string;

  before(async () => {
    fs.writeFileSync(studyFile, STUDY_FILE);
    runOutput = succeeded(await scout('run', studyFile));
  });

  it('run prints progress and a leaderboard', () => {
    assert.match(runOutput, /^created study 1 'cli-coarse' with 3 trials$/m);
    for (const number of [1, 2, 3]) {
      assert.match(
        runOutput,
        new RegExp(`^trial ${number}/3  val_accuracy 0\\.\\d+  \\[\\w+\\]  learning_rate=`, 'm'),
      );
    }
    assert.match(runOutput, /^study 1 'cli-coarse' completed in \d+ s: 3 completed, 0 failed$/m);
    assert.match(
      runOutput,
      /^rank\s+trial\s+val_accuracy\s+test_accuracy\s+learning_rate\s+units/m,
    );

    const rows = runOutput.split('\n').filter((line) => /^[123]\s+[123]\s+0\.\d+/.test(line));
    assert.equal(rows.length, 3);
    const objectives = rows.map((line) => Number(line.split(/\s+/)[2]));
    assert.deepEqual(
      objectives,
      [...objectives].sort((a, b) => b - a),
    );
  });

  it('run stores the settings of the file', () => {
    const study = withStore((store) => store.studies.get(1))!;
    assert.equal(study.status, 'completed');
    assert.equal(study.settings.trainLimit, 600);
    assert.equal(study.settings.testLimit, 200);
    assert.equal(study.settings.seed, 5);
    assert.equal(study.settings.epochs, 1);
    assert.equal(study.completedTrials, 3);
  });

  it('list, show and export read the study', async () => {
    const [list, show, csv, json, yaml] = await Promise.all([
      scout('list'),
      scout('show', '1'),
      scout('export', '1', '--format', 'csv'),
      scout('export', 'cli-coarse', '--format', 'json'),
      scout('export', '1', '--format', 'yaml'),
    ]);

    const listLines = succeeded(list).trim().split('\n');
    assert.match(listLines[0], /^id\s+name\s+dataset\s+stage\s+status\s+trials\s+best\s+backend$/);
    assert.match(
      listLines[2],
      /^1\s+cli-coarse\s+mnist\s+coarse\s+completed\s+3\/3\s+0\.\d+\s+\w+$/,
    );

    const shown = succeeded(show);
    assert.match(shown, /^study 1 'cli-coarse': coarse, completed$/m);
    assert.match(shown, /objective maximize val_accuracy; random, 3 trials, seed 5, 1 epochs/);
    assert.match(shown, /^learning_rate\s+float 0\.001\.\.0\.01 log$/m);
    assert.match(shown, /^units\s+int 16\.\.64 step 2 log$/m);
    assert.match(shown, /^trials: 3 completed$/m);

    const [header, ...rows] = parseCsv(succeeded(csv)) as string[][];
    assert.equal(rows.length, 3);
    assert.deepEqual(header.slice(0, 6), [
      'number',
      'status',
      'objective',
      'learning_rate',
      'units',
      'activation',
    ]);
    assert.ok(rows.every((row) => row[1] === 'completed'));

    const document = JSON.parse(succeeded(json));
    const trials = withStore((store) => store.trials.listByStudy(1));
    const best = trials.find((trial) => trial.number === document.trial.number)!;
    assert.equal(document.objective.value, Math.max(...trials.map((trial) => trial.objective!)));
    assert.deepEqual(document.hyperparameters, best.values);
    assert.deepEqual(YAML.parse(succeeded(yaml)), document);
  });

  it('export --out and --model write files', async () => {
    const out = path.join(temp.dir, 'best.json');
    const modelFolder = path.join(temp.dir, 'model');
    const result = await scout(
      'export',
      '1',
      '--format',
      'json',
      '--out',
      out,
      '--model',
      modelFolder,
    );

    assert.equal(succeeded(result), '');
    assert.match(result.stderr, /wrote .*best\.json/);
    assert.match(result.stderr, /copied the model of trial \d to /);
    const document = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.match(result.stderr, new RegExp(`trial ${document.trial.number} `));
    assert.deepEqual(fs.readdirSync(modelFolder).sort(), [
      'model.json',
      'preprocessing.json',
      'weights.bin',
    ]);
  });

  it('refine runs a refined study', async () => {
    const output = succeeded(await scout('refine', '1', '--trials', '2'));

    assert.match(output, /^refined region from the top 1 trials of study 1:$/m);
    assert.match(output, /^hyperparameter\s+coarse\s+refined$/m);
    assert.match(output, /^created refined study 2 'cli-coarse-refined' with 2 trials$/m);
    assert.match(output, /^study 2 'cli-coarse-refined' completed in \d+ s: 2 completed/m);

    const refined = withStore((store) => store.studies.get(2))!;
    assert.equal(refined.parentId, 1);
    assert.equal(refined.stage, 'refined');
    assert.equal(refined.plannedTrials, 2);
    assert.equal(refined.settings.seed, 6);
    for (const param of refined.space) {
      const parent = withStore((store) => store.studies.get(1))!.space.find(
        (candidate) => candidate.name === param.name,
      )!;
      const row = new RegExp(
        `^${param.name}\\s+${escape(describeParam(parent))}\\s+${escape(describeParam(param))}$`,
        'm',
      );
      assert.match(output, row);
    }

    const list = succeeded(await scout('list'));
    assert.match(list, /^2\s+cli-coarse-refined\s+mnist\s+refined of 1\s+completed\s+2\/2/m);
  });

  it('refine --write then --space round-trips', async () => {
    const proposalFile = path.join(temp.dir, 'proposal.yaml');
    const written = succeeded(await scout('refine', '1', '--write', proposalFile));
    assert.match(written, /wrote the proposal to .*proposal\.yaml/);
    assert.match(written, /scout refine 1 --space .*proposal\.yaml/);
    assert.equal(
      withStore((store) => store.studies.list().length),
      2,
    );

    const proposal = YAML.parse(fs.readFileSync(proposalFile, 'utf8')) as {
      hyperparameters: SearchSpace;
    };
    const refinedSpace = withStore((store) => store.studies.get(2))!.space;
    assert.deepEqual(proposal.hyperparameters, refinedSpace);

    // The user edits the proposal before running it.
    const edited = proposal.hyperparameters.map((param) =>
      param.name === 'activation' ? { name: 'activation', type: 'fixed', value: 'relu' } : param,
    );
    fs.writeFileSync(proposalFile, YAML.stringify({ hyperparameters: edited }));

    const created = succeeded(
      await scout('refine', '1', '--space', proposalFile, '--name', 'edited', '--create-only'),
    );
    assert.match(created, /^created refined study 3 'edited' with 3 trials$/m);
    const study = withStore((store) => store.studies.get(3))!;
    assert.deepEqual(study.space, edited);
    assert.equal(study.parentId, 1);
    assert.equal(study.status, 'created');
  });

  it('resume of a completed study fails', async () => {
    failed(
      await scout('resume', '1'),
      /study 'cli-coarse' is completed with no trials left to run; refine it or create a new study/,
    );
  });

  it('unknown study is not found', async () => {
    const results = await Promise.all([
      scout('show', '99'),
      scout('export', 'missing', '--format', 'csv'),
      scout('resume', '99'),
      scout('refine', '99'),
    ]);
    failed(results[0], /^scout: no study '99'; list them with 'scout list'$/m);
    failed(results[1], /^scout: no study 'missing'; list them with 'scout list'$/m);
    failed(results[2], /^scout: no study '99'/m);
    failed(results[3], /^scout: no study '99'/m);
  });

  it('Ctrl-C interrupts and resume finishes', async () => {
    // 30 epochs on 1500 rows keep a trial running for a few hundred ms, long enough to signal it.
    const args = ['run', studyFile, '--name', 'ctrl-c', '--trials', '4', '--epochs', '30'];
    args.push('--workers', '1');
    const child = spawnCli(['--db', database, ...args, '--train-limit', '1500'], {
      detached: true,
    });
    const output = collectOutput(child);
    const reader = new BetterSqlite3(database, { readonly: true });
    const statuses = () =>
      (
        reader
          .prepare(
            `SELECT t.status FROM trials t JOIN studies s ON s.id = t.study_id
             WHERE s.name = 'ctrl-c' ORDER BY t.number`,
          )
          .all() as { status: string }[]
      ).map((row) => row.status);

    let result: CliResult;
    try {
      await waitFor(
        () => statuses().includes('completed') && statuses().includes('running'),
        'a completed trial and a running one',
      );
      // Ctrl-C in a terminal signals the whole foreground process group, workers included.
      process.kill(-child.pid!, 'SIGINT');
      result = await output;
    } finally {
      reader.close();
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // The group has exited already.
      }
    }

    assert.equal(result.code, 130, `stderr:\n${result.stderr}`);
    assert.match(result.stderr, /stopping; finished trials are kept/);
    const id = withStore((store) => store.studies.find('ctrl-c'))!.id;
    assert.match(result.stdout, new RegExp(`^study ${id} 'ctrl-c' interrupted in \\d+ s`, 'm'));
    assert.match(result.stdout, new RegExp(`^resume it with: scout resume ${id}$`, 'm'));

    const interrupted = withStore((store) => store.trials.listByStudy(id));
    assert.equal(withStore((store) => store.studies.get(id))!.status, 'interrupted');
    assert.equal(interrupted.filter((trial) => trial.status === 'failed').length, 0);
    assert.equal(interrupted.filter((trial) => trial.status === 'interrupted').length, 1);
    const done = interrupted.filter((trial) => trial.status === 'completed');
    assert.ok(done.length >= 1);

    const resumed = succeeded(await scout('resume', String(id)));
    assert.match(resumed, /completed in \d+ s: 4 completed, 0 failed$/m);
    for (const trial of done) {
      assert.doesNotMatch(resumed, new RegExp(`^trial ${trial.number}/4 `, 'm'));
    }
    const after = withStore((store) => store.trials.listByStudy(id));
    assert.ok(after.every((trial) => trial.status === 'completed'));
  });

  it('run rejects a misspelt setting', async () => {
    const misspelt = path.join(temp.dir, 'misspelt.yaml');
    fs.writeFileSync(misspelt, STUDY_FILE.replace('trainLimit: 600', 'train_limit: 600'));

    const result = await scout('run', misspelt);
    failed(result, /misspelt\.yaml/);
    assert.match(result.stderr, /unknown key train_limit; a study file takes .*trainLimit/);
    assert.equal(
      withStore((store) => store.studies.list().length),
      4,
    );
  });

  it('run with an invalid space fails', async () => {
    const invalid = path.join(temp.dir, 'invalid.yaml');
    fs.writeFileSync(
      invalid,
      'dataset: mnist\nhyperparameters:\n  - { name: units, type: int, min: 64, max: 16 }\n',
    );
    const result = await scout('run', invalid);
    failed(result, /invalid search space/);
    assert.match(result.stderr, /units/);
    assert.equal(
      withStore((store) => store.studies.list().length),
      4,
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('scout repeats', () => {
  const repeatsFile = path.join(temp.dir, 'repeats.yaml');
  let runOutput: string;
  let studyId: number;

  before(async () => {
    fs.writeFileSync(
      repeatsFile,
      [
        'name: cli-repeats',
        'dataset: iris',
        'trials: 2',
        'epochs: 2',
        'seed: 3',
        'hyperparameters:',
        '  - { name: learning_rate, type: fixed, value: 0.01 }',
        '  - { name: units, type: choice, values: [8, 16] }',
        '',
      ].join('\n'),
    );
    runOutput = succeeded(await scout('run', repeatsFile, '--repeats', '2'));
    studyId = withStore((store) => store.studies.find('cli-repeats')!.id);
  });

  it('run trains each config twice', () => {
    assert.match(
      runOutput,
      new RegExp(
        `^created study ${studyId} 'cli-repeats' with 2 configs x 2 repeats = 4 trainings$`,
        'm',
      ),
    );
    assert.match(runOutput, /: 4 completed, 0 failed$/m);
    assert.match(runOutput, /^configs by mean val_accuracy over 2 repeats:$/m);
    const trials = withStore((store) => store.trials.listByStudy(studyId));
    assert.deepEqual(
      trials.map((trial) => [trial.config, trial.repeat]),
      [
        [1, 1],
        [1, 2],
        [2, 1],
        [2, 2],
      ],
    );
  });

  it('show prints the config leaderboard', async () => {
    const shown = succeeded(await scout('show', String(studyId)));

    assert.match(shown, /; random, 2 configs x 2 repeats = 4 trainings, seed 3/);
    assert.match(
      shown,
      /^rank\s+config\s+mean val_accuracy ± sd\s+n\s+min\s+max\s+failed\s+units$/m,
    );
    const rows = shown.split('\n').filter((line) => / 2\/2 /.test(line));
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.match(row, /^\d\s+\d\s+[\d.]+ ± [\d.e-]+\s+2\/2\s+/);
    }
  });

  it('refine proposes from config means', async () => {
    const output = succeeded(
      await scout('refine', String(studyId), '--top-k', '1', '--create-only'),
    );

    assert.match(
      output,
      new RegExp(
        `^refined region from the top 1 configs by mean objective of study ${studyId}:$`,
        'm',
      ),
    );
    assert.match(output, /with 1 config x 2 repeats = 2 trainings$/m);
  });

  it('rejects too many repeats', async () => {
    const result = await scout('run', repeatsFile, '--repeats', '21', '--name', 'too-many');
    failed(result, /repeats \(--repeats\): repeats must be from 1 to 20 trainings per config/);
  });
});
