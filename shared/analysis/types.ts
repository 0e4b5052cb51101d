/**
 * Types of the analysis views: slice plots, parallel coordinates, coverage,
 * boundary warnings, importance and the comparison of studies. They are
 * plain JSON data, so the main process computes them and the renderer draws
 * them, and they hold no NaN or Infinity: a missing number is null.
 */
import type { Hyperparameter, ParamValue, TrialValues } from '../space/types';
import type { Objective, Stage, StudyRecord, TrialRecord, TrialStatus } from '../study';

/** A study with its trials and its relatives, as the analysis functions read it. */
export interface StudyData {
  study: StudyRecord;
  trials: TrialRecord[];
  /** The study this one refines, or null for a coarse study. */
  parent: StudyRecord | null;
  /** Refined studies of this one. */
  children: StudyRecord[];
}

/** Scale of a chart axis. */
export type AxisScale = 'linear' | 'log';

/** Scale the user asks for on the objective axis; `auto` is log for a loss with positive values. */
export type ObjectiveScaleRequest = 'auto' | 'linear' | 'log';

/** A trial that ended without a usable objective, listed apart from the points. */
export interface FailedTrial {
  trialId: number;
  number: number;
  /** `failed`, or `completed` with a non-finite objective (a diverged run). */
  status: TrialStatus;
  values: TrialValues;
  /** The error message, or why the objective cannot be drawn. */
  reason: string;
}

/** A completed trial whose objective the chosen objective axis cannot show. */
export interface HiddenObjective {
  trialId: number;
  number: number;
  objective: number;
  reason: string;
}

/** Scale of the objective axis, chosen so the chart is never blank. */
export interface ObjectiveAxis {
  objective: Objective;
  scale: AxisScale;
  /** Whether any objective is above 0, so a log axis can show something. */
  logPossible: boolean;
  /** Reason the axis is not on the requested scale, or null when it is. */
  note: string | null;
  /** Objectives the axis cannot show (zero or negative on a log axis). */
  notShown: HiddenObjective[];
  /** Smallest and largest objective shown, or null without any. */
  domain: [number, number] | null;
}

// ---------------------------------------------------------------- slice plots

/** A completed trial the slice plots draw, once for all of them. */
export interface SliceTrial {
  trialId: number;
  number: number;
  objective: number;
}

/** One point of one slice plot, as `slicePoints` returns it. */
export interface SlicePoint {
  trialId: number;
  number: number;
  value: ParamValue;
  objective: number;
}

/**
 * A shaded range on a slice plot's horizontal axis. `parent` is the wider
 * space: the parent's bounds for a refined study, or the study's own bounds
 * for a coarse study with refined children. `refined` is a refined study's region.
 */
export interface SliceBand {
  kind: 'parent' | 'refined';
  studyId: number;
  studyName: string;
  /** Bounds of a numeric hyperparameter; null for a choice or boolean. */
  min: number | null;
  max: number | null;
  /** Values a choice or boolean takes in that study; null for a number. */
  values: ParamValue[] | null;
}

/** Objective against one hyperparameter. */
export interface Slice {
  name: string;
  type: Hyperparameter['type'];
  /** `log` for a log-scaled int or float; `linear` otherwise (also for reverse_log). */
  scale: AxisScale;
  /** Range of the horizontal axis for a number: the space, the bands and every value. */
  domain: [number, number] | null;
  /** Ordered categories of a choice, boolean or fixed hyperparameter; null for a number. */
  categories: ParamValue[] | null;
  /**
   * This hyperparameter's value in each of the view's `trials`, in the same
   * order, or null where a trial has no value for it (from an earlier space).
   * The trials are listed once per view rather than once per slice, so the
   * view of 10,000 trials is a few megabytes smaller.
   */
  values: (ParamValue | null)[];
  bands: SliceBand[];
}

/** The slice plots of a study. */
export interface SliceView {
  axis: ObjectiveAxis;
  /** Completed trials the plots draw (those the objective axis shows), in trial-number order. */
  trials: SliceTrial[];
  slices: Slice[];
  /** Failed trials and completed ones without a finite objective, with their values and reason. */
  failed: FailedTrial[];
}

// ---------------------------------------------------------------- parallel coordinates

/** An axis of the parallel-coordinates chart. */
export interface ParallelAxis {
  /** Hyperparameter name, or the objective's metric for the last axis. */
  name: string;
  kind: 'numeric' | 'log' | 'categorical';
  isObjective: boolean;
  /** Value at position 0 and at position 1 of a numeric or log axis; null for categorical. */
  min: number | null;
  max: number | null;
  /** Categories in order (position `i / (n - 1)`, or 0.5 for one); null for a numeric axis. */
  categories: ParamValue[] | null;
}

/** One trial as a line across the axes. */
export interface ParallelLine {
  trialId: number;
  number: number;
  status: 'completed' | 'failed';
  /** Finite objective, or null for a failed trial or a non-finite objective. */
  objective: number | null;
  /**
   * Position on each axis in [0, 1], in axis order, rounded to 1e-6 (far
   * below a pixel); null where the trial has no value there.
   */
  positions: (number | null)[];
  /** Colour value in [0, 1] with 1 for the best objective; null without an objective. */
  colour: number | null;
  /** Rank among completed trials, 1 for the best; null without an objective. */
  rank: number | null;
}

