/**
 * Trial-table and chart helpers of the study view. Pure functions, so they
 * are unit-tested under Node.
 */
import type { ScoutEvent } from '../../../shared/api/contract';
import { isBetter, isFiniteObjective } from '../../../shared/space/rank';
import type { Direction, ParamValue } from '../../../shared/space/types';
import type { ObjectiveMetric, TrialRecord } from '../../../shared/study';
import type { Task } from '../../../shared/dataset';
import { metricNumber } from './format';

/** A point of a chart.js line with a linear x axis. */
export interface Point {
  x: number;
  y: number;
}

/** One line of a chart: its label, points and how to draw it. */
export interface Series {
  label: string;
  points: Point[];
  /** Index into the theme's series colours; the accent colour when undefined. */
  colorIndex?: number;
  /** Draws the points without a connecting line. */
  pointsOnly?: boolean;
  /** Draws a stepped line, as for a best-so-far curve. */
  stepped?: boolean;
}

/** Column a trial table is sorted by: a fixed column, or `hp:<name>` for a hyperparameter. */
export type SortKey = 'number' | 'objective' | 'status' | 'duration' | 'backend' | `hp:${string}`;

/**
 * Returns the best objective after each completed trial, in trial-number
 * order: the curve a study's progress is judged by. Trials without a finite
 * objective do not move it.
 */
export function bestSoFar(trials: TrialRecord[], direction: Direction): Point[] {
  const done = trials
    .filter((trial) => trial.status === 'completed' && isFiniteObjective(objectiveOf(trial)))
    .sort((a, b) => a.number - b.number);
  const points: Point[] = [];
  let best: number | null = null;

  for (const trial of done) {
    const objective = objectiveOf(trial);
    if (isBetter(objective, best, direction)) {
      best = objective;
    }
    points.push({ x: trial.number, y: best as number });
  }

  return points;
}

/** Returns the objective of every completed trial with a finite one, as points by trial number. */
export function objectivePoints(trials: TrialRecord[]): Point[] {
  return trials
    .filter((trial) => trial.status === 'completed' && isFiniteObjective(objectiveOf(trial)))
    .map((trial) => ({ x: trial.number, y: objectiveOf(trial) as number }))
    .sort((a, b) => a.x - b.x);
}

/** Returns a trial's objective as a number, because a non-finite one arrives as a string such as "NaN". */
export function objectiveOf(trial: Pick<TrialRecord, 'objective'>): number | null {
  return metricNumber(trial.objective);
}

/**
 * Returns a sorted copy of `trials`. The objective sorts best first in
 * `direction` when ascending; missing values (no objective yet, a
 * hyperparameter the trial lacks) go last in either order.
 */
export function sortTrials(
  trials: TrialRecord[],
  key: SortKey,
  ascending: boolean,
  direction: Direction,
): TrialRecord[] {
  const sign = ascending ? 1 : -1;

  return [...trials].sort((a, b) => {
    const left = sortValue(a, key, direction);
    const right = sortValue(b, key, direction);

    if (left === null && right === null) {
      return a.number - b.number;
    }
    if (left === null) {
      return 1;
    }
    if (right === null) {
      return -1;
    }

    const order = compareValues(left, right);
    return order === 0 ? a.number - b.number : sign * order;
  });
}

function sortValue(trial: TrialRecord, key: SortKey, direction: Direction): ParamValue | null {
  switch (key) {
    case 'number':
      return trial.number;
    case 'objective': {
      const objective = objectiveOf(trial);
      if (!isFiniteObjective(objective)) {
        return null;
      }
      // Negating a maximised objective makes "ascending" mean "best first".
      return direction === 'maximize' ? -objective : objective;
    }
    case 'status':
      return trial.status;
    case 'duration':
      return trial.durationMs;
    case 'backend':
      return trial.backend;
    default:
      return trial.values[key.slice(3)] ?? null;
  }
}

function compareValues(a: ParamValue, b: ParamValue): number {
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  return String(a).localeCompare(String(b));
}

/** Objective metrics that fit a dataset's task, most used first. */
export function metricsForTask(task: Task): ObjectiveMetric[] {
  return task === 'classification'
    ? ['val_accuracy', 'val_loss']
    : ['val_loss', 'val_mae', 'val_mse'];
}

/** Returns the direction in which `metric` improves: accuracy up, losses and errors down. */
export function directionOf(metric: ObjectiveMetric): Direction {
  return metric === 'val_accuracy' ? 'maximize' : 'minimize';
}

/** Returns a metric's per-epoch values as points, skipping epochs without it. */
export function curvePoints(
  epochs: { epoch: number; metrics: Record<string, unknown> }[],
  metric: string,
): Point[] {
  const points: Point[] = [];

  for (const record of epochs) {
    const value = metricNumber(record.metrics[metric]);
    if (value !== null && Number.isFinite(value)) {
      points.push({ x: record.epoch, y: value });
    }
  }

  return points.sort((a, b) => a.x - b.x);
}

/** A trial event that changes a trial's row: the trial started or ended. */
export type TrialStatusEvent = Extract<ScoutEvent, { type: 'trial-started' | 'trial-ended' }>;

/**
 * Returns `trials` with the row of the event's trial updated: running after
 * `trial-started`, and the final status, objective, error and backend after
 * `trial-ended`. The table then agrees with the study's status at once,
 * because the service emits `trial-ended` before the `study-status` that
 * ends a run. Duration and metrics arrive with the next reload. An event of
 * a trial not in the list returns the list unchanged.
 */
export function applyTrialEvent(trials: TrialRecord[], event: TrialStatusEvent): TrialRecord[] {
  if (!trials.some((trial) => trial.id === event.trialId)) {
    return trials;
  }

  return trials.map((trial) => {
    if (trial.id !== event.trialId) {
      return trial;
    }
    if (event.type === 'trial-started') {
      return { ...trial, status: 'running', error: null };
    }
    return {
      ...trial,
      status: event.status,
      objective: event.objective,
      error: event.error,
      backend: event.backend,
    };
  });
}
