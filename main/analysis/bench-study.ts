/**
 * Synthetic studies for the analysis benchmarks: a new SQLite file filled
 * with thousands of ended trials in seconds, in place of hours of training.
 *
 * Trial values are drawn from a real search space with `sampleRandom`. The
 * objectives are a deterministic function of those values plus seeded noise,
 * not trained models, so the studies serve speed measurements only. About
 * 3 % of the trials are marked failed.
 */
import { parseArgs } from 'node:util';
import { defaultSettings, refinedSettings } from '../../shared/defaults';
import { createRng } from '../../shared/space/random';
import { proposeRefinement } from '../../shared/space/refine';
import { sampleRandom } from '../../shared/space/sample';
import type { SearchSpace, TrialValues } from '../../shared/space/types';
import type { Store } from '../store';

/** Share of trials marked failed, as diverged runs would be. */
const FAILED_SHARE = 0.03;

/**
 * Returns a made-up validation accuracy with a peak at learning rate 3e-3 and 256
 * units, a penalty for large L2 and dropout, and noise of about 0.005.
 */
function syntheticAccuracy(values: TrialValues, noise: number): number {
  const lr = Math.log10(values.learning_rate as number) - Math.log10(3e-3);
  const units = Math.log2(values.units as number) - 8;
  const l2 = Math.max(0, Math.log10(values.l2 as number) + 4);
  const dropout = values.dropout as number;

  const accuracy = 0.98 - 0.04 * lr * lr - 0.005 * units * units - 0.01 * l2 - 0.02 * dropout;
  return Math.min(1, Math.max(0.1, accuracy + noise));
}

/**
 * A synthetic study to insert. The space must contain `learning_rate`, `units`,
 * `l2` and `dropout`, the values the synthetic accuracy is computed from.
 */
export interface SyntheticStudy {
  name: string;
  datasetId: number;
  space: SearchSpace;
  count: number;
  /** The coarse study a refined study descends from, or null for a coarse study. */
  parentId: number | null;
  seed: number;
}

/** Inserts a study with `count` ended trials in one transaction and returns its id. */
export function fillStudy(store: Store, study: SyntheticStudy): number {
  const { name, datasetId, space, count, parentId, seed } = study;
  const settings = { ...defaultSettings('classification'), trials: count, seed };
  const drawn = sampleRandom(space, count, seed).trials;
  const rng = createRng(seed).fork('bench');

  return store.transaction(() => {
    const id = store.studies.insert({
      name,
      datasetId,
      parentId,
      stage: parentId === null ? 'coarse' : 'refined',
      template: 'mlp',
      space,
      settings: parentId === null ? settings : { ...refinedSettings(settings), trials: count },
      plannedTrials: count,
      note: null,
    });
    store.trials.insertQueued(
      id,
      drawn.map((values, index) => ({ values, seed: index })),
    );

    for (const trial of store.trials.listQueued(id)) {
      store.trials.markRunning(trial.id);
      if (rng.next() < FAILED_SHARE) {
        store.trials.markEnded(
          trial.id,
          'failed',
          'loss became NaN at epoch 2; lower the learning rate',
        );
        continue;
      }

      const objective = syntheticAccuracy(trial.values, (rng.next() - 0.5) * 0.01);
      store.trials.markCompleted(trial.id, {
        objective,
        bestEpoch: 5,
        epochsRun: 6,
        metrics: { val_accuracy: objective, val_loss: 1 - objective },
        backend: 'cpu',
        durationMs: 1000 + rng.int(1000),
      });
    }
    store.studies.setStatus(id, 'completed');
    return id;
  });
}

/** Ids and sizes of a coarse synthetic study and its refined child. */
export interface SyntheticLineage {
  coarseId: number;
  refinedId: number;
  refinedCount: number;
}

/**
 * Inserts a coarse study of `count` trials over `space`, proposes a refined
 * space from its top 10 % and inserts a refined child there, a fifth the size
 * (at least 10 trials).
 */
export function fillLineage(
  store: Store,
  datasetId: number,
  space: SearchSpace,
  count: number,
): SyntheticLineage {
  const coarseId = fillStudy(store, {
    name: 'coarse',
    datasetId,
    space,
    count,
    parentId: null,
    seed: 1,
  });
  const coarseTrials = store.trials.listByStudy(coarseId);
  const refinedSpace = proposeRefinement(space, coarseTrials, 'maximize', { topPercent: 10 }).space;
  const refinedCount = Math.max(10, Math.round(count / 5));
  const refinedId = fillStudy(store, {
    name: 'refined',
    datasetId,
    space: refinedSpace,
    count: refinedCount,
    parentId: coarseId,
    seed: 2,
  });
  return { coarseId, refinedId, refinedCount };
}

/**
 * Reads the benchmark options from the command line: `--trials`, the size
 * of the coarse study (10,000 by default), and `--runs`, the runs per timed
 * step (`defaultRuns` by default).
 */
export function parseBenchOptions(defaultRuns: number): { count: number; runs: number } {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '10000' },
      runs: { type: 'string', default: String(defaultRuns) },
    },
  });
  return { count: Number(values.trials), runs: Number(values.runs) };
}
