import { DatasetError } from './errors';

/**
 * Checks that every classification label is an integer class index from 0 and returns the class
 * count (max label + 1). `describeRow` names a row (0-based) as the user finds it in the file.
 */
export function countClasses(
  labels: ArrayLike<number>,
  describeRow: (index: number) => string,
): number {
  let max = -1;

  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0) {
      throw new DatasetError(
        'labels-out-of-range',
        `${describeRow(i)}: label ${label} is not a class index; classification labels must be integers from 0, or use task 'regression' for a continuous target`,
      );
    }
    max = Math.max(max, label);
  }

  return max + 1;
}

/** Checks that held-out labels lie in [0, classes) of the training data. */
export function checkLabelsInRange(
  labels: ArrayLike<number>,
  classes: number,
  describeRow: (index: number) => string,
): void {
  const found = countClasses(labels, describeRow);
  if (found <= classes) {
    return;
  }

  const index = Array.prototype.findIndex.call(labels, (label: number) => label >= classes);
  throw new DatasetError(
    'labels-out-of-range',
    `${describeRow(index)}: label ${labels[index]} is outside [0, ${classes}) of the training labels; use the test files that belong to this training set`,
  );
}

/**
 * Checks that features and targets are finite: NaN is a missing value, an infinity is
 * not a usable number.
 */
export function checkFinite(
  values: ArrayLike<number>,
  columns: number,
  describeCell: (row: number, column: number) => string,
): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (Number.isFinite(value)) {
      continue;
    }

    const where = describeCell(Math.floor(i / columns), i % columns);
    if (Number.isNaN(value)) {
      throw new DatasetError(
        'missing-value',
        `${where} is NaN; fill in the missing values or drop the row`,
      );
    }

    throw new DatasetError('non-numeric', `${where} is ${value}; replace it with a finite number`);
  }
}
