/**
 * Comparison of studies on the same dataset and objective: best-so-far
 * curves, the distribution of objectives, the best configs side by side,
 * and for a refined study against its parent, whether refining helped.
 */
import { isBetter, isFiniteObjective } from '../space/rank';
import type { Direction, ParamValue } from '../space/types';
import type { TrialRecord } from '../study';
import { median, quantile, rankScored, scoredTrials } from './objective';
import type {
  BestByTime,
  BestByTrial,
  BestConfigRow,
  Comparison,
  Lineage,
  StudyData,
  StudySeries,
} from './types';

/** Number of best trials whose median `medianTop5` reports. */
const TOP_FOR_MEDIAN = 5;

/** Thrown when the studies cannot be compared; the message names the study and the fix. */
export class ComparisonError extends Error {
  override name = 'ComparisonError';
}

/**
 * Compares two or more studies. Each study's series has its best objective
 * so far by trial number and by seconds since its first trial started, its
 * finite objectives best first with their quartiles, and its best trial.
 * `lineage` has one entry per refined study whose parent is among `studies`
 * or in `parents` (which adds parents that are not compared themselves).
 *
 * Throws a ComparisonError for fewer than two studies, a study listed
 * twice, or studies that differ in dataset, objective metric or direction.
 */
export function compareStudies(studies: StudyData[], parents: StudyData[] = []): Comparison {
  checkComparable(studies);
  const first = studies[0].study;
  const direction = first.settings.objective.direction;
  const series = studies.map((data) => buildSeries(data, direction));

  const known = new Map<number, StudyData>();
  for (const data of [...parents, ...studies]) {
    known.set(data.study.id, data);
  }

  const lineage = studies.flatMap((data) => {
    const parent = data.study.parentId === null ? undefined : known.get(data.study.parentId);
    return parent === undefined ? [] : [compareLineage(data, parent)];
  });

  return {
    objective: first.settings.objective,
    datasetId: first.datasetId,
    datasetName: first.datasetName,
    series,
    bestConfigs: bestConfigTable(studies, series),
    lineage,
  };
}

function checkComparable(studies: StudyData[]): void {
  if (studies.length < 2) {
    throw new ComparisonError(
      `a comparison needs at least two studies, got ${studies.length}; pick another study`,
    );
  }

  const first = studies[0].study;
  const seen = new Set<number>();
  for (const { study } of studies) {
    if (seen.has(study.id)) {
      throw new ComparisonError(`study '${study.name}' is listed twice; pick each study once`);
    }
    seen.add(study.id);

    if (study.datasetId !== first.datasetId) {
      throw new ComparisonError(
        `study '${study.name}' uses dataset '${study.datasetName}', but '${first.name}' uses '${first.datasetName}'; compare studies on the same dataset`,
      );
    }

    const { metric, direction } = study.settings.objective;
    const expected = first.settings.objective;
    if (metric !== expected.metric || direction !== expected.direction) {
      throw new ComparisonError(
        `study '${study.name}' optimises ${metric} (${direction}), but '${first.name}' optimises ${expected.metric} (${expected.direction}); compare studies with the same objective`,
      );
    }
  }
}

function buildSeries(data: StudyData, direction: Direction): StudySeries {
  const ranked = rankScored(data.trials, direction);
  const sorted = ranked.map((trial) => trial.objective);
  const ascending = [...sorted].sort((a, b) => a - b);
  const best = ranked[0];

  return {
    studyId: data.study.id,
    name: data.study.name,
    stage: data.study.stage,
    parentId: data.study.parentId,
    completed: data.trials.filter((trial) => trial.status === 'completed').length,
    failed: data.trials.filter((trial) => trial.status === 'failed').length,
    byTrial: bestByTrial(data.trials, direction),
    byTime: bestByTime(data.trials, direction),
    sorted,
    quantiles:
      ascending.length === 0
        ? null
        : {
            min: ascending[0],
            q25: quantile(ascending, 0.25),
            median: quantile(ascending, 0.5),
            q75: quantile(ascending, 0.75),
            max: ascending[ascending.length - 1],
          },
    medianTop5: median(sorted.slice(0, TOP_FOR_MEDIAN)),
    best:
      best === undefined
        ? null
        : { trialId: best.id, number: best.number, objective: best.objective, values: best.values },
  };
}

/**
 * Returns the best objective so far after each trial that ended (completed
 * or failed), by trial number. A failed trial or a non-finite objective has
 * a null objective and carries the best so far on.
 */
