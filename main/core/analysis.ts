import type { ExportedFile } from '../../shared/api/contract';
import { buildParallel } from '../../shared/analysis/parallel';
import { findBoundaryWarnings } from '../../shared/analysis/boundary';
import { compareStudies, ComparisonError } from '../../shared/analysis/compare';
import { computeCoverage } from '../../shared/analysis/coverage';
import { comparisonCsv } from '../../shared/analysis/csv';
import { buildSlices } from '../../shared/analysis/slice';
import { bestConfigSnippets } from '../../shared/analysis/snippets';
import type {
  Comparison,
  ConfigSnippets,
  ImportanceResult,
  ObjectiveScaleRequest,
  StudyAnalysis,
  StudyData,
} from '../../shared/analysis/types';
import { isFiniteObjective } from '../../shared/space/rank';
import { computeImportance, SMALL_STUDY } from '../analysis/importance';
import { getLogger } from '../log';
import { ScoutError } from './errors';
import type { StudyService } from './service';

const log = getLogger('core');

/** Importance results kept, one per study; older ones are dropped first. */
const IMPORTANCE_CACHE_SIZE = 32;

/**
 * Growth of a large study's completed trials, as a fraction, after which
 * its importance is computed again rather than reused.
 */
const REUSE_GROWTH = 0.1;

/**
 * Whole analyses kept. One of a study with 10,000 trials takes a few
 * megabytes, so only the last few are kept, enough for switching tabs.
 */
const ANALYSIS_CACHE_SIZE = 4;

/** Studies kept loaded with their trials, enough for a comparison of a few studies. */
const DATA_CACHE_SIZE = 6;

/**
 * The analysis views of studies for the API. For one study it computes the
 * slice plots, parallel coordinates, coverage, boundary warnings and
 * importance. For several it computes the comparison, as data and as CSV.
 * It also writes the best config as Python snippets. It reads through the
 * StudyService and changes nothing.
 *
 * Loading 10,000 trials takes longer than computing the views from them,
 * so a study's trials and its analysis are cached until its set of
 * completed or failed trials or its refined children change. Those sets only grow while a study
 * runs (a completed or failed trial is never queued again), so their counts
 * identify them. Importance fits random forests and takes about a second
 * on a large study, so it is cached on its own as well, for every objective
 * scale, and reused while the study grows a little (see `importance`).
 *
 * NOTE: importance runs on the calling thread. The first analysis of a
 * study with thousands of trials therefore blocks the main process for 1 to
 * 2.5 s (measured by main/analysis/bench.ts on 2 shared cores), and later
 * calls hit the cache.
 */
export class AnalysisService {
  private readonly importanceCache = new Map<string, { count: number; result: ImportanceResult }>();
  private readonly analysisCache = new Map<string, StudyAnalysis>();
  private readonly dataCache = new Map<string, StudyData>();

  constructor(private readonly service: StudyService) {}

  /** Computes every view of study `id`; throws a ScoutError `not-found` for an unknown id. */
  analyseStudy(id: number, objectiveScale: ObjectiveScaleRequest = 'auto'): StudyAnalysis {
    const { key, data } = this.load(id);
    const analysisKey = `${key}:${objectiveScale}`;

    const cached = this.analysisCache.get(analysisKey);
    if (cached !== undefined) {
      return cached;
    }

    const analysis = this.computeAnalysis(data, objectiveScale);
    remember(this.analysisCache, analysisKey, analysis, ANALYSIS_CACHE_SIZE);
    return analysis;
  }

  private computeAnalysis(data: StudyData, objectiveScale: ObjectiveScaleRequest): StudyAnalysis {
    const { space, settings } = data.study;

    return {
      studyId: data.study.id,
      slices: buildSlices(data, objectiveScale),
      parallel: buildParallel(data, objectiveScale),
      coverage: computeCoverage(space, data.trials),
      boundary: findBoundaryWarnings(space, data.trials, settings.objective.direction),
      importance: this.importance(data),
    };
  }

