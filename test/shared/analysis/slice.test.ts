import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSlices, slicePoints } from '../../../shared/analysis/slice';
import type { Slice, SlicePoint, SliceView } from '../../../shared/analysis/types';
import type { FloatParam } from '../../../shared/space/types';
import { loadLineage, trialNumber } from './lineage';

function slice(view: SliceView, name: string): Slice {
  const found = view.slices.find((item) => item.name === name);
  assert.ok(found, `no slice '${name}'`);
  return found;
}

function points(view: SliceView, name: string): SlicePoint[] {
  return slicePoints(view, slice(view, name));
}

describe('buildSlices', () => {
  it('uses log axes for log-scaled numbers', () => {
    const { coarse } = loadLineage();
    const view = buildSlices(coarse);

    assert.equal(slice(view, 'learning_rate').scale, 'log');
    assert.equal(slice(view, 'l2').scale, 'log');
    assert.equal(slice(view, 'units').scale, 'log');
    assert.equal(slice(view, 'dropout').scale, 'linear');
    assert.deepEqual(slice(view, 'activation').categories, ['relu', 'tanh']);
    assert.deepEqual(slice(view, 'optimizer').categories, ['sgd']);
    assert.equal(slice(view, 'dropout').categories, null);
  });

  it('draws completed trials and lists failed ones apart', () => {
    const { coarse } = loadLineage();
    const view = buildSlices(coarse);
    const lrPoints = points(view, 'learning_rate');

    assert.equal(lrPoints.length, 11);
    assert.equal(view.trials.length, 11);
    assert.ok(lrPoints.every((point) => point.number !== 1));
    assert.equal(view.failed.length, 1);
    assert.equal(view.failed[0].number, 1);
    assert.equal(view.failed[0].status, 'failed');
    assert.match(view.failed[0].reason, /loss became infinite/);
    assert.equal(view.failed[0].values.learning_rate, trialNumber(coarse, 1).values.learning_rate);

    const best = lrPoints.find((point) => point.number === 3);
    assert.equal(best?.value, trialNumber(coarse, 3).values.learning_rate);
    assert.equal(best?.objective, 0.9);
  });

  it('domain spans the space and every value', () => {
    const { coarse } = loadLineage();
    const view = buildSlices(coarse);
    const lr = slice(view, 'learning_rate');

    assert.deepEqual(lr.domain, [1e-3, 3]);
    for (const point of points(view, 'learning_rate')) {
      assert.ok((point.value as number) >= 1e-3);
      assert.ok((point.value as number) <= 3);
    }
  });

  it('refined study shades its region in the parent', () => {
    const { refined, coarse } = loadLineage();
    const lr = slice(buildSlices(refined), 'learning_rate');
    const own = refined.study.space.find((p) => p.name === 'learning_rate') as FloatParam;
    const parent = coarse.study.space.find((p) => p.name === 'learning_rate') as FloatParam;

    assert.equal(lr.bands.length, 2);
    assert.deepEqual(
      lr.bands.map((band) => [band.kind, band.studyId, band.min, band.max]),
      [
        ['parent', coarse.study.id, parent.min, parent.max],
        ['refined', refined.study.id, own.min, own.max],
      ],
    );
    assert.ok(own.min > parent.min, 'the refined region is narrower than the parent');
  });

  it('coarse study shades its children', () => {
    const { refined, coarse } = loadLineage();
    const activation = slice(buildSlices(coarse), 'activation');
    const refinedActivation = refined.study.space.find((p) => p.name === 'activation');

    assert.ok(refinedActivation?.type === 'choice');
    assert.deepEqual(
      activation.bands.map((band) => [band.kind, band.studyName, band.values]),
      [
        ['parent', 'iris-coarse', ['relu', 'tanh']],
        ['refined', 'iris-refined', refinedActivation.values],
      ],
    );
  });

  it('study without relatives has no bands', () => {
    const { coarse } = loadLineage();
    coarse.children = [];

    assert.ok(buildSlices(coarse).slices.every((item) => item.bands.length === 0));
  });

  it('accuracy gets a linear axis by default', () => {
    const { coarse } = loadLineage();
    const view = buildSlices(coarse);

    assert.equal(view.axis.scale, 'linear');
    assert.equal(view.axis.notShown.length, 0);
    assert.deepEqual(view.axis.domain, [0, 0.9]);
  });

  it('log axis lists zero objectives as not shown', () => {
    const { coarse } = loadLineage();
    const view = buildSlices(coarse, 'log');

    assert.equal(view.axis.scale, 'log');
    assert.equal(view.axis.note, null);
    assert.deepEqual(
      view.axis.notShown.map((item) => [item.number, item.objective]),
      [[4, 0]],
    );
    assert.match(view.axis.notShown[0].reason, /not above 0/);
    assert.equal(points(view, 'l2').length, 10);
    assert.ok(points(view, 'l2').every((point) => point.objective > 0));
  });

  it('log axis falls back to linear without positives', () => {
    const { coarse } = loadLineage();
    coarse.trials = [trialNumber(coarse, 1), trialNumber(coarse, 4)];
    const view = buildSlices(coarse, 'log');

    assert.equal(view.axis.scale, 'linear');
    assert.equal(view.axis.logPossible, false);
    assert.match(view.axis.note ?? '', /no val_accuracy is above 0/);
    assert.equal(points(view, 'units').length, 1);
    assert.equal(view.failed.length, 1);
  });

  it('loss metric gets a log axis by default', () => {
    const { coarse } = loadLineage();
    coarse.study.settings.objective = { metric: 'val_loss', direction: 'minimize' };
    for (const trial of coarse.trials) {
      // The recorded trials kept their real validation loss beside the accuracy.
      trial.objective = trial.metrics?.val_loss ?? null;
    }
    const view = buildSlices(coarse);

    assert.equal(view.axis.scale, 'log');
    assert.equal(view.axis.notShown.length, 0);
    assert.equal(points(view, 'dropout').length, 11);
  });

  it('completed trial with NaN objective is failed', () => {
    const { coarse } = loadLineage();
    trialNumber(coarse, 2).objective = NaN;
    const view = buildSlices(coarse);

    assert.deepEqual(
      view.failed.map((item) => [item.number, item.status]),
      [
        [1, 'failed'],
        [2, 'completed'],
      ],
    );
    assert.match(view.failed[1].reason, /NaN/);
    assert.equal(points(view, 'units').length, 10);
  });
});
