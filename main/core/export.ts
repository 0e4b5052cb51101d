import { stringify as stringifyCsv } from 'csv-stringify/sync';
import YAML from 'yaml';
import type { ExportedFile } from '../../shared/api/contract';
import { encodeNonFinite, stringifyJson } from '../../shared/json';
import { rankTrials } from '../../shared/space/rank';
import type { DatasetRecord, StudyRecord, TrialRecord } from '../../shared/study';
import { MLP_KNOBS } from '../../shared/templates/mlp';
import { ScoutError } from './errors';

/**
 * Export formats. Numbers keep their exact value: integers are written as
 * integers and floats with the shortest digits that read back to the same
 * double. JSON and CSV have no NaN or Infinity, so non-finite metrics are
 * written as the strings "NaN", "Infinity" and "-Infinity"; YAML writes its
 * own `.nan`, `.inf` and `-.inf`. No metric is ever written as an empty
 * field or a null by accident: null means the trial has no such value
 * (failed trials have no objective).
 */

function fileBase(study: StudyRecord): string {
  return (
    study.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || `study-${study.id}`
  );
}

/** Returns the complete model configuration of a trial: its values over the template's defaults. */
function resolvedConfig(study: StudyRecord, trial: TrialRecord): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const knob of MLP_KNOBS) {
    config[knob.name] = knob.default;
  }
  config.epochs = study.settings.epochs;
  return { ...config, ...trial.values };
}

/** Builds the best-config document of a study. */
export function bestConfigDocument(
  study: StudyRecord,
  dataset: DatasetRecord,
  trials: TrialRecord[],
): Record<string, unknown> {
  const completed = trials.filter((trial) => trial.status === 'completed');
  const best = rankTrials(completed, study.settings.objective.direction)[0];

  if (best === undefined) {
    throw new ScoutError(
      'not-found',
      `study '${study.name}' has no completed trial yet, so it has no best config to export`,
    );
  }

  return {
    study: { id: study.id, name: study.name, stage: study.stage, parent: study.parentId },
    dataset: { name: dataset.name, format: dataset.format, task: dataset.task },
    template: study.template,
    objective: { ...study.settings.objective, value: best.objective },
    trial: {
      number: best.number,
      seed: best.seed,
      backend: best.backend,
      bestEpoch: best.bestEpoch,
      epochsRun: best.epochsRun,
      metrics: best.metrics,
    },
    hyperparameters: best.values,
    config: resolvedConfig(study, best),
  };
}

/** Exports the best trial's configuration as JSON or YAML. */
export function exportBestConfig(
  study: StudyRecord,
  dataset: DatasetRecord,
  trials: TrialRecord[],
  format: 'json' | 'yaml',
): ExportedFile {
  const document = bestConfigDocument(study, dataset, trials);

  if (format === 'json') {
    return {
      fileName: `${fileBase(study)}-best.json`,
      mediaType: 'application/json',
      content: `${stringifyJson(document, 2)}\n`,
    };
  }
  return {
    fileName: `${fileBase(study)}-best.yaml`,
    mediaType: 'application/yaml',
    content: YAML.stringify(document),
  };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  return String(encodeNonFinite(value));
}

/**
 * Exports every trial as CSV, one row per trial: its values, status,
 * objective and the best epoch's metrics. An empty cell means the trial has
 * no such value (a failed trial has no objective).
 */
export function exportTrialsCsv(study: StudyRecord, trials: TrialRecord[]): ExportedFile {
  const paramNames = study.space.map((param) => param.name);
  const metricNames = [
    ...new Set(trials.flatMap((trial) => Object.keys(trial.metrics ?? {}))),
  ].sort();
  const header = [
    'number',
    'status',
    'objective',
    ...paramNames,
    ...metricNames,
    'best_epoch',
    'epochs_run',
    'duration_ms',
    'backend',
    'seed',
    'error',
  ];

  const rows = trials.map((trial) => [
    trial.number,
    trial.status,
    trial.objective,
    ...paramNames.map((name) => trial.values[name]),
    ...metricNames.map((name) => trial.metrics?.[name]),
    trial.bestEpoch,
    trial.epochsRun,
    trial.durationMs,
    trial.backend,
    trial.seed,
    trial.error,
  ]);

  return {
    fileName: `${fileBase(study)}-trials.csv`,
    mediaType: 'text/csv',
    content: stringifyCsv([header, ...rows.map((row) => row.map(csvCell))]),
  };
}
