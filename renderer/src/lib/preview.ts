/**
 * Previews of hyperparameters for the editor. A parameter with few candidate
 * values lists them exactly. Any other gets a histogram of seeded draws,
 * binned with equal widths on its own scale (in log space for a log scale),
 * so a surprising combination of step and scale shows before a study runs.
 */
import { createRng } from '../../../shared/space/random';
import { sampleValue } from '../../../shared/space/sample';
import type { Hyperparameter, ParamValue, Scale } from '../../../shared/space/types';
import {
  candidateValues,
  countValues,
  fromUnit,
  isNumeric,
  scaleOf,
  toUnit,
} from '../../../shared/space/values';

/** Largest number of candidate values listed one by one; more are shown as a histogram. */
export const MAX_LISTED_VALUES = 24;

/** Draws per histogram: enough for a visibly flat shape, cheap enough to redo on each keystroke. */
export const PREVIEW_DRAWS = 1000;

/** Bars per histogram. */
export const PREVIEW_BINS = 20;

/** One bar of a histogram: draws in [from, to), the last bar including `to`. */
export interface HistogramBin {
  from: number;
  to: number;
  count: number;
}

/** The preview of one hyperparameter. */
export type ParamPreview =
  | { kind: 'values'; values: ParamValue[] }
  | {
      kind: 'histogram';
      scale: Scale;
      bins: HistogramBin[];
      draws: number;
      /** Number of candidate values, or Infinity for a continuous float. */
      candidates: number;
    };

/**
 * Returns the preview of `param`, which must pass `validateSpace`. Draws use
 * a fixed seed, so the histogram does not flicker while the user types.
 */
export function previewParam(param: Hyperparameter, draws = PREVIEW_DRAWS): ParamPreview {
  const candidates = countValues(param);

  if (!isNumeric(param) || candidates <= MAX_LISTED_VALUES) {
    return { kind: 'values', values: candidateValues(param) ?? [] };
  }

  return {
    kind: 'histogram',
    scale: scaleOf(param),
    bins: histogram(param, draws, PREVIEW_BINS),
    draws,
    candidates,
  };
}

/**
 * Draws `draws` values of a numeric `param` with `sampleValue` and counts
 * them in `binCount` bins of equal width on the parameter's own scale.
 */
export function histogram(
  param: Extract<Hyperparameter, { type: 'int' | 'float' }>,
  draws: number,
  binCount: number,
): HistogramBin[] {
  const bins: HistogramBin[] = Array.from({ length: binCount }, (_, i) => ({
    from: fromUnit(param, i / binCount),
    to: fromUnit(param, (i + 1) / binCount),
    count: 0,
  }));
  // A fixed seed per name keeps each histogram steady while the user types.
  const rng = createRng(`scout-preview/${param.name}`);

  for (let i = 0; i < draws; i++) {
    const value = sampleValue(param, rng) as number;
    const unit = toUnit(param, value);
    // The maximum has unit position 1 and belongs to the last bar.
    const index = Math.min(binCount - 1, Math.max(0, Math.floor(unit * binCount)));
    bins[index].count += 1;
  }

  return bins;
}
