/**
 * Data of one slice plot (the objective against one hyperparameter) as the
 * chart draws it, and the rules for points a logarithmic axis cannot show.
 * Pure functions, so they are unit-tested under Node.
 */
import { slicePoints } from '../../../shared/analysis/slice';
import type { Slice, SliceView } from '../../../shared/analysis/types';
import { formatValue } from './format';

/** Kind of a slice plot's x axis; a category axis places each category at its index. */
export type SliceAxis = 'linear' | 'log' | 'category';

/** One trial in a slice plot: x is the value, or a category's index on a category axis. */
export interface PlotPoint {
  trial: number;
  x: number;
  y: number;
}

/** A trial left out of a plot, with the reason shown to the user. */
export interface HiddenPoint {
  trial: number;
  reason: string;
}

/** A shaded range of a slice plot's x axis: the wider space's bounds or a refined region. */
export interface PlotBand {
  kind: 'bounds' | 'refined';
  label: string;
  from: number;
  to: number;
}

/** Everything a SlicePlot draws for one hyperparameter. */
export interface SlicePlotData {
  name: string;
  xAxis: SliceAxis;
  categories: string[];
  points: PlotPoint[];
  bands: PlotBand[];
  yLog: boolean;
}

/**
 * Turns a slice of the analysis into chart data: numbers stay on their own
 * scale, categories become their index, and each numeric band gets a label
 * naming its study.
 */
export function toSlicePlot(view: SliceView, slice: Slice): SlicePlotData {
  const categories = slice.categories ?? [];
  const isCategory = slice.categories !== null;

  const points = slicePoints(view, slice).map((point) => ({
    trial: point.number,
    x: isCategory ? categories.indexOf(point.value) : Number(point.value),
    y: point.objective,
  }));

  const bands: PlotBand[] = [];
  for (const band of isCategory ? [] : slice.bands) {
    if (band.min !== null && band.max !== null) {
      bands.push({
        kind: band.kind === 'parent' ? 'bounds' : 'refined',
        label:
          band.kind === 'parent' ? `bounds of ${band.studyName}` : `refined: ${band.studyName}`,
        from: band.min,
        to: band.max,
      });
    }
  }

  return {
    name: slice.name,
    xAxis: isCategory ? 'category' : slice.scale,
    categories: categories.map((value) => formatValue(value)),
    points,
    bands,
    yLog: view.axis.scale === 'log',
  };
}

/**
 * Splits `points` into those the axes can show and those they cannot: a log
 * axis cannot place zero, negative or non-finite numbers, and a linear axis
 * cannot place non-finite ones. The hidden points keep their trial numbers,
 * so the view lists them as "not shown" instead of dropping them.
 */
export function splitDrawable(
  points: PlotPoint[],
  xAxis: SliceAxis,
  yLog: boolean,
): { shown: PlotPoint[]; hidden: HiddenPoint[] } {
  const shown: PlotPoint[] = [];
  const hidden: HiddenPoint[] = [];

  for (const point of points) {
    const reason = hiddenReason(point, xAxis, yLog);
    if (reason) {
      hidden.push({ trial: point.trial, reason });
    } else {
      shown.push(point);
    }
  }

  return { shown, hidden };
}

function hiddenReason(point: PlotPoint, xAxis: SliceAxis, yLog: boolean): string | null {
  if (!Number.isFinite(point.y)) {
    return `objective ${point.y}`;
  }
  if (!Number.isFinite(point.x) || (xAxis === 'category' && point.x < 0)) {
    return 'value not on the axis';
  }
  if (xAxis === 'log' && point.x <= 0) {
    return `value ${point.x} on a log axis`;
  }
  if (yLog && point.y <= 0) {
    return `objective ${point.y} on a log axis`;
  }
  return null;
}

/**
 * Returns an offset in [-0.3, 0.3) for a trial on a category axis, so the
 * trials of one category spread sideways instead of hiding one another. It
 * depends on the trial number only, so a redraw does not move the points.
 */
export function categoryJitter(trial: number): number {
  // Knuth's multiplicative hash spreads consecutive numbers over [0, 1).
  const unit = Math.imul(trial, 2654435761) >>> 0;
  return (unit / 4294967296 - 0.5) * 0.6;
}

/**
 * Returns the x range a numeric chart spans: the points and the bands,
 * widened a little so points on a bound stay off the frame. Returns null
 * without any value.
 */
export function sliceRange(
  points: PlotPoint[],
  bands: PlotBand[],
  xAxis: SliceAxis,
): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  const include = (x: number): void => {
    if (Number.isFinite(x) && (xAxis !== 'log' || x > 0)) {
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
  };
  points.forEach((point) => include(point.x));
  bands.forEach((band) => {
    include(band.from);
    include(band.to);
  });

  if (!Number.isFinite(min)) {
    return null;
  }
  if (xAxis === 'log') {
    // A tenth of a decade on each side.
    return { min: min / 10 ** 0.1, max: max * 10 ** 0.1 };
  }

  const pad = (max - min) * 0.05 || Math.abs(min) * 0.1 || 1;
  return { min: min - pad, max: max + pad };
}
