/**
 * The one API between the renderer and the main process. The Electron
 * preload and the web-mode client both expose exactly `ScoutApi`; the main
 * process validates every request against `requestSchemas` before it runs.
 */
import type { DatasetSource } from '../dataset';
import type {
  Comparison,
  ConfigSnippets,
  ObjectiveScaleRequest,
  StudyAnalysis,
} from '../analysis/types';
import type { SearchSpace, SpaceIssue, TrialValues } from '../space/types';
import type {
  DatasetRecord,
  EpochRecord,
  FailureSummary,
  StudyRecord,
  StudySettings,
  StudyStatus,
  TrialRecord,
  TrialStatus,
} from '../study';

/** A result envelope: every call returns one instead of throwing across the process boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Error of a failed call, as the renderer receives it. */
export interface ApiError {
  /** Kind of error: `invalid` (bad request), `not-found`, `conflict`, `dataset`, `internal`. */
  code: 'invalid' | 'not-found' | 'conflict' | 'dataset' | 'internal';
  message: string;
  /** Per-field problems of a search space or form, for showing beside the field. */
  issues?: SpaceIssue[];
}

/** First rows (or images) of a dataset, for the Datasets screen. */
export interface DatasetPreview {
  datasetId: number;
  featureNames: string[] | null;
  classNames: string[] | null;
  /** Up to the requested number of rows, features as loaded (images scaled to 0..1). */
  rows: { features: number[]; target: number }[];
  /** Image width and height when the features are a square image (MNIST: 28). */
  imageSize: number | null;
  split: { train: number; validation: number; test: number };
}

/** A study with all its trials. */
export interface StudyDetail {
  study: StudyRecord;
  trials: TrialRecord[];
  parent: StudyRecord | null;
  children: StudyRecord[];
}

/** Request of the New study form. */
export interface CreateStudyRequest {
  name: string;
  datasetId: number;
  template: 'mlp';
  space: SearchSpace;
  settings: StudySettings;
  /** The study this one refines; it becomes a refined stage. */
  parentId?: number;
}

/** Refined space proposed from a study's best trials, shown for editing before launch. */
export interface RefinementProposal {
  parentId: number;
  /** Trials the proposal was drawn from, or configs when `basis` is `configs`. */
  top: number;
  /**
   * Unit that was ranked: single trials, or configs by the mean objective
   * of their repeats (a study with repeats). Absent means trials.
   */
  basis?: 'trials' | 'configs';
  /** Basis of the proposal in words, such as "refined around the top 3 of 12 configs by mean val_accuracy". */
  summary?: string;
  space: SearchSpace;
  parentSpace: SearchSpace;
  warnings: SpaceIssue[];
}

/** A file for the user to save: name, media type and text content. */
export interface ExportedFile {
  fileName: string;
  mediaType: string;
  content: string;
}

/** A search strategy that the strategy experiment compares. */
export type ExperimentStrategy = 'grid' | 'random' | 'coarse-refined';

/** Request of a strategy experiment; every field but the dataset has a default. */
export interface ExperimentRequest {
  datasetId: number;
  /** Trainings each strategy may spend on its search (default 27). */
  budget?: number;
  /** Experiment seeds, one paired run of every strategy each (default 0, 1, 2). */
  seeds?: number[];
  /** Trials of the coarse stage of coarse-plus-refined; the refined stage gets the rest. */
  coarseTrials?: number;
  /** Trainings on fresh seeds of each strategy's chosen config (default 3). */
  retrainRepeats?: number;
  epochs?: number;
  trainLimit?: number;
  testLimit?: number;
  workers?: number;
}

/** One strategy's search and the retraining of its chosen config, for one experiment seed. */
export interface ExperimentArm {
  strategy: ExperimentStrategy;
  /** Studies whose trials make up the search, in stage order. */
  studyIds: number[];
  /** Search trainings the strategy used, whatever their status. */
  trainings: number;
  /** Best objective the search found (one noisy training, so biased towards luck). */
  searchBest: number | null;
  /** Values of the trial with `searchBest`, which is retrained. */
  chosen: TrialValues | null;
  chosenFrom: { studyId: number; trialNumber: number } | null;
  retrainStudyIds: number[];
  /** Objectives of the chosen config's trainings on fresh seeds. */
  retrainObjectives: number[];
  retrainMean: number | null;
  retrainSd: number | null;
}

/** Result of every strategy for one experiment seed. */
export interface ExperimentSeedResult {
  seed: number;
  arms: ExperimentArm[];
  /** Strategies with the best retrained mean; more than one on a tie. */
  winners: ExperimentStrategy[];
}

/** Difference of the retrained means of strategies `a` and `b`, averaged over the seeds. */
export interface ExperimentDifference {
  a: ExperimentStrategy;
  b: ExperimentStrategy;
  /** Mean over seeds of (retrained mean of a) - (retrained mean of b). */
  meanDifference: number | null;
  perSeed: number[];
  /** Twice the standard error of `meanDifference` that training noise alone would give. */
  noiseThreshold: number | null;
  verdict: 'within the noise' | 'larger than the noise' | 'not measured';
}

