import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import { DatasetError, loadDataset, mnistSource } from '../../../../main/runner/data';
import type { DatasetSource, PreparedDataset } from '../../../../main/runner/data/types';
import { makeTempDir } from './helpers';

const MNIST = mnistSource() as Extract<DatasetSource, { format: 'idx' }>;
const SPLIT = { validationFraction: 0.2, seed: 7, limit: 2000, testLimit: 500 };

/** Counts each digit in a label array. */
function countDigits(labels: Float32Array): number[] {
  const counts = new Array<number>(10).fill(0);
  labels.forEach((label) => counts[label]++);
  return counts;
}

describe('loadDataset on MNIST', () => {
  let dataset: PreparedDataset;

  before(() => {
    dataset = loadDataset(MNIST, SPLIT);
  });

  it('shapes follow limit and testLimit', () => {
    assert.equal(dataset.task, 'classification');
    assert.equal(dataset.features, 784);
    assert.equal(dataset.classes, 10);
    assert.equal(dataset.train.rows, 1600);
    assert.equal(dataset.validation.rows, 400);
    assert.equal(dataset.train.x.length, 1600 * 784);
    assert.equal(dataset.validation.x.length, 400 * 784);
    assert.equal(dataset.train.y.length, 1600);
    assert.equal(dataset.test?.rows, 500);
    assert.equal(dataset.test?.x.length, 500 * 784);
    assert.deepEqual(dataset.normalisation, { method: 'scale', divisor: 255 });
  });

  it('pixels lie in [0, 1]', () => {
    for (const examples of [dataset.train, dataset.validation, dataset.test!]) {
      let min = Infinity;
      let max = -Infinity;
      examples.x.forEach((value) => {
        min = Math.min(min, value);
        max = Math.max(max, value);
      });
      assert.equal(min, 0);
      assert.equal(max, 1);
    }
  });

  it('labels are digits 0 to 9', () => {
    for (const examples of [dataset.train, dataset.validation, dataset.test!]) {
      const counts = countDigits(examples.y);
      assert.ok(
        examples.y.every((label) => Number.isInteger(label) && label >= 0 && label <= 9),
        'every label is an integer digit',
      );
      assert.ok(
        counts.every((count) => count > 0),
        `every digit appears: ${counts}`,
      );
    }
  });

  it('test set is the first t10k rows', () => {
    const labels = readFileSync(MNIST.testLabels!);
    const images = readFileSync(MNIST.testImages!);
    const expectedLabels = Float32Array.from(labels.subarray(8, 8 + 500));
    const firstImage = Float32Array.from(images.subarray(16, 16 + 784), (byte) => byte / 255);

    assert.deepEqual(dataset.test!.y, expectedLabels);
    assert.deepEqual(dataset.test!.x.subarray(0, 784), firstImage);
  });

  it('validation is stratified by digit', () => {
    const validation = countDigits(dataset.validation.y);
    const train = countDigits(dataset.train.y);

    for (let digit = 0; digit < 10; digit++) {
      const all = validation[digit] + train[digit];
      const shareOfValidation = validation[digit] / dataset.validation.rows;
      const shareOverall = all / 2000;
      assert.ok(
        Math.abs(shareOfValidation - shareOverall) < 0.005,
        `digit ${digit}: ${shareOfValidation} in validation, ${shareOverall} overall`,
      );
      assert.ok(
        Math.abs(validation[digit] - all * 0.2) <= 1,
        `digit ${digit}: ${validation[digit]} of ${all} rows in validation`,
      );
    }
  });

  it('limit keeps the digit shares of the full set', () => {
    const full = countDigits(Float32Array.from(readFileSync(MNIST.labels).subarray(8)));
    const subset = countDigits(Float32Array.from([...dataset.train.y, ...dataset.validation.y]));

    for (let digit = 0; digit < 10; digit++) {
      assert.ok(
        Math.abs(subset[digit] - (full[digit] * 2000) / 60000) <= 1,
        `digit ${digit}: ${subset[digit]} rows of 2000, ${full[digit]} of 60000`,
      );
    }
  });

  it('same seed gives the same split', () => {
    const again = loadDataset(MNIST, SPLIT);

    assert.deepEqual(again.train.y, dataset.train.y);
    assert.deepEqual(again.train.x, dataset.train.x);
    assert.deepEqual(again.validation.y, dataset.validation.y);
    assert.deepEqual(again.validation.x, dataset.validation.x);
  });

  it('other seed gives another split', () => {
    const other = loadDataset(MNIST, { ...SPLIT, seed: 8 });

    assert.equal(other.train.rows, dataset.train.rows);
    assert.notDeepEqual(other.train.y, dataset.train.y);
    assert.notDeepEqual(other.validation.x, dataset.validation.x);
  });
});

