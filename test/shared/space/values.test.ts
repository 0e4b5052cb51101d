import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  candidateValues,
  countCombinations,
  countValues,
  fromUnit,
  gridIndexAtOrAbove,
  gridIndexAtOrBelow,
  toUnit,
  valueAt,
  type FloatParam,
  type Hyperparameter,
  type IntParam,
  type ParamValue,
} from '../../../shared/space';

describe('candidateValues', () => {
  const cases: { title: string; p: Hyperparameter; expected: ParamValue[] | undefined }[] = [
    {
      title: 'int log step 2',
      p: { name: 'units', type: 'int', min: 32, max: 512, step: 2, scale: 'log' },
      expected: [32, 64, 128, 256, 512],
    },
    {
      title: 'float log step 10',
      p: { name: 'lr', type: 'float', min: 1e-4, max: 1e-1, step: 10, scale: 'log' },
      expected: [1e-4, 1e-3, 1e-2, 1e-1],
    },
    {
      title: 'float log step 10 over six decades',
      p: { name: 'l2', type: 'float', min: 1e-7, max: 1e-1, step: 10, scale: 'log' },
      expected: [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1],
    },
    {
      title: 'float linear step 0.1',
      p: { name: 'dropout', type: 'float', min: 0.1, max: 0.5, step: 0.1 },
      expected: [0.1, 0.2, 0.3, 0.4, 0.5],
    },
    {
      title: 'float linear 0..1 step 0.1',
      p: { name: 'dropout', type: 'float', min: 0, max: 1, step: 0.1 },
      expected: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
    },
    {
      title: 'float linear range one step wide',
      p: { name: 'dropout', type: 'float', min: 0.2, max: 0.3, step: 0.1 },
      expected: [0.2, 0.3],
    },
    {
      title: 'float linear step 0.05 over negatives',
      p: { name: 'bias', type: 'float', min: -0.15, max: 0.05, step: 0.05 },
      expected: [-0.15, -0.1, -0.05, 0, 0.05],
    },
    {
      title: 'int linear without step',
      p: { name: 'layers', type: 'int', min: 1, max: 4 },
      expected: [1, 2, 3, 4],
    },
    {
      title: 'int linear step 32',
      p: { name: 'units', type: 'int', min: 32, max: 128, step: 32 },
      expected: [32, 64, 96, 128],
    },
    {
      title: 'int linear step not dividing',
      p: { name: 'units', type: 'int', min: 32, max: 128, step: 30 },
      expected: [32, 62, 92, 122],
    },
    {
      title: 'int log step not dividing',
      p: { name: 'batch', type: 'int', min: 16, max: 300, step: 2, scale: 'log' },
      expected: [16, 32, 64, 128, 256],
    },
    {
      title: 'int log step 10',
      p: { name: 'n', type: 'int', min: 1, max: 1000, step: 10, scale: 'log' },
      expected: [1, 10, 100, 1000],
    },
    {
      title: 'int log without step',
      p: { name: 'n', type: 'int', min: 3, max: 7, scale: 'log' },
      expected: [3, 4, 5, 6, 7],
    },
    {
      title: 'float linear step not dividing',
      p: { name: 'momentum', type: 'float', min: 0, max: 1, step: 0.3 },
      expected: [0, 0.3, 0.6, 0.9],
    },
    {
      title: 'float reverse_log step 10',
      p: { name: 'beta', type: 'float', min: 0.001, max: 0.1, step: 10, scale: 'reverse_log' },
      // max + min - min * 10 ** j for j = 2, 1, 0.
      expected: [0.001, 0.091, 0.1],
    },
    {
      title: 'float reverse_log step not dividing',
      p: { name: 'beta', type: 'float', min: 0.01, max: 1, step: 3, scale: 'reverse_log' },
      // 1.01 - 0.01 * 3 ** j for j = 4..0; j = 5 would give 1.01 - 2.43 < min.
      expected: [0.2, 0.74, 0.92, 0.98, 1],
    },
    {
      title: 'int with min equal to max',
      p: { name: 'units', type: 'int', min: 64, max: 64, step: 2, scale: 'log' },
      expected: [64],
    },
    {
      title: 'float stepped with min equal to max',
      p: { name: 'lr', type: 'float', min: 0.01, max: 0.01, step: 10, scale: 'log' },
      expected: [0.01],
    },
    {
      title: 'continuous float',
      p: { name: 'lr', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
      expected: undefined,
    },
    {
      title: 'choice keeps order',
      p: { name: 'act', type: 'choice', values: ['tanh', 'relu', 'elu'] },
      expected: ['tanh', 'relu', 'elu'],
    },
    { title: 'boolean', p: { name: 'bn', type: 'boolean' }, expected: [false, true] },
    { title: 'fixed', p: { name: 'epochs', type: 'fixed', value: 5 }, expected: [5] },
  ];

  for (const { title, p, expected } of cases) {
    it(title, () => {
      assert.deepEqual(candidateValues(p), expected);
    });
  }

  it('stepped grid count matches countValues', () => {
    for (const { p, expected } of cases) {
      assert.equal(countValues(p), expected?.length ?? Infinity, p.name);
    }
  });

  it('throws for a huge int range', () => {
    const p: IntParam = { name: 'seed', type: 'int', min: 0, max: 1e9 };

    assert.throws(() => candidateValues(p), /'seed' has 1000000001 candidate values/);
    assert.equal(valueAt(p, 123456789), 123456789);
  });
});

describe('toUnit and fromUnit', () => {
  const lr: FloatParam = { name: 'lr', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' };
  const beta: FloatParam = {
    name: 'beta',
    type: 'float',
    min: 0.9,
    max: 0.999,
    scale: 'reverse_log',
  };
  const dropout: FloatParam = { name: 'dropout', type: 'float', min: 0, max: 0.5 };

  it('log maps decades evenly', () => {
    assert.ok(Math.abs(toUnit(lr, 1e-3) - 1 / 3) < 1e-12);
    assert.ok(Math.abs(toUnit(lr, 1e-2) - 2 / 3) < 1e-12);
    assert.ok(Math.abs(fromUnit(lr, 0.5) - Math.sqrt(1e-4 * 1e-1)) < 1e-15);
  });

  it('ends map to bounds exactly', () => {
    for (const p of [lr, beta, dropout]) {
      assert.equal(fromUnit(p, 0), p.min);
      assert.equal(fromUnit(p, 1), p.max);
      assert.ok(Math.abs(toUnit(p, p.min)) < 1e-12, p.name);
      assert.ok(Math.abs(toUnit(p, p.max) - 1) < 1e-12, p.name);
    }
  });

  it('reverse_log uses the Keras Tuner formula', () => {
    const u = 0.3;
    const expected = 0.999 + 0.9 - 0.9 * (0.999 / 0.9) ** (1 - u);

    assert.ok(Math.abs(fromUnit(beta, u) - expected) < 1e-15);
  });

  it('reverse_log is dense near max', () => {
    // The top tenth of the unit interval covers less of the value range than the bottom tenth.
    const topWidth = fromUnit(beta, 1) - fromUnit(beta, 0.9);
    const bottomWidth = fromUnit(beta, 0.1) - fromUnit(beta, 0);

    assert.ok(topWidth < bottomWidth, `${topWidth} < ${bottomWidth}`);
  });

  it('round trip in every scale', () => {
    for (const p of [lr, beta, dropout]) {
      for (let k = 0; k <= 20; k++) {
        const u = k / 20;
        assert.ok(Math.abs(toUnit(p, fromUnit(p, u)) - u) < 1e-9, `${p.name} at ${u}`);
      }
    }
  });

  it('min equal to max maps to centre', () => {
    const point: FloatParam = { name: 'lr', type: 'float', min: 0.01, max: 0.01, scale: 'log' };

    assert.equal(toUnit(point, 0.01), 0.5);
    assert.equal(fromUnit(point, 0.7), 0.01);
  });
});

describe('grid index search', () => {
  const units: IntParam = { name: 'units', type: 'int', min: 32, max: 512, step: 2, scale: 'log' };

  it('finds neighbours of an off-grid value', () => {
    assert.equal(valueAt(units, gridIndexAtOrBelow(units, 100)), 64);
    assert.equal(valueAt(units, gridIndexAtOrAbove(units, 100)), 128);
  });

  it('returns the value itself on the grid', () => {
    assert.equal(valueAt(units, gridIndexAtOrBelow(units, 128)), 128);
    assert.equal(valueAt(units, gridIndexAtOrAbove(units, 128)), 128);
  });

  it('clamps beyond the grid', () => {
    assert.equal(gridIndexAtOrBelow(units, 1), 0);
    assert.equal(gridIndexAtOrAbove(units, 10_000), 4);
  });
});

describe('countCombinations', () => {
  it('multiplies discrete counts', () => {
    const count = countCombinations([
      { name: 'units', type: 'int', min: 32, max: 512, step: 2, scale: 'log' },
      { name: 'act', type: 'choice', values: ['relu', 'tanh', 'elu'] },
      { name: 'bn', type: 'boolean' },
      { name: 'epochs', type: 'fixed', value: 5 },
    ]);

    assert.equal(count, 5 * 3 * 2);
  });

  it('is Infinity with a continuous float', () => {
    const count = countCombinations([
      { name: 'bn', type: 'boolean' },
      { name: 'lr', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
    ]);

    assert.equal(count, Infinity);
  });

  it('is 1 for an empty space', () => {
    assert.equal(countCombinations([]), 1);
  });
});
