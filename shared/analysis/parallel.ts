/**
 * Parallel coordinates: one axis per hyperparameter plus the objective, one
 * line per trial, coloured by objective. Brushing selects trials, and a
 * selection can seed a refined space.
 */
import { proposeRefinement, type Refinement, type RefineOptions } from '../space/refine';
import { isFiniteObjective } from '../space/rank';
import type { Hyperparameter, ParamValue } from '../space/types';
import { isNumeric, scaleOf } from '../space/values';
import type { TrialRecord } from '../study';
import { chooseObjectiveAxis, rankScored, scoredTrials } from './objective';
import { categoriesOf } from './slice';
import type {
  AxisRange,
  ObjectiveScaleRequest,
  ParallelAxis,
  ParallelData,
  ParallelLine,
  StudyData,
} from './types';

/**
 * Builds the parallel-coordinates data of a study: completed and failed
 * trials as lines (queued, running, cancelled and interrupted ones have
 * nothing to show). A numeric axis spans the space's bounds and every value
 * tried; a log-scaled hyperparameter gets a log axis. A choice, boolean or
 * fixed hyperparameter gets a categorical axis in the space's order. The
 * objective axis comes last, on the scale `chooseObjectiveAxis` picks; an
 * objective it cannot show, and a failed trial's objective, are null there.
 * Colour is the objective scaled to [0, 1] on that axis with 1 for the best.
 */
export function buildParallel(
  data: StudyData,
  objectiveScale: ObjectiveScaleRequest = 'auto',
): ParallelData {
  const { space, settings } = data.study;
  const direction = settings.objective.direction;
  const drawn = data.trials
    .filter((trial) => trial.status === 'completed' || trial.status === 'failed')
    .sort((a, b) => a.number - b.number);
  const scored = scoredTrials(drawn);
  const objectiveAxis = chooseObjectiveAxis(settings.objective, scored, objectiveScale);
  const ranks = new Map(rankScored(drawn, direction).map((trial, index) => [trial.id, index + 1]));

  const axes: ParallelAxis[] = [
    ...space.map((p) => paramAxis(p, drawn)),
    {
      name: settings.objective.metric,
      kind: objectiveAxis.scale === 'log' ? 'log' : 'numeric',
      isObjective: true,
      min: objectiveAxis.domain?.[0] ?? null,
      max: objectiveAxis.domain?.[1] ?? null,
      categories: null,
    },
  ];
  const objectiveIndex = axes.length - 1;

  const lines = drawn.map((trial): ParallelLine => {
    const positions = axes.map((axis, index) =>
      index === objectiveIndex
        ? positionOn(axis, trial.objective)
        : positionOn(axis, trial.values[axis.name]),
    );
    const objectivePosition = positions[objectiveIndex];
    const colour =
      objectivePosition === null
        ? null
        : direction === 'maximize'
          ? objectivePosition
          : 1 - objectivePosition;

    return {
      trialId: trial.id,
      number: trial.number,
      status: trial.status === 'completed' ? 'completed' : 'failed',
      objective: isFiniteObjective(trial.objective) ? trial.objective : null,
      positions,
      colour,
      rank: ranks.get(trial.id) ?? null,
    };
  });

  return { axes, lines, direction };
}

