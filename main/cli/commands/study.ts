import path from 'node:path';
import { type Command, Option } from 'commander';
import type { SearchSpace, SpaceIssue } from '../../../shared/space/types';
import { DEFAULT_MAX_CONSECUTIVE_FAILURES, refinedSettings } from '../../../shared/defaults';
import type { StudyRecord, StudySettings, TrialRecord } from '../../../shared/study';
import type { StudyService } from '../../core/service';
import { type CommandContext, type GlobalOptions, openContext, runInterruptible } from '../context';
import { describeBudget, repeatsOf } from '../../../shared/configs';
import {
  describeParam,
  formatConfigLeaderboard,
  formatLeaderboard,
  formatNumber,
  formatRefinement,
  formatTable,
} from '../format';
import { describeWorkerCount, planWorkers } from '../../runner/workers';
import { ProgressPrinter } from '../progress';
import { type SettingFlags, parseInteger, parseNumber, resolveSettings } from '../settings';
import { readStudyFile, writeStudyFile } from '../spaceFile';
import { type ExportOptions, exportStudyFiles } from '../exportFiles';

/** Adds the flags that override study settings to `command`. */
export function addSettingFlags(command: Command): Command {
  return command
    .option(
      '--trials <n>',
      'number of trials (configs, each trained --repeats times)',
      parseInteger,
    )
    .option(
      '--repeats <n>',
      'trainings of each config, each with its own training seed; configs rank by mean (default 1)',
      parseInteger,
    )
    .option('--seed <n>', 'seed of the trials and of the validation split', parseInteger)
    .option('--epochs <n>', 'epochs per trial', parseInteger)
    .option(
      '--patience <n>',
      'epochs without improvement before a trial stops (0: off)',
      parseInteger,
    )
    .option('--workers <n>', 'trials that train at once, one process each', parseInteger)
    .addOption(new Option('--strategy <name>', 'how trials are picked').choices(['random', 'grid']))
    .option('--grid-points <n>', 'values per continuous axis of a grid', parseInteger)
    .option('--time-limit <seconds>', 'stop starting trials after this many seconds', parseNumber)
    .option(
      '--trial-timeout <seconds>',
      'stop a trial that runs longer and mark it failed',
      parseNumber,
    )
    .option(
      '--max-failures <n>',
      'failed trials in a row after which the study pauses (0: off; default 5)',
      parseInteger,
    )
    .option('--train-limit <rows>', 'train on a subset of this many rows', parseInteger)
    .option('--test-limit <rows>', 'evaluate on this many rows of the test set', parseInteger)
    .option('--validation <fraction>', 'fraction of rows held out for validation', parseNumber)
    .addOption(
      new Option('--objective <metric>', 'metric to optimise').choices([
        'val_accuracy',
        'val_loss',
        'val_mae',
        'val_mse',
      ]),
    )
    .addOption(
      new Option('--direction <direction>', 'whether larger or smaller is better').choices([
        'maximize',
        'minimize',
      ]),
    );
}

function printIssues(title: string, issues: SpaceIssue[]): void {
  for (const issue of issues) {
    console.log(`${title}: ${issue.message}`);
  }
}

