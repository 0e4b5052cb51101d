import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { computeImportance, MIN_IMPORTANCE_TRIALS } from '../../../main/analysis/importance';
import type { ImportanceResult, ParamImportance } from '../../../shared/analysis/types';
import type { SearchSpace } from '../../../shared/space/types';
import type { TrialRecord } from '../../../shared/study';
import { FIXTURES } from '../core/helpers';

const SPECIES = ['setosa', 'versicolor', 'virginica'];

/** Iris rows as completed trials: the columns named in `space` are the values, `objective` the objective. */
function irisTrials(objective: (row: Record<string, string>) => number): TrialRecord[] {
  const rows = parse(fs.readFileSync(path.join(FIXTURES, 'iris.csv'), 'utf8'), {
    columns: true,
  }) as Record<string, string>[];

  return rows.map((row, index) => ({
    id: index + 1,
    studyId: 1,
    number: index + 1,
    values: {
      sepal_length: Number(row.sepal_length),
      sepal_width: Number(row.sepal_width),
      petal_length: Number(row.petal_length),
      petal_width: Number(row.petal_width),
      species: row.species,
    },
    seed: index,
    status: 'completed',
    objective: objective(row),
    bestEpoch: null,
    epochsRun: null,
    metrics: null,
    backend: null,
    error: null,
    durationMs: null,
    startedAt: null,
    finishedAt: null,
  }));
}

const MEASUREMENTS: SearchSpace = [
  { name: 'sepal_length', type: 'float', min: 4, max: 8 },
  { name: 'sepal_width', type: 'float', min: 2, max: 4.5 },
  { name: 'petal_length', type: 'float', min: 1, max: 7 },
  { name: 'petal_width', type: 'float', min: 0.1, max: 2.5, scale: 'log' },
];

function importances(result: ImportanceResult): Record<string, number> {
  assert.equal(result.status, 'ok', result.status === 'insufficient' ? result.message : '');
  const params = (result as { params: ParamImportance[] }).params;
  return Object.fromEntries(params.map((item) => [item.name, item.importance]));
}

describe('computeImportance', () => {
  it('finds the petals decide the species', () => {
    const trials = irisTrials((row) => SPECIES.indexOf(row.species));
    const shares = importances(computeImportance(MEASUREMENTS, trials));

    assert.ok(shares.petal_length + shares.petal_width > 0.8, JSON.stringify(shares));
    assert.ok(shares.petal_length > shares.sepal_width);
    assert.ok(shares.petal_width > shares.sepal_width);
    assert.ok(shares.sepal_width < 0.05);
  });

  it('normalises to one and names the method', () => {
    const trials = irisTrials((row) => SPECIES.indexOf(row.species));
    const result = computeImportance(MEASUREMENTS, trials);
    const sum = Object.values(importances(result)).reduce((total, x) => total + x, 0);

    assert.ok(Math.abs(sum - 1) < 1e-12);
    assert.equal(result.status === 'ok' && result.trials, 150);
    assert.match(result.method, /^permutation importance on a random forest, 32 trees/);
  });

  it('shuffles a one-hot choice as one', () => {
    // Petal width follows the species closely; sepal width barely does.
    const space: SearchSpace = [
      { name: 'species', type: 'choice', values: SPECIES },
      { name: 'sepal_width', type: 'float', min: 2, max: 4.5 },
    ];
    const trials = irisTrials((row) => Number(row.petal_width));
    const result = computeImportance(space, trials);
    const shares = importances(result);

    assert.deepEqual(Object.keys(shares), ['species', 'sepal_width']);
    assert.ok(shares.species > 0.9, JSON.stringify(shares));
  });

  it('gives a fixed hyperparameter zero', () => {
    const space: SearchSpace = [
      ...MEASUREMENTS,
      { name: 'optimizer', type: 'fixed', value: 'sgd' },
    ];
    const trials = irisTrials((row) => SPECIES.indexOf(row.species));
    for (const trial of trials) {
      trial.values.optimizer = 'sgd';
    }
    const shares = importances(computeImportance(space, trials));

    assert.equal(shares.optimizer, 0);
    assert.equal(Object.keys(shares).length, 5);
  });

  it('is the same for the same seed', () => {
    const trials = irisTrials((row) => Number(row.sepal_length));

    assert.deepEqual(
      computeImportance(MEASUREMENTS, trials, { seed: 5 }),
      computeImportance(MEASUREMENTS, trials, { seed: 5 }),
    );
  });

  it('samples large studies', () => {
    const trials = irisTrials((row) => SPECIES.indexOf(row.species));
    const result = computeImportance(MEASUREMENTS, trials, { maxTrials: 100 });

    assert.equal(result.status, 'ok');
    assert.equal(result.trials, 100);
    assert.equal(
      result.status === 'ok' && result.note,
      'computed on a seeded random sample of 100 of the 150 completed trials, to keep the forest fast',
    );
  });

  it('needs eight completed trials', () => {
    const trials = irisTrials((row) => SPECIES.indexOf(row.species)).slice(0, 10);
    trials[0].status = 'failed';
    trials[1].status = 'failed';
    trials[2].objective = NaN;
    const result = computeImportance(MEASUREMENTS, trials);

    assert.equal(MIN_IMPORTANCE_TRIALS, 8);
    assert.equal(result.status, 'insufficient');
    assert.equal(result.trials, 7);
    assert.match(
      result.status === 'insufficient' ? result.message : '',
      /needs at least 8 completed trials with an objective, and this study has 7; run more trials/,
    );
  });
});
