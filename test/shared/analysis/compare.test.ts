import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bestByTime,
  bestByTrial,
  compareLineage,
  compareStudies,
  ComparisonError,
} from '../../../shared/analysis/compare';
import { loadLineage, trialNumber } from './lineage';

describe('compareStudies', () => {
  it('builds a series per study', () => {
    const { coarse, refined } = loadLineage();
    const comparison = compareStudies([coarse, refined]);
    const [first, second] = comparison.series;

    assert.equal(comparison.datasetName, 'iris');
    assert.deepEqual(comparison.objective, { metric: 'val_accuracy', direction: 'maximize' });
    assert.deepEqual(
      [first.name, first.stage, first.completed, first.failed],
      ['iris-coarse', 'coarse', 11, 1],
    );
    assert.deepEqual(
      [second.name, second.stage, second.parentId],
      ['iris-refined', 'refined', coarse.study.id],
    );
    assert.equal(first.best?.number, 3);
    assert.equal(second.best?.number, 8);
  });

  it('sorts objectives and takes quartiles', () => {
    const { coarse, refined } = loadLineage();
    const [series] = compareStudies([coarse, refined]).series;
    const objectives = coarse.trials
      .filter((trial) => trial.status === 'completed')
      .map((trial) => trial.objective as number);

    assert.deepEqual(
      series.sorted,
      [...objectives].sort((a, b) => b - a),
    );
    assert.equal(series.quantiles?.min, 0);
    assert.equal(series.quantiles?.max, 0.9);
    // 11 values, interpolated as NumPy does: the median is the 6th smallest,
    // the quartiles lie halfway between the 3rd and 4th and the 8th and 9th.
    assert.equal(series.quantiles?.median, 0.4);
    assert.ok(Math.abs((series.quantiles?.q25 as number) - (0.3 + 1 / 3) / 2) < 1e-12);
    assert.ok(Math.abs((series.quantiles?.q75 as number) - (0.6 + 0.7666666666666667) / 2) < 1e-12);
  });

  it('lists best configs side by side', () => {
    const { coarse, refined } = loadLineage();
    const comparison = compareStudies([coarse, refined]);

    assert.deepEqual(
      comparison.bestConfigs.map((row) => row.name),
      ['learning_rate', 'l2', 'units', 'activation', 'dropout', 'optimizer'],
    );
    const lr = comparison.bestConfigs[0];
    assert.deepEqual(lr.values, [
      trialNumber(coarse, 3).values.learning_rate,
      trialNumber(refined, 8).values.learning_rate,
    ]);
  });

  it('answers whether refining helped', () => {
    const { coarse, refined } = loadLineage();
    const [lineage] = compareStudies([coarse, refined]).lineage;

    assert.equal(lineage.studyId, refined.study.id);
    assert.equal(lineage.parentId, coarse.study.id);
    assert.equal(lineage.parentBest, 0.9);
    assert.equal(lineage.best, 0.9);
    assert.equal(lineage.improvement, 0);
    // Top 5: 0.9, 0.8, 0.8, 0.767, 0.733 against 0.9, 0.833, 0.767, 0.6, 0.5.
    assert.equal(lineage.medianTop5, 0.8);
    assert.equal(lineage.parentMedianTop5, 0.7666666666666667);
    assert.equal(lineage.trialsToReachParentBest, 8);
    assert.equal(
      lineage.summary,
      "'iris-refined' against 'iris-coarse': refining matched the best (val_accuracy 0.9 against 0.9; median of the top 5 0.8 against 0.7667); it reached the parent's best at trial 8",
    );
  });

  it('says when the parent best is not reached', () => {
    const { coarse, refined } = loadLineage();
    refined.trials = refined.trials.filter((trial) => trial.number !== 8);
    const lineage = compareLineage(refined, coarse);

    assert.equal(lineage.trialsToReachParentBest, null);
    assert.ok(Math.abs((lineage.improvement as number) + 0.1) < 1e-12);
    assert.match(lineage.summary, /did not beat the best .* never reached the parent's best$/);
  });

  it('uses a parent outside the comparison', () => {
    const { coarse, refined } = loadLineage();
    const other = loadLineage().coarse;
    other.study.id = 99;
    other.study.name = 'iris-coarse-again';
    const comparison = compareStudies([refined, other], [coarse]);

    assert.equal(comparison.lineage.length, 1);
    assert.equal(comparison.lineage[0].parentName, 'iris-coarse');
  });

  it('rejects a single study', () => {
    const { coarse } = loadLineage();

    assert.throws(() => compareStudies([coarse]), ComparisonError);
    assert.throws(() => compareStudies([coarse]), /at least two studies, got 1/);
  });

  it('rejects a study listed twice', () => {
    const { coarse } = loadLineage();

    assert.throws(() => compareStudies([coarse, coarse]), /'iris-coarse' is listed twice/);
  });

  it('rejects another dataset', () => {
    const { coarse, refined } = loadLineage();
    refined.study.datasetId = 7;
    refined.study.datasetName = 'wine';

    assert.throws(
      () => compareStudies([coarse, refined]),
      /study 'iris-refined' uses dataset 'wine', but 'iris-coarse' uses 'iris'; compare studies on the same dataset/,
    );
  });

  it('rejects another objective', () => {
    const { coarse, refined } = loadLineage();
    refined.study.settings.objective = { metric: 'val_loss', direction: 'minimize' };

    assert.throws(
      () => compareStudies([coarse, refined]),
      /optimises val_loss \(minimize\), but 'iris-coarse' optimises val_accuracy \(maximize\)/,
    );
  });
});

describe('bestByTrial', () => {
  it('carries the best over failed trials', () => {
    const { coarse } = loadLineage();
    const points = bestByTrial(coarse.trials, 'maximize');

    assert.equal(points.length, 12);
    assert.deepEqual(points[0], { number: 1, objective: null, best: null });
    assert.deepEqual(points[1], { number: 2, objective: 0.6, best: 0.6 });
    assert.deepEqual(points[2], { number: 3, objective: 0.9, best: 0.9 });
    assert.ok(points.slice(2).every((point) => point.best === 0.9));
  });
});

describe('bestByTime', () => {
  it('measures seconds from the first start', () => {
    const { coarse } = loadLineage();
    const points = bestByTime(coarse.trials, 'maximize');
    const first = Math.min(...coarse.trials.map((trial) => Date.parse(trial.startedAt as string)));
    const last = Math.max(
      ...coarse.trials
        .filter((trial) => trial.status === 'completed')
        .map((trial) => Date.parse(trial.finishedAt as string)),
    );

    assert.equal(points.length, 11);
    assert.ok(points[0].seconds > 0);
    assert.equal(points[points.length - 1].seconds, (last - first) / 1000);
    for (let index = 1; index < points.length; index++) {
      assert.ok(points[index].seconds >= points[index - 1].seconds);
      assert.ok(points[index].best >= points[index - 1].best);
    }
    assert.equal(points[points.length - 1].best, 0.9);
  });

  it('is empty before any trial started', () => {
    const { coarse } = loadLineage();
    const queued = coarse.trials.map((trial) => ({ ...trial, startedAt: null }));

    assert.deepEqual(bestByTime(queued, 'maximize'), []);
  });
});
