/**
 * Rules and chart data of the comparison screen. Pure functions, so they
 * are unit-tested under Node.
 */
import type { Comparison } from '../../../shared/analysis/types';
import type { StudyRecord } from '../../../shared/study';
import type { Series } from './trials';

/**
 * Returns why `study` cannot be compared with `reference` (another dataset,
 * metric or direction), or null when it can. Comparing objectives of
 * different datasets or metrics would put unrelated numbers on one axis.
 */
export function incompatibility(
  study: StudyRecord,
  reference: StudyRecord | undefined,
): string | null {
  if (!reference || study.id === reference.id) {
    return null;
  }
  if (study.datasetId !== reference.datasetId) {
    return `dataset ${study.datasetName}, not ${reference.datasetName}`;
  }

  const own = study.settings.objective;
  const other = reference.settings.objective;
  if (own.metric !== other.metric || own.direction !== other.direction) {
    return `objective ${own.direction} ${own.metric}, not ${other.direction} ${other.metric}`;
  }
  return null;
}

/** Returns the best objective so far against trial number, one stepped line per study. */
export function bestByTrialSeries(comparison: Comparison): Series[] {
  return comparison.series.map((study, index) => ({
    label: study.name,
    colorIndex: index,
    stepped: true,
    points: study.byTrial
      .filter((entry) => entry.best !== null)
      .map((entry) => ({ x: entry.number, y: entry.best as number })),
  }));
}

/** Unit of a wall-clock axis: its name and its length in seconds. */
export interface TimeUnit {
  name: 'seconds' | 'minutes' | 'hours';
  seconds: number;
}

/** Returns the unit that keeps the longest study's wall-clock span between about 2 and 120. */
export function timeUnitOf(comparison: Comparison): TimeUnit {
  let longest = 0;
  for (const study of comparison.series) {
    for (const entry of study.byTime) {
      longest = Math.max(longest, entry.seconds);
    }
  }

  if (longest > 2 * 3600) {
    return { name: 'hours', seconds: 3600 };
  }
  return longest > 120 ? { name: 'minutes', seconds: 60 } : { name: 'seconds', seconds: 1 };
}

/** Returns the best objective so far against wall-clock time since each study's first trial, in `unit`. */
export function bestByTimeSeries(comparison: Comparison, unit: TimeUnit): Series[] {
  return comparison.series.map((study, index) => ({
    label: study.name,
    colorIndex: index,
    stepped: true,
    points: study.byTime.map((entry) => ({ x: entry.seconds / unit.seconds, y: entry.best })),
  }));
}

/**
 * Returns each study's objectives best first against their rank as a
 * percentage of its trials (0 for the best, 100 for the worst), so studies
 * with different trial counts share one axis.
 */
export function sortedObjectiveSeries(comparison: Comparison): Series[] {
  return comparison.series.map((study, index) => {
    const last = Math.max(1, study.sorted.length - 1);
    return {
      label: study.name,
      colorIndex: index,
      points: study.sorted.map((objective, rank) => ({ x: (rank / last) * 100, y: objective })),
    };
  });
}
