import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { positionOn } from '../../../../shared/analysis/parallel';
import type { ParallelAxis } from '../../../../shared/analysis/types';
import {
  categoriesInRange,
  categoryPosition,
  contrastRatio,
  lineAlpha,
  lineColour,
  lineColourStops,
  rampColor,
  valueAtPosition,
} from '../../../../renderer/src/lib/parallelView';

const LOG_AXIS: ParallelAxis = {
  name: 'learning_rate',
  kind: 'log',
  isObjective: false,
  min: 1e-4,
  max: 1e-1,
  categories: null,
};

const NUMERIC_AXIS: ParallelAxis = {
  name: 'dropout',
  kind: 'numeric',
  isObjective: false,
  min: 0,
  max: 0.5,
  categories: null,
};

const CATEGORY_AXIS: ParallelAxis = {
  name: 'activation',
  kind: 'categorical',
  isObjective: false,
  min: null,
  max: null,
  categories: ['relu', 'tanh', 'elu'],
};

describe('valueAtPosition', () => {
  it('inverts positionOn on a log axis', () => {
    for (const value of [1e-4, 3e-4, 0.002, 0.05, 0.1]) {
      const position = positionOn(LOG_AXIS, value) as number;
      const back = valueAtPosition(LOG_AXIS, position) as number;
      assert.ok(Math.abs(back - value) / value < 1e-5, `${value} came back as ${back}`);
    }
  });

  it('inverts positionOn on a numeric axis', () => {
    const position = positionOn(NUMERIC_AXIS, 0.2) as number;

    assert.ok(Math.abs((valueAtPosition(NUMERIC_AXIS, position) as number) - 0.2) < 1e-6);
  });

  it('has no value on a category axis', () => {
    assert.equal(valueAtPosition(CATEGORY_AXIS, 0.5), null);
  });
});

describe('categoriesInRange', () => {
  it('matches the positions positionOn gives', () => {
    CATEGORY_AXIS.categories?.forEach((category, index) => {
      assert.equal(positionOn(CATEGORY_AXIS, category), categoryPosition(index, 3));
    });
  });

  it('returns the categories inside a brush', () => {
    assert.deepEqual(categoriesInRange(CATEGORY_AXIS, 0.4, 1), ['tanh', 'elu']);
    assert.deepEqual(categoriesInRange(CATEGORY_AXIS, 0.1, 0.4), []);
  });

  it('places a single category in the middle', () => {
    assert.equal(categoryPosition(0, 1), 0.5);
  });
});

describe('rampColor', () => {
  it('runs from purple to yellow', () => {
    assert.equal(rampColor(0), '68, 1, 84');
    assert.equal(rampColor(1), '253, 231, 37');
    assert.equal(rampColor(0.5), '33, 145, 140');
  });

  it('clamps and survives NaN', () => {
    assert.equal(rampColor(-1), rampColor(0));
    assert.equal(rampColor(2), rampColor(1));
    assert.equal(rampColor(Number.NaN), rampColor(0));
  });
});

/** Page surface colours of the light and the dark theme (renderer/src/app.css). */
const LIGHT_SURFACE = '#ffffff';
const DARK_SURFACE = '#1d2025';

describe('lineColour', () => {
  it('ends in dark purple on light', () => {
    assert.equal(lineColour(1), rampColor(0));
    assert.notEqual(lineColour(0), rampColor(1));
  });

  it('ends in yellow on dark', () => {
    assert.equal(lineColour(1, true), rampColor(1));
    assert.notEqual(lineColour(0, true), rampColor(0));
  });

  it('best contrasts strongly on light', () => {
    assert.ok(contrastRatio(lineColour(1), LIGHT_SURFACE) >= 7, lineColour(1));
    assert.ok(
      contrastRatio(lineColour(1), LIGHT_SURFACE) > contrastRatio(lineColour(0), LIGHT_SURFACE),
    );
  });

  it('best contrasts strongly on dark', () => {
    assert.ok(contrastRatio(lineColour(1, true), DARK_SURFACE) >= 7, lineColour(1, true));
    assert.ok(
      contrastRatio(lineColour(1, true), DARK_SURFACE) >
        contrastRatio(lineColour(0, true), DARK_SURFACE),
    );
  });

  it('clamps and survives NaN', () => {
    assert.equal(lineColour(2), lineColour(1));
    assert.equal(lineColour(Number.NaN), lineColour(0));
  });

  it('lists stops worst to best', () => {
    const stops = lineColourStops(false, 3);
    assert.equal(stops.length, 3);
    assert.equal(stops[0], `rgb(${lineColour(0)})`);
    assert.equal(stops[2], `rgb(${lineColour(1)})`);
  });
});

describe('contrastRatio', () => {
  it('is 21 for black on white', () => {
    assert.equal(Math.round(contrastRatio('0, 0, 0', '#ffffff')), 21);
    assert.equal(contrastRatio('#ffffff', '255, 255, 255'), 1);
  });
});

describe('lineAlpha', () => {
  it('fades as lines pile up', () => {
    assert.equal(lineAlpha(10), 0.85);
    assert.ok(lineAlpha(1000) < lineAlpha(100));
    assert.ok(lineAlpha(10_000) < lineAlpha(1000));
  });

  it('keeps a floor for 10,000 lines', () => {
    assert.ok(lineAlpha(10_000) >= 0.06);
    assert.equal(lineAlpha(1_000_000), 0.06);
  });
});
