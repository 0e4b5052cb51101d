import type { FloatParam, Hyperparameter, IntParam, ParamValue, Scale, SearchSpace } from './types';

/** An `int` or `float` hyperparameter. */
export type NumericParam = IntParam | FloatParam;

/**
 * Relative tolerance under which a computed grid position counts as exact, so
 * that floating-point rounding neither drops `max` from a grid nor adds a value
 * beyond it.
 */
const GRID_TOLERANCE = 1e-9;

/** Significant digits kept in computed values of a log grid, so 1e-4 * 10 ** 3 comes out as 0.1. */
const GRID_DIGITS = 12;

/**
 * Largest number of values `candidateValues` lists. Larger sets (an int over
 * 0..1e9, say) are sampled by index with `valueAt` without being listed.
 */
export const MAX_LISTED_VALUES = 1_000_000;

/** Returns whether `p` is an `int` or a `float`. */
export function isNumeric(p: Hyperparameter): p is NumericParam {
  return p.type === 'int' || p.type === 'float';
}

/** Scale of a numeric hyperparameter; `linear` when unset. */
export function scaleOf(p: NumericParam): Scale {
  return p.scale ?? 'linear';
}

/**
 * Returns whether `p` takes only finitely many values. Only a float without `step`
 * is continuous. An int on a log scale without `step` is discrete (every
 * integer in range) although its draws are log-uniform.
 */
export function isDiscrete(p: Hyperparameter): boolean {
  return !(p.type === 'float' && p.step === undefined);
}

/** Number of values `p` can take: Infinity for a continuous float. */
export function countValues(p: Hyperparameter): number {
  switch (p.type) {
    case 'fixed':
      return 1;
    case 'boolean':
      return 2;
    case 'choice':
      return p.values.length;
    case 'int':
    case 'float':
      return isDiscrete(p) ? countGridValues(p) : Infinity;
  }
}

/** Number of distinct trials the space allows: the product of `countValues`, Infinity when any float is continuous. */
export function countCombinations(space: SearchSpace): number {
  return space.reduce((product, p) => product * countValues(p), 1);
}

/**
 * Lists every value `p` can take, in ascending order for numbers (the list's
 * order for a choice, `[false, true]` for a boolean), or returns undefined for
 * a continuous float.
 *
 * Stepped grids follow Keras Tuner: linear `min + k * step`, log
 * `min * step ** k`, reverse_log `max + min - min * step ** k` (anchored at
 * `max`, denser towards it). `max` is included whenever it lies on the grid
 * despite floating-point rounding, and float values are rounded to drop
 * that noise (see `roundGridValue`), so 0.1..0.5 with step 0.1 gives exactly
 * [0.1, 0.2, 0.3, 0.4, 0.5].
 * `p` must pass `validateSpace`. Throws a RangeError for more than
 * MAX_LISTED_VALUES values.
 */
export function candidateValues(p: Hyperparameter): ParamValue[] | undefined {
  switch (p.type) {
    case 'fixed':
      return [p.value];
    case 'boolean':
      return [false, true];
    case 'choice':
      return [...p.values];
    case 'int':
    case 'float':
      return listGridValues(p);
  }
}

function listGridValues(p: NumericParam): number[] | undefined {
  if (!isDiscrete(p)) {
    return undefined;
  }

  const count = countGridValues(p);
  if (count > MAX_LISTED_VALUES) {
    throw new RangeError(
      `hyperparameter '${p.name}' has ${count} candidate values, more than ${MAX_LISTED_VALUES}; ` +
        'sample it with sampleValue instead of listing it, or set a larger step',
    );
  }

  return Array.from({ length: count }, (_, k) => valueAt(p, k));
}

/**
 * Number of points on the grid of a discrete numeric hyperparameter. An int
 * without `step` counts every integer in range. Ints are counted exactly; for
 * floats a ratio within GRID_TOLERANCE of a whole number counts as whole.
 */
function countGridValues(p: NumericParam): number {
  if (p.min === p.max) {
    return 1;
  }

  const scale = scaleOf(p);
  const step = p.step ?? 1;

  if (p.type === 'int') {
    return scale === 'log' && p.step !== undefined
      ? countIntPowers(p.min, p.max, step)
      : Math.floor((p.max - p.min) / step) + 1;
  }

  const positions =
    scale === 'linear' ? (p.max - p.min) / step : Math.log(p.max / p.min) / Math.log(step);

  return floorWithTolerance(positions) + 1;
}

/** Counts min, min * step, min * step ** 2, ... up to max in exact integer arithmetic. */
function countIntPowers(min: number, max: number, step: number): number {
  let count = 1;
  for (let value = min * step; value <= max; value *= step) {
    count++;
  }

  return count;
}

function floorWithTolerance(x: number): number {
  const nearest = Math.round(x);
  if (Math.abs(x - nearest) <= GRID_TOLERANCE * Math.max(1, Math.abs(x))) {
    return nearest;
  }

  return Math.floor(x);
}

/**
 * Returns the k-th value (0-based, ascending) of a discrete numeric
 * hyperparameter without listing the others. `k` must be an integer in
 * [0, countValues(p)).
 */
