import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  candidateValues,
  countCombinations,
  createRng,
  enumerateGrid,
  sampleRandom,
  sampleValue,
  SpaceError,
  toUnit,
  validateSpace,
  type FloatParam,
  type Hyperparameter,
  type IntParam,
  type ParamValue,
  type SearchSpace,
} from '../../../shared/space';
import { randomSpace } from './randomSpace';

/**
 * Kolmogorov-Smirnov statistic of `samples` against the uniform distribution
 * on [0, 1]: the largest gap between the empirical and the uniform CDF.
 */
function ksStatistic(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;

  return sorted.reduce((d, x, i) => Math.max(d, (i + 1) / n - x, x - i / n), 0);
}

/** KS critical value at alpha 0.001 for n samples: sqrt(-ln(alpha / 2) / 2) / sqrt(n). */
function ksCritical(n: number): number {
  return Math.sqrt(-Math.log(0.001 / 2) / 2) / Math.sqrt(n);
}

function isNearInteger(x: number): boolean {
  return Math.abs(x - Math.round(x)) < 1e-6;
}

/** Returns why `value` is not a valid draw of `p`, or undefined when it is. Checks the grid by arithmetic, not by candidateValues. */
function findDrawProblem(p: Hyperparameter, value: ParamValue | undefined): string | undefined {
  switch (p.type) {
    case 'fixed':
      return value === p.value ? undefined : 'not the fixed value';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'not a boolean';
    case 'choice':
      return p.values.includes(value as ParamValue) ? undefined : 'not one of the choices';
    case 'int':
    case 'float':
      return findNumberProblem(p, value);
  }
}

function findNumberProblem(p: IntParam | FloatParam, value: unknown): string | undefined {
  if (typeof value !== 'number' || value < p.min || value > p.max) {
    return 'outside the bounds';
  }

  if (p.type === 'int' && !Number.isInteger(value)) {
    return 'not an integer';
  }

  if (p.step === undefined || p.min === p.max) {
    return undefined;
  }

  const scale = p.scale ?? 'linear';
  const position =
    scale === 'linear'
      ? (value - p.min) / p.step
      : scale === 'log'
        ? Math.log(value / p.min) / Math.log(p.step)
        : Math.log((p.max + p.min - value) / p.min) / Math.log(p.step);

  return isNearInteger(position) ? undefined : `off the step grid (position ${position})`;
}

describe('sampleRandom properties', () => {
  it('draws stay in bounds and on grid', () => {
    let checked = 0;

    for (let seed = 0; seed < 300; seed++) {
      const space = randomSpace(createRng(`space-${seed}`));
      assert.deepEqual(validateSpace(space).errors, [], JSON.stringify(space));

      const { trials } = sampleRandom(space, 40, seed);
      for (const trial of trials) {
        assert.deepEqual(
          Object.keys(trial),
          space.map((p) => p.name),
        );

        for (const p of space) {
          const problem = findDrawProblem(p, trial[p.name]);
          assert.equal(problem, undefined, `${JSON.stringify(p)} drew ${trial[p.name]}`);
          checked++;
        }
      }
    }

    assert.ok(checked > 10_000, `only ${checked} values checked`);
  });

  it('stepped draws are candidate values', () => {
    for (let seed = 0; seed < 200; seed++) {
      const space = randomSpace(createRng(`space-${seed}`));
      const { trials } = sampleRandom(space, 20, seed);

      for (const p of space) {
        const candidates = candidateValues(p);
        if (candidates === undefined) {
          continue;
        }

        for (const trial of trials) {
          assert.ok(
            candidates.includes(trial[p.name]),
            `${JSON.stringify(p)} drew ${trial[p.name]}`,
          );
        }
      }
    }
  });

  it('same seed gives identical trials', () => {
    for (let seed = 0; seed < 50; seed++) {
      const space = randomSpace(createRng(`space-${seed}`));

      assert.deepEqual(sampleRandom(space, 25, seed), sampleRandom(space, 25, seed));
    }
  });

  it('different seed gives different trials', () => {
    let differing = 0;

    for (let seed = 0; seed < 50; seed++) {
      const space = randomSpace(createRng(`space-${seed}`));
      if (countCombinations(space) < 1000) {
        continue;
      }

      const first = sampleRandom(space, 25, seed).trials;
      const second = sampleRandom(space, 25, seed + 1000).trials;
      assert.notDeepEqual(first, second, JSON.stringify(space));
      differing++;
    }

    assert.ok(differing > 10, `only ${differing} spaces compared`);
  });

  it('trial i ignores the count', () => {
    for (let seed = 0; seed < 50; seed++) {
      const space = randomSpace(createRng(`space-${seed}`));
      const total = countCombinations(space);
      if (total < 40) {
        continue;
      }

      const short = sampleRandom(space, 10, seed).trials;
      const long = sampleRandom(space, 40, seed).trials;
      assert.deepEqual(long.slice(0, 10), short);
    }
  });
});