/** A strategy experiment as stored beside the database and shown by the app and CLI. */
export interface ExperimentResult {
  id: number;
  /** Prefix of the names of its studies, such as `exp-3`. */
  name: string;
  status: 'running' | 'completed' | 'failed' | 'interrupted';
  error: string | null;
  datasetId: number;
  datasetName: string;
  objective: { metric: string; direction: 'maximize' | 'minimize' };
  space: SearchSpace;
  budget: number;
  coarseTrials: number;
  refinedTrials: number;
  retrainRepeats: number;
  seeds: number[];
  epochs: number;
  trainLimit: number | null;
  grid: { pointsPerAxis: number; points: number; description: string };
  /** How random and coarse-plus-refined share trials and training seeds. */
  pairing: string;
  progress: { done: number; planned: number; step: string };
  perSeed: ExperimentSeedResult[];
  /** Seeds each strategy won by retrained mean; a tie counts for every tied strategy. */
  wins: Record<ExperimentStrategy, number>;
  /** Pooled standard deviation of one config's objective across training seeds. */
  noise: number | null;
  differences: ExperimentDifference[];
  /** Trainings run in all, searches and retraining. */
  trainings: number;
  startedAt: string;
  finishedAt: string | null;
  wallSeconds: number | null;
}

/** The request and response types of every call, keyed by channel name. */
export interface ScoutApi {
  'system.info': {
    request: Record<string, never>;
    response: { version: string; backend: string | null; databasePath: string };
  };
  'datasets.list': { request: Record<string, never>; response: DatasetRecord[] };
  'datasets.add': { request: { name: string; source: DatasetSource }; response: DatasetRecord };
  'datasets.preview': {
    request: { id: number; rows: number; validationFraction: number; seed: number };
    response: DatasetPreview;
  };
  'datasets.delete': { request: { id: number }; response: null };
  'studies.list': { request: Record<string, never>; response: StudyRecord[] };
  'studies.get': { request: { id: number }; response: StudyDetail };
  'studies.create': { request: CreateStudyRequest; response: StudyRecord };
  'studies.start': { request: { id: number }; response: StudyRecord };
  'studies.pause': { request: { id: number }; response: StudyRecord };
  'studies.cancel': { request: { id: number }; response: StudyRecord };
  'studies.delete': { request: { id: number }; response: null };
  'studies.duplicate': { request: { id: number; name?: string }; response: StudyRecord };
  'studies.proposeRefinement': {
    request: { id: number; topK?: number; topPercent?: number; margin?: number };
    response: RefinementProposal;
  };
  'studies.export': {
    request: { id: number; format: 'json' | 'yaml' | 'csv' };
    response: ExportedFile;
  };
  'studies.exportModel': {
    request: { id: number };
    response: { fileName: string; files: { name: string; base64: string }[] };
  };
  /**
   * Writes an export into a folder the user chose in the desktop app's folder
   * dialog (`scoutDialogs.chooseFolder`); `model` writes the best model's files
   * into a subfolder. An existing file is replaced only with `overwrite: true`.
   */
  'studies.saveExport': {
    request: {
      id: number;
      format: 'json' | 'yaml' | 'csv' | 'model';
      directory: string;
      overwrite?: boolean;
    };
    response: { paths: string[] };
  };
  'trials.epochs': { request: { trialId: number }; response: EpochRecord[] };
  'analysis.study': {
    request: { id: number; objectiveScale?: ObjectiveScaleRequest };
    response: StudyAnalysis;
  };
  /** A refined study's parent is used for its lineage even when its id is not listed. */
  'analysis.compare': { request: { ids: number[] }; response: Comparison };
  'analysis.snippets': { request: { id: number }; response: ConfigSnippets };
  'analysis.compareCsv': { request: { ids: number[] }; response: ExportedFile };
  /**
   * Starts a strategy experiment in the background and returns it as `running`;
   * `experiment.get` shows its progress, and its studies emit the usual events.
   */
  'experiment.run': { request: ExperimentRequest; response: ExperimentResult };
  'experiment.get': { request: { id: number }; response: ExperimentResult };
  'experiment.list': { request: Record<string, never>; response: ExperimentResult[] };
}

/** A channel name of the API. */
export type Channel = keyof ScoutApi;

/** The request type of `C`. */
export type RequestOf<C extends Channel> = ScoutApi[C]['request'];

/** The response type of `C`. */
export type ResponseOf<C extends Channel> = ScoutApi[C]['response'];

/** Event the main process pushes to the renderer while studies run. */
export type ScoutEvent =
  | {
      type: 'study-status';
      studyId: number;
      status: StudyStatus;
      note: string | null;
      /** Errors of the failed trials in a row that paused the study, when that is why. */
      failures?: FailureSummary | null;
    }
  | { type: 'trial-started'; studyId: number; trialId: number; number: number; values: TrialValues }
  | {
      type: 'trial-epoch';
      studyId: number;
      trialId: number;
      number: number;
      epoch: number;
      epochs: number;
      metrics: Record<string, number>;
    }
  | {
      type: 'trial-ended';
      studyId: number;
      trialId: number;
      number: number;
      status: TrialStatus;
      objective: number | null;
      error: string | null;
      backend: string | null;
    };

/** The client side of the API, the same in Electron and in a browser. */
export interface ScoutClient {
  call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>>;
  /** Subscribes to events; returns a function that unsubscribes. */
  onEvent(listener: (event: ScoutEvent) => void): () => void;
}
