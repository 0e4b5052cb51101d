import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  assertValidSpace,
  SpaceError,
  validateSpace,
  type SearchSpace,
  type SpaceIssue,
} from '../../../shared/space';

/** Builds a space from loose objects, as a form or a YAML file would deliver them. */
function loose(...params: unknown[]): SearchSpace {
  return params as SearchSpace;
}

interface ErrorCase {
  title: string;
  space: SearchSpace;
  /** Hyperparameter label the message must start with. */
  label: string;
  field: SpaceIssue['field'];
  /** Phrases naming the problem and the fix. */
  phrases: string[];
}

const errorCases: ErrorCase[] = [
  {
    title: 'missing name',
    space: loose({ type: 'boolean' }),
    label: 'hyperparameter 1',
    field: 'name',
    phrases: ['name is missing', 'give it a non-empty name'],
  },
  {
    title: 'blank name',
    space: loose({ name: 'ok', type: 'boolean' }, { name: '  ', type: 'boolean' }),
    label: 'hyperparameter 2',
    field: 'name',
    phrases: ['name is missing', 'give it a non-empty name'],
  },
  {
    title: 'duplicate name',
    space: loose({ name: 'units', type: 'boolean' }, { name: 'units', type: 'boolean' }),
    label: "hyperparameter 'units'",
    field: 'name',
    phrases: ['used by hyperparameters 1 and 2', 'rename one of them'],
  },
  {
    title: 'unknown type',
    space: loose({ name: 'units', type: 'integer', min: 1, max: 2 }),
    label: "hyperparameter 'units'",
    field: 'type',
    phrases: ["unknown type 'integer'", 'use one of int, float, choice, boolean, fixed'],
  },
  {
    title: 'missing min',
    space: loose({ name: 'lr', type: 'float', max: 1 }),
    label: "hyperparameter 'lr'",
    field: 'min',
    phrases: ['min is missing', 'set min to a finite number'],
  },
  {
    title: 'NaN max',
    space: loose({ name: 'lr', type: 'float', min: 0, max: NaN }),
    label: "hyperparameter 'lr'",
    field: 'max',
    phrases: ['max NaN is not a finite number', 'set max to a finite number'],
  },
  {
    title: 'infinite max',
    space: loose({ name: 'lr', type: 'float', min: 0, max: Infinity }),
    label: "hyperparameter 'lr'",
    field: 'max',
    phrases: ['max Infinity is not a finite number', 'set max to a finite number'],
  },
  {
    title: 'string min',
    space: loose({ name: 'lr', type: 'float', min: '0.1', max: 1 }),
    label: "hyperparameter 'lr'",
    field: 'min',
    phrases: ["min '0.1' is not a finite number", 'set min to a finite number'],
  },
  {
    title: 'min greater than max',
    space: loose({ name: 'lr', type: 'float', min: 0.1, max: 0.01 }),
    label: "hyperparameter 'lr'",
    field: 'min',
    phrases: ['min 0.1 is greater than max 0.01', 'swap them'],
  },
  {
    title: 'int min not integer',
    space: loose({ name: 'units', type: 'int', min: 3.5, max: 10 }),
    label: "hyperparameter 'units'",
    field: 'min',
    phrases: ['min 3.5 is not an integer', 'use an integer min or make the type float'],
  },
  {
    title: 'int max not integer',
    space: loose({ name: 'units', type: 'int', min: 3, max: 10.2 }),
    label: "hyperparameter 'units'",
    field: 'max',
    phrases: ['max 10.2 is not an integer', 'use an integer max'],
  },
  {
    title: 'int step fractional',
    space: loose({ name: 'units', type: 'int', min: 32, max: 512, step: 2.5 }),
    label: "hyperparameter 'units'",
    field: 'step',
    phrases: ['step 2.5 is not a positive integer', 'whole number, at least 1'],
  },
  {
    title: 'int step zero',
    space: loose({ name: 'units', type: 'int', min: 32, max: 512, step: 0 }),
    label: "hyperparameter 'units'",
    field: 'step',
    phrases: ['step 0 is not a positive integer', 'whole number, at least 1'],
  },
  {
    title: 'log scale with min 0',
    space: loose({ name: 'lr', type: 'float', min: 0, max: 0.1, scale: 'log' }),
    label: "hyperparameter 'lr'",
    field: 'min',
    phrases: ['log scale needs min > 0, but min is 0', 'set min to a positive value'],
  },
  {
    title: 'reverse_log with negative min',
    space: loose({ name: 'beta', type: 'float', min: -1, max: 0.9, scale: 'reverse_log' }),
    label: "hyperparameter 'beta'",
    field: 'min',
    phrases: ['reverse_log scale needs min > 0', 'or use a linear scale'],
  },
  {
    title: 'log step 1',
    space: loose({ name: 'units', type: 'int', min: 32, max: 512, step: 1, scale: 'log' }),
    label: "hyperparameter 'units'",
    field: 'step',
    phrases: ['must be greater than 1', 'use 2 to double each value'],
  },
  {
    title: 'log step below 1',
    space: loose({ name: 'lr', type: 'float', min: 1e-4, max: 1e-1, step: 0.1, scale: 'log' }),
    label: "hyperparameter 'lr'",
    field: 'step',
    phrases: ['step 0.1 on a log scale is a multiplier', 'or 10 for one value per decade'],
  },
  {
    title: 'linear step zero',
    space: loose({ name: 'dropout', type: 'float', min: 0, max: 0.5, step: 0 }),
    label: "hyperparameter 'dropout'",
    field: 'step',
    phrases: ['step 0 must be greater than 0', 'remove step for a continuous range'],
  },
  {
    title: 'linear step negative',
    space: loose({ name: 'dropout', type: 'float', min: 0, max: 0.5, step: -0.1 }),
    label: "hyperparameter 'dropout'",
    field: 'step',
    phrases: ['step -0.1 must be greater than 0', 'use a positive step'],
  },
  {
    title: 'step not a number',
    space: loose({ name: 'dropout', type: 'float', min: 0, max: 0.5, step: '0.1' }),
    label: "hyperparameter 'dropout'",
    field: 'step',
    phrases: ["step '0.1' is not a finite number", 'set a number or remove step'],
  },
  {
    title: 'linear step larger than range',
    space: loose({ name: 'units', type: 'int', min: 32, max: 128, step: 200 }),
    label: "hyperparameter 'units'",
    field: 'step',
    phrases: ['step 200 is larger than the range 32..128', 'use a step of at most 96'],
  },
  {
    title: 'log step larger than ratio',
    space: loose({ name: 'lr', type: 'float', min: 1e-3, max: 4e-3, step: 10, scale: 'log' }),
    label: "hyperparameter 'lr'",
    field: 'step',
    phrases: ['a ratio max/min of 4', 'use a step of at most 4, or widen the range'],
  },
  {
    title: 'reverse_log on int',
    space: loose({ name: 'units', type: 'int', min: 1, max: 10, scale: 'reverse_log' }),
    label: "hyperparameter 'units'",
    field: 'scale',
    phrases: ['reverse_log is only for float', 'use linear or log, or make the type float'],
  },
  {
    title: 'unknown scale',
    space: loose({ name: 'lr', type: 'float', min: 1e-4, max: 1, scale: 'logarithmic' }),
    label: "hyperparameter 'lr'",
    field: 'scale',
    phrases: ["unknown scale 'logarithmic'", 'use one of linear, log, reverse_log'],
  },
  {
    title: 'empty choice',
    space: loose({ name: 'act', type: 'choice', values: [] }),
    label: "hyperparameter 'act'",
    field: 'values',
    phrases: ['the choice has no values', 'list at least one value'],
  },
  {
    title: 'choice without values',
    space: loose({ name: 'act', type: 'choice' }),
    label: "hyperparameter 'act'",
    field: 'values',
    phrases: ['the choice has no values', 'list at least one value'],
  },
  {
    title: 'mixed-type choice',
    space: loose({ name: 'act', type: 'choice', values: ['relu', 1] }),
    label: "hyperparameter 'act'",
    field: 'values',
    phrases: ["mixes string and number values ('relu', 1)", 'use values of one type'],
  },
  {
    title: 'duplicate choice values',
    space: loose({ name: 'act', type: 'choice', values: ['relu', 'tanh', 'relu', 'relu'] }),
    label: "hyperparameter 'act'",
    field: 'values',
    phrases: ["lists 'relu' 3 times", 'keep one and remove the duplicates'],
  },
  {
    title: 'non-finite choice value',
    space: loose({ name: 'rate', type: 'choice', values: [0.1, NaN] }),
    label: "hyperparameter 'rate'",
    field: 'values',
    phrases: ['choice value NaN is not a finite number', 'remove it'],
  },
  {
    title: 'object choice value',
    space: loose({ name: 'rate', type: 'choice', values: [{ a: 1 }] }),
    label: "hyperparameter 'rate'",
    field: 'values',
    phrases: ['choice value {"a":1} is not a number, string or boolean', 'use one of those'],
  },
  {
    title: 'fixed without value',
    space: loose({ name: 'epochs', type: 'fixed' }),
    label: "hyperparameter 'epochs'",
    field: 'value',
    phrases: ['fixed has no value', 'set value, or remove the hyperparameter'],
  },
  {
    title: 'fixed with null value',
    space: loose({ name: 'epochs', type: 'fixed', value: null }),
    label: "hyperparameter 'epochs'",
    field: 'value',
    phrases: ['fixed has no value', 'set value'],
  },
];