describe('sampleRandom discrete spaces', () => {
  const small: SearchSpace = [
    { name: 'act', type: 'choice', values: ['relu', 'tanh', 'elu'] },
    { name: 'layers', type: 'int', min: 1, max: 2 },
    { name: 'bn', type: 'boolean' },
  ];

  it('fewer combinations returns each once', () => {
    const { trials, note } = sampleRandom(small, 25, 3);

    assert.equal(
      note,
      'the space has only 12 distinct combinations; running each once instead of 25 trials',
    );
    assert.equal(trials.length, 12);
    const keys = new Set(trials.map((trial) => JSON.stringify(trial)));
    assert.equal(keys.size, 12);
    const grid = new Set(enumerateGrid(small, 2).map((trial) => JSON.stringify(trial)));
    assert.deepEqual(keys, grid);
  });

  it('fewer combinations order is seeded', () => {
    const first = sampleRandom(small, 25, 3).trials;

    assert.deepEqual(sampleRandom(small, 25, 3).trials, first);
    assert.notDeepEqual(sampleRandom(small, 25, 4).trials, first);
    assert.notDeepEqual(first, enumerateGrid(small, 2));
  });

  it('no note when count fits', () => {
    const result = sampleRandom(small, 12, 3);

    assert.equal(result.note, undefined);
    assert.equal(result.trials.length, 12);
  });

  it('no duplicates when count equals combinations', () => {
    for (let seed = 0; seed < 20; seed++) {
      const { trials } = sampleRandom(small, 12, seed);
      const keys = new Set(trials.map((trial) => JSON.stringify(trial)));

      assert.equal(keys.size, 12, `seed ${seed}`);
    }
  });

  it('no duplicates in larger discrete space', () => {
    const space: SearchSpace = [
      { name: 'units', type: 'int', min: 32, max: 512, step: 2, scale: 'log' },
      { name: 'act', type: 'choice', values: ['relu', 'tanh', 'elu'] },
      { name: 'bn', type: 'boolean' },
    ];

    for (let seed = 0; seed < 20; seed++) {
      const { trials, note } = sampleRandom(space, 28, seed);
      const keys = new Set(trials.map((trial) => JSON.stringify(trial)));

      assert.equal(note, undefined);
      assert.equal(keys.size, 28, `seed ${seed}`);
    }
  });

  it('no duplicates when redraws run out', () => {
    // The last of 500 trials over 500 combinations finds the one unused
    // combination by redrawing with probability 1 - (499/500)^100, about 18 %,
    // so the listing fallback runs.
    const space: SearchSpace = [{ name: 'n', type: 'int', min: 1, max: 500 }];
    const { trials, note } = sampleRandom(space, 500, 1);

    assert.equal(note, undefined);
    assert.equal(new Set(trials.map((trial) => trial.n)).size, 500);
  });

  it('zero trials', () => {
    assert.deepEqual(sampleRandom(small, 0, 1), { trials: [] });
  });

  it('rejects a bad count', () => {
    assert.throws(() => sampleRandom(small, -1, 1), /trial count -1 is not a whole number/);
    assert.throws(() => sampleRandom(small, 2.5, 1), /trial count 2.5/);
  });

  it('rejects an invalid space', () => {
    const invalid = [{ name: 'lr', type: 'float', min: 1, max: 0 }] as SearchSpace;

    assert.throws(() => sampleRandom(invalid, 5, 1), SpaceError);
  });
});

