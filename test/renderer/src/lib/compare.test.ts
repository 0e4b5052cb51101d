import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareStudies } from '../../../../shared/analysis/compare';
import type { StudyData } from '../../../../shared/analysis/types';
import { defaultSettings } from '../../../../shared/defaults';
import type { TrialRecord } from '../../../../shared/study';
import {
  bestByTimeSeries,
  bestByTrialSeries,
  incompatibility,
  sortedObjectiveSeries,
  timeUnitOf,
} from '../../../../renderer/src/lib/compare';
import { completedTrial, studyRecord } from './records';

/** Returns a completed trial that started `start` s and ended `end` s after midnight. */
function trial(
  studyId: number,
  number: number,
  objective: number,
  start: number,
  end: number,
): TrialRecord {
  const at = (seconds: number): string =>
    new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();
  return completedTrial(studyId, number, objective, {
    values: { units: 16 + number },
    durationMs: (end - start) * 1000,
    startedAt: at(start),
    finishedAt: at(end),
  });
}

describe('incompatibility', () => {
  const reference = studyRecord(1);

  it('accepts the same dataset and objective', () => {
    assert.equal(incompatibility(studyRecord(2), reference), null);
    assert.equal(incompatibility(studyRecord(2), undefined), null);
  });

  it('names another dataset', () => {
    const other = studyRecord(2, { datasetId: 2, datasetName: 'iris' });

    assert.equal(incompatibility(other, reference), 'dataset iris, not mnist');
  });

  it('names another objective', () => {
    const settings = {
      ...defaultSettings('classification'),
      objective: { metric: 'val_loss' as const, direction: 'minimize' as const },
    };

    assert.equal(
      incompatibility(studyRecord(2, { settings }), reference),
      'objective minimize val_loss, not maximize val_accuracy',
    );
  });
});

describe('comparison series', () => {
  const first: StudyData = {
    study: studyRecord(1),
    trials: [trial(1, 1, 0.5, 0, 60), trial(1, 2, 0.7, 60, 120), trial(1, 3, 0.6, 120, 180)],
    parent: null,
    children: [],
  };
  const second: StudyData = {
    study: studyRecord(2),
    trials: [trial(2, 1, 0.8, 0, 30), trial(2, 2, 0.75, 30, 90)],
    parent: null,
    children: [],
  };
  const comparison = compareStudies([first, second]);

  it('steps best so far by trial', () => {
    const [one, two] = bestByTrialSeries(comparison);

    assert.deepEqual(one.points, [
      { x: 1, y: 0.5 },
      { x: 2, y: 0.7 },
      { x: 3, y: 0.7 },
    ]);
    assert.equal(one.stepped, true);
    assert.equal(two.colorIndex, 1);
  });

  it('picks minutes for three minutes', () => {
    assert.deepEqual(timeUnitOf(comparison), { name: 'minutes', seconds: 60 });
  });

  it('picks seconds and hours at the ends', () => {
    const quick = compareStudies([
      { ...first, trials: [trial(1, 1, 0.5, 0, 20)] },
      { ...second, trials: [trial(2, 1, 0.6, 0, 50)] },
    ]);
    const slow = compareStudies([
      { ...first, trials: [trial(1, 1, 0.5, 0, 3 * 3600)] },
      { ...second, trials: [trial(2, 1, 0.6, 0, 50)] },
    ]);

    assert.deepEqual(timeUnitOf(quick), { name: 'seconds', seconds: 1 });
    assert.deepEqual(timeUnitOf(slow), { name: 'hours', seconds: 3600 });
  });

  it('puts wall-clock time in the unit', () => {
    const [one] = bestByTimeSeries(comparison, { name: 'minutes', seconds: 60 });

    assert.deepEqual(one.points, [
      { x: 1, y: 0.5 },
      { x: 2, y: 0.7 },
      { x: 3, y: 0.7 },
    ]);
  });

  it('spreads sorted objectives over 0 to 100', () => {
    const [one, two] = sortedObjectiveSeries(comparison);

    assert.deepEqual(one.points, [
      { x: 0, y: 0.7 },
      { x: 50, y: 0.6 },
      { x: 100, y: 0.5 },
    ]);
    assert.deepEqual(two.points, [
      { x: 0, y: 0.8 },
      { x: 100, y: 0.75 },
    ]);
  });
});
