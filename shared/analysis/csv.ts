/**
 * The comparison of studies as CSV (RFC 4180: CRLF line ends, fields with a
 * comma, a double quote or a line break are quoted, with quotes doubled).
 */
import type { ParamValue } from '../space/types';
import type { Comparison } from './types';

/** A value of a CSV cell; null and undefined give an empty cell. */
export type CsvCell = string | number | boolean | null | undefined;

/**
 * Returns `cell` as an RFC 4180 field. Numbers keep full precision, and
 * non-finite ones are written `NaN`, `Infinity` and `-Infinity`.
 */
export function csvField(cell: CsvCell): string {
  if (cell === null || cell === undefined) {
    return '';
  }

  const text = String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Returns `rows` as CSV text with CRLF after every record, the last included. */
export function toCsv(rows: CsvCell[][]): string {
  return rows.map((row) => row.map(csvField).join(',') + '\r\n').join('');
}

/**
 * Returns the comparison as CSV, one record per study: its stage and parent,
 * trial counts, best objective and trial, median of the top 5, quartiles,
 * the lineage numbers when its parent is in the comparison, and its best
 * config, one column per hyperparameter.
 */
export function comparisonCsv(comparison: Comparison): string {
  const metric = comparison.objective.metric;
  const header: CsvCell[] = [
    'study_id',
    'study',
    'stage',
    'parent_id',
    'dataset',
    'objective',
    'direction',
    'completed',
    'failed',
    `best_${metric}`,
    'best_trial',
    'median_top5',
    'min',
    'q25',
    'median',
    'q75',
    'max',
    `parent_best_${metric}`,
    'improvement_over_parent',
    'trials_to_reach_parent_best',
    ...comparison.bestConfigs.map((row) => `best.${row.name}`),
  ];

  const records = comparison.series.map((series, index): CsvCell[] => {
    const lineage = comparison.lineage.find((item) => item.studyId === series.studyId);
    const quantiles = series.quantiles;
    const reached =
      lineage === undefined ? null : (lineage.trialsToReachParentBest ?? 'not reached');

    return [
      series.studyId,
      series.name,
      series.stage,
      series.parentId,
      comparison.datasetName,
      metric,
      comparison.objective.direction,
      series.completed,
      series.failed,
      series.best?.objective,
      series.best?.number,
      series.medianTop5,
      quantiles?.min,
      quantiles?.q25,
      quantiles?.median,
      quantiles?.q75,
      quantiles?.max,
      lineage?.parentBest,
      lineage?.improvement,
      reached,
      ...comparison.bestConfigs.map((row): ParamValue | null => row.values[index]),
    ];
  });

  return toCsv([header, ...records]);
}
