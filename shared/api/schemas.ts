/**
 * Zod schemas of everything that crosses a boundary: search-space files,
 * study settings and API requests. They check shape and types only; the
 * meaning of a space (min <= max and so on) is checked by `validateSpace`,
 * which gives messages per hyperparameter.
 */
import { z } from 'zod';
import type { Channel } from './contract';

const paramValue = z.union([z.number(), z.string(), z.boolean()]);

const name = z.string().min(1, 'a hyperparameter needs a name');

/**
 * Returns schema options whose message for an unknown key lists the keys
 * that are allowed, so a typo such as `stepp` points at `step`.
 */
function allowedKeys(what: string, keys: string[]) {
  return {
    error: (issue: { code?: string; keys?: string[] }) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys?.join(', ')}; ${what} takes ${keys.join(', ')}`
        : undefined,
  };
}

const numericKeys = ['name', 'type', 'min', 'max', 'step', 'scale'];

/** One hyperparameter as written in a space file or sent by the form. */
export const hyperparameterSchema = z.discriminatedUnion('type', [
  z.strictObject(
    {
      name,
      type: z.literal('int'),
      min: z.number(),
      max: z.number(),
      step: z.number().optional(),
      scale: z.enum(['linear', 'log']).optional(),
    },
    allowedKeys('an int', numericKeys),
  ),
  z.strictObject(
    {
      name,
      type: z.literal('float'),
      min: z.number(),
      max: z.number(),
      step: z.number().optional(),
      scale: z.enum(['linear', 'log', 'reverse_log']).optional(),
    },
    allowedKeys('a float', numericKeys),
  ),
  z.strictObject(
    { name, type: z.literal('choice'), values: z.array(paramValue) },
    allowedKeys('a choice', ['name', 'type', 'values']),
  ),
  z.strictObject({ name, type: z.literal('boolean') }, allowedKeys('a boolean', ['name', 'type'])),
  z.strictObject(
    { name, type: z.literal('fixed'), value: paramValue },
    allowedKeys('a fixed hyperparameter', ['name', 'type', 'value']),
  ),
]);

/** A search space: a list of hyperparameters. */
export const searchSpaceSchema = z.array(hyperparameterSchema);

const positiveInt = z.number().int('must be a whole number').positive('must be at least 1');

/** Study settings; every field is required here, the CLI and form fill defaults first. */
export const studySettingsSchema = z.strictObject({
  objective: z.strictObject({
    metric: z.enum(['val_accuracy', 'val_loss', 'val_mae', 'val_mse']),
    direction: z.enum(['maximize', 'minimize']),
  }),
  strategy: z.enum(['random', 'grid']),
  gridPoints: z
    .number()
    .int('must be a whole number')
    .min(2, 'must be at least 2')
    .max(100, 'must be at most 100'),
  trials: positiveInt.max(100000, 'must be at most 100000'),
  timeLimitSeconds: z.number().positive('must be a number of seconds above 0').optional(),
  seed: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be from 0 to 2147483647')
    .max(2 ** 31 - 1, 'must be from 0 to 2147483647'),
  trainingSeed: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be from 0 to 2147483647')
    .max(2 ** 31 - 1, 'must be from 0 to 2147483647')
    .optional(),
  trainingSeedOffset: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be 0 or more')
    .max(1_000_000, 'must be at most 1000000')
    .optional(),
  epochs: positiveInt.max(10000, 'must be at most 10000'),
  patience: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be 0 (off) or more')
    .max(10000, 'must be at most 10000'),
  workers: positiveInt.max(64, 'must be at most 64').optional(),
  validationFraction: z
    .number()
    .gt(0, 'must be between 0 and 1, such as 0.2')
    .lt(1, 'must be between 0 and 1, such as 0.2'),
  trainLimit: positiveInt.optional(),
  testLimit: positiveInt.optional(),
  trialTimeoutSeconds: z.number().positive('must be a number of seconds above 0').optional(),
  maxConsecutiveFailures: z
    .number()
    .int('must be a whole number')
    .min(0, 'must be 0 (off) or more')
    .max(100000, 'must be at most 100000')
    .optional(),
  repeats: z
    .number()
    .int('repeats must be a whole number of trainings per config')
    .min(1, 'repeats must be from 1 to 20 trainings per config')
    .max(20, 'repeats must be from 1 to 20 trainings per config')
    .optional(),
});

const task = z.enum(['classification', 'regression']);
const filePath = z
  .string()
  .min(1, 'a file path is required')
  .max(4096, 'must be at most 4096 characters');

/** A dataset or study name as the user types it. */
const displayName = z
  .string()
  .min(1, 'a name is required')
  .max(200, 'must be at most 200 characters');

/** Location and format of a dataset's files. */
export const datasetSourceSchema = z.discriminatedUnion('format', [
  z.strictObject({
    format: z.literal('idx'),
    images: filePath,
    labels: filePath,
    testImages: filePath.optional(),
    testLabels: filePath.optional(),
  }),
  z.strictObject({
    format: z.literal('csv'),
    path: filePath,
    target: z.string().min(1).max(1000),
    task,
  }),
  z.strictObject({ format: z.literal('npy'), features: filePath, targets: filePath, task }),
]);

const id = z.strictObject({ id: positiveInt });
const empty = z.strictObject({});
const studyIds = z
  .array(positiveInt)
  .min(2, 'pick at least two studies to compare')
  .max(50, 'pick at most 50 studies to compare');

/** Request schema of every API channel. */
export const requestSchemas: Record<Channel, z.ZodType> = {
  'system.info': empty,
  'datasets.list': empty,
  'datasets.add': z.strictObject({ name: displayName, source: datasetSourceSchema }),
  'datasets.preview': z.strictObject({
    id: positiveInt,
    rows: positiveInt.max(200),
    validationFraction: z.number().gt(0).lt(1),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
  }),
  'datasets.delete': id,
  'studies.list': empty,
  'studies.get': id,
  'studies.create': z.strictObject({
    name: displayName,
    datasetId: positiveInt,
    template: z.literal('mlp'),
    space: searchSpaceSchema,
    settings: studySettingsSchema,
    parentId: positiveInt.optional(),
  }),
  'studies.start': id,
  'studies.pause': id,
  'studies.cancel': id,
  'studies.delete': id,
  'studies.duplicate': z.strictObject({ id: positiveInt, name: displayName.optional() }),
  'studies.proposeRefinement': z.strictObject({
    id: positiveInt,
    topK: positiveInt.optional(),
    topPercent: z.number().gt(0).max(100).optional(),
    margin: z.number().min(0).max(10).optional(),
  }),
  'studies.export': z.strictObject({ id: positiveInt, format: z.enum(['json', 'yaml', 'csv']) }),
  'studies.exportModel': id,
  'studies.saveExport': z.strictObject({
    id: positiveInt,
    format: z.enum(['json', 'yaml', 'csv', 'model']),
    directory: filePath,
    overwrite: z.boolean().optional(),
  }),
  'trials.epochs': z.strictObject({ trialId: positiveInt }),
  'analysis.study': z.strictObject({
    id: positiveInt,
    objectiveScale: z.enum(['auto', 'linear', 'log']).optional(),
  }),
  'analysis.compare': z.strictObject({ ids: studyIds }),
  'analysis.snippets': id,
  'analysis.compareCsv': z.strictObject({ ids: studyIds }),
  'experiment.run': z.strictObject({
    datasetId: positiveInt,
    budget: positiveInt.max(10000, 'must be at most 10000').optional(),
    seeds: z
      .array(
        z
          .number()
          .int('must be a whole number')
          .min(0, 'must be from 0 to 1000000')
          .max(1_000_000, 'must be from 0 to 1000000'),
      )
      .min(1, 'give at least one seed')
      .max(20, 'give at most 20 seeds')
      .optional(),
    coarseTrials: positiveInt.optional(),
    retrainRepeats: positiveInt.max(20, 'must be at most 20').optional(),
    epochs: positiveInt.max(10000, 'must be at most 10000').optional(),
    trainLimit: positiveInt.optional(),
    testLimit: positiveInt.optional(),
    workers: positiveInt.max(64, 'must be at most 64').optional(),
  }),
  'experiment.get': id,
  'experiment.list': empty,
};

/**
 * Formats a Zod error as one line per problem, each led by where it is.
 * `describePath` names a location in the user's terms; by default the path
 * is written with dots ("settings.trials: ...").
 */
export function formatZodError(
  error: z.ZodError,
  describePath: (path: PropertyKey[]) => string = (path) => path.map(String).join('.'),
): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? `${describePath(issue.path)}: ` : '';
      return `${where}${describeIssue(issue)}`;
    })
    .join('\n');
}

/**
 * Returns an issue's message, with Zod's default text for an unknown key
 * ("Unrecognized key: ...") replaced by one that names the key and the fix.
 * Schemas with their own message for unknown keys (hyperparameters) keep it.
 */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'unrecognized_keys' || !issue.message.startsWith('Unrecognized key')) {
    return issue.message;
  }
  const keys = issue.keys.map((key) => `'${key}'`).join(', ');
  const noun = issue.keys.length === 1 ? 'field' : 'fields';
  return `unknown ${noun} ${keys}; remove it or check the spelling`;
}