/** Data of the parallel-coordinates chart. */
export interface ParallelData {
  axes: ParallelAxis[];
  lines: ParallelLine[];
  direction: Objective['direction'];
}

/** A brushed interval on one axis, in normalised positions (0 to 1, either order). */
export interface AxisRange {
  axis: string;
  from: number;
  to: number;
}

// ---------------------------------------------------------------- coverage

/** Distinct values of one hyperparameter tried, beside what a grid would have tried. */
export interface ParamCoverage {
  name: string;
  type: Hyperparameter['type'];
  /** Distinct values among the counted trials. */
  distinct: number;
  /** Values the hyperparameter can take; null for a continuous float. */
  possible: number | null;
  /** Distinct values a full grid with the same number of trials would try. */
  grid: number;
}

/** Coverage of a study's space by its completed trials. */
export interface CoverageReport {
  /** Trials counted: the completed ones. */
  trials: number;
  /** Product of the `grid` values: the trials that grid uses (at most `trials`). */
  gridTrials: number;
  params: ParamCoverage[];
}

// ---------------------------------------------------------------- boundary warnings

/** A numeric hyperparameter whose best trials sit on a bound of the space. */
export interface BoundaryWarning {
  name: string;
  bound: 'min' | 'max';
  /** The bound's value in the study's space. */
  value: number;
  /** Number and value of the best trial. */
  bestNumber: number;
  bestValue: number;
  /** How many of the top trials lie near this bound, out of `top`. */
  nearBound: number;
  top: number;
  /** A wider bound to try, or null when none can be suggested (a bound of 0 on a linear scale). */
  suggested: number | null;
  message: string;
}

// ---------------------------------------------------------------- importance

/** Importance of one hyperparameter: its share of the explained objective. */
export interface ParamImportance {
  name: string;
  /** Share in [0, 1]; the shares of a result sum to 1 unless every raw value is 0. */
  importance: number;
  /** Mean increase of the held-out mean squared error when the column is permuted. */
  rawIncrease: number;
}

/** Importance of a study's hyperparameters, or why it could not be computed. */
export type ImportanceResult =
  | {
      status: 'ok';
      /** The method in words, shown in the view. */
      method: string;
      trials: number;
      params: ParamImportance[];
      /** Remark such as a subsample of the trials, or null. */
      note: string | null;
    }
  | { status: 'insufficient'; method: string; trials: number; required: number; message: string };

// ---------------------------------------------------------------- comparison

/** Best objective so far after a trial, by trial number. */
export interface BestByTrial {
  number: number;
  objective: number | null;
  best: number | null;
}

/** Best objective so far at a moment, in seconds from the study's first trial start. */
export interface BestByTime {
  seconds: number;
  objective: number;
  best: number;
}

/** Quartiles of a study's finite objectives. */
export interface Quantiles {
  min: number;
  q25: number;
  median: number;
  q75: number;
  max: number;
}

/** A study's best completed trial. */
export interface BestTrial {
  trialId: number;
  number: number;
  objective: number;
  values: TrialValues;
}

/** One study's series in a comparison. */
export interface StudySeries {
  studyId: number;
  name: string;
  stage: Stage;
  parentId: number | null;
  completed: number;
  failed: number;
  byTrial: BestByTrial[];
  byTime: BestByTime[];
  /** Finite objectives, best first. */
  sorted: number[];
  quantiles: Quantiles | null;
  /** Median of the five best objectives (of all when fewer), or null without any. */
  medianTop5: number | null;
  best: BestTrial | null;
}

/** "Did refining help?" for a refined study against its parent. */
export interface Lineage {
  studyId: number;
  studyName: string;
  parentId: number;
  parentName: string;
  parentBest: number | null;
  best: number | null;
  /** Best minus the parent's best, positive when better whatever the direction; null without both. */
  improvement: number | null;
  parentMedianTop5: number | null;
  medianTop5: number | null;
  /** Trial number at which the refined study first matched the parent's best, or null: not reached. */
  trialsToReachParentBest: number | null;
  /** Verdict in one sentence, with the numbers. */
  summary: string;
}

/** One row of the side-by-side table of best configs. */
export interface BestConfigRow {
  name: string;
  /** One value per study, in the comparison's order; null where a study lacks it. */
  values: (ParamValue | null)[];
}

/** A comparison of two or more studies on the same dataset and objective. */
export interface Comparison {
  objective: Objective;
  datasetId: number;
  datasetName: string;
  series: StudySeries[];
  bestConfigs: BestConfigRow[];
  lineage: Lineage[];
}

// ---------------------------------------------------------------- snippets

/** The best config of a study as ready-to-paste Python. */
export interface ConfigSnippets {
  trialNumber: number;
  objective: number;
  kerasTuner: string;
  optuna: string;
}

/** Everything the analysis view of one study shows. */
export interface StudyAnalysis {
  studyId: number;
  slices: SliceView;
  parallel: ParallelData;
  coverage: CoverageReport;
  boundary: BoundaryWarning[];
  importance: ImportanceResult;
}