describe('validateSpace errors', () => {
  for (const { title, space, label, field, phrases } of errorCases) {
    it(title, () => {
      const { errors } = validateSpace(space);

      assert.equal(errors.length, 1, JSON.stringify(errors));
      const [issue] = errors;
      assert.ok(issue.message.startsWith(`${label}: `), issue.message);
      assert.equal(issue.field, field);
      for (const phrase of phrases) {
        assert.ok(issue.message.includes(phrase), `"${issue.message}" lacks "${phrase}"`);
      }
      // Every message ends with the fix, after a semicolon.
      assert.match(issue.message, /; [^;]+$/);
    });
  }

  it('issue carries the name', () => {
    const { errors } = validateSpace(loose({ name: 'lr', type: 'float', min: 1, max: 0 }));

    assert.equal(errors[0].name, 'lr');
  });

  it('not a list', () => {
    const { errors } = validateSpace({ lr: 1 } as unknown as SearchSpace);

    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /must be a list of hyperparameters.*wrap the hyperparameters/);
  });

  it('entry not an object', () => {
    const { errors } = validateSpace(loose('lr'));

    assert.ok(
      errors.some((e) => e.message.includes("hyperparameter 1: 'lr' is not a hyperparameter")),
    );
  });

  it('lists every error', () => {
    const { errors } = validateSpace(
      loose(
        { name: 'lr', type: 'float', min: 0.1, max: 0.01 },
        { name: 'act', type: 'choice', values: [] },
        { name: 'epochs', type: 'fixed' },
      ),
    );

    assert.deepEqual(
      errors.map((e) => e.name),
      ['lr', 'act', 'epochs'],
    );
  });
});

