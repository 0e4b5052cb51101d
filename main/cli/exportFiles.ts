import fs from 'node:fs';
import path from 'node:path';
import { ScoutError } from '../core/errors';
import { type ConflictRemedy, writeExportFiles } from '../core/export';
import type { CommandContext } from './context';

/** Flags of `scout export`. */
export interface ExportOptions {
  format: 'json' | 'yaml' | 'csv';
  out?: string;
  model?: string;
  force?: boolean;
}

/** The fixes that the CLI's conflict messages offer. */
const FORCE_REMEDY: ConflictRemedy = { overwrite: 'pass --force', elsewhere: 'give another path' };

/**
 * Exports study `idOrName` to `--out` (or standard output) and its best
 * model to `--model`. Both targets are checked before anything is written,
 * so a rejected `--model` leaves no new `--out` file behind. Without
 * `--force`, an existing `--out` file or a `--model` folder that has files
 * already is rejected, and files are created exclusively (writeExportFiles).
 */
export function exportStudyFiles(
  context: CommandContext,
  idOrName: string,
  options: ExportOptions,
): void {
  const force = options.force ?? false;
  const study = context.service.getStudy(idOrName);
  const file = context.service.exportStudy(study.id, options.format);
  const model = options.model === undefined ? undefined : context.service.exportModel(study.id);

  if (options.out !== undefined) {
    checkOutFile(options.out, file.fileName, force);
  }
  if (options.model !== undefined) {
    checkModelFolder(options.model, force);
  }

  if (options.out === undefined) {
    process.stdout.write(file.content);
  } else {
    const entry = { name: path.basename(options.out), content: file.content };
    writeExportFiles(path.dirname(options.out), [entry], force, FORCE_REMEDY);
    console.error(`wrote ${options.out}`);
  }

  if (options.model !== undefined && model !== undefined) {
    fs.mkdirSync(options.model, { recursive: true });
    const entries = model.files.map((name) => ({
      name,
      content: fs.readFileSync(path.join(model.directory, name)),
    }));
    writeExportFiles(options.model, entries, force, FORCE_REMEDY);
    console.error(`copied the model of trial ${model.trial.number} to ${options.model}`);
  }
}

/** Rejects an `--out` path that is a folder or lies in a missing folder; `fileName` is the suggested name. */
function checkOutFile(out: string, fileName: string, force: boolean): void {
  const existing = statOrUndefined(out);
  if (existing?.isDirectory()) {
    throw new ScoutError(
      'invalid',
      `--out ${out} is a folder; give a file path such as ${path.join(out, fileName)}`,
    );
  }
  const folder = path.dirname(out);
  if (!statOrUndefined(folder)?.isDirectory()) {
    throw new ScoutError(
      'invalid',
      `--out ${out}: the folder ${folder} does not exist; create it first or give another path`,
    );
  }
  if (existing !== undefined && !force) {
    throw new ScoutError(
      'conflict',
      `--out ${out} exists already; pass --force to replace it, or give another path`,
    );
  }
}

/** Rejects a `--model` path that is a file, or a folder with files in it unless `force`. */
function checkModelFolder(folder: string, force: boolean): void {
  const existing = statOrUndefined(folder);
  if (existing === undefined) {
    return;
  }
  if (!existing.isDirectory()) {
    throw new ScoutError(
      'invalid',
      `--model ${folder} is a file, not a folder; give the path of a new or empty folder for the model files`,
    );
  }
  const entries = fs.readdirSync(folder);
  if (entries.length > 0 && !force) {
    throw new ScoutError(
      'conflict',
      `--model ${folder} is a folder with ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} in it already; ` +
        'pass --force to write the model files into it (replacing files of the same name), ' +
        'or give a new or empty folder',
    );
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}