export function bestByTrial(trials: TrialRecord[], direction: Direction): BestByTrial[] {
  const ended = trials
    .filter((trial) => trial.status === 'completed' || trial.status === 'failed')
    .sort((a, b) => a.number - b.number);
  let best: number | null = null;

  return ended.map((trial) => {
    const objective =
      trial.status === 'completed' && isFiniteObjective(trial.objective) ? trial.objective : null;
    if (isBetter(objective, best, direction)) {
      best = objective;
    }
    return { number: trial.number, objective, best };
  });
}

/**
 * Returns the best objective so far each time a completed trial finished,
 * in seconds from the start of the study's first trial. Trials without a
 * start or finish time are left out.
 */
export function bestByTime(trials: TrialRecord[], direction: Direction): BestByTime[] {
  const starts = trials
    .map((trial) => (trial.startedAt === null ? NaN : Date.parse(trial.startedAt)))
    .filter(Number.isFinite);
  if (starts.length === 0) {
    return [];
  }

  const origin = Math.min(...starts);
  const finished = scoredTrials(trials)
    .map((trial) => ({ trial, at: trial.finishedAt === null ? NaN : Date.parse(trial.finishedAt) }))
    .filter(({ at }) => Number.isFinite(at))
    .sort((a, b) => a.at - b.at || a.trial.number - b.trial.number);
  let best: number | null = null;

  return finished.map(({ trial, at }) => {
    if (isBetter(trial.objective, best, direction)) {
      best = trial.objective;
    }
    return { seconds: (at - origin) / 1000, objective: trial.objective, best: best as number };
  });
}

/**
 * Compares a refined study with its parent: best objectives, the median of
 * the five best of each, and the trial number at which the refined study
 * first matched or beat the parent's best (null when it never did).
 */
export function compareLineage(refined: StudyData, parent: StudyData): Lineage {
  const direction = parent.study.settings.objective.direction;
  const refinedRanked = rankScored(refined.trials, direction).map((trial) => trial.objective);
  const parentRanked = rankScored(parent.trials, direction).map((trial) => trial.objective);
  const best = refinedRanked[0] ?? null;
  const parentBest = parentRanked[0] ?? null;
  const medianTop5 = median(refinedRanked.slice(0, TOP_FOR_MEDIAN));
  const parentMedianTop5 = median(parentRanked.slice(0, TOP_FOR_MEDIAN));

  let reachedAt: number | null = null;
  if (parentBest !== null) {
    const reached = bestByTrial(refined.trials, direction).find(
      (point) => point.best !== null && !isBetter(parentBest, point.best, direction),
    );
    reachedAt = reached?.number ?? null;
  }

  const improvement =
    best === null || parentBest === null
      ? null
      : direction === 'maximize'
        ? best - parentBest
        : parentBest - best;

  return {
    studyId: refined.study.id,
    studyName: refined.study.name,
    parentId: parent.study.id,
    parentName: parent.study.name,
    parentBest,
    best,
    improvement,
    parentMedianTop5,
    medianTop5,
    trialsToReachParentBest: reachedAt,
    summary: summarise(refined, parent, best, parentBest, medianTop5, parentMedianTop5, reachedAt),
  };
}

function summarise(
  refined: StudyData,
  parent: StudyData,
  best: number | null,
  parentBest: number | null,
  medianTop5: number | null,
  parentMedianTop5: number | null,
  reachedAt: number | null,
): string {
  const metric = parent.study.settings.objective.metric;
  const names = `'${refined.study.name}' against '${parent.study.name}'`;

  if (best === null || parentBest === null) {
    const missing = best === null ? refined.study.name : parent.study.name;
    return `${names}: no answer yet, because '${missing}' has no completed trial`;
  }

  const direction = parent.study.settings.objective.direction;
  const verdict = isBetter(best, parentBest, direction)
    ? 'refining found a better best'
    : best === parentBest
      ? 'refining matched the best'
      : 'refining did not beat the best';
  const reach =
    reachedAt === null
      ? "never reached the parent's best"
      : `reached the parent's best at trial ${reachedAt}`;
  const medians =
    medianTop5 !== null && parentMedianTop5 !== null
      ? `; median of the top 5 ${format(medianTop5)} against ${format(parentMedianTop5)}`
      : '';

  return `${names}: ${verdict} (${metric} ${format(best)} against ${format(parentBest)}${medians}); it ${reach}`;
}

function format(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

/**
 * Lists the hyperparameters of all studies (first study's order, then new
 * names) with each study's best-trial value, null where a study has no
 * completed trial or no such hyperparameter.
 */
function bestConfigTable(studies: StudyData[], series: StudySeries[]): BestConfigRow[] {
  const names: string[] = [];
  for (const { study } of studies) {
    for (const p of study.space) {
      if (!names.includes(p.name)) {
        names.push(p.name);
      }
    }
  }

  return names.map((name) => ({
    name,
    values: series.map((item): ParamValue | null => item.best?.values[name] ?? null),
  }));
}
