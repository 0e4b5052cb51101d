import { configOf, rankConfigs, repeatsOf } from '../../shared/configs';
import { rankTrials } from '../../shared/space/rank';
import type { Hyperparameter, ParamValue, SearchSpace } from '../../shared/space/types';
import type { StudyRecord, TrialRecord } from '../../shared/study';

/** Magnitudes from this one up are written in exponent form. */
const EXPONENT_ABOVE = 1e6;
/** Magnitudes below this one (other than 0) are written in exponent form. */
const EXPONENT_BELOW = 1e-4;

/**
 * Formats a number for tables and progress lines with 4 significant digits:
 * "0.9412", "1.22e+19", "5e-5". Integers below 1e6 stay whole ("128"). A
 * magnitude of 1e6 or more, or below 1e-4, is written in exponent form,
 * integers included, because long digit strings are hard to compare.
 */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '-';
  }
  if (!Number.isFinite(value)) {
    return String(value);
  }

  // The form is chosen after rounding, so 999999.5 reads "1e+6" and not "1000000".
  const rounded = Number.isInteger(value) ? value : Number(value.toPrecision(4));
  const magnitude = Math.abs(rounded);
  if (magnitude !== 0 && (magnitude < EXPONENT_BELOW || magnitude >= EXPONENT_ABOVE)) {
    // Converting the rounded string back to a number drops the trailing zeros of "1.220e+19".
    return Number(rounded.toPrecision(4)).toExponential();
  }
  return String(rounded);
}

/** Formats a hyperparameter value: numbers as formatNumber does, anything else as text. */
export function formatValue(value: ParamValue | undefined): string {
  return typeof value === 'number' ? formatNumber(value) : String(value ?? '-');
}

export function formatDuration(ms: number | null): string {
  if (ms === null) {
    return '-';
  }
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

/** Lays out rows as a text table with a header, columns padded to their widest cell. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();

  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

/** Formats the best `count` completed trials of a study, best first. */
export function formatLeaderboard(study: StudyRecord, trials: TrialRecord[], count = 10): string {
  const metric = study.settings.objective.metric;
  const completed = trials.filter((trial) => trial.status === 'completed');
  const ranked = rankTrials(completed, study.settings.objective.direction).slice(0, count);
  const names = study.space.filter((param) => param.type !== 'fixed').map((param) => param.name);
  const testMetric = `test_${metric.replace(/^val_/, '')}`;
  const hasTest = ranked.some((trial) => trial.metrics?.[testMetric] !== undefined);
  // With repeats, each row names its config and repeat, so the trainings of one config are distinguishable.
  const hasRepeats = repeatsOf(study.settings) > 1;

  const header = ['rank', 'trial', ...(hasRepeats ? ['config'] : []), metric];
  header.push(...(hasTest ? [testMetric] : []), ...names);
  header.push('best_epoch', 'epochs', 'time', 'backend');

  const rows = ranked.map((trial, index) => [
    String(index + 1),
    String(trial.number),
    ...(hasRepeats ? [`${configOf(trial)} (repeat ${trial.repeat ?? 1})`] : []),
    formatNumber(trial.objective),
    ...(hasTest ? [formatNumber(trial.metrics?.[testMetric])] : []),
    ...names.map((name) => formatValue(trial.values[name])),
    String(trial.bestEpoch ?? '-'),
    String(trial.epochsRun ?? '-'),
    formatDuration(trial.durationMs),
    trial.backend ?? '-',
  ]);
  return formatTable(header, rows);
}

/**
 * Formats the best `count` configs of a study with repeats, ranked by the
 * mean objective of their completed trainings: "0.9412 ± 0.0031" with n,
 * the trainings that completed out of those planned.
 */
export function formatConfigLeaderboard(
  study: StudyRecord,
  trials: TrialRecord[],
  count = 10,
): string {
  const metric = study.settings.objective.metric;
  const ranked = rankConfigs(trials, study.settings.objective.direction)
    .filter((config) => config.completed > 0)
    .slice(0, count);
  const names = study.space.filter((param) => param.type !== 'fixed').map((param) => param.name);
  const header = ['rank', 'config', `mean ${metric} ± sd`, 'n', 'min', 'max', 'failed', ...names];

  const rows = ranked.map((config, index) => [
    String(index + 1),
    String(config.config),
    formatMeanAndSpread(config.mean, config.sd),
    `${config.completed}/${config.trainings}`,
    formatNumber(config.min),
    formatNumber(config.max),
    String(config.failed),
    ...names.map((name) => formatValue(config.values[name])),
  ]);
  return formatTable(header, rows);
}

/** Formats a mean with its standard deviation, "0.9412 ± 0.0031"; the sd is "-" with one value. */
export function formatMeanAndSpread(mean: number | null, sd: number | null): string {
  return `${formatNumber(mean)} ± ${formatNumber(sd)}`;
}

/** Describes one hyperparameter's range in a line: "float 1e-4..0.1 log". */
export function describeParam(param: Hyperparameter): string {
  switch (param.type) {
    case 'int':
    case 'float': {
      const step = param.step === undefined ? '' : ` step ${formatNumber(param.step)}`;
      const scale = param.scale && param.scale !== 'linear' ? ` ${param.scale}` : '';
      return `${param.type} ${formatNumber(param.min)}..${formatNumber(param.max)}${step}${scale}`;
    }
    case 'choice':
      return `choice ${param.values.map(String).join(', ')}`;
    case 'boolean':
      return 'boolean';
    case 'fixed':
      return `fixed ${formatValue(param.value)}`;
  }
}

/** Formats a refined space next to its parent, one hyperparameter a row. */
export function formatRefinement(parent: SearchSpace, refined: SearchSpace): string {
  const rows = refined.map((param) => {
    const before = parent.find((candidate) => candidate.name === param.name);
    return [param.name, before ? describeParam(before) : '-', describeParam(param)];
  });
  return formatTable(['hyperparameter', 'coarse', 'refined'], rows);
}
