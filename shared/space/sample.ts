import { createRng, type Rng } from './random';
import type { Hyperparameter, IntParam, ParamValue, SearchSpace, TrialValues } from './types';
import { assertValidSpace } from './validate';
import {
  countCombinations,
  countValues,
  fromUnit,
  isDiscrete,
  roundGridValue,
  scaleOf,
  valueAt,
  type NumericParam,
} from './values';

/** Trials drawn by `sampleRandom`, with a note when fewer trials than requested are returned. */
export interface SampleResult {
  trials: TrialValues[];
  note?: string;
}

/** Largest number of points `enumerateGrid` returns. */
export const MAX_GRID_POINTS = 100_000;

/**
 * Redraws a trial that duplicates an earlier one at most this many times
 * before picking an unused combination directly.
 */
const MAX_REDRAWS = 100;

/**
 * Largest discrete space in which a duplicate that survives MAX_REDRAWS is
 * replaced by an unused combination found by listing them. A larger space
 * keeps the duplicate, which is then vanishingly unlikely.
 */
const MAX_LISTED_COMBINATIONS = 100_000;

/**
 * Draws one value of `p`, which must pass `validateSpace`. A continuous float
 * is uniform in its own scale (log-uniform on a log scale). A stepped number,
 * an int, a choice or a boolean is uniform over its candidate values, except
 * an int on a log scale without step, which is drawn log-uniformly.
 */
export function sampleValue(p: Hyperparameter, rng: Rng): ParamValue {
  switch (p.type) {
    case 'fixed':
      return p.value;
    case 'boolean':
      return rng.next() < 0.5;
    case 'choice':
      return p.values[rng.int(p.values.length)];
    case 'int':
    case 'float':
      return sampleNumber(p, rng);
  }
}

function sampleNumber(p: NumericParam, rng: Rng): number {
  if (p.type === 'int' && p.step === undefined && scaleOf(p) === 'log') {
    return sampleLogInt(p, rng);
  }

  if (isDiscrete(p)) {
    return valueAt(p, rng.int(countValues(p)));
  }

  return clamp(fromUnit(p, rng.next()), p.min, p.max);
}

/**
 * Draws an int log-uniformly as Keras Tuner's `Int` does: a log-uniform draw over
 * [min, max + 1) is rounded down. Each integer k thus gets the share of log
 * space that [k, k + 1) covers, and max can be drawn.
 */
function sampleLogInt(p: IntParam, rng: Rng): number {
  const draw = p.min * ((p.max + 1) / p.min) ** rng.next();

  return clamp(Math.floor(draw), p.min, p.max);
}

/**
 * Draws `count` trials from `space` with `seed`. Trial i is drawn from
 * `createRng(seed).fork(i)`, and a duplicate check looks only at earlier
 * trials, so the first n trials are the same whatever `count` is.
 *
 * In a fully discrete space with fewer combinations than `count`, returns
 * every combination once in a seeded random order, with a note. In a larger
 * discrete space, no trial repeats an earlier one.
 * Throws a SpaceError for an invalid space.
 */
export function sampleRandom(
  space: SearchSpace,
  count: number,
  seed: number | string,
): SampleResult {
  assertValidSpace(space);

  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(
      `trial count ${count} is not a whole number of at least 0; request 0 or more trials`,
    );
  }

  const root = createRng(seed);
  const total = countCombinations(space);

  if (total < count) {
    return {
      trials: shuffleCombinations(space, total, root.fork('order')),
      note: `the space has only ${total} distinct combinations; running each once instead of ${count} trials`,
    };
  }

  return { trials: drawDistinctTrials(space, count, root, total) };
}

function drawDistinctTrials(
  space: SearchSpace,
  count: number,
  root: Rng,
  total: number,
): TrialValues[] {
  const discrete = Number.isFinite(total);
  const seen = new Set<string>();
  const trials: TrialValues[] = [];

  for (let i = 0; i < count; i++) {
    const rng = root.fork(i);
    let trial = drawTrial(space, rng);

    // A continuous draw repeats with probability zero, so only discrete spaces are checked.
    if (discrete) {
      for (let attempt = 0; attempt < MAX_REDRAWS && seen.has(trialKey(space, trial)); attempt++) {
        trial = drawTrial(space, rng);
      }

      if (seen.has(trialKey(space, trial)) && total <= MAX_LISTED_COMBINATIONS) {
        trial = pickUnusedCombination(space, total, seen, rng);
      }

      seen.add(trialKey(space, trial));
    }

    trials.push(trial);
  }

  return trials;
}

function drawTrial(space: SearchSpace, rng: Rng): TrialValues {
  const trial: TrialValues = {};
  for (const p of space) {
    trial[p.name] = sampleValue(p, rng);
  }

  return trial;
}

