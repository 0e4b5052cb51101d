/**
 * Importance of hyperparameters: how much each one explains the objective.
 *
 * The method is permutation importance on a random-forest regressor from
 * ml-random-forest, as Breiman describes it ("Random Forests", Machine
 * Learning 45, 2001) and scikit-learn's `permutation_importance` implements
 * it. A forest is fitted on the encoded hyperparameters of the completed
 * trials. A hyperparameter's importance is then the mean increase of the
 * forest's held-out mean squared error when that hyperparameter's columns
 * are shuffled across the trials. The error is held out by k-fold cross
 * validation: each trial is predicted by the forest of the folds it is not
 * in. The shuffle runs over all trials, not within a fold, so it still
 * mixes values when a small study leaves only a few trials per fold.
 */
import { RandomForestRegression } from 'ml-random-forest';
import type { ImportanceResult, ParamImportance } from '../../shared/analysis/types';
import { scoredTrials } from '../../shared/analysis/objective';
import { createRng, type Rng } from '../../shared/space/random';
import type { Hyperparameter, SearchSpace } from '../../shared/space/types';
import { scaleOf } from '../../shared/space/values';
import type { TrialRecord } from '../../shared/study';

/** Completed trials below which importance is not computed, because a forest on fewer mostly fits noise. */
export const MIN_IMPORTANCE_TRIALS = 8;

/** Settings of `computeImportance` and `permutationImportance`. */
export interface ImportanceOptions {
  /** Trees per forest (default 100 for up to SMALL_STUDY rows, else 32). */
  trees?: number;
  /** Cross-validation folds, reduced to the number of rows when fewer (default 5, else 4). */
  folds?: number;
  /** Shuffles of each column group, averaged (default 10, else 5). */
  repeats?: number;
  /** Seed of the folds, the shuffles, the forest and the subsample (default 0). */
  seed?: number;
  /**
   * Largest number of trials the forest is fitted on; a seeded sample is
   * taken from larger studies (default 200). The regression trees of
   * ml-random-forest 2.1 (through ml-cart) try every split point of every
   * column at every node, so their cost grows with the square of the rows:
   * 200 trials over 6 hyperparameters take about a second on one core.
   */
  maxTrials?: number;
}

/** A named group of columns of the feature matrix: one hyperparameter, which may be one-hot encoded. */
export interface FeatureGroup {
  name: string;
  columns: number[];
}

/** A feature matrix with its column groups, as `permutationImportance` reads it. */
export interface EncodedFeatures {
  rows: number[][];
  groups: FeatureGroup[];
}

/**
 * Rows up to which the forests are larger and the shuffles more: a small
 * study's estimate is noisy, and at this size a forest costs little.
 */
export const SMALL_STUDY = 50;

/** Largest number of trials the forests are fitted on unless `maxTrials` is set. */
export const DEFAULT_MAX_TRIALS = 200;

const SMALL_DEFAULTS = { trees: 100, folds: 5, repeats: 10 };
const LARGE_DEFAULTS = { trees: 32, folds: 4, repeats: 5 };

function settingsFor(rows: number, options: ImportanceOptions) {
  const sized = rows <= SMALL_STUDY ? SMALL_DEFAULTS : LARGE_DEFAULTS;
  return { ...sized, seed: 0, maxTrials: DEFAULT_MAX_TRIALS, ...options };
}

/**
 * Computes the importance of each hyperparameter of `space` for the
 * objective of the completed trials with a finite objective. Log-scaled
 * numbers are encoded in log10, a boolean as 0 or 1, and a choice one-hot,
 * its columns shuffled together. A hyperparameter with a single value among
 * the trials (a fixed one, say) explains nothing and gets importance 0.
 * Fewer than MIN_IMPORTANCE_TRIALS trials give an `insufficient` result, not
 * an error.
 */
