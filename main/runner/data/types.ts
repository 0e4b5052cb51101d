import type { DatasetSource, Task } from '../../../shared/dataset';

export type { DatasetSource, Task };

/** Options that shape the split; part of a study's settings. */
export interface SplitOptions {
  /** Fraction of the training rows held out for validation, in (0, 1). */
  validationFraction: number;
  /** Seed of the shuffle; the split is stratified by class for classification. */
  seed: number;
  /** Use only the first N rows of the shuffled training data (a subset for quick runs). */
  limit?: number;
  /** Use only the first N rows of the test set. */
  testLimit?: number;
}

/** Rows of features and targets, row-major. */
export interface Examples {
  /** `rows * features` values, already normalised. */
  x: Float32Array;
  /** Class index (classification) or target value (regression), one per row. */
  y: Float32Array;
  rows: number;
}

/**
 * Feature scaling applied by `loadDataset`, kept so that new inputs can be scaled the same way at
 * prediction time. IDX images are divided by 255. CSV and NPY features are standardised with the
 * training split's mean and standard deviation.
 */
export type Normalisation =
  { method: 'scale'; divisor: number } | { method: 'standardise'; mean: number[]; std: number[] };

/** A dataset loaded into memory and split, ready for training. */
export interface PreparedDataset {
  task: Task;
  features: number;
  /** Number of classes for classification; 1 for regression. */
  classes: number;
  /** Class names when the source has them (CSV string labels); otherwise undefined. */
  classNames?: string[];
  featureNames?: string[];
  /** Scaling applied to every split's features; set by `loadDataset`. */
  normalisation?: Normalisation;
  train: Examples;
  validation: Examples;
  test?: Examples;
}
