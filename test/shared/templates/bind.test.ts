import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SearchSpace } from '../../../shared/space/types';
import { checkKnobs } from '../../../shared/templates/bind';

const space: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 0.0001, max: 0.1, scale: 'log' },
  { name: 'units', type: 'int', min: 16, max: 512, step: 2, scale: 'log' },
  { name: 'activation', type: 'choice', values: ['relu', 'tanh'] },
  { name: 'dropout', type: 'fixed', value: 0.2 },
];

describe('checkKnobs', () => {
  it('rejects a name that is no MLP knob', () => {
    const issues = checkKnobs([{ name: 'momentum', type: 'float', min: 0, max: 1 }]);
    assert.equal(issues.length, 1);
    assert.equal(issues[0].field, 'name');
    assert.match(issues[0].message, /learning_rate/);
  });

  it('rejects a type that does not fit the knob', () => {
    const issues = checkKnobs([{ name: 'activation', type: 'int', min: 0, max: 3 }]);
    assert.equal(issues[0].field, 'type');
  });

  it('rejects bounds outside the knob range', () => {
    const issues = checkKnobs([
      { name: 'dropout', type: 'float', min: 0, max: 0.95 },
      { name: 'learning_rate', type: 'float', min: 0, max: 0.1 },
      { name: 'units', type: 'choice', values: [32, 0.5] },
    ]);
    assert.deepEqual(
      issues.map((issue) => [issue.name, issue.field]),
      [
        ['dropout', 'max'],
        ['learning_rate', 'min'],
        ['units', 'values'],
      ],
    );
  });

  it('rejects a choice value the knob does not offer', () => {
    const issues = checkKnobs([{ name: 'optimizer', type: 'choice', values: ['adam', 'lbfgs'] }]);
    assert.equal(issues.length, 1);
    assert.match(issues[0].message, /lbfgs/);
  });

  it('accepts the example space', () => {
    assert.deepEqual(checkKnobs(space), []);
  });
});