export function computeImportance(
  space: SearchSpace,
  trials: TrialRecord[],
  options: ImportanceOptions = {},
): ImportanceResult {
  let scored = scoredTrials(trials);
  const settings = settingsFor(
    Math.min(scored.length, options.maxTrials ?? DEFAULT_MAX_TRIALS),
    options,
  );
  const method = describeMethod(settings.trees, settings.folds);

  if (scored.length < MIN_IMPORTANCE_TRIALS) {
    return {
      status: 'insufficient',
      method,
      trials: scored.length,
      required: MIN_IMPORTANCE_TRIALS,
      message: `importance needs at least ${MIN_IMPORTANCE_TRIALS} completed trials with an objective, and this study has ${scored.length}; run more trials`,
    };
  }

  let note: string | null = null;
  if (scored.length > settings.maxTrials) {
    note = `computed on a seeded random sample of ${settings.maxTrials} of the ${scored.length} completed trials, to keep the forest fast`;
    scored = sampleRows(scored, settings.maxTrials, createRng(settings.seed).fork('sample'));
  }

  const features = encodeTrials(space, scored);
  const target = scored.map((trial) => trial.objective);
  const params = permutationImportance(features, target, settings);

  // Hyperparameters left out of the matrix (one value only) are listed with 0, in the space's order.
  const byName = new Map(params.map((item) => [item.name, item]));
  return {
    status: 'ok',
    method,
    trials: scored.length,
    params: space.map((p) => byName.get(p.name) ?? { name: p.name, importance: 0, rawIncrease: 0 }),
    note,
  };
}

function describeMethod(trees: number, folds: number): string {
  return `permutation importance on a random forest, ${trees} trees (ml-random-forest), held-out error from ${folds}-fold cross validation`;
}

/**
 * Encodes trials as a feature matrix, one group per hyperparameter that
 * takes more than one value among them. A missing or non-numeric value of a
 * number becomes the median of the others, so one odd trial does not
 * drop the column.
 */
export function encodeTrials(space: SearchSpace, trials: TrialRecord[]): EncodedFeatures {
  const columns: number[][] = [];
  const groups: FeatureGroup[] = [];

  for (const p of space) {
    const encoded = encodeParam(p, trials);
    if (encoded.length === 0) {
      continue;
    }

    groups.push({ name: p.name, columns: encoded.map((_, index) => columns.length + index) });
    columns.push(...encoded);
  }

  const rows = trials.map((_, row) => columns.map((column) => column[row]));
  return { rows, groups };
}

/** Returns the columns of one hyperparameter, or none when it takes a single value. */
function encodeParam(p: Hyperparameter, trials: TrialRecord[]): number[][] {
  const values = trials.map((trial) => trial.values[p.name]);
  if (new Set(values).size < 2) {
    return [];
  }

  if (p.type === 'int' || p.type === 'float') {
    const log = scaleOf(p) === 'log';
    const numbers = values.map((value) =>
      typeof value === 'number' && Number.isFinite(value) && (!log || value > 0)
        ? log
          ? Math.log10(value)
          : value
        : NaN,
    );
    const fill = medianOf(numbers.filter((x) => !Number.isNaN(x)));
    return [numbers.map((x) => (Number.isNaN(x) ? fill : x))];
  }

  if (p.type === 'boolean') {
    return [values.map((value) => (value === true ? 1 : 0))];
  }

  // A choice (or a fixed value that earlier trials did not share) is one-hot encoded.
  const categories = [...new Set(values)];
  return categories.map((category) => values.map((value) => (value === category ? 1 : 0)));
}

