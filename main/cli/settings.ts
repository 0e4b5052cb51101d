import { InvalidArgumentError } from 'commander';
import { formatZodError, studySettingsSchema } from '../../shared/api/schemas';
import type { DatasetRecord, StudySettings } from '../../shared/study';
import { defaultSettings } from '../../shared/defaults';
import { ScoutError } from '../core/errors';

/** Flags that override study settings, shared by `run`, `refine` and `demo`. */
export interface SettingFlags {
  trials?: number;
  seed?: number;
  epochs?: number;
  patience?: number;
  workers?: number;
  strategy?: StudySettings['strategy'];
  gridPoints?: number;
  timeLimit?: number;
  trialTimeout?: number;
  maxFailures?: number;
  repeats?: number;
  trainLimit?: number;
  testLimit?: number;
  validation?: number;
  objective?: StudySettings['objective']['metric'];
  direction?: StudySettings['objective']['direction'];
}

/** The command-line flag of each study setting, for naming it in errors. */
const FLAG_NAMES: Record<string, string> = {
  objective: '--objective and --direction',
  strategy: '--strategy',
  gridPoints: '--grid-points',
  trials: '--trials',
  timeLimitSeconds: '--time-limit',
  seed: '--seed',
  epochs: '--epochs',
  patience: '--patience',
  workers: '--workers',
  validationFraction: '--validation',
  trainLimit: '--train-limit',
  testLimit: '--test-limit',
  trialTimeoutSeconds: '--trial-timeout',
  maxConsecutiveFailures: '--max-failures',
  repeats: '--repeats',
};

/** Parses a whole number flag, rejecting "3.5" and "abc" with a message naming the flag value. */
export function parseInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) {
    throw new InvalidArgumentError(`'${value}' is not a whole number.`);
  }
  return parsed;
}

/** Parses a number flag. */
export function parseNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new InvalidArgumentError(`'${value}' is not a number.`);
  }
  return parsed;
}

/**
 * Merges settings: the task's defaults, then `base` (a study file or a
 * parent study), then the flags; checks the result.
 */
export function resolveSettings(
  dataset: DatasetRecord,
  base: Partial<StudySettings>,
  flags: SettingFlags,
): StudySettings {
  const merged: StudySettings = { ...defaultSettings(dataset.task), ...base };
  const overrides: Partial<StudySettings> = {
    trials: flags.trials,
    seed: flags.seed,
    epochs: flags.epochs,
    patience: flags.patience,
    workers: flags.workers,
    strategy: flags.strategy,
    gridPoints: flags.gridPoints,
    timeLimitSeconds: flags.timeLimit,
    trialTimeoutSeconds: flags.trialTimeout,
    maxConsecutiveFailures: flags.maxFailures,
    repeats: flags.repeats,
    trainLimit: flags.trainLimit,
    testLimit: flags.testLimit,
    validationFraction: flags.validation,
  };

  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) {
      (merged as unknown as Record<string, unknown>)[key] = value;
    }
  }
  if (flags.objective || flags.direction) {
    const metric = flags.objective ?? merged.objective.metric;
    const direction = flags.direction ?? (metric === 'val_accuracy' ? 'maximize' : 'minimize');
    merged.objective = { metric, direction };
  }

  const parsed = studySettingsSchema.safeParse(merged);
  if (!parsed.success) {
    const message = formatZodError(parsed.error, (where) => {
      const key = String(where[0]);
      return FLAG_NAMES[key] ? `${key} (${FLAG_NAMES[key]})` : where.map(String).join('.');
    });
    throw new ScoutError('invalid', `invalid study settings:\n${message}`);
  }
  return parsed.data as StudySettings;
}
