import { type Command, InvalidArgumentError } from 'commander';
import type { ExperimentResult } from '../../../shared/api/contract';
import { ExperimentManager } from '../../core/experiment';
import { type GlobalOptions, openContext, whileInterruptible } from '../context';
import { formatNumber, formatTable, formatValue } from '../format';
import { parseInteger } from '../settings';

interface ExperimentFlags {
  dataset?: string;
  budget: number;
  seeds: number[];
  coarse?: number;
  repeats: number;
  epochs: number;
  trainLimit?: number;
  testLimit?: number;
  workers?: number;
  show?: number;
}

/** Parses a comma-separated list of whole numbers, such as `0,1,2`. */
function parseSeeds(value: string): number[] {
  const seeds = value.split(',').map((part) => Number(part.trim()));
  if (seeds.length === 0 || seeds.some((seed) => !Number.isInteger(seed) || seed < 0)) {
    throw new InvalidArgumentError(`'${value}' is not a list of whole numbers such as 0,1,2.`);
  }
  return seeds;
}

/** Formats a mean with its sample standard deviation and count, such as `0.9312 ± 0.0041 (3)`. */
function formatRetrained(mean: number | null, sd: number | null, count: number): string {
  if (mean === null) {
    return '-';
  }
  return `${formatNumber(mean)} ± ${formatNumber(sd)} (${count})`;
}

function formatSigned(value: number | null): string {
  if (value === null) {
    return '-';
  }
  return `${value >= 0 ? '+' : ''}${formatNumber(value)}`;
}

/** Formats an experiment's result as the text tables `scout experiment` prints. */
export function formatExperiment(result: ExperimentResult): string {
  const names = result.space.filter((p) => p.type !== 'fixed').map((p) => p.name);
  const rows = result.perSeed.flatMap((seed) =>
    seed.arms.map((arm) => [
      String(seed.seed),
      arm.strategy,
      String(arm.trainings),
      formatNumber(arm.searchBest),
      formatRetrained(arm.retrainMean, arm.retrainSd, arm.retrainObjectives.length),
      seed.winners.includes(arm.strategy) ? 'yes' : '',
      names.map((name) => `${name}=${formatValue(arm.chosen?.[name])}`).join(' '),
    ]),
  );
  const metric = result.objective.metric;
  const table = formatTable(
    [
      'seed',
      'strategy',
      'trainings',
      `search best ${metric}`,
      'retrained mean ± sd (n)',
      'won',
      'chosen config',
    ],
    rows,
  );

  const wins = Object.entries(result.wins)
    .map(([strategy, count]) => `${strategy} ${count}`)
    .join(', ');
  const differences = formatTable(
    ['difference of retrained means', 'mean', 'per seed', 'noise threshold', 'verdict'],
    result.differences.map((difference) => [
      `${difference.a} - ${difference.b}`,
      formatSigned(difference.meanDifference),
      difference.perSeed.map(formatSigned).join(' '),
      formatNumber(difference.noiseThreshold),
      difference.verdict,
    ]),
  );
  const minutes = result.wallSeconds === null ? '-' : (result.wallSeconds / 60).toFixed(1);

  return [
    `experiment ${result.id} (${result.name}) on ${result.datasetName}: ${result.status}` +
      (result.error ? ` (${result.error})` : ''),
    `budget ${result.budget} trainings per search (coarse ${result.coarseTrials} + refined ` +
      `${result.refinedTrials}); seeds ${result.seeds.join(', ')}; ${result.retrainRepeats} ` +
      `retrainings per chosen config, ${result.epochs} epochs, ` +
      `train limit ${result.trainLimit ?? 'all rows'}`,
    `grid: ${result.grid.description}`,
    '',
    table,
    '',
    `wins by retrained mean: ${wins} (a tie counts for each tied strategy)`,
    `training noise: ${formatNumber(result.noise)} (pooled sd of one config's ${metric} ` +
      'across training seeds)',
    differences,
    'noise threshold: 2 x noise x sqrt(1/R_a + 1/R_b) / sqrt(seeds), twice the standard error that ' +
      'training noise alone gives the mean difference',
    '',
    `pairing: ${result.pairing}`,
    '',
    `trainings: ${result.trainings}, wall time ${minutes} min`,
  ].join('\n');
}

/** Adds `scout experiment`: grid vs random vs coarse-plus-refined, paired over seeds. */
export function registerExperimentCommand(program: Command): void {
  program
    .command('experiment')
    .description(
      'compare grid, random and coarse-plus-refined search with the same budget over several ' +
        'seeds, retraining each chosen config on fresh seeds',
    )
    .option('--dataset <name>', 'registered dataset to run on')
    .option('--budget <n>', 'trainings each search may spend', parseInteger, 27)
    .option('--seeds <list>', 'experiment seeds, comma-separated', parseSeeds, [0, 1, 2])
    .option(
      '--coarse <n>',
      'trials of the coarse stage (default: half the budget, rounded up)',
      parseInteger,
    )
    .option('--repeats <n>', 'retrainings of each chosen config on fresh seeds', parseInteger, 3)
    .option('--epochs <n>', 'epochs per training', parseInteger, 3)
    .option('--train-limit <rows>', 'training rows used (a quick subset)', parseInteger)
    .option('--test-limit <rows>', 'test rows used', parseInteger)
    .option(
      '--workers <n>',
      'trainings that run at once (default: one per CPU core, or one per GPU)',
      parseInteger,
    )
    .option('--show <id>', 'print a stored experiment instead of running one', parseInteger)
    .action(async (flags: ExperimentFlags, command: Command) => {
      const context = openContext(command.optsWithGlobals<GlobalOptions>());
      const manager = new ExperimentManager(context.service);
      try {
        if (flags.show !== undefined) {
          console.log(formatExperiment(manager.get(flags.show)));
          return;
        }
        if (flags.dataset === undefined) {
          throw new InvalidArgumentError(
            'name the dataset with --dataset NAME (see scout dataset list)',
          );
        }
        const dataset = context.service.datasets.get(flags.dataset);
        console.log(`database: ${context.databasePath}`);

        let lastStep = '';
        const started = manager.start({
          datasetId: dataset.id,
          budget: flags.budget,
          seeds: flags.seeds,
          coarseTrials: flags.coarse,
          retrainRepeats: flags.repeats,
          epochs: flags.epochs,
          trainLimit: flags.trainLimit,
          testLimit: flags.testLimit,
          workers: flags.workers,
          onProgress: (progress) => {
            if (progress.progress.step !== lastStep) {
              lastStep = progress.progress.step;
              console.log(
                `[${progress.progress.done}/${progress.progress.planned} trainings] ${lastStep}`,
              );
            }
          },
        });
        console.log(`experiment ${started.id}: studies named ${started.name}-...`);
        const result = await whileInterruptible(
          context,
          'stopping the experiment; finished studies are kept',
          () => manager.whenFinished(started.id),
        );
        console.log(`\n${formatExperiment(result)}`);
        if (result.status !== 'completed') {
          process.exitCode ??= 1;
        }
      } finally {
        context.store.close();
      }
    });
}
