import { createRng } from '../../shared/space/random';
import { enumerateGrid, sampleRandom } from '../../shared/space/sample';
import type { SearchSpace, TrialValues } from '../../shared/space/types';
import type { StudySettings } from '../../shared/study';

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
 * of the grid. A grid's size is fixed by the space and `gridPoints`, so the
 * trial budget does not cut it; the note says how many points it has.
 */
export function planTrials(space: SearchSpace, settings: StudySettings): TrialPlan {
  let values: TrialValues[];
  let note: string | null = null;

  if (settings.strategy === 'grid') {
    values = enumerateGrid(space, settings.gridPoints);
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
