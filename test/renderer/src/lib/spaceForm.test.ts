import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SearchSpace } from '../../../../shared/space/types';
import {
  changeRowType,
  checkRows,
  defaultRow,
  issuesByRow,
  paramFromRow,
  parseLiteral,
  rowFromParam,
  spaceFromText,
  spaceToText,
  splitValues,
} from '../../../../renderer/src/lib/spaceForm';

const space: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 0.0001, max: 0.1, scale: 'log' },
  { name: 'units', type: 'int', min: 16, max: 512, step: 2, scale: 'log' },
  { name: 'activation', type: 'choice', values: ['relu', 'tanh'] },
  { name: 'dropout', type: 'fixed', value: 0.2 },
];

describe('rowFromParam and paramFromRow', () => {
  it('round-trip every hyperparameter', () => {
    for (const param of space) {
      assert.deepEqual(paramFromRow(rowFromParam(param)), param);
    }
  });

  it('omit an empty step and a linear scale', () => {
    const row = {
      ...defaultRow('layers'),
      min: '1',
      max: '4',
      step: ' ',
      scale: 'linear' as const,
    };
    assert.deepEqual(paramFromRow(row), { name: 'layers', type: 'int', min: 1, max: 4 });
  });

  it('keep text that is not a number for validation to report', () => {
    const row = { ...defaultRow('dropout'), min: 'abc', max: '' };
    const param = paramFromRow(row) as unknown as Record<string, unknown>;
    assert.equal(param.min, 'abc');
    assert.equal(param.max, undefined);
  });
});

describe('parseLiteral and splitValues', () => {
  it('parse numbers, booleans and strings', () => {
    assert.equal(parseLiteral(' 1e-3 '), 0.001);
    assert.equal(parseLiteral('true'), true);
    assert.equal(parseLiteral('relu'), 'relu');
    assert.equal(parseLiteral('  '), undefined);
  });

  it('split comma-separated values and skip empty ones', () => {
    assert.deepEqual(splitValues('32, 64,,128 '), [32, 64, 128]);
    assert.deepEqual(splitValues('adam, sgd'), ['adam', 'sgd']);
    assert.deepEqual(splitValues(''), []);
  });
});

describe('checkRows', () => {
  it('accepts the default rows', () => {
    const check = checkRows(
      ['learning_rate', 'units', 'layers', 'dropout', 'activation'].map(defaultRow),
    );
    assert.deepEqual(check.errors, []);
  });

  it('reports a bad bound beside its field', () => {
    const row = { ...defaultRow('units'), min: '600' };
    const check = checkRows([row]);
    assert.equal(check.errors.length, 1);
    assert.equal(check.errors[0].name, 'units');
    assert.equal(check.errors[0].field, 'min');
  });

  it('reports a non-numeric bound', () => {
    const check = checkRows([{ ...defaultRow('dropout'), max: '0.5x' }]);
    assert.ok(
      check.errors.some((issue) => issue.field === 'max' && issue.message.includes("'0.5x'")),
    );
  });
});

describe('changeRowType', () => {
  it('lists a small grid as choice values', () => {
    const row = { ...defaultRow('layers'), min: '1', max: '3' };
    assert.equal(changeRowType(row, 'choice').values, '1, 2, 3');
  });

  it('uses the knob values for a choice knob', () => {
    const row = { ...defaultRow('optimizer'), type: 'fixed' as const, values: '' };
    assert.equal(changeRowType(row, 'choice').values, 'adam, sgd, rmsprop, adagrad');
  });

  it('drops reverse_log when becoming an int', () => {
    const row = { ...defaultRow('dropout'), scale: 'reverse_log' as const };
    assert.equal(changeRowType(row, 'int').scale, 'linear');
  });
});

describe('issuesByRow', () => {
  it('sorts issues to rows by name and field', () => {
    const rows = [defaultRow('units'), defaultRow('layers')];
    const sorted = issuesByRow(rows, [
      { name: 'layers', field: 'max', message: 'too big' },
      { name: 'layers', message: 'no field' },
      { message: 'whole space' },
    ]);
    assert.deepEqual(sorted.rows[0], {});
    assert.deepEqual(sorted.rows[1], { max: ['too big'], name: ['no field'] });
    assert.deepEqual(sorted.general, ['whole space']);
  });
});

describe('spaceToText and spaceFromText', () => {
  it('round-trip JSON and YAML', () => {
    assert.deepEqual(spaceFromText(spaceToText(space, 'json')), space);
    assert.deepEqual(spaceFromText(spaceToText(space, 'yaml')), space);
  });

  it('reads a list under "space"', () => {
    assert.deepEqual(spaceFromText(JSON.stringify({ space })), space);
  });

  it('rejects broken syntax on one line', () => {
    assert.throws(
      () => spaceFromText('a: [1, 2'),
      (error: Error) => {
        assert.match(error.message, /not valid JSON or YAML/);
        assert.ok(!error.message.includes('\n'));
        return true;
      },
    );
  });

  it('rejects a document that is no list', () => {
    assert.throws(() => spaceFromText('name: units'), /no list of hyperparameters/);
    assert.throws(() => spaceFromText('[1, 2]'), /entry 1 of the file/);
  });
});