/** Identifies a trial by its values in space order; JSON keeps 1, '1' and true apart. */
function trialKey(space: SearchSpace, trial: TrialValues): string {
  return JSON.stringify(space.map((p) => trial[p.name]));
}

function pickUnusedCombination(
  space: SearchSpace,
  total: number,
  seen: Set<string>,
  rng: Rng,
): TrialValues {
  let remaining = rng.int(total - seen.size);

  for (let index = 0; index < total; index++) {
    const trial = combinationAt(space, index);
    if (!seen.has(trialKey(space, trial)) && remaining-- === 0) {
      return trial;
    }
  }

  throw new Error(
    'pickUnusedCombination: every combination is used; the caller must check the count',
  );
}

function shuffleCombinations(space: SearchSpace, total: number, rng: Rng): TrialValues[] {
  const order = Array.from({ length: total }, (_, index) => index);

  // Fisher-Yates shuffle.
  for (let i = total - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }

  return order.map((index) => combinationAt(space, index));
}

/**
 * Returns combination `index` of a discrete space, counting with the last
 * hyperparameter changing fastest (the order of `enumerateGrid`).
 */
function combinationAt(space: SearchSpace, index: number): TrialValues {
  const positions: number[] = new Array<number>(space.length);

  for (let i = space.length - 1; i >= 0; i--) {
    const size = countValues(space[i]);
    positions[i] = index % size;
    index = Math.floor(index / size);
  }

  const trial: TrialValues = {};
  space.forEach((p, i) => {
    trial[p.name] = valueOfIndex(p, positions[i]);
  });

  return trial;
}

function valueOfIndex(p: Hyperparameter, k: number): ParamValue {
  switch (p.type) {
    case 'fixed':
      return p.value;
    case 'boolean':
      return k === 1;
    case 'choice':
      return p.values[k];
    case 'int':
    case 'float':
      return valueAt(p, k);
  }
}

/**
 * Lists every point of the grid over `space`, the first hyperparameter
 * changing slowest. A continuous float is cut into `pointsPerAxis` values
 * spaced evenly in its own scale, both bounds included (its midpoint when
 * `pointsPerAxis` is 1). Every other hyperparameter contributes all its
 * candidate values. Throws when the grid would have more than
 * MAX_GRID_POINTS points, and a SpaceError for an invalid space.
 */
export function enumerateGrid(space: SearchSpace, pointsPerAxis: number): TrialValues[] {
  assertValidSpace(space);

  if (!Number.isInteger(pointsPerAxis) || pointsPerAxis < 1) {
    throw new RangeError(
      `points per axis ${pointsPerAxis} is not a whole number of at least 1; use 2 or more`,
    );
  }

  const sizes = space.map((p) => axisSize(p, pointsPerAxis));
  const total = sizes.reduce((product, size) => product * size, 1);

  if (total > MAX_GRID_POINTS) {
    const axes = space.map((p, i) => `${p.name} ${sizes[i]}`).join(' x ');
    throw new RangeError(
      `the grid would have ${total} points (${axes}), more than ${MAX_GRID_POINTS}; ` +
        'lower the points per axis, set larger steps, or use random search',
    );
  }

  const axes = space.map((p) => axisValues(p, pointsPerAxis));

  return axes.reduce<TrialValues[]>(
    (partial, values, i) =>
      partial.flatMap((trial) => values.map((value) => ({ ...trial, [space[i].name]: value }))),
    [{}],
  );
}

function axisSize(p: Hyperparameter, pointsPerAxis: number): number {
  if (isDiscrete(p)) {
    return countValues(p);
  }

  return p.type === 'float' && p.min === p.max ? 1 : pointsPerAxis;
}

function axisValues(p: Hyperparameter, pointsPerAxis: number): ParamValue[] {
  const size = axisSize(p, pointsPerAxis);

  if (isDiscrete(p)) {
    return Array.from({ length: size }, (_, k) => valueOfIndex(p, k));
  }

  const numeric = p as NumericParam;
  if (size === 1) {
    return [numeric.min === numeric.max ? numeric.min : fromUnit(numeric, 0.5)];
  }

  const raw = Array.from({ length: size }, (_, k) => fromUnit(numeric, k / (size - 1)));
  const smallestGap = raw.reduce(
    (gap, value, k) => (k === 0 ? gap : Math.min(gap, value - raw[k - 1])),
    Infinity,
  );

  // The ends are the bounds exactly (fromUnit returns them for 0 and 1), so only inner points are rounded.
  return raw.map((value, k) =>
    k === 0 || k === size - 1 ? value : roundGridValue(numeric, value, smallestGap),
  );
}

function clamp(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, x));
}