/** Runs a study with live progress and prints its leaderboard; returns the final record. */
export async function runWithProgress(
  context: CommandContext,
  study: StudyRecord,
): Promise<StudyRecord> {
  const started = Date.now();
  console.log(
    `workers: ${describeWorkerCount(planWorkers(context.backend, study.settings.workers))}`,
  );
  const printer = new ProgressPrinter(study);
  const detach = printer.attach(context.service);

  let finished: StudyRecord;
  try {
    finished = await runInterruptible(context, study.id);
  } finally {
    detach();
    printer.close();
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const trials = context.store.trials.listByStudy(study.id);
  console.log(
    `\nstudy ${finished.id} '${finished.name}' ${finished.status} in ${seconds} s: ` +
      `${finished.completedTrials} completed, ${finished.failedTrials} failed`,
  );
  if (finished.note) {
    console.log(`note: ${finished.note}`);
  }
  console.log(`\n${formatLeaderboard(finished, trials)}\n`);
  printConfigLeaderboard(finished, trials);
  printFailureSummary(finished);
  if (finished.failureSummary) {
    // A script must see that the study stopped short of its budget.
    process.exitCode = 1;
    return finished;
  }
  if (finished.status === 'interrupted' || finished.status === 'paused') {
    console.log(`resume it with: scout resume ${finished.id}`);
  }
  return finished;
}

/** Prints the configs ranked by mean objective, for a study that trains each config several times. */
function printConfigLeaderboard(study: StudyRecord, trials: TrialRecord[]): void {
  const repeats = repeatsOf(study.settings);
  if (repeats === 1) {
    return;
  }
  console.log(`configs by mean ${study.settings.objective.metric} over ${repeats} repeats:`);
  console.log(`${formatConfigLeaderboard(study, trials)}\n`);
}

/** Describes the budget of a stored study: "25 configs x 3 repeats = 75 trainings". */
function describeStudyBudget(study: StudyRecord): string {
  const configs = Math.round(study.plannedTrials / repeatsOf(study.settings));
  return describeBudget(study.settings, configs);
}

function describeFailureLimit(settings: StudySettings): string {
  const limit = settings.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES;
  return limit === 0 ? 'no number of failed trials (off)' : `${limit} failed trials in a row`;
}

/** Prints why a study paused after failed trials in a row, one line per distinct error. */
function printFailureSummary(study: StudyRecord): void {
  const summary = study.failureSummary;
  if (!summary) {
    return;
  }
  console.log(`paused after ${summary.consecutiveFailures} failed trials in a row:`);
  for (const entry of summary.reasons) {
    console.log(`  ${entry.count}x ${entry.reason}`);
  }
  console.log('if the space causes them, run a new study with a narrower range;');
  console.log(`otherwise fix the cause and resume it with: scout resume ${study.id}`);
}

function printStudy(service: StudyService, study: StudyRecord): void {
  const parent = study.parentId === null ? '' : ` (refines study ${study.parentId})`;
  const settings = study.settings;
  console.log(`study ${study.id} '${study.name}': ${study.stage}${parent}, ${study.status}`);
  console.log(
    `dataset ${study.datasetName}; objective ${settings.objective.direction} ` +
      `${settings.objective.metric}; ${settings.strategy}, ${describeStudyBudget(study)}, ` +
      `seed ${settings.seed}, ${settings.epochs} epochs, patience ${settings.patience}, ` +
      `pause after ${describeFailureLimit(settings)}`,
  );
  if (study.note) {
    console.log(`note: ${study.note}`);
  }
  printFailureSummary(study);
  console.log('\nsearch space:');
  console.log(
    formatTable(
      ['hyperparameter', 'range'],
      study.space.map((param) => [param.name, describeParam(param)]),
    ),
  );

  const trials = service.store.trials.listByStudy(study.id);
  const counts = new Map<string, number>();
  for (const trial of trials) {
    counts.set(trial.status, (counts.get(trial.status) ?? 0) + 1);
  }
  const summary = [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
  console.log(`\ntrials: ${summary || 'none'}\n`);
  console.log(formatLeaderboard(study, trials));
  if (repeatsOf(settings) > 1) {
    console.log('');
    printConfigLeaderboard(study, trials);
  }

  const failed = trials.filter((trial) => trial.status === 'failed');
  for (const trial of failed) {
    console.log(`trial ${trial.number} failed: ${trial.error}`);
  }
}

interface RunOptions extends SettingFlags {
  name?: string;
  dataset?: string;
  createOnly?: boolean;
}

interface RefineOptions extends SettingFlags {
  topK?: number;
  topPercent?: number;
  margin?: number;
  name?: string;
  write?: string;
  space?: string;
  createOnly?: boolean;
}

/** Reads an edited refined space and prints it beside the parent's bounds. */
function readEditedSpace(parent: StudyRecord, file: string): SearchSpace {
  const space = readStudyFile(file).hyperparameters;

  console.log(`refined region from ${file}:`);
  console.log(formatRefinement(parent.space, space));
  return space;
}

/**
 * Prints the proposed refined region of `parent` with its warnings. Returns
 * the proposal, or undefined after writing it to `--write` for editing.
 */
function proposeSpace(
  context: CommandContext,
  parent: StudyRecord,
  options: RefineOptions,
): SearchSpace | undefined {
  const proposal = context.service.proposeRefinement(parent.id, {
    topK: options.topK,
    topPercent: options.topPercent,
    margin: options.margin,
  });

  const ranked = proposal.basis === 'configs' ? 'configs by mean objective' : 'trials';
  console.log(`refined region from the top ${proposal.top} ${ranked} of study ${parent.id}:`);
  console.log(formatRefinement(parent.space, proposal.space));
  printIssues('warning', proposal.warnings);

  if (options.write) {
    writeStudyFile(options.write, { hyperparameters: proposal.space });
    console.log(`\nwrote the proposal to ${options.write}; edit it, then run:`);
    console.log(`  scout refine ${parent.id} --space ${options.write}`);
    return undefined;
  }
  return proposal.space;
}

/** Proposes, creates and runs a refined study of `parent`; returns the refined study. */
export async function refineStudy(
  context: CommandContext,
  parent: StudyRecord,
  options: RefineOptions,
): Promise<StudyRecord | undefined> {
  const { service } = context;
  const space = options.space
    ? readEditedSpace(parent, options.space)
    : proposeSpace(context, parent, options);

  if (space === undefined) {
    return undefined;
  }

  const dataset = service.datasets.get(parent.datasetId);
  const settings = resolveSettings(dataset, refinedSettings(parent.settings), options);
  const { study, warnings } = service.createStudy({
    name: options.name ?? service.uniqueStudyName(`${parent.name}-refined`),
    datasetId: parent.datasetId,
    template: 'mlp',
    space,
    settings,
    parentId: parent.id,
  });
  printIssues('warning', warnings);
  console.log(
    `\ncreated refined study ${study.id} '${study.name}' with ${describeStudyBudget(study)}`,
  );

  if (options.createOnly) {
    return study;
  }
  return runWithProgress(context, study);
}

/** Adds `scout run`, `refine`, `resume`, `list`, `show` and `export`. */
export function registerStudyCommands(program: Command): void {
  addSettingFlags(
    program
      .command('run <file>')
      .description('create a study from a JSON or YAML study file and run it')
      .option('--name <name>', 'study name (default: the file name)')
      .option('--dataset <name>', 'registered dataset, if the file names none')
      .option('--create-only', 'create the study without running it'),
  ).action(async (file: string, options: RunOptions, command: Command) => {
    const context = openContext(command.optsWithGlobals<GlobalOptions>());
    try {
      const studyFile = readStudyFile(file);
      const datasetName = options.dataset ?? studyFile.dataset;
      if (datasetName === undefined) {
        throw new Error(`${file} names no dataset; add 'dataset: NAME' to it or pass --dataset`);
      }

      const dataset = context.service.datasets.get(datasetName);
      const settings = resolveSettings(dataset, studyFile.settings, options);
      const name = options.name ?? studyFile.name ?? path.parse(file).name;
      const { study, warnings } = context.service.createStudy({
        name,
        datasetId: dataset.id,
        template: 'mlp',
        space: studyFile.hyperparameters,
        settings,
      });
      printIssues('warning', warnings);
      console.log(`created study ${study.id} '${study.name}' with ${describeStudyBudget(study)}`);
      if (study.note) {
        console.log(`note: ${study.note}`);
      }
      if (!options.createOnly) {
        await runWithProgress(context, study);
      }
    } finally {
      context.store.close();
    }
  });

  addSettingFlags(
    program
      .command('refine <study>')
      .description('run a refined study inside the region of the best trials of <study>')
      .option('--top-k <n>', 'refine around the best n completed trials', parseInteger)
      .option('--top-percent <p>', 'refine around the best p % of completed trials', parseNumber)
      .option(
        '--margin <fraction>',
        "widening on each side, as a fraction of the top trials' span",
        parseNumber,
      )
      .option('--name <name>', 'name of the refined study')
      .option('--write <file>', 'write the proposed space to a file to edit, and stop')
      .option('--space <file>', 'use this (edited) space instead of the proposal')
      .option('--create-only', 'create the refined study without running it'),
  ).action(async (idOrName: string, options: RefineOptions, command: Command) => {
    const context = openContext(command.optsWithGlobals<GlobalOptions>());
    try {
      await refineStudy(context, context.service.getStudy(idOrName), options);
    } finally {
      context.store.close();
    }
  });

  program
    .command('resume <study>')
    .description('run the trials of a study that are still queued or were interrupted')
    .action(async (idOrName: string, _options: unknown, command: Command) => {
      const context = openContext(command.optsWithGlobals<GlobalOptions>());
      try {
        await runWithProgress(context, context.service.getStudy(idOrName));
      } finally {
        context.store.close();
      }
    });

  program
    .command('list')
    .description('list studies')
    .action((_options: unknown, command: Command) => {
      const context = openContext(command.optsWithGlobals<GlobalOptions>(), 'read');
      try {
        const rows = context.service
          .listStudies()
          .map((study) => [
            String(study.id),
            study.name,
            study.datasetName,
            study.parentId === null ? study.stage : `${study.stage} of ${study.parentId}`,
            study.status,
            `${study.completedTrials + study.failedTrials}/${study.plannedTrials}`,
            formatNumber(study.bestObjective),
            study.backends ?? '-',
          ]);
        const header = ['id', 'name', 'dataset', 'stage', 'status', 'trials', 'best', 'backend'];
        console.log(rows.length > 0 ? formatTable(header, rows) : 'no studies yet');
      } finally {
        context.store.close();
      }
    });

  program
    .command('show <study>')
    .description('show a study: settings, search space and leaderboard')
    .action((idOrName: string, _options: unknown, command: Command) => {
      const context = openContext(command.optsWithGlobals<GlobalOptions>(), 'read');
      try {
        printStudy(context.service, context.service.getStudy(idOrName));
      } finally {
        context.store.close();
      }
    });

  program
    .command('export <study>')
    .description('export the best config (json, yaml) or all trials (csv)')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['json', 'yaml', 'csv'])
        .default('json'),
    )
    .option('--out <file>', 'write to this file instead of standard output')
    .option(
      '--model <dir>',
      "also write the best trial's trained model (TensorFlow.js) into <dir>, a new or empty folder",
    )
    .option('--force', 'replace an existing --out file, and write into a --model folder with files')
    .action((idOrName: string, options: ExportOptions, command: Command) => {
      const context = openContext(command.optsWithGlobals<GlobalOptions>(), 'read');
      try {
        exportStudyFiles(context, idOrName, options);
      } finally {
        context.store.close();
      }
    });
}
