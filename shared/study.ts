import type { DatasetSource, Task } from './dataset';
import type { Direction, SearchSpace, TrialValues } from './space/types';

/** Metric a study optimises, as the trainer names it. */
export type ObjectiveMetric = 'val_accuracy' | 'val_loss' | 'val_mae' | 'val_mse';

/** Metric a study optimises, with the direction that counts as better. */
export interface Objective {
  metric: ObjectiveMetric;
  direction: Direction;
}

/** Strategy by which a study picks its trials. */
export type Strategy = 'random' | 'grid';

/** Lifecycle of a study. `interrupted` means the process ended while it ran. */
export type StudyStatus =
  'created' | 'running' | 'paused' | 'completed' | 'cancelled' | 'interrupted';

/** Lifecycle of a trial. */
export type TrialStatus =
  'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

/** Every setting of a study except its search space, stored with it. */
export interface StudySettings {
  objective: Objective;
  strategy: Strategy;
  /** Values per continuous axis when `strategy` is grid. */
  gridPoints: number;
  /** Trials requested; a small discrete space may run fewer (see the study's note). */
  trials: number;
  /** Wall-clock budget in seconds; trials still queued then are cancelled. */
  timeLimitSeconds?: number;
  /** Seed of the configs drawn, the validation split and, unless `trainingSeed` is set, the training seeds. */
  seed: number;
  /**
   * Seed of the training-seed stream, when it must differ from `seed`: to
   * retrain a config on fresh seeds over the same validation split.
   */
  trainingSeed?: number;
  /**
   * Trial numbers the training-seed stream skips: trial i trains with the
   * seed of trial i + offset. A refined stage run beside a random search
   * uses it to continue that search's stream, so the two are paired.
   */
  trainingSeedOffset?: number;
  /** Epochs per trial unless the space has an `epochs` hyperparameter. */
  epochs: number;
  /** Epochs without improvement of the objective before a trial stops; 0 turns it off. */
  patience: number;
  /**
   * Worker processes that train at once. Unset, the count follows the
   * backend and the machine: one per CPU core on WebAssembly and the pure
   * JavaScript backend, one for native TensorFlow (it uses every core
   * itself) and one per GPU.
   */
  workers?: number;
  /** Fraction of the training rows held out for validation. */
  validationFraction: number;
  /** Use only this many training rows (a quick subset); all rows when undefined. */
  trainLimit?: number;
  /** Use only this many test rows; all when undefined. */
  testLimit?: number;
  /** Seconds after which a running trial is stopped and marked failed. */
  trialTimeoutSeconds?: number;
  /**
   * Failed trials in a row after which the study pauses with a summary of
   * their errors instead of spending its budget; 0 turns it off. Studies
   * stored without it use DEFAULT_MAX_CONSECUTIVE_FAILURES.
   */
  maxConsecutiveFailures?: number;
  /**
   * Trainings of each planned config, each with its own training seed, so
   * configs are ranked by their mean objective and its spread rather than
   * by one noisy run; 1 (the default) when undefined. `trials` stays the
   * number of configs: a study runs `trials` x `repeats` trainings.
   */
  repeats?: number;
}

/** Why a study paused after failed trials in a row: each distinct error with its count. */
export interface FailureSummary {
  /** Failed trials in a row that stopped the study. */
  consecutiveFailures: number;
  /** Distinct error messages of those trials, most frequent first. */
  reasons: { reason: string; count: number }[];
}

/** Whether a study is the first, wide search or a refined one inside a parent's region. */
export type Stage = 'coarse' | 'refined';

/** A registered dataset as stored. */
export interface DatasetRecord {
  id: number;
  name: string;
  format: 'idx' | 'csv' | 'npy';
  source: DatasetSource;
  task: Task;
  rows: number;
  features: number;
  classes: number;
  testRows: number | null;
  contentHash: string;
  createdAt: string;
}

/** A study as stored, with counts of its trials. */
export interface StudyRecord {
  id: number;
  name: string;
  datasetId: number;
  datasetName: string;
  parentId: number | null;
  stage: Stage;
  template: string;
  space: SearchSpace;
  settings: StudySettings;
  status: StudyStatus;
  plannedTrials: number;
  /** A remark for the user, such as a space with fewer combinations than trials requested. */
  note: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  completedTrials: number;
  failedTrials: number;
  /** Best objective among completed trials, or null before the first. */
  bestObjective: number | null;
  /** Backends that ran this study's trials, comma-separated. */
  backends: string | null;
  /** Set while the study is paused because too many trials failed in a row. */
  failureSummary?: FailureSummary | null;
}

/** A trial as stored. */
export interface TrialRecord {
  id: number;
  studyId: number;
  number: number;
  /**
   * Config this training belongs to, from 1; trainings of one config share
   * their values and differ in seed. The store always sets it; a record
   * built without it counts as config `number`.
   */
  config?: number;
  /** Repeat of the config, from 1; a record without it counts as repeat 1. */
  repeat?: number;
  values: TrialValues;
  seed: number;
  status: TrialStatus;
  /** Objective at the best epoch; null until completed. */
  objective: number | null;
  bestEpoch: number | null;
  epochsRun: number | null;
  /** Metrics at the best epoch, plus test metrics prefixed `test_` when a test set exists. */
  metrics: Record<string, number> | null;
  backend: string | null;
  error: string | null;
  durationMs: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Metrics of one epoch of one trial. */
export interface EpochRecord {
  trialId: number;
  epoch: number;
  metrics: Record<string, number>;
}