function medianOf(values: number[]): number {
  if (values.length === 0) {
    return 0;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Computes permutation importance of each column group of `features` for
 * `target` (see the module comment). Importances are the mean error increases
 * with negative means set to 0 (shuffling a useless column can lower the
 * error by chance), normalised to sum to 1. When no group raises the error,
 * every importance is 0. Throws for fewer than 2 rows, a target with a
 * non-finite value, or rows and target of different lengths.
 */
export function permutationImportance(
  features: EncodedFeatures,
  target: number[],
  options: ImportanceOptions = {},
): ParamImportance[] {
  const settings = settingsFor(target.length, options);
  checkInputs(features, target);
  if (features.groups.length === 0) {
    return [];
  }

  const rng = createRng(settings.seed);
  const folds = assignFolds(
    target.length,
    Math.min(settings.folds, target.length),
    rng.fork('folds'),
  );
  const forests = folds.map((heldOut, fold) =>
    trainForest(features, target, heldOut, fold, settings.trees, rng),
  );
  const baseline = meanSquaredError(predictHeldOut(forests, folds, features.rows), target);

  const raw = features.groups.map((group, index) => {
    let total = 0;
    for (let repeat = 0; repeat < settings.repeats; repeat++) {
      const rows = shuffleColumns(
        features.rows,
        group.columns,
        rng.fork(`shuffle/${index}/${repeat}`),
      );
      total += meanSquaredError(predictHeldOut(forests, folds, rows), target) - baseline;
    }
    return total / settings.repeats;
  });
  const positive = raw.map((x) => Math.max(0, x));
  const sum = positive.reduce((total, x) => total + x, 0);

  return features.groups.map((group, index) => ({
    name: group.name,
    importance: sum > 0 ? positive[index] / sum : 0,
    rawIncrease: raw[index],
  }));
}

/** Fits a forest on every row outside fold `fold`. */
function trainForest(
  features: EncodedFeatures,
  target: number[],
  heldOut: number[],
  fold: number,
  trees: number,
  rng: Rng,
): RandomForestRegression {
  const training = complement(heldOut, target.length);
  const forest = new RandomForestRegression({
    nEstimators: trees,
    seed: seedFor(rng.fork(`forest/${fold}`)),
    maxFeatures: 1.0,
    replacement: false,
    useSampleBagging: true,
    noOOB: true,
  });

  forest.train(
    training.map((row) => features.rows[row]),
    training.map((row) => target[row]),
  );
  return forest;
}

/** Predicts each row with the forest that did not see it: row i by the forest of i's fold. */
function predictHeldOut(
  forests: RandomForestRegression[],
  folds: number[][],
  rows: number[][],
): number[] {
  const predictions = new Array<number>(rows.length);

  folds.forEach((heldOut, fold) => {
    const predicted = forests[fold].predict(heldOut.map((row) => rows[row]));
    heldOut.forEach((row, index) => {
      predictions[row] = predicted[index];
    });
  });
  return predictions;
}

function checkInputs(features: EncodedFeatures, target: number[]): void {
  if (features.rows.length !== target.length) {
    throw new Error(
      `the feature matrix has ${features.rows.length} rows but the target has ${target.length} values; pass one target value per row`,
    );
  }

  if (target.length < 2) {
    throw new Error(`permutation importance needs at least 2 rows, got ${target.length}`);
  }

  const bad = target.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    throw new Error(
      `target value ${target[bad]} at row ${bad} is not a finite number; drop that row`,
    );
  }
}

/** Splits row indexes 0..n-1 into `k` folds of near-equal size after a seeded shuffle. */
function assignFolds(n: number, k: number, rng: Rng): number[][] {
  const order = shuffled(
    Array.from({ length: n }, (_, index) => index),
    rng,
  );
  const folds: number[][] = Array.from({ length: k }, () => []);
  order.forEach((row, position) => folds[position % k].push(row));
  return folds;
}

function complement(rows: number[], n: number): number[] {
  const excluded = new Set(rows);
  return Array.from({ length: n }, (_, index) => index).filter((index) => !excluded.has(index));
}

/** Returns copies of `rows` with the given columns moved together to a shuffled row order. */
function shuffleColumns(rows: number[][], columns: number[], rng: Rng): number[][] {
  const order = shuffled(
    rows.map((_, index) => index),
    rng,
  );
  return rows.map((row, index) => {
    const copy = [...row];
    for (const column of columns) {
      copy[column] = rows[order[index]][column];
    }
    return copy;
  });
}

/** Fisher-Yates shuffle of a copy of `items`. */
function shuffled<T>(items: T[], rng: Rng): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = rng.int(index + 1);
    [copy[index], copy[other]] = [copy[other], copy[index]];
  }
  return copy;
}

function sampleRows<T>(items: T[], count: number, rng: Rng): T[] {
  return shuffled(items, rng).slice(0, count);
}

/** Returns a 31-bit integer seed, as ml-random-forest's Mersenne Twister requires. */
function seedFor(rng: Rng): number {
  return rng.int(2 ** 31 - 1);
}

function meanSquaredError(predicted: number[], actual: number[]): number {
  let total = 0;
  for (let index = 0; index < actual.length; index++) {
    total += (predicted[index] - actual[index]) ** 2;
  }
  return total / actual.length;
}
