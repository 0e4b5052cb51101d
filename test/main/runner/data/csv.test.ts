import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { DatasetError, describeDataset, loadDataset } from '../../../../main/runner/data';
import type { DatasetSource, Task } from '../../../../main/runner/data/types';
import { FIXTURES, makeTempDir, readIrisRows } from './helpers';

const SPLIT = { validationFraction: 0.2, seed: 3 };
const IRIS = join(FIXTURES, 'iris.csv');
const WINE = join(FIXTURES, 'wine.csv');

function csvSource(path: string, target: string, task: Task = 'classification'): DatasetSource {
  return { format: 'csv', path, target, task };
}

function assertDatasetError(run: () => unknown, code: string, ...parts: string[]): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DatasetError, `expected a DatasetError, got ${error}`);
    assert.equal(error.code, code);
    for (const part of parts) {
      assert.ok(error.message.includes(part), `message "${error.message}" lacks "${part}"`);
    }
    return true;
  });
}

/** Column means and population standard deviations of a row-major array. */
function columnStats(x: Float32Array, features: number): { mean: number[]; std: number[] } {
  const rows = x.length / features;
  const mean = new Array<number>(features).fill(0);
  const std = new Array<number>(features).fill(0);
  x.forEach((value, i) => (mean[i % features] += value / rows));
  x.forEach((value, i) => (std[i % features] += (value - mean[i % features]) ** 2 / rows));
  return { mean, std: std.map(Math.sqrt) };
}

