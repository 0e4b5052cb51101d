import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { DatasetError, mnistSource } from '../../../../main/runner/data';
import { readIdx } from '../../../../main/runner/data/idx';
import { fitStandardisation, splitRows } from '../../../../main/runner/data/split';
import type { DatasetSource } from '../../../../main/runner/data/types';
import { FIXTURES } from './helpers';

const MNIST = mnistSource() as Extract<DatasetSource, { format: 'idx' }>;

/** The t10k digit labels, 10000 rows. */
const DIGITS = Array.from(readIdx(MNIST.testLabels!, 'labels').data);

/** The wine classes (0, 1, 2) from the fixture, 178 rows. */
const WINE_CLASSES = readFileSync(join(FIXTURES, 'wine.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => Number(line.split(',').at(-1)));

function countBy(labels: number[], rows: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  rows.forEach((row) => counts.set(labels[row], (counts.get(labels[row]) ?? 0) + 1));
  return counts;
}

describe('splitRows', () => {
  it('train and validation partition the rows', () => {
    const { train, validation } = splitRows(DIGITS, 'classification', {
      validationFraction: 0.25,
      seed: 1,
    });
    const all = [...train, ...validation].sort((a, b) => a - b);

    assert.equal(validation.length, 2500);
    assert.equal(train.length, 7500);
    assert.deepEqual(
      all,
      DIGITS.map((_, i) => i),
    );
  });

  it('each class splits in the same proportion', () => {
    const { validation } = splitRows(DIGITS, 'classification', {
      validationFraction: 0.1,
      seed: 2,
    });
    const all = countBy(
      DIGITS,
      DIGITS.map((_, i) => i),
    );
    const validationCounts = countBy(DIGITS, validation);

    for (const [digit, count] of all) {
      assert.ok(
        Math.abs((validationCounts.get(digit) ?? 0) - count * 0.1) <= 1,
        `digit ${digit}: ${validationCounts.get(digit)} of ${count} in validation`,
      );
    }
  });

  it('small classes keep a row on each side', () => {
    // Wine with class 2 cut to its first 2 rows and class 1 to a single row.
    const class2 = WINE_CLASSES.flatMap((label, i) => (label === 2 ? [i] : [])).slice(0, 2);
    const class1 = WINE_CLASSES.indexOf(1);
    const rows = WINE_CLASSES.flatMap((label, i) =>
      label === 0 || class2.includes(i) || i === class1 ? [i] : [],
    );
    const labels = rows.map((row) => WINE_CLASSES[row]);
    const { train, validation } = splitRows(labels, 'classification', {
      validationFraction: 0.1,
      seed: 4,
    });
    const validationCounts = countBy(labels, validation);
    const trainCounts = countBy(labels, train);

    assert.equal(validationCounts.get(2), 1);
    assert.equal(trainCounts.get(2), 1);
    assert.equal(validationCounts.get(1), undefined);
    assert.equal(trainCounts.get(1), 1);
    assert.ok(
      (validationCounts.get(0) ?? 0) >= 5,
      `class 0: ${validationCounts.get(0)} in validation`,
    );
  });

  it('limit takes a stratified subset', () => {
    const { train, validation } = splitRows(DIGITS, 'classification', {
      validationFraction: 0.2,
      seed: 3,
      limit: 500,
    });
    const all = countBy(
      DIGITS,
      DIGITS.map((_, i) => i),
    );
    const subset = countBy(DIGITS, [...train, ...validation]);

    assert.equal(train.length + validation.length, 500);
    assert.equal(new Set([...train, ...validation]).size, 500);
    for (const [digit, count] of all) {
      assert.ok(
        Math.abs((subset.get(digit) ?? 0) - count / 20) <= 1,
        `digit ${digit}: ${subset.get(digit)} of 500, ${count} of 10000`,
      );
    }
  });

  it('regression ignores the targets', () => {
    const targets = WINE_CLASSES.map((label, i) => label + i / 1000);
    const { train, validation } = splitRows(targets, 'regression', {
      validationFraction: 0.3,
      seed: 5,
    });

    assert.equal(validation.length, 53);
    assert.equal(train.length, 125);
  });

  it('same seed repeats, other seed differs', () => {
    const options = { validationFraction: 0.2, seed: 11, limit: 1000 };
    const first = splitRows(DIGITS, 'classification', options);
    const second = splitRows(DIGITS, 'classification', options);
    const other = splitRows(DIGITS, 'classification', { ...options, seed: 12 });

    assert.deepEqual(second, first);
    assert.notDeepEqual(other.validation, first.validation);
  });

  it('invalid options are rejected', () => {
    const cases = [
      { validationFraction: 0, seed: 1 },
      { validationFraction: 1, seed: 1 },
      { validationFraction: NaN, seed: 1 },
      { validationFraction: 0.2, seed: NaN },
      { validationFraction: 0.2, seed: 1, limit: 0 },
      { validationFraction: 0.2, seed: 1, limit: 1.5 },
      { validationFraction: 0.2, seed: 1, testLimit: -1 },
    ];

    for (const options of cases) {
      assert.throws(
        () => splitRows(DIGITS, 'classification', options),
        (error: unknown) => error instanceof DatasetError && error.code === 'invalid-option',
        JSON.stringify(options),
      );
    }
  });

  it('empty validation suggests a fraction', () => {
    assert.throws(
      () => splitRows(WINE_CLASSES, 'classification', { validationFraction: 0.005, seed: 1 }),
      {
        name: 'DatasetError',
        message:
          'validation fraction 0.005 of 178 rows leaves no validation rows; raise --validation to at least 0.0057 or add rows',
      },
    );

    const smallest = splitRows(WINE_CLASSES, 'regression', { validationFraction: 0.0057, seed: 1 });
    assert.equal(smallest.validation.length, 1);
  });
});

describe('fitStandardisation', () => {
  it('constant pixel is only centred', () => {
    const images = readIdx(MNIST.testImages!, 'images');
    const rows = Array.from({ length: 1000 }, (_, i) => i);
    const { mean, std } = fitStandardisation(images.data, 784, rows);

    // The corner pixel of every MNIST digit is blank (0).
    assert.equal(mean[0], 0);
    assert.equal(std[0], 1);
    assert.ok(std[14 * 28 + 14] > 10, `centre pixel std ${std[14 * 28 + 14]}`);
  });
});
