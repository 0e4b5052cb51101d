import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  candidateValues,
  createRng,
  proposeRefinement,
  sampleRandom,
  SpaceError,
  validateSpace,
  type FloatParam,
  type Hyperparameter,
  type IntParam,
  type ScoredTrial,
  type SearchSpace,
} from '../../../shared/space';
import { randomSpace } from './randomSpace';

function trial(values: ScoredTrial['values'], objective: number | null): ScoredTrial {
  return { values, objective };
}

function param<T extends Hyperparameter>(space: SearchSpace, name: string): T {
  const found = space.find((p) => p.name === name);
  assert.ok(found, `no hyperparameter '${name}'`);
  return found as T;
}

function assertClose(actual: number, expected: number, relative: number, label: string): void {
  assert.ok(
    Math.abs(actual - expected) <= relative * Math.abs(expected),
    `${label}: ${actual} is not within ${relative * 100} % of ${expected}`,
  );
}

describe('proposeRefinement numeric', () => {
  const lr: FloatParam = { name: 'lr', type: 'float', min: 1e-5, max: 1e-1, scale: 'log' };

  it('log span computed in log space', () => {
    const trials = [
      trial({ lr: 10 ** -3.2 }, 0.9),
      trial({ lr: 10 ** -2.8 }, 0.88),
      trial({ lr: 10 ** -4.5 }, 0.5),
      trial({ lr: 10 ** -1.5 }, 0.4),
    ];

    const { space, top, warnings } = proposeRefinement([lr], trials, 'maximize', { topK: 2 });
    const refined = param<FloatParam>(space, 'lr');

    assert.equal(top, 2);
    assert.deepEqual(warnings, []);
    // Span -3.2..-2.8 in log10, widened by 0.25 * 0.4 on each side.
    assertClose(refined.min, 10 ** -3.3, 0.01, 'min');
    assertClose(refined.max, 10 ** -2.7, 0.01, 'max');
    assert.ok(refined.min <= 10 ** -3.2);
    assert.ok(refined.max >= 10 ** -2.8);
    assert.equal(refined.scale, 'log');
  });

  it('reverse_log span computed in own scale', () => {
    const beta: FloatParam = {
      name: 'beta',
      type: 'float',
      min: 0.5,
      max: 0.999,
      scale: 'reverse_log',
    };
    // Keras Tuner's reverse_log unit: u = 1 - ln((max + min - v) / min) / ln(max / min).
    const unit = (v: number) => 1 - Math.log((0.999 + 0.5 - v) / 0.5) / Math.log(0.999 / 0.5);
    const value = (u: number) => 0.999 + 0.5 - 0.5 * (0.999 / 0.5) ** (1 - u);
    const trials = [
      trial({ beta: 0.95 }, 0.1),
      trial({ beta: 0.99 }, 0.2),
      trial({ beta: 0.6 }, 0.9),
    ];

    const { space } = proposeRefinement([beta], trials, 'minimize', { topK: 2 });
    const refined = param<FloatParam>(space, 'beta');

    const low = unit(0.95);
    const high = unit(0.99);
    const span = high - low;
    assertClose(refined.min, value(low - 0.25 * span), 0.001, 'min');
    assertClose(refined.max, Math.min(0.999, value(high + 0.25 * span)), 0.001, 'max');
    assert.equal(refined.scale, 'reverse_log');
  });

  it('linear span with custom margin', () => {
    const dropout: FloatParam = { name: 'dropout', type: 'float', min: 0, max: 0.8 };
    const trials = [
      trial({ dropout: 0.2 }, 1),
      trial({ dropout: 0.4 }, 2),
      trial({ dropout: 0.7 }, 3),
    ];

    const { space } = proposeRefinement([dropout], trials, 'minimize', { topK: 2, margin: 0.5 });

    assert.deepEqual(param(space, 'dropout'), { ...dropout, min: 0.1, max: 0.5 });
  });

  it('stepped bounds snap to parent grid', () => {
    const units: IntParam = {
      name: 'units',
      type: 'int',
      min: 16,
      max: 1024,
      step: 2,
      scale: 'log',
    };
    const trials = [
      trial({ units: 64 }, 0.9),
      trial({ units: 128 }, 0.95),
      trial({ units: 1024 }, 0.1),
    ];

    const { space } = proposeRefinement([units], trials, 'maximize', { topK: 2 });

    // Units 2/6..3/6 widened by 1/24 give 53.8..152, snapped to the nearest grid values 64..128.
    assert.deepEqual(param(space, 'units'), { ...units, min: 64, max: 128 });
  });

  it('linear float step kept and snapped', () => {
    const dropout: FloatParam = { name: 'dropout', type: 'float', min: 0, max: 0.5, step: 0.05 };
    const trials = [
      trial({ dropout: 0.15 }, 1),
      trial({ dropout: 0.3 }, 1),
      trial({ dropout: 0.5 }, 0),
    ];

    const { space } = proposeRefinement([dropout], trials, 'maximize', { topK: 2 });
    const refined = param<FloatParam>(space, 'dropout');

    // 0.15..0.3 widened by 0.0375 gives 0.1125..0.3375, snapped outward to 0.1..0.35.
    assert.equal(refined.min, 0.1);
    assert.equal(refined.max, 0.35);
    assert.equal(refined.step, 0.05);
    assert.deepEqual(validateSpace(space), { errors: [], warnings: [] });
  });

  it('int without step stays int', () => {
    const layers: IntParam = { name: 'layers', type: 'int', min: 1, max: 10 };
    const trials = [trial({ layers: 3 }, 1), trial({ layers: 4 }, 1), trial({ layers: 9 }, 0)];

    const { space } = proposeRefinement([layers], trials, 'maximize', { topK: 2 });
    const wide = proposeRefinement([layers], trials, 'maximize', { topK: 2, margin: 1 });

    // 3..4 widened by 0.25 on each side rounds back to 3..4; a margin of 1 reaches 2..5.
    assert.deepEqual(param(space, 'layers'), { ...layers, min: 3, max: 4 });
    assert.deepEqual(param(wide.space, 'layers'), { ...layers, min: 2, max: 5 });
  });

  it('agreeing top trials widen a little', () => {
    const trials = [trial({ lr: 1e-3 }, 0.9), trial({ lr: 1e-3 }, 0.9), trial({ lr: 1e-1 }, 0.1)];

    const { space } = proposeRefinement([lr], trials, 'maximize', { topK: 2 });
    const refined = param<FloatParam>(space, 'lr');

    // Zero span widens by 5 % of the parent's 4 decades: 0.2 decades each side.
    assertClose(refined.min, 10 ** -3.2, 0.01, 'min');
    assertClose(refined.max, 10 ** -2.8, 0.01, 'max');
  });

  it('clipped to parent bounds', () => {
    const dropout: FloatParam = { name: 'dropout', type: 'float', min: 0, max: 0.5 };
    const trials = [trial({ dropout: 0.05 }, 1), trial({ dropout: 0.45 }, 1)];

    const { space } = proposeRefinement([dropout], trials, 'maximize', { topK: 2 });

    assert.deepEqual(param(space, 'dropout'), dropout);
  });

  it('parent with min equal to max stays valid', () => {
    const units: IntParam = { name: 'units', type: 'int', min: 64, max: 64, step: 2, scale: 'log' };
    const rate: FloatParam = { name: 'rate', type: 'float', min: 0.2, max: 0.2 };
    const trials = [trial({ units: 64, rate: 0.2 }, 1)];

    const { space, warnings } = proposeRefinement([units, rate], trials, 'maximize', { topK: 1 });

    assert.deepEqual(space, [units, rate]);
    assert.deepEqual(warnings, []);
    assert.deepEqual(validateSpace(space).errors, []);
  });

  it('stepped reverse_log drops step', () => {
    const beta: FloatParam = {
      name: 'beta',
      type: 'float',
      min: 0.001,
      max: 0.1,
      step: 2,
      scale: 'reverse_log',
    };
    const grid = candidateValues(beta) as number[];
    const trials = [
      trial({ beta: grid[3] }, 1),
      trial({ beta: grid[4] }, 1),
      trial({ beta: grid[0] }, 0),
    ];

    const { space, warnings } = proposeRefinement([beta], trials, 'maximize', { topK: 2 });
    const refined = param<FloatParam>(space, 'beta');

    assert.equal(refined.step, undefined);
    assert.ok(grid.includes(refined.min), `min ${refined.min} off grid`);
    assert.ok(grid.includes(refined.max), `max ${refined.max} off grid`);
    assert.ok(refined.min <= grid[3]);
    assert.ok(refined.max >= grid[4]);
    assert.match(warnings[0].message, /'beta': a reverse_log grid cannot be narrowed/);
    assert.deepEqual(validateSpace(space).errors, []);
  });
});