describe('validateSpace warnings', () => {
  it('int step not dividing the range', () => {
    const { errors, warnings } = validateSpace([
      { name: 'units', type: 'int', min: 32, max: 128, step: 30 },
    ]);

    assert.deepEqual(errors, []);
    assert.equal(warnings.length, 1);
    assert.ok(
      warnings[0].message.startsWith(
        "hyperparameter 'units': step 30 does not divide 32..128; the largest value drawn is 122",
      ),
      warnings[0].message,
    );
    assert.ok(warnings[0].message.includes('set max to 122'));
    assert.equal(warnings[0].field, 'step');
  });

  it('log step not dividing the range', () => {
    const { errors, warnings } = validateSpace([
      { name: 'batch', type: 'int', min: 16, max: 300, step: 2, scale: 'log' },
    ]);

    assert.deepEqual(errors, []);
    assert.match(
      warnings[0].message,
      /'batch': step 2 does not divide 16..300; the largest value drawn is 256/,
    );
  });

  it('reverse_log grid missing min', () => {
    const { errors, warnings } = validateSpace([
      { name: 'beta', type: 'float', min: 0.01, max: 1, step: 3, scale: 'reverse_log' },
    ]);

    assert.deepEqual(errors, []);
    assert.match(warnings[0].message, /'beta': .*the smallest value drawn is 0.2; set min to 0.2/);
  });

  it('empty space', () => {
    const { errors, warnings } = validateSpace([]);

    assert.deepEqual(errors, []);
    assert.match(warnings[0].message, /no hyperparameters.*add a hyperparameter/);
  });
});

describe('validateSpace accepts', () => {
  const valid: SearchSpace[] = [
    [{ name: 'units', type: 'int', min: 32, max: 512, step: 2, scale: 'log' }],
    [{ name: 'units', type: 'int', min: 64, max: 64, step: 32 }],
    [{ name: 'lr', type: 'float', min: 0.01, max: 0.01, step: 10, scale: 'log' }],
    [{ name: 'lr', type: 'float', min: 1e-4, max: 1e-1, step: 10, scale: 'log' }],
    [{ name: 'dropout', type: 'float', min: 0.2, max: 0.3, step: 0.1 }],
    [{ name: 'dropout', type: 'float', min: 0.1, max: 0.5, step: 0.1 }],
    [{ name: 'beta', type: 'float', min: 0.9, max: 0.999, scale: 'reverse_log' }],
    [{ name: 'n', type: 'int', min: 1, max: 1000, scale: 'log' }],
    [
      { name: 'act', type: 'choice', values: ['relu', 'tanh'] },
      { name: 'flag', type: 'choice', values: [true, false] },
      { name: 'bn', type: 'boolean' },
      { name: 'epochs', type: 'fixed', value: 3 },
      { name: 'fixedFalse', type: 'fixed', value: false },
    ],
  ];

  valid.forEach((space, index) => {
    it(`valid space ${index + 1}`, () => {
      const report = validateSpace(space);

      assert.deepEqual(report, { errors: [], warnings: [] });
    });
  });
});

describe('assertValidSpace', () => {
  it('throws SpaceError with every error', () => {
    const space = loose(
      { name: 'lr', type: 'float', min: 0.1, max: 0.01 },
      { name: 'act', type: 'choice', values: [] },
    );

    assert.throws(
      () => assertValidSpace(space),
      (error: unknown) => {
        assert.ok(error instanceof SpaceError);
        assert.ok(error instanceof Error);
        assert.equal(error.issues.length, 2);
        assert.match(error.message, /2 errors/);
        assert.match(error.message, /'lr': min 0.1 is greater than max 0.01; swap them/);
        assert.match(error.message, /'act': the choice has no values/);
        return true;
      },
    );
  });

  it('ignores warnings', () => {
    assert.doesNotThrow(() =>
      assertValidSpace([{ name: 'units', type: 'int', min: 32, max: 128, step: 30 }]),
    );
  });
});
