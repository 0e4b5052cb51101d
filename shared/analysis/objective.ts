/**
 * Helpers every analysis view shares: which trials have a usable objective,
 * which ones are listed apart, and on which scale the objective axis is drawn.
 */
import { isFiniteObjective, rankTrials } from '../space/rank';
import type { Direction } from '../space/types';
import type { Objective, ObjectiveMetric, TrialRecord } from '../study';
import type {
  AxisScale,
  FailedTrial,
  HiddenObjective,
  ObjectiveAxis,
  ObjectiveScaleRequest,
} from './types';

/** A completed trial with a finite objective. */
export type ScoredTrialRecord = TrialRecord & { objective: number };

/** Metrics that are errors (0 is perfect, values span decades), for which `auto` picks a log axis. */
const LOSS_METRICS: readonly ObjectiveMetric[] = ['val_loss', 'val_mae', 'val_mse'];

/** Returns the completed trials with a finite objective, in trial-number order. */
export function scoredTrials(trials: TrialRecord[]): ScoredTrialRecord[] {
  return trials
    .filter((trial): trial is ScoredTrialRecord => {
      return trial.status === 'completed' && isFiniteObjective(trial.objective);
    })
    .sort((a, b) => a.number - b.number);
}

/** Returns the scored trials best first; ties keep trial-number order. */
export function rankScored(trials: TrialRecord[], direction: Direction): ScoredTrialRecord[] {
  return rankTrials(scoredTrials(trials), direction);
}

/**
 * Lists the trials that ended without a usable objective: failed ones, and
 * completed ones whose objective is not a finite number (a diverged run), in
 * trial-number order. Queued, running, cancelled and interrupted trials have
 * not ended by their own result, so they are not listed.
 */
export function failedTrials(trials: TrialRecord[]): FailedTrial[] {
  const failed: FailedTrial[] = [];

  for (const trial of [...trials].sort((a, b) => a.number - b.number)) {
    if (trial.status === 'failed') {
      failed.push({
        trialId: trial.id,
        number: trial.number,
        status: trial.status,
        values: trial.values,
        reason: trial.error ?? 'the trial failed without an error message',
      });
    } else if (trial.status === 'completed' && !isFiniteObjective(trial.objective)) {
      failed.push({
        trialId: trial.id,
        number: trial.number,
        status: trial.status,
        values: trial.values,
        reason: `the objective is ${String(trial.objective)}, which no axis can show; the training diverged`,
      });
    }
  }
  return failed;
}

/**
 * Chooses the objective axis for `scored` trials. `auto` means log for a
 * loss metric and linear for accuracy. A log axis shows only objectives
 * above 0: the others are listed in `notShown`, and when none is above 0
 * the axis falls back to linear with a note, so the chart is never blank.
 */
export function chooseObjectiveAxis(
  objective: Objective,
  scored: ScoredTrialRecord[],
  request: ObjectiveScaleRequest = 'auto',
): ObjectiveAxis {
  const positive = scored.filter((trial) => trial.objective > 0);
  const logPossible = positive.length > 0;
  let requested: AxisScale = request === 'auto' ? 'linear' : request;
  if (request === 'auto' && LOSS_METRICS.includes(objective.metric)) {
    // Loss and error values often span several decades, so auto puts them on a log axis.
    requested = 'log';
  }

  if (requested === 'linear') {
    return {
      objective,
      scale: 'linear',
      logPossible,
      note: null,
      notShown: [],
      domain: domainOf(scored),
    };
  }

  if (!logPossible) {
    const note =
      scored.length === 0
        ? null
        : `no ${objective.metric} is above 0, so the objective axis is linear instead of log`;
    return {
      objective,
      scale: 'linear',
      logPossible,
      note,
      notShown: [],
      domain: domainOf(scored),
    };
  }

  const notShown: HiddenObjective[] = scored
    .filter((trial) => trial.objective <= 0)
    .map((trial) => ({
      trialId: trial.id,
      number: trial.number,
      objective: trial.objective,
      reason: `${objective.metric} ${trial.objective} is not above 0, so a log axis cannot show it`,
    }));

  return { objective, scale: 'log', logPossible, note: null, notShown, domain: domainOf(positive) };
}

/** Returns whether the axis draws `objective`. */
export function isShownOnAxis(axis: ObjectiveAxis, objective: number): boolean {
  return axis.scale === 'linear' || objective > 0;
}

function domainOf(trials: ScoredTrialRecord[]): [number, number] | null {
  if (trials.length === 0) {
    return null;
  }

  let min = Infinity;
  let max = -Infinity;
  for (const trial of trials) {
    min = Math.min(min, trial.objective);
    max = Math.max(max, trial.objective);
  }
  return [min, max];
}

/** Returns the median of `values` (which need not be sorted), or null for none. */
export function median(values: number[]): number | null {
  if (values.length === 0) {
    return null;
  }

  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Returns the `q` quantile (0 to 1) of ascending `sorted` values with
 * linear interpolation between order statistics (the default of NumPy's
 * `quantile` and R's type 7).
 */
export function quantile(sorted: number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}
