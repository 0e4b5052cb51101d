/**
 * The New study form's settings fields and their conversion into
 * `StudySettings`, with a message per invalid field. Pure functions, so they
 * are unit-tested under Node.
 */
import type { Direction } from '../../../shared/space/types';
import type { ObjectiveMetric, StudySettings, Strategy } from '../../../shared/study';
import { repeatsOf } from '../../../shared/configs';
import { DEFAULT_MAX_CONSECUTIVE_FAILURES, defaultSettings } from '../../../shared/defaults';

/**
 * The settings as the form stores them. Number inputs give null while empty,
 * and the time limit is in minutes, because that is how people plan a run.
 */
export interface SettingsForm {
  metric: ObjectiveMetric;
  direction: Direction;
  strategy: Strategy;
  gridPoints: number | null;
  trials: number | null;
  timeLimitMinutes: number | null;
  seed: number | null;
  epochs: number | null;
  patience: number | null;
  workers: number | null;
  validationFraction: number | null;
  trainLimit: number | null;
  /** Failed trials in a row that pause the study; 0 turns the check off. */
  maxConsecutiveFailures: number | null;
  /** Trainings of each config, each with its own training seed. */
  repeats: number | null;
}

/** A field of the settings form. */
export type SettingsField = keyof SettingsForm;

/** A numeric field of the settings form. */
export type NumberField = {
  [K in SettingsField]: SettingsForm[K] extends number | null ? K : never;
}[SettingsField];

/** Upper limits the server's request schema enforces. */
const LIMITS = {
  trials: 100_000,
  gridPoints: 100,
  seed: 2 ** 31 - 1,
  epochs: 10_000,
  workers: 64,
  repeats: 20,
};

/** Grid points per continuous axis unless the user sets them. */
const DEFAULT_GRID_POINTS = 3;

/** Starting values of the form: the same defaults the CLI uses for a classification dataset. */
export function defaultSettingsForm(): SettingsForm {
  return settingsFormFrom(defaultSettings('classification'));
}

/** Returns the form filled from stored settings, as when refining or repeating a study. */
export function settingsFormFrom(settings: StudySettings): SettingsForm {
  return {
    metric: settings.objective.metric,
    direction: settings.objective.direction,
    strategy: settings.strategy,
    gridPoints: settings.gridPoints,
    trials: settings.trials,
    timeLimitMinutes:
      settings.timeLimitSeconds === undefined ? null : settings.timeLimitSeconds / 60,
    seed: settings.seed,
    epochs: settings.epochs,
    patience: settings.patience,
    workers: settings.workers ?? null,
    validationFraction: settings.validationFraction,
    trainLimit: settings.trainLimit ?? null,
    maxConsecutiveFailures: settings.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES,
    repeats: repeatsOf(settings),
  };
}

/**
 * Converts the form into settings. Returns the settings when every field is
 * valid, and a message for each invalid field otherwise. `base` carries
 * stored settings the form does not show (test limit, trial timeout), so
 * refining a study keeps them.
 */
export function buildSettings(
  form: SettingsForm,
  base?: StudySettings,
): { settings?: StudySettings; issues: Partial<Record<SettingsField, string>> } {
  const issues: Partial<Record<SettingsField, string>> = {};
  const check = (field: SettingsField, message: string | undefined): void => {
    if (message) {
      issues[field] = message;
    }
  };

  check('trials', integerIssue(form.trials, 'trials', 1, LIMITS.trials));
  if (form.strategy === 'grid') {
    check('gridPoints', integerIssue(form.gridPoints, 'points per axis', 2, LIMITS.gridPoints));
  }
  check('seed', integerIssue(form.seed, 'seed', 0, LIMITS.seed));
  check('epochs', integerIssue(form.epochs, 'epochs', 1, LIMITS.epochs));
  check('patience', integerIssue(form.patience, 'patience', 0));
  if (form.workers !== null) {
    check('workers', integerIssue(form.workers, 'workers', 1, LIMITS.workers));
  }
  check('validationFraction', fractionIssue(form.validationFraction));
  check('repeats', integerIssue(form.repeats, 'repeats', 1, LIMITS.repeats));
  if (form.trainLimit !== null) {
    check('trainLimit', integerIssue(form.trainLimit, 'training-row limit', 1));
  }
  check(
    'maxConsecutiveFailures',
    integerIssue(form.maxConsecutiveFailures, 'failed trials in a row', 0, LIMITS.trials),
  );
  if (form.timeLimitMinutes !== null && !(form.timeLimitMinutes > 0)) {
    issues.timeLimitMinutes = `time limit ${form.timeLimitMinutes} is not positive; give minutes above 0 or leave it empty`;
  }

  if (Object.keys(issues).length > 0) {
    return { issues };
  }

  const settings: StudySettings = {
    ...base,
    objective: { metric: form.metric, direction: form.direction },
    strategy: form.strategy,
    // The server checks gridPoints even for a random search, so an unused bad value is replaced.
    gridPoints:
      form.strategy === 'grid' ? (form.gridPoints as number) : validGridPoints(form, base),
    trials: form.trials as number,
    seed: form.seed as number,
    epochs: form.epochs as number,
    patience: form.patience as number,
    validationFraction: form.validationFraction as number,
    maxConsecutiveFailures: form.maxConsecutiveFailures as number,
  };
  setOptional(
    settings,
    'timeLimitSeconds',
    form.timeLimitMinutes === null ? undefined : Math.round(form.timeLimitMinutes * 60),
  );
  setOptional(settings, 'trainLimit', form.trainLimit ?? undefined);
  // An empty workers field lets the runner choose the count from the backend and the cores.
  setOptional(settings, 'workers', form.workers ?? undefined);
  // One training per config is the default, so it is left out as studies without repeats store it.
  setOptional(settings, 'repeats', form.repeats === 1 ? undefined : (form.repeats as number));

  return { settings, issues };
}

/** Sets or deletes an optional field, so an emptied field does not keep `base`'s value. */
function setOptional<K extends 'timeLimitSeconds' | 'trainLimit' | 'repeats' | 'workers'>(
  settings: StudySettings,
  key: K,
  value: number | undefined,
): void {
  if (value === undefined) {
    delete settings[key];
  } else {
    settings[key] = value;
  }
}

function validGridPoints(form: SettingsForm, base: StudySettings | undefined): number {
  const candidates = [form.gridPoints, base?.gridPoints, DEFAULT_GRID_POINTS];
  const valid = candidates.find(
    (n): n is number => typeof n === 'number' && !integerIssue(n, '', 2, LIMITS.gridPoints),
  );

  return valid ?? DEFAULT_GRID_POINTS;
}

function integerIssue(
  value: number | null,
  label: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): string | undefined {
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;

  if (value === null || Number.isNaN(value)) {
    return `${label} is missing; give a whole number ${range}`;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    return `${label} ${value} is invalid; give a whole number ${range}`;
  }
  return undefined;
}

function fractionIssue(value: number | null): string | undefined {
  if (value === null || Number.isNaN(value)) {
    return 'validation fraction is missing; give a number between 0 and 1, such as 0.2';
  }
  if (!(value > 0 && value < 1)) {
    return `validation fraction ${value} is out of range; give a number between 0 and 1, such as 0.2`;
  }
  return undefined;
}
