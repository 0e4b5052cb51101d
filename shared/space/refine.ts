import { isFiniteObjective, rankTrials } from './rank';
import type {
  BooleanParam,
  ChoiceParam,
  Direction,
  Hyperparameter,
  SearchSpace,
  SpaceIssue,
  TrialValues,
} from './types';
import { assertValidSpace, validateSpace } from './validate';
import {
  countValues,
  fromUnit,
  gridIndexAtOrAbove,
  gridIndexAtOrBelow,
  isDiscrete,
  scaleOf,
  toUnit,
  valueAt,
  type NumericParam,
} from './values';

/** A finished trial as refinement reads it; a null objective counts as missing. */
export interface ScoredTrial {
  values: TrialValues;
  objective: number | null;
}

/** Options of `proposeRefinement`: the number of top trials and the widening beyond them. */
export interface RefineOptions {
  /** Number of best trials to refine around; takes precedence over `topPercent`. */
  topK?: number;
  /** Share of the trials with a finite objective, in percent (at least one trial); default 25. */
  topPercent?: number;
  /** Widening on each side, as a fraction of the span of the top trials; default 0.25. */
  margin?: number;
}

/** A proposed refined space, for the user to edit before launching the refined study. */
export interface Refinement {
  space: SearchSpace;
  warnings: SpaceIssue[];
  /** Number of top trials the proposal is based on. */
  top: number;
}

/** Share of the trials used when neither `topK` nor `topPercent` is given, in percent. */
export const DEFAULT_TOP_PERCENT = 25;

/** Widening on each side as a fraction of the top trials' span, when `margin` is not given. */
export const DEFAULT_MARGIN = 0.25;

/**
 * Widening on each side, as a fraction of the parent's range in its own scale,
 * when every top trial used the same value, so the refined range is not a
 * single point just because the top trials agree.
 */
const ZERO_SPAN_WIDENING = 0.05;

/** Relative tolerance for deciding that a value sits on a bound. */
const BOUND_TOLERANCE = 1e-9;

/**
 * Proposes a refined space around the best trials of a study over `space`.
 *
 * Trials without a finite objective are ignored. For each int and float, the
 * top trials' span is measured in the parameter's own scale (log space for
 * log) and widened by `margin` times the span on each side. The result is
 * clipped to the parent's bounds and snapped to the nearest values of the parent's grid,
 * and keeps the parent's scale and step. A choice keeps the values the top
 * trials used, in the parent's order. A boolean becomes fixed when the top
 * trials agree. A warning is added for each number whose best trial sits on a
 * parent bound, because the region should then be widened there, not narrowed.
 *
 * The refined space passes `validateSpace` and lies inside the parent.
 * Throws when no trial has a finite objective, when `topK` is below 1 or
 * `topPercent` is outside (0, 100], and a SpaceError for an invalid `space`.
 */
export function proposeRefinement(
  space: SearchSpace,
  trials: ScoredTrial[],
  direction: Direction,
  options: RefineOptions = {},
): Refinement {
  assertValidSpace(space);
  const margin = options.margin ?? DEFAULT_MARGIN;
  if (!Number.isFinite(margin) || margin < 0) {
    throw new RangeError(
      `margin ${margin} is not a number of at least 0; use a fraction such as 0.25`,
    );
  }

  const scored = trials.filter((trial) => isFiniteObjective(trial.objective));
  if (scored.length === 0) {
    throw new Error(
      `none of the ${trials.length} trials has a finite objective; complete at least one trial before refining`,
    );
  }

  const top = rankTrials(scored, direction).slice(0, countTopTrials(scored.length, options));
  const warnings: SpaceIssue[] = [];
  const refined = space.map((p) => refineParam(p, top, margin, warnings));

  const { errors } = validateSpace(refined);
  if (errors.length > 0) {
    // An invalid proposal is a bug in this module, not a user error, so it is not a SpaceError.
    throw new Error(`the refined space is invalid: ${errors.map((e) => e.message).join('; ')}`);
  }

  return { space: refined, warnings, top: top.length };
}

