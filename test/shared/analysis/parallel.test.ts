import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  brushSelect,
  buildParallel,
  filterTop,
  positionOn,
  proposeFromSelection,
  topPercentIds,
} from '../../../shared/analysis/parallel';
import type { ParallelAxis, ParallelData } from '../../../shared/analysis/types';
import type { FloatParam, Hyperparameter } from '../../../shared/space/types';
import { validateSpace } from '../../../shared/space/validate';
import { loadLineage, trialNumber } from './lineage';

function axis(data: ParallelData, name: string): ParallelAxis {
  const found = data.axes.find((item) => item.name === name);
  assert.ok(found, `no axis '${name}'`);
  return found;
}

function lineOf(data: ParallelData, number: number) {
  const found = data.lines.find((line) => line.number === number);
  assert.ok(found, `no line for trial ${number}`);
  return found;
}

function param(space: Hyperparameter[], name: string): Hyperparameter {
  const found = space.find((p) => p.name === name);
  assert.ok(found, `no hyperparameter '${name}'`);
  return found;
}

describe('buildParallel', () => {
  it('has one axis per hyperparameter and the objective', () => {
    const { coarse } = loadLineage();
    const data = buildParallel(coarse);

    assert.deepEqual(
      data.axes.map((item) => [item.name, item.kind, item.isObjective]),
      [
        ['learning_rate', 'log', false],
        ['l2', 'log', false],
        ['units', 'log', false],
        ['activation', 'categorical', false],
        ['dropout', 'numeric', false],
        ['optimizer', 'categorical', false],
        ['val_accuracy', 'numeric', true],
      ],
    );
    assert.deepEqual([axis(data, 'units').min, axis(data, 'units').max], [4, 64]);
    assert.deepEqual(axis(data, 'activation').categories, ['relu', 'tanh']);
    assert.deepEqual([axis(data, 'val_accuracy').min, axis(data, 'val_accuracy').max], [0, 0.9]);
  });

  it('draws completed and failed trials', () => {
    const { coarse } = loadLineage();
    const data = buildParallel(coarse);
    const failed = lineOf(data, 1);

    assert.equal(data.lines.length, 12);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.objective, null);
    assert.equal(failed.colour, null);
    assert.equal(failed.rank, null);
    assert.equal(failed.positions[6], null);
    assert.ok(failed.positions.slice(0, 6).every((position) => position !== null));
  });

  it('colours the best 1 and the worst 0', () => {
    const { coarse } = loadLineage();
    const data = buildParallel(coarse);

    assert.equal(lineOf(data, 3).colour, 1);
    assert.equal(lineOf(data, 3).rank, 1);
    assert.equal(lineOf(data, 4).colour, 0);
    assert.equal(lineOf(data, 4).rank, 11);
  });

  it('colours the lowest loss best when minimising', () => {
    const { coarse } = loadLineage();
    coarse.study.settings.objective = { metric: 'val_loss', direction: 'minimize' };
    for (const trial of coarse.trials) {
      trial.objective = trial.metrics?.val_loss ?? null;
    }
    const data = buildParallel(coarse);
    const ranked = [...data.lines]
      .filter((line) => line.rank !== null)
      .sort((a, b) => (a.objective as number) - (b.objective as number));

    assert.equal(axis(data, 'val_loss').kind, 'log');
    assert.equal(ranked[0].colour, 1);
    assert.equal(ranked[0].rank, 1);
    assert.equal(ranked[ranked.length - 1].colour, 0);
  });

  it('places log values by their logarithm', () => {
    const { coarse } = loadLineage();
    const lr = axis(buildParallel(coarse), 'learning_rate');

    assert.equal(positionOn(lr, 1e-3), 0);
    assert.equal(positionOn(lr, 3), 1);
    assert.ok(Math.abs((positionOn(lr, Math.sqrt(3e-3)) as number) - 0.5) < 1e-12);
    assert.equal(positionOn(lr, 0), null);
    assert.equal(positionOn(lr, 'relu'), null);
  });

  it('places categories evenly', () => {
    const { coarse } = loadLineage();
    const data = buildParallel(coarse);

    assert.equal(positionOn(axis(data, 'activation'), 'relu'), 0);
    assert.equal(positionOn(axis(data, 'activation'), 'tanh'), 1);
    assert.equal(positionOn(axis(data, 'activation'), 'elu'), null);
    assert.equal(positionOn(axis(data, 'optimizer'), 'sgd'), 0.5);
  });
});

