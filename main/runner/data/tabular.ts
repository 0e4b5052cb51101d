import { basename } from 'node:path';

import { readCsvDataset } from './csv';
import { DatasetError } from './errors';
import { clip } from './files';
import { checkFinite, countClasses } from './labels';
import { readNpy } from './npy';
import { fitStandardisation, gatherRows, gatherTargets, splitRows } from './split';
import type { PreparedDataset, SplitOptions, Task } from './types';

/** Feature rows and targets of a CSV or NPY dataset, with labels checked. */
export interface CheckedTable {
  task: Task;
  /** `rows * features` values, row-major, before standardisation. */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  rows: number;
  features: number;
  classes: number;
  classNames?: string[];
  featureNames?: string[];
}

/** Reads a CSV dataset and checks its features and labels. */
export function readCsvTable(path: string, target: string, task: Task): CheckedTable {
  const name = basename(path);
  const table = readCsvDataset(path, target, task);
  const describeRow = (row: number): string => `${name}: ${table.describeRow(row)}`;

  checkFinite(
    table.x,
    table.features,
    (row, column) =>
      `${name}: column '${clip(table.featureNames[column])}', ${table.describeRow(row)}`,
  );

  const classes = countTargets(table.y, task, table.classNames, describeRow);

  return { task, ...table, classes };
}

/**
 * Reads a 2-D features array and a 1-D targets array from .npy files and checks that they have
 * the same row count. A targets array of shape (rows, 1) is accepted as 1-D, because that is what
 * `y.reshape(-1, 1)` leaves behind.
 */
export function readNpyTable(featuresPath: string, targetsPath: string, task: Task): CheckedTable {
  const featuresName = basename(featuresPath);
  const targetsName = basename(targetsPath);
  const features = readNpy(featuresPath);
  const targets = readNpy(targetsPath);

  if (features.shape.length !== 2) {
    throw new DatasetError(
      'bad-shape',
      `${featuresName}: features must be a 2-D array (rows, features), found shape (${features.shape.join(', ')}); reshape it with arr.reshape(len(arr), -1)`,
    );
  }

  const isColumn = targets.shape.length === 2 && targets.shape[1] === 1;
  if (targets.shape.length !== 1 && !isColumn) {
    throw new DatasetError(
      'bad-shape',
      `${targetsName}: targets must be a 1-D array (rows,), found shape (${targets.shape.join(', ')}); flatten it with arr.ravel()`,
    );
  }

  const [rows, featureCount] = features.shape;
  if (rows === 0 || featureCount === 0) {
    throw new DatasetError(
      'empty',
      `${featuresName}: the array has shape (${features.shape.join(', ')}), so there is nothing to train on; save an array with at least one row and one column`,
    );
  }
  if (targets.shape[0] !== rows) {
    throw new DatasetError(
      'mismatch',
      `${featuresName} has ${rows} rows but ${targetsName} has ${targets.shape[0]} targets; use arrays of the same length`,
    );
  }

  checkFinite(features.data, featureCount, (row, column) => `${featuresName}[${row}, ${column}]`);
  // NumPy index notation, so the position is 0-based as in the user's arrays.
  const describeRow = (row: number): string => `${targetsName}[${row}]`;
  const classes = countTargets(targets.data, task, undefined, describeRow);

  return { task, x: features.data, y: targets.data, rows, features: featureCount, classes };
}

/**
 * Splits a table by `split` and standardises every split with the training rows' mean and
 * standard deviation, so nothing about the validation rows leaks into training.
 */
export function prepareTable(table: CheckedTable, split: SplitOptions): PreparedDataset {
  const { train, validation } = splitRows(table.y, table.task, split);
  const standardisation = fitStandardisation(table.x, table.features, train);

  const examples = (rows: number[]) => ({
    x: gatherRows(table.x, table.features, rows, standardisation),
    y: gatherTargets(table.y, rows),
    rows: rows.length,
  });

  return {
    task: table.task,
    features: table.features,
    classes: table.classes,
    classNames: table.classNames,
    featureNames: table.featureNames,
    normalisation: { method: 'standardise', ...standardisation },
    train: examples(train),
    validation: examples(validation),
  };
}

function countTargets(
  y: ArrayLike<number>,
  task: Task,
  classNames: string[] | undefined,
  describeRow: (row: number) => string,
): number {
  if (task === 'regression') {
    checkFinite(y, 1, (row) => `${describeRow(row)}: target`);
    return 1;
  }

  // String labels are class indices by construction; numeric labels must be indices already.
  return classNames?.length ?? countClasses(y, describeRow);
}