describe('proposeRefinement boundary warnings', () => {
  const lr: FloatParam = { name: 'lr', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' };

  it('best on max', () => {
    const trials = [trial({ lr: 1e-1 }, 0.9), trial({ lr: 1e-2 }, 0.8)];

    const { warnings } = proposeRefinement([lr], trials, 'maximize', { topK: 2 });

    assert.equal(warnings.length, 1);
    assert.equal(
      warnings[0].message,
      "hyperparameter 'lr': the best trial used 0.1, the parent's max; widen the range above it instead of narrowing",
    );
    assert.equal(warnings[0].name, 'lr');
    assert.equal(warnings[0].field, 'max');
  });

  it('best on min', () => {
    const trials = [trial({ lr: 1e-4 }, 0.1), trial({ lr: 1e-2 }, 0.8)];

    const { warnings } = proposeRefinement([lr], trials, 'minimize', { topK: 2 });

    assert.match(
      warnings[0].message,
      /'lr': the best trial used 0.0001, the parent's min; widen the range below it/,
    );
    assert.equal(warnings[0].field, 'min');
  });

  it('only the best trial counts', () => {
    const trials = [trial({ lr: 1e-2 }, 0.9), trial({ lr: 1e-1 }, 0.8)];

    const { warnings } = proposeRefinement([lr], trials, 'maximize', { topK: 2 });

    assert.deepEqual(warnings, []);
  });

  it('last grid value counts as max', () => {
    const units: IntParam = { name: 'units', type: 'int', min: 32, max: 128, step: 30 };
    const trials = [trial({ units: 122 }, 0.9), trial({ units: 62 }, 0.8)];

    const { warnings, space } = proposeRefinement([units], trials, 'maximize', { topK: 2 });

    assert.match(
      warnings[0].message,
      /the best trial used 122, the largest value of the parent's grid; widen/,
    );
    assert.equal(param<IntParam>(space, 'units').max, 122);
  });
});

describe('proposeRefinement choices and booleans', () => {
  const space: SearchSpace = [
    { name: 'act', type: 'choice', values: ['relu', 'tanh', 'elu', 'gelu'] },
    { name: 'bn', type: 'boolean' },
    { name: 'bias', type: 'boolean' },
    { name: 'epochs', type: 'fixed', value: 5 },
  ];
  const trials = [
    trial({ act: 'gelu', bn: true, bias: true, epochs: 5 }, 0.95),
    trial({ act: 'relu', bn: true, bias: false, epochs: 5 }, 0.93),
    trial({ act: 'tanh', bn: false, bias: false, epochs: 5 }, 0.2),
    trial({ act: 'elu', bn: false, bias: true, epochs: 5 }, 0.1),
  ];

  it('choice keeps top values in parent order', () => {
    const refined = proposeRefinement(space, trials, 'maximize', { topK: 2 }).space;

    assert.deepEqual(param(refined, 'act'), {
      name: 'act',
      type: 'choice',
      values: ['relu', 'gelu'],
    });
  });

  it('agreeing boolean becomes fixed', () => {
    const refined = proposeRefinement(space, trials, 'maximize', { topK: 2 }).space;

    assert.deepEqual(param(refined, 'bn'), { name: 'bn', type: 'fixed', value: true });
  });

  it('split boolean stays boolean', () => {
    const refined = proposeRefinement(space, trials, 'maximize', { topK: 2 }).space;

    assert.deepEqual(param(refined, 'bias'), { name: 'bias', type: 'boolean' });
  });

  it('fixed stays fixed', () => {
    const refined = proposeRefinement(space, trials, 'maximize', { topK: 2 }).space;

    assert.deepEqual(param(refined, 'epochs'), { name: 'epochs', type: 'fixed', value: 5 });
  });

  it('values missing from trials keep the parent', () => {
    const { space: refined, warnings } = proposeRefinement(
      space,
      [trial({ other: 1 }, 1)],
      'maximize',
      { topK: 1 },
    );

    assert.deepEqual(param(refined, 'act'), space[0]);
    assert.match(warnings[0].message, /'act': no top trial used any of its values/);
  });
});

describe('proposeRefinement top trials', () => {
  const dropout: FloatParam = { name: 'dropout', type: 'float', min: 0, max: 1 };
  const trials = Array.from({ length: 10 }, (_, i) => trial({ dropout: i / 10 }, i));

  it('topPercent rounds up', () => {
    assert.equal(proposeRefinement([dropout], trials, 'maximize', { topPercent: 15 }).top, 2);
  });

  it('default is 25 percent', () => {
    assert.equal(proposeRefinement([dropout], trials, 'maximize').top, 3);
  });

  it('topPercent keeps at least one', () => {
    assert.equal(proposeRefinement([dropout], trials, 'maximize', { topPercent: 1 }).top, 1);
  });

  it('topK above trial count uses all', () => {
    assert.equal(proposeRefinement([dropout], trials, 'maximize', { topK: 50 }).top, 10);
  });

  it('non-finite objectives ignored', () => {
    const withFailures = [
      trial({ dropout: 0.95 }, NaN),
      trial({ dropout: 0.9 }, null),
      trial({ dropout: 0.99 }, Infinity),
      trial({ dropout: 0.3 }, 0.5),
      trial({ dropout: 0.4 }, 0.6),
    ];

    const { space, top } = proposeRefinement([dropout], withFailures, 'maximize', { topK: 5 });

    assert.equal(top, 2);
    assert.deepEqual(param(space, 'dropout'), { ...dropout, min: 0.275, max: 0.425 });
  });

  it('direction picks the top', () => {
    const best = proposeRefinement([dropout], trials, 'minimize', { topK: 2 }).space;

    assert.ok(param<FloatParam>(best, 'dropout').max < 0.2);
  });

  it('rejects no finite objective', () => {
    assert.throws(
      () =>
        proposeRefinement(
          [dropout],
          [trial({ dropout: 0.1 }, NaN), trial({ dropout: 0.2 }, null)],
          'maximize',
        ),
      /none of the 2 trials has a finite objective; complete at least one trial/,
    );
    assert.throws(() => proposeRefinement([dropout], [], 'maximize'), /none of the 0 trials/);
  });

  it('rejects topK below 1', () => {
    assert.throws(
      () => proposeRefinement([dropout], trials, 'maximize', { topK: 0 }),
      /topK 0 is not a whole number of at least 1/,
    );
    assert.throws(
      () => proposeRefinement([dropout], trials, 'maximize', { topK: 1.5 }),
      /topK 1.5/,
    );
  });

  it('rejects bad topPercent and margin', () => {
    assert.throws(
      () => proposeRefinement([dropout], trials, 'maximize', { topPercent: 0 }),
      /topPercent 0 is outside/,
    );
    assert.throws(
      () => proposeRefinement([dropout], trials, 'maximize', { topPercent: 120 }),
      /topPercent 120/,
    );
    assert.throws(
      () => proposeRefinement([dropout], trials, 'maximize', { margin: -1 }),
      /margin -1/,
    );
  });

  it('rejects an invalid parent', () => {
    const invalid = [{ name: 'lr', type: 'float', min: 1, max: 0 }] as SearchSpace;

    assert.throws(() => proposeRefinement(invalid, trials, 'maximize'), SpaceError);
  });
});

/** Checks that `child` is a valid refinement of `parent`, returning the first problem found. */
function findRefinementProblem(parent: Hyperparameter, child: Hyperparameter): string | undefined {
  if (parent.type === 'boolean') {
    return child.type === 'boolean' || child.type === 'fixed' ? undefined : 'boolean changed type';
  }

  if (child.type !== parent.type) {
    return 'type changed';
  }

  if (parent.type === 'choice' && child.type === 'choice') {
    const kept = parent.values.filter((value) => child.values.includes(value));
    return kept.length === child.values.length ? undefined : 'choice gained values or lost order';
  }

  if (
    (parent.type === 'int' || parent.type === 'float') &&
    (child.type === 'int' || child.type === 'float')
  ) {
    if (child.min < parent.min || child.max > parent.max || child.min > child.max) {
      return `range ${child.min}..${child.max} is outside ${parent.min}..${parent.max}`;
    }

    if (child.scale !== parent.scale) {
      return 'scale changed';
    }

    const grid =
      parent.step !== undefined || parent.type === 'int' ? candidateValues(parent) : undefined;
    if (grid && (!grid.includes(child.min) || !grid.includes(child.max))) {
      return `bounds ${child.min}..${child.max} are off the parent grid`;
    }

    const reverseLog = parent.type === 'float' && parent.scale === 'reverse_log';
    if (child.step !== parent.step && !reverseLog) {
      return 'step changed';
    }
  }

  return undefined;
}

describe('proposeRefinement properties', () => {
  it('refined spaces valid and inside parent', () => {
    let refinements = 0;

    for (let seed = 0; seed < 300; seed++) {
      const rng = createRng(`refine-${seed}`);
      let space = randomSpace(rng);

      // Refine three times in a row, as a user may, so narrow and collapsed ranges are covered.
      for (let level = 0; level < 3; level++) {
        const { trials } = sampleRandom(space, 5 + rng.int(30), seed * 10 + level);
        const scored = trials.map((values) => trial(values, rng.next() < 0.1 ? NaN : rng.next()));
        if (!scored.some((t) => Number.isFinite(t.objective))) {
          break;
        }

        const direction = rng.next() < 0.5 ? 'maximize' : 'minimize';
        const options =
          rng.next() < 0.5 ? { topK: 1 + rng.int(8) } : { topPercent: 5 + rng.int(50) };
        const refined = proposeRefinement(space, scored, direction, options).space;

        assert.deepEqual(validateSpace(refined).errors, [], JSON.stringify({ space, refined }));
        space.forEach((parent, i) => {
          const problem = findRefinementProblem(parent, refined[i]);
          assert.equal(
            problem,
            undefined,
            `${JSON.stringify(parent)} -> ${JSON.stringify(refined[i])}`,
          );
        });

        space = refined;
        refinements++;
      }
    }

    assert.ok(refinements > 500, `only ${refinements} refinements`);
  });

  it('top trials stay inside refined space', () => {
    for (let seed = 0; seed < 200; seed++) {
      const rng = createRng(`inside-${seed}`);
      const space = randomSpace(rng);
      const scored = sampleRandom(space, 30, seed).trials.map((values) =>
        trial(values, rng.next()),
      );

      const { space: refined, top } = proposeRefinement(space, scored, 'maximize', { topK: 5 });
      const best = [...scored]
        .sort((a, b) => (b.objective as number) - (a.objective as number))
        .slice(0, top);

      for (const p of refined) {
        for (const t of best) {
          const value = t.values[p.name];
          if (p.type === 'int' || p.type === 'float') {
            assert.ok(
              (value as number) >= p.min && (value as number) <= p.max,
              `${p.name}=${value} outside ${p.min}..${p.max}`,
            );
          } else if (p.type === 'choice') {
            assert.ok(p.values.includes(value), `${p.name}=${value} dropped`);
          } else if (p.type === 'fixed') {
            assert.equal(value, p.value);
          }
        }
      }
    }
  });
});