describe('sampleValue distributions', () => {
  const lr: FloatParam = { name: 'lr', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' };
  const n = 5000;

  function draws(p: Hyperparameter, seed: number, count = n): number[] {
    const rng = createRng(seed);
    return Array.from({ length: count }, () => sampleValue(p, rng) as number);
  }

  it('log draws are uniform in log space', () => {
    const exponents = draws(lr, 2024).map((x) => (Math.log10(x) + 4) / 3);

    assert.ok(ksStatistic(exponents) < ksCritical(n), `D = ${ksStatistic(exponents)}`);
  });

  it('linear draws fail the log-space test', () => {
    const linear: FloatParam = { ...lr, scale: 'linear' };
    const exponents = draws(linear, 2024).map((x) => (Math.log10(x) + 4) / 3);

    assert.ok(ksStatistic(exponents) > ksCritical(n), `D = ${ksStatistic(exponents)}`);
  });

  it('reverse_log draws are uniform in own scale', () => {
    // A ratio max/min of 999 makes reverse_log far from linear, so the second check can fail.
    const beta: FloatParam = {
      name: 'beta',
      type: 'float',
      min: 0.001,
      max: 0.999,
      scale: 'reverse_log',
    };
    const units = draws(beta, 7).map((x) => toUnit(beta, x));
    const linearUnits = draws(beta, 7).map((x) => (x - beta.min) / (beta.max - beta.min));

    assert.ok(ksStatistic(units) < ksCritical(n), `D = ${ksStatistic(units)}`);
    assert.ok(ksStatistic(linearUnits) > ksCritical(n), `D = ${ksStatistic(linearUnits)}`);
  });

  it('linear draws are uniform', () => {
    const dropout: FloatParam = { name: 'dropout', type: 'float', min: 0, max: 0.5 };
    const units = draws(dropout, 11).map((x) => x / 0.5);

    assert.ok(ksStatistic(units) < ksCritical(n), `D = ${ksStatistic(units)}`);
  });

  it('log int without step is log-uniform', () => {
    const p: IntParam = { name: 'n', type: 'int', min: 1, max: 999, scale: 'log' };
    const values = draws(p, 3, 6000);
    const belowTen = values.filter((v) => v < 10).length;
    const belowHundred = values.filter((v) => v < 100).length;

    assert.ok(values.every((v) => Number.isInteger(v) && v >= 1 && v <= 999));
    // Each decade [1, 10), [10, 100), [100, 1000) contains a third; sd of the count is 37.
    assert.ok(Math.abs(belowTen - 2000) < 200, `${belowTen} below 10`);
    assert.ok(
      Math.abs(belowHundred - belowTen - 2000) < 200,
      `${belowHundred - belowTen} in 10..99`,
    );
    assert.ok(values.includes(1));
    assert.ok(values.some((v) => v > 900));
  });

  it('stepped draws are uniform over candidates', () => {
    const units: IntParam = {
      name: 'units',
      type: 'int',
      min: 32,
      max: 512,
      step: 2,
      scale: 'log',
    };
    const counts = new Map<number, number>();
    for (const value of draws(units, 5)) {
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }

    assert.deepEqual(
      [...counts.keys()].sort((a, b) => a - b),
      [32, 64, 128, 256, 512],
    );
    for (const [value, count] of counts) {
      // Binomial(5000, 1/5) has sd 28; 150 is more than 5 of them.
      assert.ok(Math.abs(count - 1000) < 150, `${value} drawn ${count} times`);
    }
  });

  it('boolean is fair', () => {
    const rng = createRng(8);
    const trues = Array.from({ length: n }, () =>
      sampleValue({ name: 'bn', type: 'boolean' }, rng),
    ).filter((v) => v === true).length;

    assert.ok(Math.abs(trues - n / 2) < 200, `${trues} true`);
  });

  it('min equal to max returns it', () => {
    const point: FloatParam = { name: 'lr', type: 'float', min: 0.01, max: 0.01, scale: 'log' };

    assert.deepEqual(new Set(draws(point, 1, 100)), new Set([0.01]));
  });
});

describe('enumerateGrid', () => {
  it('cuts continuous axes evenly', () => {
    const grid = enumerateGrid(
      [
        { name: 'lr', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
        { name: 'dropout', type: 'float', min: 0, max: 1 },
      ],
      4,
    );

    assert.equal(grid.length, 16);
    assert.deepEqual([...new Set(grid.map((t) => t.lr))], [1e-4, 1e-3, 1e-2, 1e-1]);
    assert.deepEqual(
      grid.slice(0, 4).map((t) => t.dropout),
      [0, 1 / 3, 2 / 3, 1].map((x) => Number(x.toFixed(10))),
    );
  });

  it('first axis changes slowest', () => {
    const grid = enumerateGrid(
      [
        { name: 'bn', type: 'boolean' },
        { name: 'act', type: 'choice', values: ['relu', 'tanh'] },
      ],
      3,
    );

    assert.deepEqual(grid, [
      { bn: false, act: 'relu' },
      { bn: false, act: 'tanh' },
      { bn: true, act: 'relu' },
      { bn: true, act: 'tanh' },
    ]);
  });

  it('stepped axes use candidates', () => {
    const grid = enumerateGrid(
      [
        { name: 'units', type: 'int', min: 32, max: 512, step: 2, scale: 'log' },
        { name: 'dropout', type: 'float', min: 0.1, max: 0.5, step: 0.1 },
        { name: 'epochs', type: 'fixed', value: 3 },
        { name: 'lr', type: 'float', min: 1e-3, max: 1e-1, scale: 'log' },
      ],
      3,
    );

    assert.equal(grid.length, 5 * 5 * 1 * 3);
    assert.deepEqual([...new Set(grid.map((t) => t.units))], [32, 64, 128, 256, 512]);
    assert.deepEqual([...new Set(grid.map((t) => t.dropout))], [0.1, 0.2, 0.3, 0.4, 0.5]);
    assert.deepEqual([...new Set(grid.map((t) => t.lr))], [1e-3, 1e-2, 1e-1]);
  });

  it('reverse_log axis includes both ends', () => {
    const beta: FloatParam = {
      name: 'beta',
      type: 'float',
      min: 0.9,
      max: 0.999,
      scale: 'reverse_log',
    };
    const values = enumerateGrid([beta], 5).map((t) => t.beta as number);

    assert.equal(values[0], 0.9);
    assert.equal(values[4], 0.999);
    // Dense near max: gaps shrink towards it.
    assert.ok(values[4] - values[3] < values[1] - values[0]);
  });

  it('one point per axis is the midpoint', () => {
    const grid = enumerateGrid(
      [{ name: 'lr', type: 'float', min: 1e-4, max: 1e-2, scale: 'log' }],
      1,
    );

    assert.equal(grid.length, 1);
    assert.ok(Math.abs((grid[0].lr as number) - 1e-3) < 1e-15);
  });

  it('size grows as a product', () => {
    const space: SearchSpace = Array.from({ length: 4 }, (_, i) => ({
      name: `x${i}`,
      type: 'float' as const,
      min: 0,
      max: 1,
    }));

    assert.equal(enumerateGrid(space, 5).length, 625);
    assert.equal(enumerateGrid(space, 10).length, 10_000);
  });

  it('rejects more than 100000 points', () => {
    const space: SearchSpace = Array.from({ length: 6 }, (_, i) => ({
      name: `x${i}`,
      type: 'float' as const,
      min: 0,
      max: 1,
    }));

    assert.throws(
      () => enumerateGrid(space, 10),
      /the grid would have 1000000 points \(x0 10 x x1 10 .*more than 100000; lower the points per axis/,
    );
  });

  it('rejects a huge int axis', () => {
    assert.throws(
      () => enumerateGrid([{ name: 'seed', type: 'int', min: 0, max: 1e9 }], 3),
      /the grid would have 1000000001 points \(seed 1000000001\)/,
    );
  });

  it('rejects bad points per axis', () => {
    const space: SearchSpace = [{ name: 'bn', type: 'boolean' }];

    assert.throws(() => enumerateGrid(space, 0), /points per axis 0 is not a whole number/);
    assert.throws(() => enumerateGrid(space, 1.5), /points per axis 1.5/);
  });

  it('empty space has one point', () => {
    assert.deepEqual(enumerateGrid([], 3), [{}]);
  });
});
