/**
 * Boundary warnings: a best trial at the edge of the space suggests that
 * better values lie beyond it, so the bound should be widened there.
 */
import type { Direction, SearchSpace } from '../space/types';
import {
  countValues,
  isDiscrete,
  isNumeric,
  scaleOf,
  toUnit,
  valueAt,
  type NumericParam,
} from '../space/values';
import type { TrialRecord } from '../study';
import { rankScored, type ScoredTrialRecord } from './objective';
import type { BoundaryWarning } from './types';

/** Top trials counted near a bound when `top` is not given. */
export const DEFAULT_BOUNDARY_TOP = 5;

/**
 * Share of a hyperparameter's range, in its own scale (log space for log),
 * within which a value counts as near a bound. A continuous draw never lands
 * exactly on a bound, so "on the bound" means within this edge.
 */
export const EDGE_FRACTION = 0.05;

/** Share of the current range, in the parameter's own scale, by which a suggested bound widens it. */
const WIDENING = 0.5;

/**
 * Returns a warning for each bound of a numeric hyperparameter that the best
 * completed trial sits on: within EDGE_FRACTION of the range from it, or on
 * the outermost value of a stepped grid. Each warning counts how many of the
 * `top` best trials lie near that bound and suggests a wider bound. Fewer
 * than two completed trials give no warnings, since one trial shows no region.
 */
export function findBoundaryWarnings(
  space: SearchSpace,
  trials: TrialRecord[],
  direction: Direction,
  top = DEFAULT_BOUNDARY_TOP,
): BoundaryWarning[] {
  const ranked = rankScored(trials, direction);
  if (ranked.length < 2) {
    return [];
  }

  const best = ranked.slice(0, Math.max(1, top));
  return space.filter(isNumeric).flatMap((p) => warningsFor(p, best));
}

function warningsFor(p: NumericParam, top: ScoredTrialRecord[]): BoundaryWarning[] {
  const bestValue = top[0].values[p.name];
  if (p.min === p.max || typeof bestValue !== 'number') {
    return [];
  }

  const warnings: BoundaryWarning[] = [];
  for (const bound of ['min', 'max'] as const) {
    if (!isNearBound(p, bestValue, bound)) {
      continue;
    }

    const nearBound = top.filter((trial) => {
      const value = trial.values[p.name];
      return typeof value === 'number' && isNearBound(p, value, bound);
    }).length;
    const suggested = suggestBound(p, bound);
    warnings.push({
      name: p.name,
      bound,
      value: p[bound],
      bestNumber: top[0].number,
      bestValue,
      nearBound,
      top: top.length,
      suggested,
      message: describe(p, bound, bestValue, top[0].number, nearBound, top.length, suggested),
    });
  }
  return warnings;
}

/** Returns whether `value` lies within the edge at `bound`, or on the outermost grid value there. */
export function isNearBound(p: NumericParam, value: number, bound: 'min' | 'max'): boolean {
  const unit = toUnit(p, value);
  const edge = bound === 'min' ? unit <= EDGE_FRACTION : unit >= 1 - EDGE_FRACTION;

  if (edge || !isDiscrete(p)) {
    return edge;
  }

  // On a grid that stops short of max, the largest grid value is the effective bound.
  const outermost = bound === 'min' ? valueAt(p, 0) : valueAt(p, countValues(p) - 1);
  return value === outermost;
}

/**
 * Returns a bound that widens the range by half its span in the parameter's
 * own scale, rounded outward to three significant digits (to a whole number
 * for an int). A linear or reverse_log min of 0 or above is not taken below
 * 0, and null is returned when it already is 0, because such a hyperparameter
 * (a dropout rate, a count) usually cannot be negative.
 *
 * NOTE: the model template's own limits are not applied, so a suggested
 * max can lie beyond what a knob accepts (dropout 1.35 for a range up to 0.9).
 */
export function suggestBound(p: NumericParam, bound: 'min' | 'max'): number | null {
  const scale = scaleOf(p);
  let raw: number;

  if (scale === 'log') {
    const ratio = (p.max / p.min) ** WIDENING;
    raw = bound === 'min' ? p.min / ratio : p.max * ratio;
  } else {
    const widening = (p.max - p.min) * WIDENING;
    raw = bound === 'min' ? p.min - widening : p.max + widening;
  }

  if (bound === 'min' && scale !== 'log' && p.min >= 0 && raw < 0) {
    if (p.min === 0) {
      return null;
    }
    raw = 0;
  }

  const rounded = roundOutward(raw, bound);
  if (p.type === 'int') {
    const whole = bound === 'min' ? Math.floor(rounded) : Math.ceil(rounded);
    // A log-scaled int needs a min above 0.
    return scale === 'log' ? Math.max(1, whole) : whole;
  }
  return rounded;
}

function roundOutward(x: number, bound: 'min' | 'max'): number {
  if (x === 0) {
    return 0;
  }

  const unit = 10 ** (Math.floor(Math.log10(Math.abs(x))) - 2);
  const steps = bound === 'min' ? Math.floor(x / unit) : Math.ceil(x / unit);
  return Number((steps * unit).toPrecision(12));
}

function describe(
  p: NumericParam,
  bound: 'min' | 'max',
  bestValue: number,
  bestNumber: number,
  nearBound: number,
  top: number,
  suggested: number | null,
): string {
  const direction = bound === 'min' ? 'below' : 'above';
  const where = `${nearBound} of the top ${top} trials lie near ${bound} ${p[bound]}`;
  const advice =
    suggested === null
      ? `widen the range ${direction} ${p[bound]} if the hyperparameter allows it`
      : `widen ${bound} to ${suggested} or beyond`;

  return `hyperparameter '${p.name}': the best trial (#${bestNumber}, ${bestValue}) sits on its ${bound} and ${where}; better values may lie ${direction} it, so ${advice}`;
}
