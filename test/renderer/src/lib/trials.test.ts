import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TrialRecord, TrialStatus } from '../../../../shared/study';
import {
  bestSoFar,
  curvePoints,
  objectivePoints,
  sortTrials,
} from '../../../../renderer/src/lib/trials';

function trial(
  number: number,
  objective: number | string | null,
  status: TrialStatus = 'completed',
): TrialRecord {
  return {
    id: 100 + number,
    studyId: 1,
    number,
    values: { units: 2 ** number, activation: number % 2 === 0 ? 'relu' : 'tanh' },
    seed: number,
    status,
    objective: objective as number | null,
    bestEpoch: null,
    epochsRun: null,
    metrics: null,
    backend: 'cpu',
    error: null,
    durationMs: number * 1000,
    startedAt: null,
    finishedAt: null,
  };
}

const trials = [
  trial(3, 0.9),
  trial(1, 0.8),
  trial(2, 'NaN'),
  trial(4, 0.85),
  trial(5, null, 'running'),
];

describe('bestSoFar', () => {
  it('steps up for a maximised objective', () => {
    assert.deepEqual(bestSoFar(trials, 'maximize'), [
      { x: 1, y: 0.8 },
      { x: 3, y: 0.9 },
      { x: 4, y: 0.9 },
    ]);
  });

  it('steps down for a minimised objective', () => {
    assert.deepEqual(bestSoFar(trials, 'minimize'), [
      { x: 1, y: 0.8 },
      { x: 3, y: 0.8 },
      { x: 4, y: 0.8 },
    ]);
  });
});

describe('objectivePoints', () => {
  it('skips non-finite and missing objectives', () => {
    assert.deepEqual(
      objectivePoints(trials).map((p) => p.x),
      [1, 3, 4],
    );
  });
});

describe('sortTrials', () => {
  it('puts the best objective first when ascending', () => {
    const numbers = (list: TrialRecord[]): number[] => list.map((t) => t.number);
    assert.deepEqual(numbers(sortTrials(trials, 'objective', true, 'maximize')), [3, 4, 1, 2, 5]);
    assert.deepEqual(numbers(sortTrials(trials, 'objective', true, 'minimize')), [1, 4, 3, 2, 5]);
  });

  it('keeps missing objectives last when descending', () => {
    const numbers = sortTrials(trials, 'objective', false, 'maximize').map((t) => t.number);
    assert.deepEqual(numbers, [1, 4, 3, 2, 5]);
  });

  it('sorts by a hyperparameter value', () => {
    const numbers = sortTrials(trials, 'hp:activation', true, 'maximize').map((t) => t.number);
    assert.deepEqual(numbers, [2, 4, 1, 3, 5]);
  });
});

describe('curvePoints', () => {
  it('reads a metric per epoch and skips non-finite values', () => {
    const epochs = [
      { epoch: 2, metrics: { val_loss: 0.5 } },
      { epoch: 1, metrics: { val_loss: 0.9 } },
      { epoch: 3, metrics: { val_loss: 'NaN' } },
    ];
    assert.deepEqual(curvePoints(epochs, 'val_loss'), [
      { x: 1, y: 0.9 },
      { x: 2, y: 0.5 },
    ]);
  });
});
