import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { formatZodError, searchSpaceSchema, studySettingsSchema } from '../../shared/api/schemas';
import type { SearchSpace } from '../../shared/space/types';
import type { StudySettings } from '../../shared/study';
import { ScoutError } from '../core/errors';

/**
 * A study file for `scout run`: the dataset, the hyperparameters and any
 * settings to change from the defaults. Example (YAML):
 *
 *   name: mnist-coarse
 *   dataset: mnist
 *   trials: 25
 *   epochs: 3
 *   hyperparameters:
 *     - { name: learning_rate, type: float, min: 1e-4, max: 1e-1, scale: log }
 *     - { name: units, type: int, min: 32, max: 512, step: 2, scale: log }
 */
export const studyFileSchema = studySettingsSchema
  .partial()
  .extend({
    name: z.string().min(1).optional(),
    dataset: z.union([z.string().min(1), z.number().int().positive()]).optional(),
    hyperparameters: searchSpaceSchema,
  })
  // A misspelt setting ('epoch', 'train_limit') must fail, not silently fall back to its default.
  .strict();

/** A parsed study file. */
export interface StudyFile {
  name?: string;
  dataset?: string | number;
  hyperparameters: SearchSpace;
  settings: Partial<StudySettings>;
}

/** Reads a study file, JSON or YAML by its extension, and checks its shape. */
export function readStudyFile(file: string): StudyFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScoutError('not-found', `cannot read ${file}: ${(error as Error).message}`);
  }

  const isYaml = /\.ya?ml$/i.test(file);
  let raw: unknown;
  try {
    raw = isYaml ? YAML.parse(text) : JSON.parse(text);
  } catch (error) {
    const format = isYaml ? 'YAML' : 'JSON';
    throw new ScoutError('invalid', `${file} is not valid ${format}: ${(error as Error).message}`);
  }

  // A bare list is a space without settings, as the form's space export writes it.
  const document = Array.isArray(raw) ? { hyperparameters: raw } : raw;
  const parsed = studyFileSchema.safeParse(document);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys' && issue.path.length === 0) {
        const known = Object.keys(studyFileSchema.shape).join(', ');
        (issue as { message: string }).message =
          `unknown key ${issue.keys.join(', ')}; a study file takes ${known}`;
      }
    }
    const message = formatZodError(parsed.error, (where) => describeLocation(document, where));
    throw new ScoutError('invalid', `${path.basename(file)}:\n${message}`);
  }

  const { name, dataset, hyperparameters, ...settings } = parsed.data;
  return { name, dataset, hyperparameters: hyperparameters as SearchSpace, settings };
}

/**
 * Names a location in a study file as a user reads it: a hyperparameter by
 * its name (or its position, counted from 1, when it has none) and a setting
 * by its key.
 */
function describeLocation(document: unknown, where: PropertyKey[]): string {
  const [section, index, ...rest] = where;
  if (section !== 'hyperparameters' || typeof index !== 'number') {
    return where.map(String).join('.');
  }

  const entries = (document as { hyperparameters?: unknown[] }).hyperparameters ?? [];
  const name = (entries[index] as { name?: unknown } | undefined)?.name;
  const label =
    typeof name === 'string' && name !== ''
      ? `hyperparameter '${name}'`
      : `hyperparameter ${index + 1}`;
  return rest.length > 0 ? `${label} ${rest.map(String).join('.')}` : label;
}

/** Writes a search space (and optional settings) as a study file, YAML or JSON by extension. */
export function writeStudyFile(file: string, document: Record<string, unknown>): void {
  const text = /\.ya?ml$/i.test(file)
    ? YAML.stringify(document)
    : `${JSON.stringify(document, null, 2)}\n`;
  fs.writeFileSync(file, text);
}
