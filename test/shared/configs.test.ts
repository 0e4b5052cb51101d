import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bestTraining,
  configOf,
  describeBudget,
  rankConfigs,
  repeatsOf,
  type ConfigTrial,
} from '../../shared/configs';

/** A training of config `config`, repeat `repeat`, numbered as a plan of `repeats` per config numbers it. */
function training(
  config: number,
  repeat: number,
  objective: number | null,
  status: ConfigTrial['status'] = 'completed',
  repeats = 3,
): ConfigTrial {
  return {
    number: (config - 1) * repeats + repeat,
    config,
    repeat,
    values: { units: config * 16 },
    status,
    objective,
  };
}

/** Three configs of three trainings; config 2 has the best single training but the lowest mean. */
const NOISY = [
  training(1, 1, 0.9),
  training(1, 2, 0.7),
  training(1, 3, 0.8),
  training(2, 1, 0.95),
  training(2, 2, 0.6),
  training(2, 3, 0.6),
  training(3, 1, 0.85),
  training(3, 2, 0.85),
  training(3, 3, 0.88),
];

describe('rankConfigs', () => {
  it('ranks by mean when maximizing', () => {
    const ranked = rankConfigs(NOISY, 'maximize');

    assert.deepEqual(
      ranked.map((config) => config.config),
      [3, 1, 2],
    );
    assert.ok(Math.abs((ranked[1].mean ?? NaN) - 0.8) < 1e-12);
    assert.ok(Math.abs((ranked[1].sd ?? NaN) - 0.1) < 1e-12);
    assert.equal(ranked[1].min, 0.7);
    assert.equal(ranked[1].max, 0.9);
    assert.deepEqual(ranked[1].objectives, [0.9, 0.7, 0.8]);
    assert.deepEqual(ranked[1].trials, [1, 2, 3]);
    assert.deepEqual(ranked[1].values, { units: 16 });
    assert.equal(ranked[1].completed, 3);
    assert.equal(ranked[1].trainings, 3);
  });

  it('ranks by mean when minimizing', () => {
    const trials = [
      training(1, 1, 0.5),
      training(1, 2, 0.3),
      training(2, 1, 0.2),
      training(2, 2, 0.8),
    ];
    assert.deepEqual(
      rankConfigs(trials, 'minimize').map((config) => config.config),
      [1, 2],
    );
  });

  it('ranks a config with fewer repeats', () => {
    const trials = [
      training(1, 1, 0.8),
      training(1, 2, 0.82),
      training(1, 3, 0.81),
      training(2, 1, 0.9),
      training(2, 2, null, 'failed'),
      training(2, 3, null, 'queued'),
    ];
    const [first, second] = rankConfigs(trials, 'maximize');

    assert.equal(first.config, 2);
    assert.equal(first.completed, 1);
    assert.equal(first.failed, 1);
    assert.equal(first.trainings, 3);
    assert.equal(first.mean, 0.9);
    assert.equal(first.sd, null);
    assert.equal(second.config, 1);
    assert.equal(second.completed, 3);
  });

  it('puts configs without results last', () => {
    const trials = [
      training(1, 1, null, 'failed'),
      training(1, 2, NaN),
      training(2, 1, 0.1),
      training(3, 1, null, 'running'),
    ];
    const ranked = rankConfigs(trials, 'maximize');

    assert.deepEqual(
      ranked.map((config) => config.config),
      [2, 1, 3],
    );
    assert.equal(ranked[1].mean, null);
    assert.equal(ranked[1].failed, 2, 'a diverged training counts as failed');
    assert.equal(ranked[2].failed, 0);
  });

  it('groups records without config by number', () => {
    const trials: ConfigTrial[] = [
      { number: 1, values: { units: 16 }, status: 'completed', objective: 0.5 },
      { number: 2, values: { units: 32 }, status: 'completed', objective: 0.7 },
    ];
    const ranked = rankConfigs(trials, 'maximize');

    assert.deepEqual(
      ranked.map((config) => [config.config, config.completed]),
      [
        [2, 1],
        [1, 1],
      ],
    );
    assert.equal(configOf(trials[0]), 1);
  });
});

describe('describeBudget', () => {
  it('names configs, repeats and trainings', () => {
    assert.equal(
      describeBudget({ trials: 25, repeats: 3 }),
      '25 configs x 3 repeats = 75 trainings',
    );
    assert.equal(
      describeBudget({ trials: 25, repeats: 3 }, 1),
      '1 config x 3 repeats = 3 trainings',
    );
  });

  it('says trials without repeats', () => {
    assert.equal(describeBudget({ trials: 25 }), '25 trials');
    assert.equal(describeBudget({ trials: 25, repeats: 1 }, 1), '1 trial');
    assert.equal(repeatsOf({}), 1);
  });
});

describe('bestTraining', () => {
  const trials = NOISY;
  const objective = { metric: 'val_accuracy', direction: 'maximize' } as const;

  it('picks the best config by mean', () => {
    const found = bestTraining({ objective, repeats: 3 }, trials);

    assert.equal(found?.config?.config, 3);
    // Training 3 of config 3 is number (3 - 1) * 3 + 3.
    assert.equal(found?.trial.number, 9);
  });

  it('picks the best trial without repeats', () => {
    const found = bestTraining({ objective }, trials);

    assert.equal(found?.trial.number, 4);
    assert.equal(found?.config, undefined);
  });

  it('needs a finite objective', () => {
    const diverged = [training(1, 1, NaN), training(1, 2, null, 'failed')];

    assert.equal(bestTraining({ objective, repeats: 3 }, diverged), undefined);
    assert.equal(bestTraining({ objective }, diverged), undefined);
  });
});
