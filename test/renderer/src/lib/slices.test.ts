import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildSlices } from '../../../../shared/analysis/slice';
import type { StudyData } from '../../../../shared/analysis/types';
import type { SearchSpace } from '../../../../shared/space/types';
import type { StudyRecord, TrialRecord } from '../../../../shared/study';
import {
  categoryJitter,
  sliceRange,
  splitDrawable,
  toSlicePlot,
} from '../../../../renderer/src/lib/slices';
import { completedTrial, studyRecord } from './records';

const PARENT_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
  { name: 'activation', type: 'choice', values: ['relu', 'tanh'] },
];

const REFINED_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-3, max: 1e-2, scale: 'log' },
  { name: 'activation', type: 'choice', values: ['tanh'] },
];

function study(id: number, name: string, space: SearchSpace, parentId: number | null): StudyRecord {
  return studyRecord(id, {
    name,
    parentId,
    stage: parentId === null ? 'coarse' : 'refined',
    space,
  });
}

function trial(number: number, rate: number, activation: string, objective: number): TrialRecord {
  return completedTrial(2, number, objective, {
    id: 10 + number,
    values: { learning_rate: rate, activation },
  });
}

const parent = study(1, 'coarse', PARENT_SPACE, null);
const refined: StudyData = {
  study: study(2, 'fine', REFINED_SPACE, 1),
  trials: [
    trial(1, 0.002, 'tanh', 0.9),
    trial(2, 0.005, 'tanh', 0.92),
    trial(3, 0.008, 'tanh', 0.88),
  ],
  parent,
  children: [],
};

describe('toSlicePlot', () => {
  const view = buildSlices(refined);

  it('keeps a log scale and labels the bands', () => {
    const plot = toSlicePlot(view, view.slices[0]);

    assert.equal(plot.xAxis, 'log');
    assert.deepEqual(
      plot.points.map((point) => point.x),
      [0.002, 0.005, 0.008],
    );
    assert.deepEqual(plot.bands, [
      { kind: 'bounds', label: 'bounds of coarse', from: 1e-4, to: 1e-1 },
      { kind: 'refined', label: 'refined: fine', from: 1e-3, to: 1e-2 },
    ]);
  });

  it('places categories at their index', () => {
    const plot = toSlicePlot(view, view.slices[1]);

    assert.equal(plot.xAxis, 'category');
    assert.deepEqual(plot.categories, ['tanh']);
    assert.deepEqual(
      plot.points.map((point) => point.x),
      [0, 0, 0],
    );
    assert.deepEqual(plot.bands, []);
  });

  it('follows the objective axis scale', () => {
    const logView = buildSlices(refined, 'log');

    assert.equal(toSlicePlot(logView, logView.slices[0]).yLog, true);
    assert.equal(toSlicePlot(view, view.slices[0]).yLog, false);
  });
});

describe('splitDrawable', () => {
  const points = [
    { trial: 1, x: 0.01, y: 0.5 },
    { trial: 2, x: 0, y: 0.4 },
    { trial: 3, x: 0.1, y: -0.2 },
    { trial: 4, x: 0.1, y: Number.NaN },
  ];

  it('lists what a log x axis cannot show', () => {
    const { shown, hidden } = splitDrawable(points, 'log', false);

    assert.deepEqual(
      shown.map((point) => point.trial),
      [1, 3],
    );
    assert.deepEqual(hidden, [
      { trial: 2, reason: 'value 0 on a log axis' },
      { trial: 4, reason: 'objective NaN' },
    ]);
  });

  it('lists what a log objective axis cannot show', () => {
    const { shown, hidden } = splitDrawable(points, 'linear', true);

    assert.deepEqual(
      shown.map((point) => point.trial),
      [1, 2],
    );
    assert.deepEqual(
      hidden.map((point) => point.reason),
      ['objective -0.2 on a log axis', 'objective NaN'],
    );
  });

  it('lists values outside the categories', () => {
    const { hidden } = splitDrawable([{ trial: 7, x: -1, y: 0.5 }], 'category', false);

    assert.deepEqual(hidden, [{ trial: 7, reason: 'value not on the axis' }]);
  });
});

describe('categoryJitter', () => {
  it('stays within a third of a category', () => {
    for (let trial = 1; trial <= 500; trial++) {
      const offset = categoryJitter(trial);
      assert.ok(offset >= -0.3, `trial ${trial}: ${offset}`);
      assert.ok(offset < 0.3, `trial ${trial}: ${offset}`);
    }
  });

  it('spreads neighbours and repeats itself', () => {
    assert.notEqual(categoryJitter(1), categoryJitter(2));
    assert.equal(categoryJitter(41), categoryJitter(41));
  });
});

describe('sliceRange', () => {
  it('widens a log range by a tenth of a decade', () => {
    const range = sliceRange(
      [{ trial: 1, x: 0.01, y: 1 }],
      [{ kind: 'bounds', label: '', from: 1e-4, to: 1e-1 }],
      'log',
    );

    assert.ok(range);
    assert.ok(Math.abs(Math.log10(range.min) - -4.1) < 1e-9, `min ${range.min}`);
    assert.ok(Math.abs(Math.log10(range.max) - -0.9) < 1e-9, `max ${range.max}`);
  });

  it('ignores values a log axis cannot show', () => {
    const range = sliceRange(
      [
        { trial: 1, x: 0, y: 1 },
        { trial: 2, x: 10, y: 1 },
      ],
      [],
      'log',
    );

    assert.ok(range);
    assert.ok(range.min > 1, `min ${range.min}`);
    assert.ok(range.max > 10, `max ${range.max}`);
  });

  it('pads a linear range by 5 %', () => {
    assert.deepEqual(
      sliceRange(
        [
          { trial: 1, x: 0, y: 1 },
          { trial: 2, x: 100, y: 1 },
        ],
        [],
        'linear',
      ),
      {
        min: -5,
        max: 105,
      },
    );
  });

  it('returns null without values', () => {
    assert.equal(sliceRange([], [], 'linear'), null);
  });
});
