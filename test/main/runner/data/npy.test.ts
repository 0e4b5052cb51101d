import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { DatasetError, describeDataset, loadDataset } from '../../../../main/runner/data';
import type { DatasetSource, Task } from '../../../../main/runner/data/types';
import { FIXTURES, makeTempDir, readIrisRows, writeNpy, type NpyWriteOptions } from './helpers';

const SPLIT = { validationFraction: 0.2, seed: 5 };
const CLASS_NAMES = ['setosa', 'versicolor', 'virginica'];

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

describe('loadDataset on NPY', () => {
  const temp = makeTempDir();
  const iris = readIrisRows();
  const features = iris.rows.flatMap((row) => row.slice(0, 4).map(Number));
  const classes = iris.rows.map((row) => CLASS_NAMES.indexOf(row[4]));

  /** Writes iris features and class indices as .npy files and returns them as a source. */
  function writeIris(
    name: string,
    featureDescr = '<f8',
    targetDescr = '<i8',
    options: NpyWriteOptions = {},
    task: Task = 'classification',
  ): DatasetSource {
    const featuresPath = join(temp.dir, `${name}-x.npy`);
    const targetsPath = join(temp.dir, `${name}-y.npy`);
    writeNpy(featuresPath, featureDescr, [150, 4], features, options);
    writeNpy(targetsPath, targetDescr, [150], classes, { version: options.version });
    return { format: 'npy', features: featuresPath, targets: targetsPath, task };
  }

  after(() => temp.remove());

  it('iris <f8 and <i8 load like the CSV', () => {
    const dataset = loadDataset(writeIris('iris'), SPLIT);
    const csv = loadDataset(
      {
        format: 'csv',
        path: join(FIXTURES, 'iris.csv'),
        target: 'species',
        task: 'classification',
      },
      SPLIT,
    );

    assert.equal(dataset.features, 4);
    assert.equal(dataset.classes, 3);
    assert.equal(dataset.train.rows, 120);
    assert.equal(dataset.validation.rows, 30);
    assert.deepEqual(dataset.train, csv.train);
    assert.deepEqual(dataset.validation, csv.validation);
    assert.deepEqual(dataset.normalisation, csv.normalisation);
  });

  it('other dtypes and format versions', () => {
    const reference = loadDataset(writeIris('reference'), SPLIT);
    const cases: [string, string, NpyWriteOptions][] = [
      ['<f4', '|u1', {}],
      ['<f8', '<i4', { version: 2 }],
      ['<f8', '|u1', { version: 3 }],
    ];

    for (const [featureDescr, targetDescr, options] of cases) {
      const name = `${featureDescr}-${targetDescr}-v${options.version ?? 1}`.replace(/[<|]/g, '');
      const dataset = loadDataset(writeIris(name, featureDescr, targetDescr, options), SPLIT);

      assert.deepEqual(dataset.train.y, reference.train.y, name);
      dataset.train.x.forEach((value, i) => {
        assert.ok(Math.abs(value - reference.train.x[i]) < 1e-5, `${name}: value ${i}`);
      });
    }
  });

  it('regression targets', () => {
    const featuresPath = join(temp.dir, 'regression-x.npy');
    const targetsPath = join(temp.dir, 'regression-y.npy');
    const petalWidths = iris.rows.map((row) => Number(row[3]));
    writeNpy(
      featuresPath,
      '<f8',
      [150, 3],
      iris.rows.flatMap((row) => row.slice(0, 3).map(Number)),
    );
    writeNpy(targetsPath, '<f8', [150], petalWidths);
    const source: DatasetSource = {
      format: 'npy',
      features: featuresPath,
      targets: targetsPath,
      task: 'regression',
    };
    const dataset = loadDataset(source, SPLIT);
    const targets = [...dataset.train.y, ...dataset.validation.y].sort((a, b) => a - b);

    assert.equal(dataset.classes, 1);
    assert.equal(dataset.features, 3);
    assert.deepEqual(
      targets,
      Array.from(Float32Array.from(petalWidths)).sort((a, b) => a - b),
    );
  });

  it('truncated data states expected and found bytes', () => {
    const source = writeIris('truncated', '<f8', '<i8', { dropBytes: 100 });

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'truncated',
      'truncated-x.npy: expected 4800 bytes of data for shape (150, 4) <f8, found 4700',
    );
  });

  it('Fortran order is rejected', () => {
    const source = writeIris('fortran', '<f8', '<i8', { fortranOrder: true });

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'unsupported',
      'Fortran order',
      'np.ascontiguousarray(arr)',
    );
  });

  it('big-endian dtype is rejected', () => {
    const source = writeIris('big', '>f8');

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'unsupported',
      "big-endian dtype '>f8' is not supported",
      "arr.astype('<f8')",
    );
  });

  it('1-D features are rejected', () => {
    const featuresPath = join(temp.dir, 'flat-features.npy');
    writeNpy(featuresPath, '<f8', [600], features);
    const source = writeIris('flat');

    assertDatasetError(
      () => loadDataset({ ...source, features: featuresPath } as DatasetSource, SPLIT),
      'bad-shape',
      'flat-features.npy: features must be a 2-D array (rows, features), found shape (600)',
    );
  });

  it('row count mismatch names both counts', () => {
    const targetsPath = join(temp.dir, 'short-targets.npy');
    writeNpy(targetsPath, '<i8', [149], classes.slice(1));
    const source = writeIris('short');

    assertDatasetError(
      () => loadDataset({ ...source, targets: targetsPath } as DatasetSource, SPLIT),
      'mismatch',
      'short-x.npy has 150 rows but short-targets.npy has 149 targets',
    );
  });

  it('NaN feature is a missing value', () => {
    const featuresPath = join(temp.dir, 'nan-features.npy');
    const withNaN = [...features];
    withNaN[2 * 4 + 1] = NaN;
    writeNpy(featuresPath, '<f8', [150, 4], withNaN);
    const source = writeIris('nan');

    assertDatasetError(
      () => loadDataset({ ...source, features: featuresPath } as DatasetSource, SPLIT),
      'missing-value',
      'nan-features.npy[2, 1] is NaN',
    );
  });

  it('negative class index names the item', () => {
    const source = writeIris('negative');
    const targetsPath = join(temp.dir, 'negative-targets.npy');
    writeNpy(targetsPath, '<i8', [150], [...classes.slice(0, 7), -1, ...classes.slice(8)]);

    assertDatasetError(
      () => loadDataset({ ...source, targets: targetsPath } as DatasetSource, SPLIT),
      'labels-out-of-range',
      'negative-targets.npy[7]: label -1 is not a class index',
    );
  });

  it('NaN regression target is a missing value', () => {
    const source = writeIris('nan-target', '<f8', '<i8', {}, 'regression');
    const targetsPath = join(temp.dir, 'nan-targets.npy');
    writeNpy(targetsPath, '<f8', [150], [...classes.slice(0, 3), NaN, ...classes.slice(4)]);

    assertDatasetError(
      () => loadDataset({ ...source, targets: targetsPath } as DatasetSource, SPLIT),
      'missing-value',
      'nan-targets.npy[3]: target is NaN',
    );
  });

  it('not an npy file is rejected', () => {
    const source = writeIris('csv-as-npy');

    assertDatasetError(
      () =>
        loadDataset({ ...source, features: join(FIXTURES, 'iris.csv') } as DatasetSource, SPLIT),
      'bad-magic',
      'iris.csv: not a .npy file',
    );
  });

  it('describeDataset summarises the arrays', () => {
    assert.deepEqual(describeDataset(writeIris('describe')), {
      rows: 150,
      features: 4,
      task: 'classification',
      classes: 3,
      classNames: undefined,
      featureNames: undefined,
    });
  });
});