describe('topPercentIds', () => {
  it('keeps the best quarter', () => {
    const { coarse } = loadLineage();
    const data = buildParallel(coarse);
    const ids = [3, 5, 6].map((number) => trialNumber(coarse, number).id);

    assert.deepEqual(topPercentIds(data, 25), ids);
    assert.deepEqual(
      filterTop(data, 25).map((line) => line.number),
      [3, 5, 6],
    );
  });

  it('keeps one trial for a tiny share', () => {
    const { coarse } = loadLineage();

    assert.deepEqual(topPercentIds(buildParallel(coarse), 0.1), [trialNumber(coarse, 3).id]);
  });

  it('rejects a share outside (0, 100]', () => {
    const { coarse } = loadLineage();
    const data = buildParallel(coarse);

    assert.throws(() => topPercentIds(data, 0), /outside \(0, 100\]/);
    assert.throws(() => topPercentIds(data, 101), /outside \(0, 100\]/);
  });
});

describe('brushSelect', () => {
  it('selects lines inside the range', () => {
    const { coarse } = loadLineage();
    const data = buildParallel(coarse);
    const selected = brushSelect(data, [{ axis: 'val_accuracy', from: 1, to: 0.8 }]);
    const expected = coarse.trials
      .filter((trial) => trial.objective !== null && trial.objective >= 0.72)
      .map((trial) => trial.id);

    assert.deepEqual(selected, expected);
    assert.equal(selected.length, 3);
  });

  it('intersects ranges on several axes', () => {
    const { coarse } = loadLineage();
    const data = buildParallel(coarse);
    const selected = brushSelect(data, [
      { axis: 'val_accuracy', from: 0.5, to: 1 },
      { axis: 'units', from: 0, to: 0.1 },
    ]);
    const expected = coarse.trials
      .filter((trial) => (trial.objective ?? 0) >= 0.45 && trial.values.units === 4)
      .map((trial) => trial.id);

    assert.deepEqual(selected, expected);
    assert.ok(selected.length >= 1);
  });

  it('selects every line without ranges', () => {
    const { coarse } = loadLineage();

    assert.equal(brushSelect(buildParallel(coarse), []).length, 12);
  });

  it('rejects an unknown axis', () => {
    const { coarse } = loadLineage();

    assert.throws(
      () => brushSelect(buildParallel(coarse), [{ axis: 'momentum', from: 0, to: 1 }]),
      /no axis 'momentum' to brush; the axes are learning_rate, l2/,
    );
  });
});

describe('proposeFromSelection', () => {
  it('proposes the region of the selection', () => {
    const { coarse } = loadLineage();
    const data = buildParallel(coarse);
    const selected = brushSelect(data, [{ axis: 'val_accuracy', from: 0.8, to: 1 }]);
    const refinement = proposeFromSelection(coarse, selected);
    const lr = param(refinement.space, 'learning_rate') as FloatParam;
    const parentLr = param(coarse.study.space, 'learning_rate') as FloatParam;
    const rates = [3, 5, 6].map(
      (number) => trialNumber(coarse, number).values.learning_rate as number,
    );

    assert.equal(refinement.top, 3);
    assert.deepEqual(validateSpace(refinement.space).errors, []);
    assert.ok(lr.min <= Math.min(...rates));
    assert.ok(lr.max >= Math.max(...rates));
    assert.ok(lr.min >= parentLr.min);
    assert.ok(lr.max <= parentLr.max);
    assert.ok(lr.max - lr.min < parentLr.max - parentLr.min);
    assert.deepEqual(param(refinement.space, 'activation'), {
      name: 'activation',
      type: 'choice',
      values: ['tanh'],
    });
  });

  it('rejects a selection without objectives', () => {
    const { coarse } = loadLineage();

    assert.throws(
      () => proposeFromSelection(coarse, [trialNumber(coarse, 1).id]),
      /none of the 1 selected trials completed/,
    );
  });
});
