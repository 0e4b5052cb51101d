import { createRng } from '../../shared/space/random';
import { enumerateGrid, sampleRandom } from '../../shared/space/sample';
import type { Hyperparameter, SearchSpace, TrialValues } from '../../shared/space/types';
import { countValues, isDiscrete } from '../../shared/space/values';
import { repeatsOf } from '../../shared/configs';
import type { StudySettings } from '../../shared/study';
import { ScoutError } from './errors';

/** One planned training: a config's values, the training seed, and which config and repeat it is. */
export interface PlannedTrial {
  values: TrialValues;
  seed: number;
  /** Config number, from 1; the trainings of one config share it. */
  config: number;
  /** Repeat of the config, from 1 to the study's repeats. */
  repeat: number;
}

/** The trials a study will run, fixed when it is created. */
export interface TrialPlan {
  /** Every training, config by config: config 1 repeats 1..R, then config 2, and so on. */
  trials: PlannedTrial[];
  /** Number of distinct configs planned. */
  configs: number;
  /** Remark for the user, such as a space with fewer combinations than trials requested. */
  note: string | null;
}

/**
 * Returns the seed of trial `number` of a study: its weight initialisation
 * and batch order follow it, so the same study seed reproduces every trial.
 * With one training per config, trial `number` is config `number`.
 */
export function trialSeed(studySeed: number, number: number): number {
  return createRng(`${studySeed}/trial/${number}`).int(2 ** 31 - 1);
}

/**
 * Returns the training seed of repeat `repeat` (from 1) of config `config`.
 * Repeat 1 keeps `trialSeed(studySeed, config)`, so each config's first
 * repeat trains exactly as in the same study without repeats. Later
 * repeats draw from their own stream.
 */
export function repeatSeed(studySeed: number, config: number, repeat: number): number {
  if (repeat === 1) {
    return trialSeed(studySeed, config);
  }
  return createRng(`${studySeed}/trial/${config}/repeat/${repeat}`).int(2 ** 31 - 1);
}

/**
 * Plans a study's trials: `settings.trials` random configs, or every point
 * of the grid, each trained `settings.repeats` times (default 1). A grid
 * larger than the config budget is rejected rather than cut, because a cut
 * grid leaves whole regions untried.
 */
export function planTrials(space: SearchSpace, settings: StudySettings): TrialPlan {
  const configs = planConfigs(space, settings);
  const repeats = repeatsOf(settings);
  const trials: PlannedTrial[] = [];

  const streamSeed = settings.trainingSeed ?? settings.seed;
  const offset = settings.trainingSeedOffset ?? 0;

  configs.values.forEach((values, index) => {
    const config = index + 1;
    for (let repeat = 1; repeat <= repeats; repeat++) {
      const seed = repeatSeed(streamSeed, offset + config, repeat);
      trials.push({ values, seed, config, repeat });
    }
  });

  return { trials, configs: configs.values.length, note: configs.note };
}

/** Number of grid values of `p`, as enumerateGrid counts them. */
function gridAxisSize(p: Hyperparameter, gridPoints: number): number {
  if (isDiscrete(p)) {
    return countValues(p);
  }
  return p.type === 'float' && p.min === p.max ? 1 : gridPoints;
}

/** Lists the axes that multiply the grid: "units 57 values x learning_rate 2 points". */
function describeGridAxes(space: SearchSpace, gridPoints: number): string {
  return space
    .filter((p) => gridAxisSize(p, gridPoints) > 1)
    .map((p) => {
      const unit = isDiscrete(p) ? 'values' : 'points';
      return `${p.name} ${gridAxisSize(p, gridPoints)} ${unit}`;
    })
    .join(' x ');
}

/**
 * Says how to shrink each kind of axis. Ints, stepped floats, choices and
 * booleans contribute every value whatever the points per axis, so only a
 * larger step, a narrower range or fewer values shrink them.
 */
function describeGridFixes(space: SearchSpace, gridPoints: number): string {
  const axes = space.filter((p) => gridAxisSize(p, gridPoints) > 1);
  const names = (types: Hyperparameter['type'][], discrete: boolean) =>
    axes
      .filter((p) => types.includes(p.type) && isDiscrete(p) === discrete)
      .map((p) => p.name)
      .join(', ');

  const stepped = names(['int', 'float'], true);
  const listed = names(['choice', 'boolean'], true);
  const continuous = names(['float'], false);
  const fixes = [
    stepped && `raise the step or narrow the range of ${stepped}`,
    listed && `list fewer values for ${listed}`,
    continuous && `lower the points per continuous axis (now ${gridPoints}, for ${continuous})`,
  ].filter((fix) => fix !== '');
  return fixes.map((fix) => `, or ${fix}`).join('');
}

function planConfigs(
  space: SearchSpace,
  settings: StudySettings,
): { values: TrialValues[]; note: string | null } {
  if (settings.strategy === 'grid') {
    const values = enumerateGrid(space, settings.gridPoints);
    if (values.length > settings.trials) {
      throw new ScoutError(
        'invalid',
        `the grid has ${values.length} points, more than the budget of ${settings.trials} ` +
          `configs (${describeGridAxes(space, settings.gridPoints)}); raise the trial budget ` +
          `to at least ${values.length}${describeGridFixes(space, settings.gridPoints)}`,
      );
    }
    return {
      values,
      note: `grid of ${values.length} points (${settings.gridPoints} per continuous axis)`,
    };
  }

  const sampled = sampleRandom(space, settings.trials, settings.seed);
  const repeats = repeatsOf(settings);
  if (repeats > 1 && sampled.trials.length < settings.trials) {
    // The sampler's note reads "running each once", which repeats contradict.
    const count = sampled.trials.length;
    const combinations = count === 1 ? 'combination' : 'combinations';
    return {
      values: sampled.trials,
      note:
        `the space has only ${count} distinct ${combinations}; planning ${count} ` +
        `${count === 1 ? 'config' : 'configs'} instead of ${settings.trials}, ` +
        `each trained ${repeats} times`,
    };
  }
  return { values: sampled.trials, note: sampled.note ?? null };
}
