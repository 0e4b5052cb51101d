import seedrandom from 'seedrandom';

import { DatasetError } from './errors';
import type { SplitOptions, Task } from './types';

/** Row indices of the training and validation sets, each in shuffled order. */
export interface SplitIndices {
  train: number[];
  validation: number[];
}

/** Per-feature mean and standard deviation of the training rows. */
export interface Standardisation {
  mean: number[];
  /** Population standard deviation; 1 where a feature is constant, so it is only centred. */
  std: number[];
}

/** Rejects split options outside their ranges, naming the option and the fix. */
export function validateSplitOptions(options: SplitOptions): void {
  const { validationFraction, seed, limit, testLimit } = options;

  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new DatasetError(
      'invalid-option',
      `validation fraction ${validationFraction} is outside (0, 1); use a value such as 0.2`,
    );
  }

  if (!Number.isFinite(seed)) {
    throw new DatasetError('invalid-option', `seed ${seed} is not a finite number; use an integer`);
  }

  for (const [option, value] of [
    ['limit', limit],
    ['test limit', testLimit],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new DatasetError(
        'invalid-option',
        `${option} ${value} is not a positive integer; use a row count such as 1000, or no limit`,
      );
    }
  }
}

/**
 * Splits rows into training and validation sets by a seeded shuffle (alea from `seedrandom`, so
 * the same seed gives the same split on every machine).
 *
 * For classification the split is stratified: each class is shuffled on its own, `limit` takes a
 * proportional share of every class, and each class gives the same fraction to validation. A class
 * with at least 2 rows keeps at least one row on each side, so the validation set can be slightly
 * larger than `validationFraction` when there are many small classes. Regression rows form a single
 * group. The validation size is `floor(rows * validationFraction)` before that adjustment, and 0
 * raises `empty-validation`.
 */
export function splitRows(
  labels: ArrayLike<number>,
  task: Task,
  options: SplitOptions,
): SplitIndices {
  validateSplitOptions(options);

  const random = seedrandom.alea(String(options.seed));
  const groups = groupRows(labels, task);
  groups.forEach((group) => shuffleInPlace(group, random));

  const subset = options.limit === undefined ? groups : takeStratified(groups, options.limit);
  const rows = subset.reduce((sum, group) => sum + group.length, 0);

  // The epsilon keeps 50 * 0.02 from rounding down to 0 through floating-point error.
  const validationRows = Math.floor(rows * options.validationFraction + 1e-9);
  if (validationRows === 0) {
    const minimum = roundUp(1 / rows);
    throw new DatasetError(
      'empty-validation',
      `validation fraction ${options.validationFraction} of ${rows} rows leaves no validation rows; raise --validation to at least ${minimum} or add rows`,
    );
  }

  const quotas = allocate(
    subset.map((group) => group.length),
    validationRows,
  );
  const train: number[] = [];
  const validation: number[] = [];

  subset.forEach((group, i) => {
    const count = group.length < 2 ? 0 : Math.min(Math.max(quotas[i], 1), group.length - 1);
    validation.push(...group.slice(0, count));
    train.push(...group.slice(count));
  });

  // Mix the classes so that batches taken in order are not sorted by class.
  shuffleInPlace(train, random);
  shuffleInPlace(validation, random);

  return { train, validation };
}

/** Computes each feature's mean and standard deviation over the given rows. */
export function fitStandardisation(
  x: ArrayLike<number>,
  features: number,
  rows: number[],
): Standardisation {
  const mean = new Array<number>(features).fill(0);
  const std = new Array<number>(features).fill(0);

  for (const row of rows) {
    for (let j = 0; j < features; j++) {
      mean[j] += x[row * features + j];
    }
  }
  for (let j = 0; j < features; j++) {
    mean[j] /= rows.length;
  }

  for (const row of rows) {
    for (let j = 0; j < features; j++) {
      const deviation = x[row * features + j] - mean[j];
      std[j] += deviation * deviation;
    }
  }
  for (let j = 0; j < features; j++) {
    const value = Math.sqrt(std[j] / rows.length);
    std[j] = value === 0 ? 1 : value;
  }

  return { mean, std };
}

/** Copies the given rows into a new array, standardised when `standardisation` is given. */
export function gatherRows(
  x: ArrayLike<number>,
  features: number,
  rows: ArrayLike<number>,
  standardisation?: Standardisation,
): Float32Array {
  const out = new Float32Array(rows.length * features);

  for (let i = 0; i < rows.length; i++) {
    const start = rows[i] * features;
    for (let j = 0; j < features; j++) {
      const value = x[start + j];
      out[i * features + j] = standardisation
        ? (value - standardisation.mean[j]) / standardisation.std[j]
        : value;
    }
  }

  return out;
}

/** Copies the targets of the given rows. */
export function gatherTargets(y: ArrayLike<number>, rows: ArrayLike<number>): Float32Array {
  return Float32Array.from({ length: rows.length }, (_, i) => y[rows[i]]);
}

/** Groups row indices by class (classification) or into one group (regression). */
function groupRows(labels: ArrayLike<number>, task: Task): number[][] {
  if (task === 'regression') {
    return [Array.from({ length: labels.length }, (_, i) => i)];
  }

  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const group = byClass.get(labels[i]) ?? [];
    group.push(i);
    byClass.set(labels[i], group);
  }

  // Sorted by class so that the split does not depend on which class appears first.
  return [...byClass.entries()].sort(([a], [b]) => a - b).map(([, group]) => group);
}

/** Takes a proportional share of each (already shuffled) group, `limit` rows in all. */
function takeStratified(groups: number[][], limit: number): number[][] {
  const sizes = groups.map((group) => group.length);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  if (limit >= total) {
    return groups;
  }

  const quotas = allocate(sizes, limit);

  return groups.map((group, i) => group.slice(0, quotas[i]));
}

/**
 * Shares `total` among groups in proportion to their sizes by the largest-remainder method, so the
 * shares sum to `total` exactly. Ties go to the earlier group.
 */
function allocate(sizes: number[], total: number): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((size) => (size * total) / sum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);

  const byRemainder = exact
    .map((value, i) => ({ i, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) {
      break;
    }
    shares[i] += 1;
    left -= 1;
  }

  return shares;
}

/** Fisher-Yates shuffle driven by the seeded generator. */
function shuffleInPlace(items: number[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

/** Rounds up to two significant digits, so the suggested fraction is enough (1/30 -> 0.034). */
function roundUp(value: number): number {
  const scale = 10 ** (1 - Math.floor(Math.log10(value)));
  return Math.ceil(value * scale - 1e-9) / scale;
}
