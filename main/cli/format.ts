import { rankTrials } from '../../shared/space/rank';
import type { Hyperparameter, ParamValue, SearchSpace } from '../../shared/space/types';
import type { StudyRecord, TrialRecord } from '../../shared/study';

/** Formats a number for a table: integers whole, others with 4 significant digits. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '-';
  }
  if (!Number.isFinite(value)) {
    return String(value);
  }
  if (Number.isInteger(value)) {
    return String(value);
  }

  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) {
    return Number(value.toPrecision(3)).toExponential();
  }
  return String(Number(value.toPrecision(4)));
}

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

  const header = ['rank', 'trial', metric, ...(hasTest ? [testMetric] : []), ...names];
  header.push('best_epoch', 'epochs', 'time', 'backend');

  const rows = ranked.map((trial, index) => [
    String(index + 1),
    String(trial.number),
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
