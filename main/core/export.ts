import fs from 'node:fs';
import path from 'node:path';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import YAML from 'yaml';
import type { ExportedFile } from '../../shared/api/contract';
import { encodeNonFinite, stringifyJson } from '../../shared/json';
import { bestTraining } from '../../shared/configs';
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
  const found = bestTraining(study.settings, trials);
  if (found === undefined) {
    throw new ScoutError(
      'not-found',
      `study '${study.name}' has no completed trial yet, so it has no best config to export`,
    );
  }

  const best = found.trial;
  const config = found.config;
  return {
    study: { id: study.id, name: study.name, stage: study.stage, parent: study.parentId },
    dataset: { name: dataset.name, format: dataset.format, task: dataset.task },
    template: study.template,
    objective: { ...study.settings.objective, value: best.objective },
    // With repeats the config is chosen by its mean; the trial below is its best training.
    ...(config && {
      repeats: {
        config: config.config,
        mean: config.mean,
        sd: config.sd,
        completed: config.completed,
        trainings: config.trainings,
      },
    }),
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

/** A file to write into an export folder: a plain name (or `folder/name`) and its content. */
export interface ExportEntry {
  /** File name, or one subfolder and a file name for a model's files. */
  name: string;
  content: string | Buffer;
}

/**
 * Folders the user chose in a folder dialog, the only ones an export may be
 * written into. The renderer sends a folder path with the request, so the
 * main process checks it against this list instead of trusting it.
 */
export class ExportFolders {
  private readonly chosen = new Set<string>();

  /** Adds a folder that the user picked in the main process's dialog. */
  allow(directory: string): void {
    this.chosen.add(realDirectory(directory));
  }

  /** Returns the real path of `directory` when the user chose it; raises `invalid` otherwise. */
  resolve(directory: string): string {
    if (!path.isAbsolute(directory)) {
      throw new ScoutError(
        'invalid',
        `export folder '${directory}' is not an absolute path; choose the folder with the folder dialog`,
      );
    }
    const real = realDirectory(directory);
    if (!this.chosen.has(real)) {
      throw new ScoutError(
        'invalid',
        `export folder '${directory}' was not chosen in the folder dialog; choose it there first`,
      );
    }
    return real;
  }
}

function realDirectory(directory: string): string {
  let real: string;
  try {
    real = fs.realpathSync(directory);
  } catch {
    throw new ScoutError(
      'invalid',
      `export folder '${directory}' does not exist; choose another folder`,
    );
  }
  if (!fs.statSync(real).isDirectory()) {
    throw new ScoutError(
      'invalid',
      `export folder '${directory}' is not a folder; choose a folder`,
    );
  }
  return real;
}

/** Wording of the fixes that conflict messages offer: how to allow replacing, and what else to do. */
export interface ConflictRemedy {
  /** Action that allows replacing, such as "choose overwrite" or "pass --force". */
  overwrite: string;
  /** Alternative to replacing, such as "choose another folder". */
  elsewhere: string;
}

/** The remedies of the desktop app's save dialog, the default of writeExportFiles. */
const DIALOG_REMEDY: ConflictRemedy = {
  overwrite: 'choose overwrite',
  elsewhere: 'choose another folder',
};

/**
 * Writes export files into `directory` (a real path) and returns their paths.
 * Each name must stay inside the folder: no `..`, no absolute path, no
 * separators beyond one subfolder. Without `overwrite`, an existing file or
 * subfolder raises `conflict` naming it before anything is written, and
 * files are created exclusively, so a file that appears meanwhile is not
 * replaced either. With `overwrite`, a file is replaced by renaming a new
 * one over it, never by writing through a symbolic link. Conflict messages
 * offer the fixes in `remedy`.
 */
export function writeExportFiles(
  directory: string,
  entries: ExportEntry[],
  overwrite: boolean,
  remedy: ConflictRemedy = DIALOG_REMEDY,
): string[] {
  const targets = entries.map((entry) => ({
    ...entry,
    target: exportTarget(directory, entry.name),
  }));

  for (const { target } of targets) {
    checkTarget(target, overwrite, remedy);
  }
  for (const folder of new Set(targets.map(({ target }) => path.dirname(target)))) {
    if (folder !== directory) {
      checkFolder(folder, overwrite, remedy);
      fs.mkdirSync(folder, { recursive: true });
    }
  }

  for (const { target, content } of targets) {
    if (!overwrite) {
      writeExclusive(target, content, remedy);
      continue;
    }
    const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(temporary, content, { flag: 'wx' });
    fs.renameSync(temporary, target);
  }
  return targets.map(({ target }) => target);
}

/** Returns the path of `name` inside `directory`; raises `invalid` for a name that leaves it. */
function exportTarget(directory: string, name: string): string {
  const parts = name.split('/');
  const valid =
    parts.length <= 2 &&
    parts.every(
      (part) =>
        part !== '' &&
        part !== '.' &&
        part !== '..' &&
        !part.includes('\\') &&
        !part.includes('\0') &&
        !path.isAbsolute(part),
    );
  const target = path.join(directory, ...parts);
  const relative = path.relative(directory, target);
  if (!valid || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new ScoutError(
      'invalid',
      `export file name '${name}' would leave the folder ${directory}; use a plain file name`,
    );
  }
  return target;
}

function checkTarget(target: string, overwrite: boolean, remedy: ConflictRemedy): void {
  const existing = lstatOrUndefined(target);
  if (existing === undefined) {
    return;
  }
  if (!existing.isFile()) {
    throw new ScoutError(
      'conflict',
      `${target} exists and is not a regular file, so the export cannot replace it; move it away or ${remedy.elsewhere}`,
    );
  }
  if (!overwrite) {
    throw new ScoutError(
      'conflict',
      `${target} exists already; ${remedy.overwrite} to replace it, or ${remedy.elsewhere}`,
    );
  }
}

function checkFolder(folder: string, overwrite: boolean, remedy: ConflictRemedy): void {
  const existing = lstatOrUndefined(folder);
  if (existing === undefined) {
    return;
  }
  if (!existing.isDirectory()) {
    throw new ScoutError(
      'conflict',
      `${folder} exists and is not a folder (or is a link), so the export cannot write into it; move it away or ${remedy.elsewhere}`,
    );
  }
  if (!overwrite) {
    throw new ScoutError(
      'conflict',
      `${folder} exists already; ${remedy.overwrite} to replace its files, or ${remedy.elsewhere}`,
    );
  }
}

function writeExclusive(target: string, content: string | Buffer, remedy: ConflictRemedy): void {
  try {
    fs.writeFileSync(target, content, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ScoutError(
        'conflict',
        `${target} exists already; ${remedy.overwrite} to replace it, or ${remedy.elsewhere}`,
      );
    }
    throw error;
  }
}

function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}
