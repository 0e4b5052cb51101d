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
  /** Trials the proposal was drawn from. */
  top: number;
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
