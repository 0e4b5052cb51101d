import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeCoverage, gridPointsPerAxis } from '../../../shared/analysis/coverage';
import { loadLineage } from './lineage';

describe('computeCoverage', () => {
  it('counts distinct values of completed trials', () => {
    const { coarse } = loadLineage();
    const report = computeCoverage(coarse.study.space, coarse.trials);
    const completed = coarse.trials.filter((trial) => trial.status === 'completed');
    const units = new Set(completed.map((trial) => trial.values.units));

    assert.equal(report.trials, 11);
    assert.deepEqual(
      report.params.map((item) => [item.name, item.distinct, item.possible]),
      [
        ['learning_rate', 11, null],
        ['l2', 11, null],
        ['units', units.size, 5],
        ['activation', 2, 2],
        ['dropout', 11, null],
        ['optimizer', 1, 1],
      ],
    );
  });

  it('shows how few values a grid would try', () => {
    const { coarse } = loadLineage();
    const report = computeCoverage(coarse.study.space, coarse.trials);

    // 11 trials over five varying axes: a full grid fits 2 x 2 x 2 = 8 points.
    assert.deepEqual(
      report.params.map((item) => item.grid),
      [2, 2, 2, 1, 1, 1],
    );
    assert.equal(report.gridTrials, 8);
    assert.ok(report.params[0].distinct > report.params[0].grid);
  });

  it('reports zero without completed trials', () => {
    const { coarse } = loadLineage();
    const report = computeCoverage(
      coarse.study.space,
      coarse.trials.filter((trial) => trial.status === 'failed'),
    );

    assert.equal(report.trials, 0);
    assert.equal(report.gridTrials, 0);
    assert.ok(report.params.every((item) => item.distinct === 0 && item.grid === 0));
  });
});

describe('gridPointsPerAxis', () => {
  it('splits 100 evenly over two axes', () => {
    assert.deepEqual(gridPointsPerAxis([Infinity, Infinity], 100), [10, 10]);
  });

  it('gives a boolean its two values', () => {
    assert.deepEqual(gridPointsPerAxis([2, Infinity], 100), [2, 50]);
  });

  it('leaves a fixed axis at one', () => {
    assert.deepEqual(gridPointsPerAxis([1, Infinity, Infinity, Infinity], 27), [1, 3, 3, 3]);
  });

  it('caps an axis at its values', () => {
    assert.deepEqual(gridPointsPerAxis([3, 4], 1000), [3, 4]);
  });

  it('gives zero for no budget', () => {
    assert.deepEqual(gridPointsPerAxis([5, Infinity], 0), [0, 0]);
  });
});
