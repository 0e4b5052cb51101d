/**
 * Configs of a study with repeats: each planned config is trained several
 * times with different training seeds, and configs are ranked by the mean
 * objective of their trainings, with its spread.
 */
import { isFiniteObjective, rankTrials } from './space/rank';
import type { Direction, TrialValues } from './space/types';
import type { StudySettings, TrialStatus } from './study';

/** Returns the trainings per config of a study: `settings.repeats`, or 1 when it is unset. */
export function repeatsOf(settings: Pick<StudySettings, 'repeats'>): number {
  return settings.repeats ?? 1;
}

/**
 * Returns the budget of a study in words: "25 configs x 3 repeats = 75
 * trainings", or "25 trials" without repeats. `configs` overrides the
 * requested count, for a plan that has fewer configs than requested.
 */
export function describeBudget(
  settings: Pick<StudySettings, 'trials' | 'repeats'>,
  configs: number = settings.trials,
): string {
  const repeats = repeatsOf(settings);
  if (repeats === 1) {
    return `${configs} ${configs === 1 ? 'trial' : 'trials'}`;
  }
  const configWord = configs === 1 ? 'config' : 'configs';
  return `${configs} ${configWord} x ${repeats} repeats = ${configs * repeats} trainings`;
}

/** A training as config ranking reads it; a trial record fits. */
export interface ConfigTrial {
  number: number;
  /** Config number; a trial without one counts as config `number`. */
  config?: number;
  /** Repeat number; a trial without one counts as repeat 1. */
  repeat?: number;
  values: TrialValues;
  status: TrialStatus;
  objective: number | null;
}

/** One config with the results of its trainings. */
export interface ConfigSummary {
  config: number;
  values: TrialValues;
  /** Trial numbers of its trainings, in repeat order. */
  trials: number[];
  /** Finite objectives of its completed trainings, in repeat order. */
  objectives: number[];
  /** Mean of `objectives`; null when there are none. */
  mean: number | null;
  /** Sample standard deviation (n - 1) of `objectives`; null with fewer than 2. */
  sd: number | null;
  min: number | null;
  max: number | null;
  /** Trainings completed with a finite objective: the n behind the mean. */
  completed: number;
  /** Trainings that failed, or completed without a finite objective (a diverged run). */
  failed: number;
  /** Every training of the config, whatever its status. */
  trainings: number;
}

/** Returns the config number of a trial: its `config`, or its number for a record without one. */
export function configOf(trial: Pick<ConfigTrial, 'number' | 'config'>): number {
  return trial.config ?? trial.number;
}

/**
 * Groups trials by config and ranks the configs by the mean objective of
 * their completed trainings, best first in `direction`. A config with fewer
 * completed trainings than others is ranked by the mean it has, and its
 * `completed` is how many that is. Configs without a finite objective go
 * last; ties keep config order.
 */
export function rankConfigs<T extends ConfigTrial>(
  trials: T[],
  direction: Direction,
): ConfigSummary[] {
  const groups = new Map<number, T[]>();
  for (const trial of trials) {
    const config = configOf(trial);
    const group = groups.get(config);
    if (group) {
      group.push(trial);
    } else {
      groups.set(config, [trial]);
    }
  }

  const summaries = [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([config, group]) => summariseConfig(config, group));

  return summaries.sort((a, b) => compareMeans(a.mean, b.mean, direction));
}

function summariseConfig(config: number, trials: ConfigTrial[]): ConfigSummary {
  const ordered = [...trials].sort((a, b) => (a.repeat ?? 1) - (b.repeat ?? 1));
  const objectives: number[] = [];
  let failed = 0;

  for (const trial of ordered) {
    if (trial.status === 'completed' && isFiniteObjective(trial.objective)) {
      objectives.push(trial.objective);
    } else if (trial.status === 'failed' || trial.status === 'completed') {
      failed++;
    }
  }

  return {
    config,
    values: ordered[0].values,
    trials: ordered.map((trial) => trial.number),
    objectives,
    mean: objectives.length > 0 ? mean(objectives) : null,
    sd: objectives.length > 1 ? sampleStandardDeviation(objectives) : null,
    min: objectives.length > 0 ? Math.min(...objectives) : null,
    max: objectives.length > 0 ? Math.max(...objectives) : null,
    completed: objectives.length,
    failed,
    trainings: ordered.length,
  };
}

function compareMeans(a: number | null, b: number | null, direction: Direction): number {
  if (a === null || b === null) {
    return (a === null ? 1 : 0) - (b === null ? 1 : 0);
  }
  return direction === 'maximize' ? b - a : a - b;
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function sampleStandardDeviation(values: number[]): number {
  const average = mean(values);
  const squares = values.reduce((sum, value) => sum + (value - average) ** 2, 0);
  return Math.sqrt(squares / (values.length - 1));
}

/** The training a study's "best" refers to, with its config's summary when the study has repeats. */
export interface BestTraining<T extends ConfigTrial> {
  trial: T;
  /** The best config by mean, for a study with repeats; undefined otherwise. */
  config?: ConfigSummary;
}

/**
 * Returns the training that stands for a study's best result: the best
 * completed trial, or, with repeats, the best training of the config with
 * the best mean, because the single best training of many noisy ones is
 * biased upward. Returns undefined when no training completed with a
 * finite objective.
 */
export function bestTraining<T extends ConfigTrial>(
  settings: Pick<StudySettings, 'repeats' | 'objective'>,
  trials: T[],
): BestTraining<T> | undefined {
  const direction = settings.objective.direction;
  const completed = trials.filter(
    (trial) => trial.status === 'completed' && isFiniteObjective(trial.objective),
  );

  if (repeatsOf(settings) === 1) {
    const trial = rankTrials(completed, direction)[0];
    return trial === undefined ? undefined : { trial };
  }

  const config = rankConfigs(trials, direction).find((summary) => summary.mean !== null);
  if (config === undefined) {
    return undefined;
  }
  const ofConfig = completed.filter((trial) => configOf(trial) === config.config);
  return { trial: rankTrials(ofConfig, direction)[0], config };
}