describe('loadDataset on broken IDX files', () => {
  const temp = makeTempDir();
  const images = readFileSync(MNIST.testImages!);
  const labels = readFileSync(MNIST.testLabels!);
  const split = { validationFraction: 0.2, seed: 1, limit: 1000 };

  /** Writes the t10k pair (or replacements) to the temp folder and returns it as a source. */
  function writePair(
    imageBytes: Uint8Array,
    labelBytes: Uint8Array,
    names = ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
  ): DatasetSource {
    const imagesPath = join(temp.dir, names[0]);
    const labelsPath = join(temp.dir, names[1]);
    writeFileSync(imagesPath, imageBytes);
    writeFileSync(labelsPath, labelBytes);
    return { format: 'idx', images: imagesPath, labels: labelsPath };
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

  after(() => temp.remove());

  it('truncated images state expected and found bytes', () => {
    const source = writePair(images.subarray(0, 1_000_000), labels);

    assertDatasetError(
      () => loadDataset(source, split),
      'truncated',
      't10k-images-idx3-ubyte: expected 7840016 bytes for 10000 images of 28x28, found 1000000',
      'download it again',
    );
  });

  it('label count mismatch names both counts', () => {
    const shorter = Buffer.from(labels.subarray(0, labels.length - 1));
    shorter.writeUInt32BE(9999, 4);
    const source = writePair(images, shorter);

    assertDatasetError(
      () => loadDataset(source, split),
      'mismatch',
      't10k-images-idx3-ubyte has 10000 images but t10k-labels-idx1-ubyte has 9999 labels',
    );
  });

  it('gzipped copies load like the plain files', () => {
    const plain = loadDataset(writePair(images, labels), split);
    const gzipped = writePair(gzipSync(images, { level: 1 }), gzipSync(labels), [
      'images.gz',
      'labels.gz',
    ]);
    const loaded = loadDataset(gzipped, split);

    assert.deepEqual(loaded.train, plain.train);
    assert.deepEqual(loaded.validation, plain.validation);
  });

  it('gzip named as plain loads by content', () => {
    const plain = loadDataset(writePair(images, labels), split);
    const source = writePair(gzipSync(images, { level: 1 }), gzipSync(labels), [
      'images-idx3-ubyte',
      'labels-idx1-ubyte',
    ]);

    assert.deepEqual(loadDataset(source, split).train, plain.train);
  });

  it('plain file named .gz loads by content', () => {
    const plain = loadDataset(writePair(images, labels), split);
    const source = writePair(images, labels, ['plain-images.gz', 'plain-labels.gz']);

    assert.deepEqual(loadDataset(source, split).validation, plain.validation);
  });

  it('.gz file that is neither gzip nor IDX is rejected', () => {
    const source = writePair(Buffer.from('<html>Not Found</html>'), labels, [
      'html-images.gz',
      'labels',
    ]);

    assertDatasetError(
      () => loadDataset(source, split),
      'not-gzip',
      'html-images.gz: neither gzip data nor an IDX file',
    );
  });

  it('truncated gzip is reported as corrupt', () => {
    const compressed = gzipSync(labels);
    const source = writePair(images, compressed.subarray(0, compressed.length / 2), [
      'images',
      'cut-labels.gz',
    ]);

    assertDatasetError(
      () => loadDataset(source, split),
      'corrupt-gzip',
      'cut-labels.gz: gzip data is corrupt',
    );
  });

  it('damaged gzip bytes are reported as corrupt', () => {
    const compressed = Buffer.from(gzipSync(labels));
    for (let i = 100; i < 200; i++) {
      compressed[i] ^= 0xff;
    }
    const source = writePair(images, compressed, ['images', 'damaged-labels.gz']);

    assertDatasetError(() => loadDataset(source, split), 'corrupt-gzip', 'damaged-labels.gz');
  });

  it('wrong magic is rejected', () => {
    const zip = Buffer.from(images);
    zip.write('PK\u0003\u0004', 0, 'latin1');
    const source = writePair(zip, labels);

    assertDatasetError(
      () => loadDataset(source, split),
      'bad-magic',
      't10k-images-idx3-ubyte: not an IDX file (magic number 0x504b0304',
    );
  });

  it('swapped images and labels are rejected', () => {
    const source = writePair(labels, images);

    assertDatasetError(() => loadDataset(source, split), 'bad-shape', 'paths are not swapped');
  });

  it('missing file names the path', () => {
    const path = join(temp.dir, 'no-such-images-idx3-ubyte');
    const source: DatasetSource = { format: 'idx', images: path, labels: MNIST.testLabels! };

    assertDatasetError(() => loadDataset(source, split), 'not-found', path);
  });

  it('test labels beyond the training classes are rejected', () => {
    // Training on the digits 0-4 only makes the t10k labels 5-9 out of range.
    const lowDigits = [...labels.subarray(8)].flatMap((label, i) => (label < 5 ? [i] : []));
    const subsetLabels = Buffer.alloc(8 + lowDigits.length);
    labels.copy(subsetLabels, 0, 0, 8);
    subsetLabels.writeUInt32BE(lowDigits.length, 4);
    const subsetImages = Buffer.alloc(16 + lowDigits.length * 784);
    images.copy(subsetImages, 0, 0, 16);
    subsetImages.writeUInt32BE(lowDigits.length, 4);
    lowDigits.forEach((row, i) => {
      subsetLabels[8 + i] = labels[8 + row];
      images.copy(subsetImages, 16 + i * 784, 16 + row * 784, 16 + (row + 1) * 784);
    });
    const source = writePair(subsetImages, subsetLabels, ['low-images', 'low-labels']);
    copyFileSync(MNIST.testImages!, join(temp.dir, 'test-images'));
    copyFileSync(MNIST.testLabels!, join(temp.dir, 'test-labels'));
    const withTest: DatasetSource = {
      ...(source as Extract<DatasetSource, { format: 'idx' }>),
      testImages: join(temp.dir, 'test-images'),
      testLabels: join(temp.dir, 'test-labels'),
    };

    assert.equal(loadDataset(source, split).classes, 5);
    assertDatasetError(
      () => loadDataset(withTest, split),
      'labels-out-of-range',
      'test-labels, item 0 (0-based): label 7 is outside [0, 5)',
    );
  });
});
