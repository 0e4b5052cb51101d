import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planTrials, repeatSeed, trialSeed } from '../../../main/core/planning';
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

describe('planTrials repeats', () => {
  const FIXED_SPACE: SearchSpace = [
    { name: 'learning_rate', type: 'fixed', value: 0.01 },
    { name: 'units', type: 'fixed', value: 16 },
  ];

  it('fixed space runs each repeat', () => {
    const plan = planTrials(FIXED_SPACE, quickSettings({ trials: 25, repeats: 3, seed: 4 }));

    assert.equal(plan.configs, 1);
    assert.equal(plan.trials.length, 3);
    assert.deepEqual(
      plan.trials.map((trial) => [trial.config, trial.repeat]),
      [
        [1, 1],
        [1, 2],
        [1, 3],
      ],
    );
    assert.equal(new Set(plan.trials.map((trial) => trial.seed)).size, 3);
    assert.ok(plan.trials.every((trial) => trial.values.units === 16));
    assert.equal(
      plan.note,
      'the space has only 1 distinct combination; planning 1 config instead of 25, ' +
        'each trained 3 times',
    );
  });

  it('random plan repeats each config', () => {
    const settings = quickSettings({ trials: 4, repeats: 2, seed: 3 });
    const plan = planTrials(SMALL_SPACE, settings);
    const single = planTrials(SMALL_SPACE, { ...settings, repeats: undefined });

    assert.equal(plan.configs, 4);
    assert.equal(plan.trials.length, 8);
    assert.deepEqual(
      plan.trials.map((trial) => trial.values),
      single.trials.flatMap((trial) => [trial.values, trial.values]),
    );
    // The first repeat of each config trains as the same study without repeats.
    assert.deepEqual(
      plan.trials.filter((trial) => trial.repeat === 1).map((trial) => trial.seed),
      single.trials.map((trial) => trial.seed),
    );
    assert.equal(new Set(plan.trials.map((trial) => trial.seed)).size, 8);
    assert.deepEqual(planTrials(SMALL_SPACE, settings), plan);
  });

  it('grid plan repeats each point', () => {
    const space: SearchSpace = [{ name: 'activation', type: 'choice', values: ['relu', 'tanh'] }];
    const plan = planTrials(space, quickSettings({ strategy: 'grid', trials: 2, repeats: 3 }));

    assert.equal(plan.configs, 2);
    assert.equal(plan.trials.length, 6);
    assert.deepEqual(
      plan.trials.map((trial) => trial.values.activation),
      ['relu', 'relu', 'relu', 'tanh', 'tanh', 'tanh'],
    );
  });

  it('one repeat keeps trial seeds', () => {
    const plan = planTrials(SMALL_SPACE, quickSettings({ trials: 3, repeats: 1, seed: 8 }));

    assert.deepEqual(
      plan.trials.map((trial) => [trial.config, trial.repeat, trial.seed]),
      [1, 2, 3].map((number) => [number, 1, trialSeed(8, number)]),
    );
  });

  it('repeat seeds differ by study seed', () => {
    assert.equal(repeatSeed(5, 2, 1), trialSeed(5, 2));
    assert.notEqual(repeatSeed(5, 2, 2), repeatSeed(5, 2, 3));
    assert.notEqual(repeatSeed(5, 2, 2), repeatSeed(6, 2, 2));
    assert.notEqual(repeatSeed(5, 2, 2), trialSeed(5, 3));
    assert.equal(repeatSeed(5, 2, 2), repeatSeed(5, 2, 2));
  });
});

describe('planTrials training seeds', () => {
  it('offset continues the stream', () => {
    const full = planTrials(SMALL_SPACE, quickSettings({ trials: 8, seed: 5 }));
    const continued = planTrials(
      SMALL_SPACE,
      quickSettings({ trials: 3, seed: 5, trainingSeedOffset: 5 }),
    );

    assert.deepEqual(
      continued.trials.map((trial) => trial.seed),
      full.trials.slice(5).map((trial) => trial.seed),
    );
  });

  it('training seed keeps the configs', () => {
    const base = planTrials(SMALL_SPACE, quickSettings({ trials: 4, seed: 5 }));
    const fresh = planTrials(SMALL_SPACE, quickSettings({ trials: 4, seed: 5, trainingSeed: 9 }));

    assert.deepEqual(
      fresh.trials.map((trial) => trial.values),
      base.trials.map((trial) => trial.values),
    );
    assert.deepEqual(
      fresh.trials.map((trial) => trial.seed),
      [1, 2, 3, 4].map((number) => trialSeed(9, number)),
    );
  });
});