function countTopTrials(available: number, options: RefineOptions): number {
  const { topK, topPercent } = options;

  if (topK !== undefined) {
    if (!Number.isInteger(topK) || topK < 1) {
      throw new RangeError(`topK ${topK} is not a whole number of at least 1; use 1 or more`);
    }

    return Math.min(topK, available);
  }

  const percent = topPercent ?? DEFAULT_TOP_PERCENT;
  if (!Number.isFinite(percent) || percent <= 0 || percent > 100) {
    throw new RangeError(`topPercent ${percent} is outside (0, 100]; use a percentage such as 25`);
  }

  return Math.max(1, Math.ceil((available * percent) / 100));
}

function refineParam(
  p: Hyperparameter,
  top: ScoredTrial[],
  margin: number,
  warnings: SpaceIssue[],
): Hyperparameter {
  switch (p.type) {
    case 'int':
    case 'float':
      return refineNumeric(p, top, margin, warnings);
    case 'choice':
      return refineChoice(p, top, warnings);
    case 'boolean':
      return refineBoolean(p, top);
    case 'fixed':
      return { ...p };
  }
}

// ---------------------------------------------------------------- int and float

function refineNumeric(
  p: NumericParam,
  top: ScoredTrial[],
  margin: number,
  warnings: SpaceIssue[],
): NumericParam {
  // Values outside the parent (from trials of an earlier space) are clipped to it.
  const values = top
    .map((trial) => trial.values[p.name])
    .filter((value): value is number => typeof value === 'number' && Number.isFinite(value))
    .map((value) => Math.min(p.max, Math.max(p.min, value)));

  if (values.length === 0) {
    warnings.push({
      name: p.name,
      message: `hyperparameter '${p.name}': no top trial has a numeric value for it, so the parent range is kept; check that the trials come from this space`,
    });
    return { ...p };
  }

  warnIfBestOnBound(p, top[0].values[p.name], warnings);

  if (p.min === p.max) {
    return { ...p };
  }

  const [rawMin, rawMax] = widenInUnitSpace(p, values, margin);

  if (!isDiscrete(p)) {
    return {
      ...p,
      min: roundDownForBound(rawMin, rawMax - rawMin, p.min, Math.min(...values)),
      max: roundUpForBound(rawMax, rawMax - rawMin, p.max, Math.max(...values)),
    };
  }

  return snapToParentGrid(p, rawMin, rawMax, values, warnings);
}

/**
 * Returns the top values' span in the parameter's own scale, widened on each
 * side and mapped back to values within the parent's bounds. The result
 * always contains every top value, also when the margin is 0.
 */
function widenInUnitSpace(p: NumericParam, values: number[], margin: number): [number, number] {
  const units = values.map((value) => Math.min(1, Math.max(0, toUnit(p, value))));
  const low = Math.min(...units);
  const high = Math.max(...units);
  const span = high - low;
  const widening = span > 0 ? margin * span : ZERO_SPAN_WIDENING;

  const rawMin = fromUnit(p, Math.max(0, low - widening));
  const rawMax = fromUnit(p, Math.min(1, high + widening));

  // A unit-space round trip may move a value by one ulp; the top values themselves must stay inside.
  return [Math.min(rawMin, ...values), Math.max(rawMax, ...values)];
}

/**
 * Moves each refined bound to the nearest value of the parent's grid (nearest
 * in the parameter's own scale), so the refined grid is a subset of the
 * parent's. Snapping outward would turn a margin of a fraction of one step
 * into a whole step on a coarse grid (32 and 64 on a log grid of step 2 would
 * become 16..128). The bounds never move past the top values, which lie on the
 * grid themselves.
 */
function snapToParentGrid(
  p: NumericParam,
  rawMin: number,
  rawMax: number,
  values: number[],
  warnings: SpaceIssue[],
): NumericParam {
  const lowestTop = gridIndexAtOrBelow(p, Math.min(...values));
  const highestTop = gridIndexAtOrAbove(p, Math.max(...values));
  const min = valueAt(p, Math.min(nearestGridIndex(p, rawMin), lowestTop));
  const max = valueAt(p, Math.max(nearestGridIndex(p, rawMax), highestTop));

  // Keras Tuner anchors a reverse_log grid at max and scales it by min. The
  // parent's step on a narrower range would therefore draw values off the
  // parent's grid, so the refined range is continuous instead.
  // NOTE: this drops `step`, unlike every other refined number.
  if (min === p.min && max === p.max) {
    return { ...p };
  }

  if (p.type === 'float' && p.step !== undefined && scaleOf(p) === 'reverse_log') {
    warnings.push({
      name: p.name,
      field: 'step',
      message: `hyperparameter '${p.name}': a reverse_log grid cannot be narrowed onto the parent's values, so the refined range ${min}..${max} has no step; set a step or list the values as a choice to keep it discrete`,
    });
    const { step: _dropped, ...continuous } = p;
    return { ...continuous, min, max };
  }

  return { ...p, min, max };
}

