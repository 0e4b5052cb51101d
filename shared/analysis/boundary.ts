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
import { findKnob } from '../templates/bind';
import type { KnobSpec } from '../templates/mlp';
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

/** Range a model template's knob accepts; a suggested bound stays inside it. */
export type KnobLimits = Pick<KnobSpec, 'min' | 'max' | 'minExclusive'>;

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
 * The suggestion stays inside `limits`, the range the model template's knob
 * accepts (by default the MLP knob of the same name), and is null when the
 * bound already sits on that limit.
 */
export function suggestBound(
  p: NumericParam,
  bound: 'min' | 'max',
  limits: KnobLimits = findKnob(p.name) ?? {},
): number | null {
  const suggested = widenBound(p, bound);
  if (suggested === null) {
    return null;
  }

  if (bound === 'max' && limits.max !== undefined) {
    return p.max >= limits.max ? null : Math.min(suggested, limits.max);
  }
  if (bound === 'min' && limits.min !== undefined) {
    if (p.min <= limits.min) {
      return null;
    }
    if (suggested <= limits.min) {
      // An exclusive limit (a learning rate above 0) cannot itself be suggested.
      return limits.minExclusive ? null : limits.min;
    }
  }
  return suggested;
}

function widenBound(p: NumericParam, bound: 'min' | 'max'): number | null {
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

  if (p.step !== undefined && scale !== 'reverse_log') {
    const value = onGrid(p, raw, bound);
    // A min less than one step above 0 has no grid value left below it.
    return value === p[bound] ? null : value;
  }

  const rounded = roundOutward(raw, bound);
  if (p.type === 'int') {
    const whole = bound === 'min' ? Math.floor(rounded) : Math.ceil(rounded);
    // A log-scaled int needs a min above 0.
    return scale === 'log' ? Math.max(1, whole) : whole;
  }
  return rounded;
}

/**
 * Returns the first value of `p`'s grid (min times or plus whole steps) at
 * or beyond `raw`, so the wider range keeps every value already tried.
 */
function onGrid(p: NumericParam, raw: number, bound: 'min' | 'max'): number {
  const step = p.step as number;
  let value: number;

  if (scaleOf(p) === 'log') {
    const steps = Math.log(bound === 'min' ? p.min / raw : raw / p.min) / Math.log(step);
    const whole = Math.ceil(steps - 1e-9);
    value = bound === 'min' ? p.min / step ** whole : p.min * step ** whole;
  } else {
    const steps = (bound === 'min' ? p.min - raw : raw - p.min) / step;
    let whole = Math.ceil(steps - 1e-9);
    if (bound === 'min' && p.min >= 0 && p.min - whole * step < 0) {
      // A range that started at 0 or above stays there, one step short of raw.
      whole -= 1;
    }
    value = bound === 'min' ? p.min - whole * step : p.min + whole * step;
  }

  const tidy = Number(value.toPrecision(12));
  return p.type === 'int' ? Math.round(tidy) : tidy;
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
  const best = `the best trial (#${bestNumber}, ${Number(bestValue.toPrecision(4))})`;

  if (suggested !== null) {
    return `hyperparameter '${p.name}': ${best} sits on its ${bound} and ${where}; better values may lie ${direction} it, so widen ${bound} to ${suggested} or beyond`;
  }
  if (findKnob(p.name) !== undefined) {
    return `hyperparameter '${p.name}': ${best} sits on its ${bound} and ${where}; ${p[bound]} is as far as the model's '${p.name}' goes, so the range cannot be widened there`;
  }
  return `hyperparameter '${p.name}': ${best} sits on its ${bound} and ${where}; better values may lie ${direction} it, so widen the range ${direction} ${p[bound]} if the hyperparameter allows it`;
}
