import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findBoundaryWarnings, isNearBound, suggestBound } from '../../../shared/analysis/boundary';
import type { FloatParam, IntParam } from '../../../shared/space/types';
import { loadLineage, trialNumber } from './lineage';

describe('findBoundaryWarnings', () => {
  it('flags bounds the best trial sits on', () => {
    const { coarse } = loadLineage();
    const warnings = findBoundaryWarnings(coarse.study.space, coarse.trials, 'maximize');
    const best = trialNumber(coarse, 3);

    // Trial 3 (accuracy 0.9) used 4 units, the min, and dropout 0.012, within 5 % of 0.
    assert.deepEqual(
      warnings.map((item) => [item.name, item.bound, item.value, item.bestNumber]),
      [
        ['units', 'min', 4, 3],
        ['dropout', 'min', 0, 3],
      ],
    );
    assert.equal(warnings[0].bestValue, best.values.units);
    assert.equal(warnings[1].bestValue, best.values.dropout);
  });

  it('counts top trials near the bound', () => {
    const { coarse } = loadLineage();
    const [units] = findBoundaryWarnings(coarse.study.space, coarse.trials, 'maximize');

    // The top 5 are trials 3, 5, 6, 2 and 7 with 4, 32, 32, 64 and 4 units.
    assert.equal(units.top, 5);
    assert.equal(units.nearBound, 2);
  });

  it('suggests a wider bound in the message', () => {
    const { coarse } = loadLineage();
    const [units, dropout] = findBoundaryWarnings(coarse.study.space, coarse.trials, 'maximize');

    assert.equal(units.suggested, 1);
    assert.match(
      units.message,
      /^hyperparameter 'units': the best trial \(#3, 4\) sits on its min and 2 of the top 5 trials lie near min 4; .* widen min to 1 or beyond$/,
    );
    assert.equal(dropout.suggested, null);
    assert.match(dropout.message, /\(#3, 0\.01217\)/);
    assert.match(dropout.message, /0 is as far as the model's 'dropout' goes/);
  });

  it('checks a refined study against its own bounds', () => {
    const { refined } = loadLineage();
    const warnings = findBoundaryWarnings(refined.study.space, refined.trials, 'maximize');

    // Trial 8 (0.9) used dropout 0.484, within 5 % of max 0.5 of the range 0..0.5.
    assert.deepEqual(
      warnings.map((item) => [item.name, item.bound, item.bestNumber, item.suggested]),
      [['dropout', 'max', 8, 0.75]],
    );
  });

  it('finds nothing for an inner best', () => {
    const { refined } = loadLineage();
    const trials = refined.trials.filter((trial) => trial.number !== 8);

    // Without trial 8, trials 3 and 4 (0.8) lead, inside every refined range.
    assert.deepEqual(findBoundaryWarnings(refined.study.space, trials, 'maximize'), []);
  });

  it('needs two completed trials', () => {
    const { coarse } = loadLineage();
    const trials = [trialNumber(coarse, 1), trialNumber(coarse, 3)];

    assert.deepEqual(findBoundaryWarnings(coarse.study.space, trials, 'maximize'), []);
  });
});

describe('suggestBound', () => {
  const lr: FloatParam = { name: 'lr', type: 'float', min: 1e-4, max: 1e-2, scale: 'log' };
  const count: IntParam = { name: 'count', type: 'int', min: 10, max: 50 };

  it('widens a log range by half its decades', () => {
    assert.equal(suggestBound(lr, 'max'), 0.1);
    assert.equal(suggestBound(lr, 'min'), 1e-5);
  });

  it('widens a linear range by half its span', () => {
    assert.equal(suggestBound(count, 'max'), 70);
    assert.equal(suggestBound(count, 'min'), 0);
  });

  it('keeps a positive linear min at 0 or above', () => {
    const rate: FloatParam = { name: 'rate', type: 'float', min: 0.1, max: 0.9 };

    assert.equal(suggestBound(rate, 'min'), 0);
    assert.equal(suggestBound(rate, 'max'), 1.3);
  });

  it('stays inside the MLP knob limits', () => {
    const dropout: FloatParam = { name: 'dropout', type: 'float', min: 0.1, max: 0.6 };
    const units: IntParam = { name: 'units', type: 'int', min: 10, max: 50 };

    // The dropout knob accepts 0 to 0.9, and a layer needs at least 1 unit.
    assert.equal(suggestBound(dropout, 'max'), 0.85);
    assert.equal(suggestBound({ ...dropout, max: 0.8 }, 'max'), 0.9);
    assert.equal(suggestBound({ ...dropout, max: 0.9 }, 'max'), null);
    assert.equal(suggestBound(units, 'min'), 1);
  });

  it('keeps a stepped grid', () => {
    const units: IntParam = {
      name: 'units',
      type: 'int',
      min: 32,
      max: 512,
      step: 2,
      scale: 'log',
    };
    const rate: FloatParam = { name: 'rate', type: 'float', min: 0.15, max: 0.55, step: 0.1 };

    // Half the decades above 512 is 2048, which the doubling grid from 32 reaches.
    assert.equal(suggestBound({ ...units, max: 500 }, 'max'), 2048);
    assert.equal(suggestBound(units, 'min'), 8);
    assert.equal(suggestBound(rate, 'max'), 0.75);
    assert.equal(suggestBound(rate, 'min'), 0.05);
    assert.equal(suggestBound({ ...rate, min: 0.05 }, 'min'), null);
  });

  it('never suggests an exclusive limit', () => {
    const learningRate: FloatParam = { name: 'learning_rate', type: 'float', min: 0.01, max: 0.1 };

    // Half the span below 0.01 is -0.035, and a learning rate must stay above 0.
    assert.equal(suggestBound(learningRate, 'min'), null);
  });
});

describe('isNearBound', () => {
  it('treats the last grid value as the bound', () => {
    // 0.1, 0.4, 0.7: the grid stops short of max 0.9.
    const p: FloatParam = { name: 'x', type: 'float', min: 0.1, max: 0.9, step: 0.3 };

    assert.equal(isNearBound(p, 0.7, 'max'), true);
    assert.equal(isNearBound(p, 0.4, 'max'), false);
    assert.equal(isNearBound(p, 0.1, 'min'), true);
  });
});