export function valueAt(p: NumericParam, k: number): number {
  if (p.min === p.max) {
    return p.min;
  }

  const scale = scaleOf(p);

  // An int without step has every integer in range, whatever its scale.
  if (p.type === 'int' && p.step === undefined) {
    return p.min + k;
  }

  const step = p.step as number;
  const last = countGridValues(p) - 1;
  let value: number;

  if (scale === 'linear') {
    value = k === last && isNearLinear(p.min + k * step, p) ? p.max : p.min + k * step;
  } else if (scale === 'log') {
    const raw = p.min * step ** k;
    value = k === last && isNearLog(raw, p) ? p.max : raw;
  } else {
    // Keras Tuner anchors the reverse_log grid at max: index j = 0 is max.
    const j = last - k;
    const raw = p.max + p.min - p.min * step ** j;
    value = j === 0 ? p.max : k === 0 && isNearLinear(raw, p, p.min) ? p.min : raw;
  }

  return tidyGridValue(p, value);
}

function isNearLinear(raw: number, p: NumericParam, bound = p.max): boolean {
  return Math.abs(raw - bound) <= GRID_TOLERANCE * (p.max - p.min);
}

function isNearLog(raw: number, p: NumericParam): boolean {
  return Math.abs(Math.log(raw / p.max)) <= GRID_TOLERANCE * Math.max(1, Math.log(p.max / p.min));
}

/** Rounds away floating-point noise and clamps to the bounds. */
function tidyGridValue(p: NumericParam, value: number): number {
  const clamped = Math.min(p.max, Math.max(p.min, value));

  // The bounds are kept as the user wrote them, whatever their number of digits.
  if (clamped === p.min || clamped === p.max) {
    return clamped;
  }

  if (p.type === 'int') {
    return Math.round(clamped);
  }

  return roundGridValue(p, clamped, gridResolution(p));
}

/** Smallest gap between two neighbouring grid values. */
function gridResolution(p: FloatParam): number {
  const step = p.step ?? 0;

  return scaleOf(p) === 'linear' ? step : p.min * (step - 1);
}

/**
 * Rounds away the floating-point noise in a computed grid value of `p`, given
 * the smallest gap between neighbouring values. Log grids keep 12 significant
 * digits, because their values span decades. Linear and reverse_log grids are
 * rounded to a billionth of the gap, so a value near zero such as
 * -0.15 + 3 * 0.05 becomes 0. Returns `x` unchanged when the noise could be
 * as large as that rounding.
 */
export function roundGridValue(p: NumericParam, x: number, smallestGap: number): number {
  if (!(smallestGap > 0) || !Number.isFinite(x)) {
    return x;
  }

  if (scaleOf(p) === 'log') {
    return smallestGap / p.min < 1e-9 ? x : Number(x.toPrecision(GRID_DIGITS));
  }

  const quantum = smallestGap * 1e-9;
  const magnitude = Math.max(Math.abs(p.min), Math.abs(p.max));
  if (quantum < magnitude * 1e-14) {
    return x;
  }

  const exponent = Math.floor(Math.log10(quantum));
  if (exponent >= 0) {
    return Math.round(x / 10 ** exponent) * 10 ** exponent;
  }

  // toFixed rounds in decimal, so 0.30000000000000004 becomes exactly 0.3.
  return Number(x.toFixed(Math.min(100, -exponent)));
}

/**
 * Maps a numeric value to [0, 1] in the parameter's own scale, as Keras Tuner
 * does: linear `(v - min) / (max - min)`, log `ln(v / min) / ln(max / min)`,
 * reverse_log `1 - ln((max + min - v) / min) / ln(max / min)`. Returns 0.5
 * when `min == max`. Values outside the bounds map outside [0, 1] (or to NaN
 * on a log scale below 0).
 */
export function toUnit(p: NumericParam, value: number): number {
  if (p.min === p.max) {
    return 0.5;
  }

  switch (scaleOf(p)) {
    case 'linear':
      return (value - p.min) / (p.max - p.min);
    case 'log':
      return Math.log(value / p.min) / Math.log(p.max / p.min);
    case 'reverse_log':
      return 1 - Math.log((p.max + p.min - value) / p.min) / Math.log(p.max / p.min);
  }
}

/**
 * Maps `u` in [0, 1] to a value in the parameter's own scale, the inverse of
 * `toUnit`: linear `min + u * (max - min)`, log `min * (max / min) ** u`,
 * reverse_log `max + min - min * (max / min) ** (1 - u)` (Keras Tuner's
 * formula, so values are dense near `max`). `u = 0` and `u = 1` give `min`
 * and `max` exactly. The result is not rounded to an int or snapped to `step`.
 */
export function fromUnit(p: NumericParam, u: number): number {
  if (p.min === p.max || u <= 0) {
    return p.min;
  }

  if (u >= 1) {
    return p.max;
  }

  switch (scaleOf(p)) {
    case 'linear':
      return p.min + u * (p.max - p.min);
    case 'log':
      return p.min * (p.max / p.min) ** u;
    case 'reverse_log':
      return p.max + p.min - p.min * (p.max / p.min) ** (1 - u);
  }
}

/**
 * Returns the index of the largest grid value at or below `x` (0 when `x` is
 * below the grid), for a discrete numeric hyperparameter. A binary search,
 * so it works on grids too large to list.
 */
export function gridIndexAtOrBelow(p: NumericParam, x: number): number {
  let low = 0;
  let high = countGridValues(p) - 1;

  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (valueAt(p, middle) <= x) {
      low = middle;
    } else {
      high = middle - 1;
    }
  }

  return low;
}

/**
 * Returns the index of the smallest grid value at or above `x` (the last
 * index when `x` is above the grid), for a discrete numeric hyperparameter.
 */
export function gridIndexAtOrAbove(p: NumericParam, x: number): number {
  let low = 0;
  let high = countGridValues(p) - 1;

  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (valueAt(p, middle) >= x) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }

  return low;
}