describe('loadDataset on CSV', () => {
  const temp = makeTempDir();
  const iris = readIrisRows();

  /** Writes text to the temp folder and returns the path. */
  function writeCsv(name: string, text: string): string {
    const path = join(temp.dir, name);
    writeFileSync(path, text);
    return path;
  }

  after(() => temp.remove());

  it('iris header and string labels', () => {
    const dataset = loadDataset(csvSource(IRIS, 'species'), SPLIT);

    assert.equal(dataset.task, 'classification');
    assert.equal(dataset.features, 4);
    assert.equal(dataset.classes, 3);
    assert.deepEqual(dataset.classNames, ['setosa', 'versicolor', 'virginica']);
    assert.deepEqual(dataset.featureNames, [
      'sepal_length',
      'sepal_width',
      'petal_length',
      'petal_width',
    ]);
    assert.equal(dataset.train.rows, 120);
    assert.equal(dataset.validation.rows, 30);
    assert.equal(dataset.train.x.length, 120 * 4);
    assert.equal(dataset.test, undefined);
  });

  it('iris validation is stratified', () => {
    const dataset = loadDataset(csvSource(IRIS, 'species'), SPLIT);
    const counts = [0, 0, 0];
    dataset.validation.y.forEach((label) => counts[label]++);

    assert.deepEqual(counts, [10, 10, 10]);
  });

  it('features use training mean and std', () => {
    const dataset = loadDataset(csvSource(IRIS, 'species'), SPLIT);
    const train = columnStats(dataset.train.x, 4);
    const normalisation = dataset.normalisation;
    assert.ok(normalisation?.method === 'standardise');

    for (let j = 0; j < 4; j++) {
      assert.ok(Math.abs(train.mean[j]) < 1e-5, `feature ${j}: training mean ${train.mean[j]}`);
      assert.ok(Math.abs(train.std[j] - 1) < 1e-5, `feature ${j}: training std ${train.std[j]}`);
    }

    // Undoing the training statistics must give back rows of the file, which shows that the
    // validation rows were scaled with them too.
    const fileRows = iris.rows.map((row) => row.slice(0, 4).map(Number));
    for (let i = 0; i < dataset.validation.rows; i++) {
      const restored = [0, 1, 2, 3].map(
        (j) => dataset.validation.x[i * 4 + j] * normalisation.std[j] + normalisation.mean[j],
      );
      const match = fileRows.some((row) =>
        row.every((value, j) => Math.abs(value - restored[j]) < 1e-4),
      );
      assert.ok(match, `validation row ${i} restores to ${restored}, which is not in iris.csv`);
    }
  });

  it('no header names columns by index', () => {
    const path = writeCsv('iris-no-header.csv', iris.rows.map((row) => row.join(',')).join('\n'));
    const withHeader = loadDataset(csvSource(IRIS, 'species'), SPLIT);
    const dataset = loadDataset(csvSource(path, '4'), SPLIT);

    assert.deepEqual(dataset.featureNames, ['0', '1', '2', '3']);
    assert.deepEqual(dataset.classNames, ['setosa', 'versicolor', 'virginica']);
    assert.equal(dataset.train.rows + dataset.validation.rows, 150);
    assert.deepEqual(dataset.train, withHeader.train);
  });

  it('target by index with a header', () => {
    const byName = loadDataset(csvSource(IRIS, 'species'), SPLIT);
    const byIndex = loadDataset(csvSource(IRIS, '4'), SPLIT);

    assert.deepEqual(byIndex.validation, byName.validation);
  });

  it('BOM and CRLF load like the plain file', () => {
    const lines = [iris.header, ...iris.rows].map((row) => row.join(','));
    const path = writeCsv('iris-bom-crlf.csv', '\ufeff' + lines.join('\r\n') + '\r\n');
    const plain = loadDataset(csvSource(IRIS, 'species'), SPLIT);
    const dataset = loadDataset(csvSource(path, 'species'), SPLIT);

    assert.deepEqual(dataset.featureNames, plain.featureNames);
    assert.deepEqual(dataset.classNames, plain.classNames);
    assert.deepEqual(dataset.train, plain.train);
    assert.deepEqual(dataset.validation, plain.validation);
  });

  it('quoted fields with commas and newlines', () => {
    const names: Record<string, string> = {
      setosa: '"Iris setosa, the ""bristle-pointed""\niris"',
      versicolor: '"Iris versicolor,\nblue flag"',
      virginica: '"Iris virginica,\nVirginia iris"',
    };
    const header = '"sepal length, cm",sepal_width,petal_length,petal_width,"species, common name"';
    const lines = iris.rows.map((row) => [...row.slice(0, 4), names[row[4]]].join(','));
    const path = writeCsv('iris-quoted.csv', [header, ...lines].join('\n'));
    const dataset = loadDataset(csvSource(path, 'species, common name'), SPLIT);
    const plain = loadDataset(csvSource(IRIS, 'species'), SPLIT);

    assert.deepEqual(dataset.classNames, [
      'Iris setosa, the "bristle-pointed"\niris',
      'Iris versicolor,\nblue flag',
      'Iris virginica,\nVirginia iris',
    ]);
    assert.equal(dataset.featureNames?.[0], 'sepal length, cm');
    assert.deepEqual(dataset.train, plain.train);
  });

  it('error after multi-line rows names row and line', () => {
    const rows = iris.rows.map((row) => [...row.slice(0, 4), `"${row[4]},\nspecies"`]);
    rows[8][1] = 'abc';
    const lines = [iris.header.join(','), ...rows.map((row) => row.join(','))];
    const path = writeCsv('iris-multiline-bad.csv', lines.join('\n'));

    // Every data row spans two lines, so row 10 starts on line 18.
    assertDatasetError(
      () => loadDataset(csvSource(path, 'species'), SPLIT),
      'non-numeric',
      "column 'sepal_width', row 10 (line 18): 'abc' is not a number",
    );
  });

  it('missing target column lists columns', () => {
    assertDatasetError(
      () => loadDataset(csvSource(IRIS, 'Species'), SPLIT),
      'missing-column',
      "iris.csv: target column 'Species' not found",
      "'sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'",
    );
  });

  it('non-numeric value names column, row and value', () => {
    const rows = iris.rows.map((row) => [...row]);
    rows[3][1] = 'three';
    const path = writeCsv(
      'iris-text.csv',
      [iris.header, ...rows].map((r) => r.join(',')).join('\n'),
    );

    assertDatasetError(
      () => loadDataset(csvSource(path, 'species'), SPLIT),
      'non-numeric',
      "iris-text.csv: column 'sepal_width', row 5: 'three' is not a number",
    );
  });

  it('missing value names column and row', () => {
    const rows = iris.rows.map((row) => [...row]);
    rows[5][2] = '';
    const path = writeCsv(
      'iris-gap.csv',
      [iris.header, ...rows].map((r) => r.join(',')).join('\n'),
    );

    assertDatasetError(
      () => loadDataset(csvSource(path, 'species'), SPLIT),
      'missing-value',
      "iris-gap.csv: column 'petal_length', row 7 has no value",
    );
  });

  it('missing target value names the row', () => {
    const rows = iris.rows.map((row) => [...row]);
    rows[0][4] = 'NA';
    const path = writeCsv('iris-na.csv', [iris.header, ...rows].map((r) => r.join(',')).join('\n'));

    assertDatasetError(
      () => loadDataset(csvSource(path, 'species'), SPLIT),
      'missing-value',
      "target column 'species', row 2 has no value ('NA')",
    );
  });

  it('integer class labels keep their values', () => {
    const dataset = loadDataset(csvSource(WINE, 'class'), SPLIT);
    const counts = [0, 0, 0];
    [...dataset.train.y, ...dataset.validation.y].forEach((label) => counts[label]++);

    assert.equal(dataset.classes, 3);
    assert.equal(dataset.classNames, undefined);
    assert.equal(dataset.features, 13);
    assert.equal(dataset.train.rows + dataset.validation.rows, 178);
    // Class sizes of the UCI wine data: 59, 71 and 48 wines.
    assert.deepEqual(counts, [59, 71, 48]);
  });

  it('negative class label is rejected', () => {
    const text = readFileSync(WINE, 'utf8').replace(/,0\n/, ',-1\n');
    const path = writeCsv('wine-negative.csv', text);

    assertDatasetError(
      () => loadDataset(csvSource(path, 'class'), SPLIT),
      'labels-out-of-range',
      'wine-negative.csv: row 2: label -1 is not a class index',
    );
  });

  it('fractional class label is rejected', () => {
    const path = writeCsv(
      'wine-fraction.csv',
      readFileSync(WINE, 'utf8').replace(/,0\n/, ',0.5\n'),
    );

    assertDatasetError(
      () => loadDataset(csvSource(path, 'class'), SPLIT),
      'labels-out-of-range',
      "label 0.5 is not a class index; classification labels must be integers from 0, or use task 'regression'",
    );
  });

  it('regression target', () => {
    const dataset = loadDataset(csvSource(WINE, 'alcohol', 'regression'), SPLIT);
    const targets = [...dataset.train.y, ...dataset.validation.y];

    assert.equal(dataset.task, 'regression');
    assert.equal(dataset.classes, 1);
    assert.equal(dataset.features, 13);
    assert.equal(dataset.featureNames?.includes('class'), true);
    assert.equal(dataset.featureNames?.includes('alcohol'), false);
    assert.equal(Math.min(...targets).toFixed(2), '11.03');
    assert.equal(Math.max(...targets).toFixed(2), '14.83');
  });

  it('regression target must be numeric', () => {
    assertDatasetError(
      () => loadDataset(csvSource(IRIS, 'species', 'regression'), SPLIT),
      'non-numeric',
      "target column 'species', row 2: 'setosa' is not a number; a regression target must be numeric",
    );
  });

  it('empty validation explains the fix', () => {
    const lines = [iris.header, ...iris.rows.slice(0, 50)].map((row) => row.join(','));
    const path = writeCsv('iris-50.csv', lines.join('\n'));
    const numericLines = [iris.header, ...iris.rows.slice(0, 50)].map((row) =>
      row.slice(0, 4).join(','),
    );
    const numericPath = writeCsv('iris-50-numeric.csv', numericLines.join('\n'));
    const sources = [
      csvSource(path, 'species', 'classification'),
      csvSource(numericPath, 'petal_width', 'regression'),
    ];

    for (const source of sources) {
      assertDatasetError(
        () => loadDataset(source, { validationFraction: 0.01, seed: 1 }),
        'empty-validation',
        'validation fraction 0.01 of 50 rows leaves no validation rows; raise --validation to at least 0.02 or add rows',
      );
    }

    const smallest = loadDataset(csvSource(path, 'species'), { validationFraction: 0.02, seed: 1 });
    assert.equal(smallest.validation.rows, 1);
  });

  it('rows of unequal length are invalid', () => {
    const path = writeCsv('ragged.csv', 'a,b,c\n1,2,0\n3,4\n');

    assertDatasetError(() => loadDataset(csvSource(path, 'c'), SPLIT), 'invalid-csv', 'ragged.csv');
  });

  it('describeDataset summarises iris', () => {
    assert.deepEqual(describeDataset(csvSource(IRIS, 'species')), {
      rows: 150,
      features: 4,
      task: 'classification',
      classes: 3,
      classNames: ['setosa', 'versicolor', 'virginica'],
      featureNames: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    });
  });
});
