import { createRng } from '../../shared/space/random';
import { enumerateGrid, sampleRandom } from '../../shared/space/sample';
import type { SearchSpace, TrialValues } from '../../shared/space/types';
import type { StudySettings } from '../../shared/study';
import { ScoutError } from './errors';

/** The trials a study will run, fixed when it is created. */
export interface TrialPlan {
  trials: { values: TrialValues; seed: number }[];
  /** Remark for the user, such as a space with fewer combinations than trials requested. */
  note: string | null;
}

/**
 * Returns the seed of trial `number` of a study: its weight initialisation
 * and batch order follow it, so the same study seed reproduces every trial.
 */
export function trialSeed(studySeed: number, number: number): number {
  return createRng(`${studySeed}/trial/${number}`).int(2 ** 31 - 1);
}

/**
 * Plans a study's trials: `settings.trials` random points, or every point
 * of the grid. A grid larger than the trial budget is rejected rather than
 * cut, because a cut grid leaves whole regions untried.
 */
export function planTrials(space: SearchSpace, settings: StudySettings): TrialPlan {
  let values: TrialValues[];
  let note: string | null = null;

  if (settings.strategy === 'grid') {
    values = enumerateGrid(space, settings.gridPoints);
    if (values.length > settings.trials) {
      throw new ScoutError(
        'invalid',
        `the grid has ${values.length} points, more than the budget of ${settings.trials} ` +
          'trials; raise the trial budget to at least that, or lower the points per axis',
      );
    }
    note = `grid of ${values.length} points (${settings.gridPoints} per continuous axis)`;
  } else {
    const sampled = sampleRandom(space, settings.trials, settings.seed);
    values = sampled.trials;
    note = sampled.note ?? null;
  }

  const trials = values.map((trialValues, index) => ({
    values: trialValues,
    seed: trialSeed(settings.seed, index + 1),
  }));
  return { trials, note };
}