/** Returns the index of the grid value closest to `x` in the parameter's own scale. */
function nearestGridIndex(p: NumericParam, x: number): number {
  const below = gridIndexAtOrBelow(p, x);
  const above = gridIndexAtOrAbove(p, x);
  const target = toUnit(p, x);
  const belowDistance = Math.abs(target - toUnit(p, valueAt(p, below)));
  const aboveDistance = Math.abs(toUnit(p, valueAt(p, above)) - target);

  return aboveDistance < belowDistance ? above : below;
}

function warnIfBestOnBound(p: NumericParam, best: unknown, warnings: SpaceIssue[]): void {
  if (typeof best !== 'number' || p.min === p.max) {
    return;
  }

  const tolerance = BOUND_TOLERANCE * (p.max - p.min);
  // On a grid that stops short of max, the largest grid value is the effective upper bound.
  const top = isDiscrete(p) ? valueAt(p, countValues(p) - 1) : p.max;
  const bottom = isDiscrete(p) ? valueAt(p, 0) : p.min;

  if (best >= top - tolerance) {
    const bound = top === p.max ? "the parent's max" : "the largest value of the parent's grid";
    warnings.push({
      name: p.name,
      field: 'max',
      message: `hyperparameter '${p.name}': the best trial used ${best}, ${bound}; widen the range above it instead of narrowing`,
    });
  } else if (best <= bottom + tolerance) {
    const bound = bottom === p.min ? "the parent's min" : "the smallest value of the parent's grid";
    warnings.push({
      name: p.name,
      field: 'min',
      message: `hyperparameter '${p.name}': the best trial used ${best}, ${bound}; widen the range below it instead of narrowing`,
    });
  }
}

/**
 * Rounds a refined lower bound down to a short decimal: three significant
 * digits or 1 % of the refined span, whichever is finer. The result stays
 * between `floor` (the parent's min) and `lowestTop` (the smallest top value).
 */
function roundDownForBound(x: number, span: number, floor: number, lowestTop: number): number {
  const unit = roundingUnit(x, span);
  // The 1e-9 lets 0.27499999999999997 (0.3 - 0.025) round to 0.275, not 0.274.
  const rounded = unit === 0 ? x : Number((Math.floor(x / unit + 1e-9) * unit).toPrecision(15));

  return Math.max(floor, Math.min(rounded, lowestTop));
}

/** Rounds a refined upper bound up, as `roundDownForBound` does, within `highestTop`..`ceiling`. */
function roundUpForBound(x: number, span: number, ceiling: number, highestTop: number): number {
  const unit = roundingUnit(x, span);
  const rounded = unit === 0 ? x : Number((Math.ceil(x / unit - 1e-9) * unit).toPrecision(15));

  return Math.min(ceiling, Math.max(rounded, highestTop));
}

function roundingUnit(x: number, span: number): number {
  if (x === 0) {
    return 0;
  }

  const significant = Math.floor(Math.log10(Math.abs(x))) - 2;
  const exponent =
    span > 0 ? Math.min(significant, Math.floor(Math.log10(span / 100))) : significant;

  return 10 ** exponent;
}

// ---------------------------------------------------------------- choice and boolean

function refineChoice(p: ChoiceParam, top: ScoredTrial[], warnings: SpaceIssue[]): ChoiceParam {
  const used = new Set(top.map((trial) => trial.values[p.name]));
  const values = p.values.filter((value) => used.has(value));

  if (values.length === 0) {
    warnings.push({
      name: p.name,
      field: 'values',
      message: `hyperparameter '${p.name}': no top trial used any of its values, so all are kept; check that the trials come from this space`,
    });
    return { ...p, values: [...p.values] };
  }

  return { ...p, values };
}

function refineBoolean(p: BooleanParam, top: ScoredTrial[]): Hyperparameter {
  const used = new Set(
    top.map((trial) => trial.values[p.name]).filter((value) => typeof value === 'boolean'),
  );

  if (used.size === 1) {
    return { name: p.name, type: 'fixed', value: [...used][0] };
  }

  return { ...p };
}
