import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planTrials, trialSeed } from '../../../main/core/planning';
import type { SearchSpace } from '../../../shared/space/types';
import { SMALL_SPACE, quickSettings } from './helpers';

describe('planTrials', () => {
  it('random plan has the requested trials', () => {
    const plan = planTrials(SMALL_SPACE, quickSettings({ trials: 5, seed: 3 }));

    assert.equal(plan.trials.length, 5);
    assert.equal(plan.note, null);
    for (const trial of plan.trials) {
      const { learning_rate: rate, units, activation } = trial.values;
      assert.equal(typeof rate, 'number');
      assert.ok((rate as number) >= 1e-3);
      assert.ok((rate as number) <= 1e-2);
      assert.ok([16, 32, 64].includes(units as number), `units ${units}`);
      assert.ok(['relu', 'tanh'].includes(activation as string));
    }
    assert.deepEqual(
      plan.trials.map((trial) => trial.seed),
      [1, 2, 3, 4, 5].map((number) => trialSeed(3, number)),
    );
  });

  it('same seed gives the same plan', () => {
    const settings = quickSettings({ trials: 4, seed: 9 });
    assert.deepEqual(planTrials(SMALL_SPACE, settings), planTrials(SMALL_SPACE, settings));
    assert.notDeepEqual(
      planTrials(SMALL_SPACE, settings).trials.map((trial) => trial.values),
      planTrials(SMALL_SPACE, { ...settings, seed: 10 }).trials.map((trial) => trial.values),
    );
  });

  it('small discrete space runs each once', () => {
    const space: SearchSpace = [
      { name: 'units', type: 'choice', values: [16, 32] },
      { name: 'optimizer', type: 'choice', values: ['adam', 'sgd'] },
    ];
    const plan = planTrials(space, quickSettings({ trials: 10 }));

    assert.equal(plan.trials.length, 4);
    assert.match(plan.note ?? '', /only 4 distinct combinations/);
    const keys = plan.trials.map((trial) => `${trial.values.units}/${trial.values.optimizer}`);
    assert.deepEqual([...keys].sort(), ['16/adam', '16/sgd', '32/adam', '32/sgd']);
  });

  it('grid plan runs every point', () => {
    const space: SearchSpace = [
      { name: 'learning_rate', type: 'float', min: 1e-4, max: 1e-2, scale: 'log' },
      { name: 'activation', type: 'choice', values: ['relu', 'tanh'] },
    ];
    const plan = planTrials(space, quickSettings({ strategy: 'grid', gridPoints: 3, trials: 6 }));

    assert.equal(plan.trials.length, 6);
    assert.equal(plan.note, 'grid of 6 points (3 per continuous axis)');
    const rates = [...new Set(plan.trials.map((trial) => trial.values.learning_rate as number))];
    assert.equal(rates.length, 3);
    assert.ok(Math.abs(rates[0] - 1e-4) < 1e-12);
    assert.ok(Math.abs(rates[1] - 1e-3) < 1e-12);
    assert.ok(Math.abs(rates[2] - 1e-2) < 1e-12);
  });
});

describe('planTrials grid budget', () => {
  it('rejects a grid larger than the budget', () => {
    const space: SearchSpace = [
      { name: 'learning_rate', type: 'float', min: 1e-4, max: 1e-2, scale: 'log' },
      { name: 'activation', type: 'choice', values: ['relu', 'tanh'] },
    ];
    const settings = quickSettings({ strategy: 'grid', gridPoints: 3, trials: 5 });

    assert.throws(
      () => planTrials(space, settings),
      /grid has 6 points, more than the budget of 5/,
    );
  });
});

describe('trialSeed', () => {
  it('is stable and distinct per trial', () => {
    const seeds = [1, 2, 3, 4, 5].map((number) => trialSeed(7, number));

    assert.deepEqual(
      seeds,
      [1, 2, 3, 4, 5].map((number) => trialSeed(7, number)),
    );
    assert.equal(new Set(seeds).size, 5);
    for (const seed of seeds) {
      assert.ok(Number.isInteger(seed));
      assert.ok(seed >= 0);
      assert.ok(seed < 2 ** 31 - 1);
    }
    assert.notEqual(trialSeed(8, 1), seeds[0]);
  });
});
