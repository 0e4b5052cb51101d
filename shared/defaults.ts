import type { Task } from './dataset';
import type { StudySettings } from './study';

/**
 * Failed trials in a row that pause a study: enough that a few unlucky
 * hyperparameters (a diverging learning rate) do not stop it, few enough
 * that a broken setup does not spend the whole budget.
 */
export const DEFAULT_MAX_CONSECUTIVE_FAILURES = 5;

/**
 * Returns the settings a study gets for what the user leaves out. The
 * objective follows the task: validation accuracy for classification,
 * validation loss (mean squared error) for regression.
 */
export function defaultSettings(task: Task): StudySettings {
  return {
    objective:
      task === 'classification'
        ? { metric: 'val_accuracy', direction: 'maximize' }
        : { metric: 'val_loss', direction: 'minimize' },
    strategy: 'random',
    gridPoints: 3,
    trials: 25,
    seed: 0,
    epochs: 10,
    patience: 3,
    validationFraction: 0.2,
    maxConsecutiveFailures: DEFAULT_MAX_CONSECUTIVE_FAILURES,
  };
}

/**
 * Returns the settings of a refined study of a study with `parent`
 * settings. The seed moves on by one: with the parent's seed, every
 * hyperparameter the refinement left unchanged would repeat the parent's
 * draws trial for trial. A time limit is not carried over.
 */
export function refinedSettings(parent: StudySettings): StudySettings {
  // A refined study starts a training-seed stream of its own from its new seed.
  const {
    timeLimitSeconds: _timeLimit,
    trainingSeed: _trainingSeed,
    trainingSeedOffset: _offset,
    ...rest
  } = parent;
  return { ...rest, seed: (parent.seed + 1) % 2 ** 31 };
}
