import type { TrialValues } from '../../shared/space/types';
import type { DatasetSource, SplitOptions } from './data/types';
import type { BackendPreference } from './backend';
import type { EpochMetrics, Objective } from './train';

/**
 * Messages between the WorkerPool (parent) and a worker process, sent over
 * the child_process IPC channel. A worker first gets 'load' and replies
 * 'ready' or 'loadFailed'; after that it takes one 'train' at a time and
 * replies to it with any number of 'epoch' messages, then exactly one of
 * 'completed', 'failed' or 'cancelled'.
 */

/** Loads the dataset once per worker and selects the backend. */
export interface LoadMessage {
  type: 'load';
  source: DatasetSource;
  split: SplitOptions;
  backend: BackendPreference;
}

/** Trains one trial on the loaded dataset. */
export interface TrainMessage {
  type: 'train';
  trialId: number;
  values: TrialValues;
  seed: number;
  /** The study's epochs; a hyperparameter named `epochs` in `values` overrides it. */
  epochs: number;
  patience: number;
  objective: Objective;
  /** Directory to save the best epoch's model in (model.json + weights.bin); none is saved when undefined. */
  modelPath?: string;
}

/** Ends the running trial at its next training step; the worker replies 'cancelled'. */
export interface CancelMessage {
  type: 'cancel';
  trialId: number;
}

/** A message the parent sends. */
export type ParentMessage = LoadMessage | TrainMessage | CancelMessage;

/** Row counts of the loaded splits. */
export interface DatasetRows {
  train: number;
  validation: number;
  test: number;
}

/** The dataset is loaded and the worker accepts 'train'. */
export interface ReadyMessage {
  type: 'ready';
  /** User-facing backend name, such as 'wasm'. */
  backend: string;
  rows: DatasetRows;
  /** Tensors alive after loading: the level every trial must return to. */
  numTensors: number;
}

/** The dataset or the backend could not be loaded; the worker exits after sending it. */
export interface LoadFailedMessage {
  type: 'loadFailed';
  reason: string;
}

/** Metrics of one finished epoch, counted from 1. */
export interface EpochMessage {
  type: 'epoch';
  trialId: number;
  epoch: number;
  metrics: EpochMetrics;
}

/** A trial that finished; `metrics` are the best epoch's, with test metrics when there is a test split. */
export interface CompletedMessage {
  type: 'completed';
  trialId: number;
  objective: number;
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
  metrics: EpochMetrics;
  backend: string;
  durationMs: number;
  /** Wall time of each epoch in ms (training steps plus validation); the rest of durationMs is overhead. */
  epochMs: number[];
  numTensorsBefore: number;
  numTensorsAfter: number;
  /** Resident set size of the worker process after the trial, in bytes. */
  rssBytes: number;
  /** Directory the model was saved in, when the request had a modelPath. */
  modelPath?: string;
}

/** A trial that failed; `stack` is set for an unexpected error. */
export interface FailedMessage {
  type: 'failed';
  trialId: number;
  reason: string;
  stack?: string;
  /** Set when the trial got as far as training. */
  backend?: string;
  durationMs?: number;
}

/** A trial that a 'cancel' message ended. */
export interface CancelledMessage {
  type: 'cancelled';
  trialId: number;
  reason: string;
}

/** A message a worker sends. */
export type WorkerMessage =
  | ReadyMessage
  | LoadFailedMessage
  | EpochMessage
  | CompletedMessage
  | FailedMessage
  | CancelledMessage;