function paramAxis(p: Hyperparameter, trials: TrialRecord[]): ParallelAxis {
  const used = trials.map((trial) => trial.values[p.name]).filter((value) => value !== undefined);

  if (!isNumeric(p)) {
    return {
      name: p.name,
      kind: 'categorical',
      isObjective: false,
      min: null,
      max: null,
      categories: categoriesOf(p, used),
    };
  }

  const log = scaleOf(p) === 'log';
  let min = p.min;
  let max = p.max;
  for (const value of used) {
    if (typeof value === 'number' && Number.isFinite(value) && (!log || value > 0)) {
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
  }

  return {
    name: p.name,
    kind: log ? 'log' : 'numeric',
    isObjective: false,
    min,
    max,
    categories: null,
  };
}

/**
 * Returns the position in [0, 1] of `value` on `axis`, or null when the axis
 * cannot place it (missing, not finite, not above 0 on a log axis, or not
 * among a categorical axis's categories). An axis whose min equals its max
 * places its value at 0.5.
 */
export function positionOn(
  axis: ParallelAxis,
  value: ParamValue | null | undefined,
): number | null {
  if (value === null || value === undefined) {
    return null;
  }

  if (axis.kind === 'categorical') {
    const categories = axis.categories ?? [];
    const index = categories.indexOf(value);
    if (index < 0) {
      return null;
    }
    return categories.length === 1 ? 0.5 : index / (categories.length - 1);
  }

  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    axis.min === null ||
    axis.max === null
  ) {
    return null;
  }

  if (axis.kind === 'log') {
    if (value <= 0) {
      return null;
    }
    return axis.min === axis.max
      ? 0.5
      : clampUnit(Math.log(value / axis.min) / Math.log(axis.max / axis.min));
  }

  return axis.min === axis.max ? 0.5 : clampUnit((value - axis.min) / (axis.max - axis.min));
}

function clampUnit(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 1e6) / 1e6;
}

/**
 * Returns the ids of the best `percent` % of the completed trials with a
 * finite objective (at least one when any exists), best first. Throws a
 * RangeError for a percentage outside (0, 100].
 */
export function topPercentIds(data: ParallelData, percent: number): number[] {
  if (!Number.isFinite(percent) || percent <= 0 || percent > 100) {
    throw new RangeError(`top percentage ${percent} is outside (0, 100]; use a value such as 10`);
  }

  const ranked = data.lines
    .filter((line): line is ParallelLine & { rank: number } => line.rank !== null)
    .sort((a, b) => a.rank - b.rank);
  const count = Math.max(1, Math.ceil((ranked.length * percent) / 100));

  return ranked.slice(0, count).map((line) => line.trialId);
}

/**
 * Returns the lines of the best `percent` % of completed trials, in the
 * order of `data.lines`, for the "top x %" filter.
 */
export function filterTop(data: ParallelData, percent: number): ParallelLine[] {
  const kept = new Set(topPercentIds(data, percent));
  return data.lines.filter((line) => kept.has(line.trialId));
}

/**
 * Returns the ids of the trials whose line passes through every brushed
 * range, in line order. A range is in normalised positions, with `from` and
 * `to` in either order and both ends included. A line without a position on
 * a brushed axis is not selected. No ranges select every line. Throws for a range on
 * an axis the data does not have.
 */
export function brushSelect(data: ParallelData, ranges: AxisRange[]): number[] {
  const checks = ranges.map((range) => {
    const index = data.axes.findIndex((axis) => axis.name === range.axis);
    if (index < 0) {
      const names = data.axes.map((axis) => axis.name).join(', ');
      throw new Error(`no axis '${range.axis}' to brush; the axes are ${names}`);
    }
    return { index, low: Math.min(range.from, range.to), high: Math.max(range.from, range.to) };
  });

  return data.lines
    .filter((line) =>
      checks.every(({ index, low, high }) => {
        const position = line.positions[index];
        // A small tolerance keeps a line that lies exactly on a brushed edge despite rounding.
        return position !== null && position >= low - 1e-9 && position <= high + 1e-9;
      }),
    )
    .map((line) => line.trialId);
}

/**
 * Proposes a refined space from the trials a brush selected: the region
 * that contains every selected completed trial, widened by `margin` and
 * snapped as `proposeRefinement` does. Throws when no selected trial has a
 * finite objective, since the proposal needs at least one.
 */
export function proposeFromSelection(
  data: StudyData,
  selectedIds: number[],
  options: Pick<RefineOptions, 'margin'> = {},
): Refinement {
  const selected = new Set(selectedIds);
  const trials = scoredTrials(data.trials).filter((trial) => selected.has(trial.id));

  if (trials.length === 0) {
    throw new Error(
      `none of the ${selectedIds.length} selected trials completed with a finite objective; brush a range that contains completed trials`,
    );
  }

  return proposeRefinement(data.study.space, trials, data.study.settings.objective.direction, {
    topPercent: 100,
    margin: options.margin,
  });
}