  /**
   * Compares the studies `ids` in that order. A refined study's parent is
   * loaded for its lineage even when it is not among `ids`. Throws a
   * ScoutError `invalid` when the studies differ in dataset or objective.
   */
  compare(ids: number[]): Comparison {
    const studies = ids.map((id) => this.load(id).data);
    const listed = new Set(ids);
    const parents = studies
      .map((data) => data.study.parentId)
      .filter((parentId): parentId is number => parentId !== null && !listed.has(parentId))
      .filter((parentId) => this.service.store.studies.get(parentId) !== undefined)
      .map((parentId) => this.load(parentId).data);

    try {
      return compareStudies(studies, parents);
    } catch (error) {
      if (error instanceof ComparisonError) {
        throw new ScoutError('invalid', error.message);
      }
      throw error;
    }
  }

  /** Returns the comparison of `ids` as a CSV file, one record per study. */
  compareCsv(ids: number[]): ExportedFile {
    const comparison = this.compare(ids);
    const names = comparison.series.map((series) => series.name).join('-vs-');

    return {
      fileName: `${safeFileName(`comparison-${names}`)}.csv`,
      mediaType: 'text/csv',
      content: comparisonCsv(comparison),
    };
  }

  /** Returns the best config of study `id` as Python; a ScoutError `conflict` before any completed trial. */
  snippets(id: number): ConfigSnippets {
    const { data } = this.load(id);
    const scored = data.trials.some(
      (trial) => trial.status === 'completed' && isFiniteObjective(trial.objective),
    );

    if (!scored) {
      throw new ScoutError(
        'conflict',
        `study '${data.study.name}' has no completed trial with an objective yet; run it before exporting its best config`,
      );
    }
    return bestConfigSnippets(data.study, data.trials);
  }

  /**
   * Returns study `id` with its trials and relatives, from the cache while
   * its completed and failed trials and its children are unchanged, with
   * the key of that state.
   */
  private load(id: number): { key: string; data: StudyData } {
    const study = this.service.getStudy(id);
    const children = this.service.store.studies.list().filter((other) => other.parentId === id);
    // createdAt distinguishes a new study from a deleted one that had the same id.
    const key = [
      id,
      study.createdAt,
      study.completedTrials,
      study.failedTrials,
      study.bestObjective,
      study.parentId,
      children.map((child) => child.id).join('+'),
    ].join(':');

    const cached = this.dataCache.get(key);
    if (cached !== undefined) {
      return { key, data: cached };
    }

    // The views read no metrics, so the trials are listed without them.
    const data: StudyData = {
      study,
      trials: this.service.store.trials.listByStudy(id, { metrics: false }),
      parent:
        study.parentId === null ? null : (this.service.store.studies.get(study.parentId) ?? null),
      children,
    };
    remember(this.dataCache, key, data, DATA_CACHE_SIZE);
    return { key, data };
  }

  /**
   * Returns the importance of a study's hyperparameters. On a study larger
   * than SMALL_STUDY an earlier result is reused until the completed trials
   * have grown by REUSE_GROWTH, so a view that refreshes after every trial
   * of a running study does not fit new forests each time.
   */
  private importance(data: StudyData): ImportanceResult {
    const key = `${data.study.id}:${data.study.createdAt}`;
    const count = countScored(data);
    const cached = this.importanceCache.get(key);

    if (cached !== undefined && isStillCurrent(cached.count, count)) {
      return cached.result;
    }

    const started = performance.now();
    const result = computeImportance(data.study.space, data.trials);
    log.debug(
      {
        studyId: data.study.id,
        trials: result.trials,
        ms: Math.round(performance.now() - started),
      },
      'computed importance',
    );

    remember(this.importanceCache, key, { count, result }, IMPORTANCE_CACHE_SIZE);
    return result;
  }
}

/** Returns whether importance computed on `computedOn` scored trials still stands for `count`. */
function isStillCurrent(computedOn: number, count: number): boolean {
  if (count === computedOn) {
    return true;
  }

  // A small study's forests take well under a second, and each trial changes its estimate a lot.
  return computedOn > SMALL_STUDY && count > computedOn && count < computedOn * (1 + REUSE_GROWTH);
}

function countScored(data: StudyData): number {
  return data.trials.filter(
    (trial) => trial.status === 'completed' && isFiniteObjective(trial.objective),
  ).length;
}

/** Stores `value` under `key`, dropping the oldest entries beyond `size`. */
function remember<T>(cache: Map<string, T>, key: string, value: T, size: number): void {
  cache.set(key, value);
  while (cache.size > size) {
    cache.delete(cache.keys().next().value as string);
  }
}

function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'comparison';
}
