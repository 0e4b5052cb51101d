import {
  type FloatParam,
  type Hyperparameter,
  type IntParam,
  type Rng,
  type SearchSpace,
} from '../../../shared/space';

/**
 * Builds a random valid search space of 1 to 5 hyperparameters, covering
 * every type, scale and stepping, for property tests. Steps may leave a gap
 * before max, as users' steps do.
 */
export function randomSpace(rng: Rng): SearchSpace {
  const size = 1 + rng.int(5);

  return Array.from({ length: size }, (_, index) => randomParam(rng, `p${index}`));
}

function randomParam(rng: Rng, name: string): Hyperparameter {
  switch (rng.int(8)) {
    case 0:
      return randomLinearInt(rng, name);
    case 1:
      return randomLogInt(rng, name);
    case 2:
      return randomLinearFloat(rng, name);
    case 3:
      return randomLogFloat(rng, name, 'log');
    case 4:
      return randomLogFloat(rng, name, 'reverse_log');
    case 5:
      return {
        name,
        type: 'choice',
        values: ['relu', 'tanh', 'elu', 'gelu'].slice(0, 1 + rng.int(4)),
      };
    case 6:
      return { name, type: 'boolean' };
    default:
      return { name, type: 'fixed', value: rng.int(100) };
  }
}

function randomLinearInt(rng: Rng, name: string): IntParam {
  const min = rng.int(101) - 50;
  const max = min + rng.int(300);
  const range = max - min;
  const step = range > 0 && rng.next() < 0.6 ? 1 + rng.int(range) : undefined;

  return { name, type: 'int', min, max, step };
}

function randomLogInt(rng: Rng, name: string): IntParam {
  const min = 1 + rng.int(64);
  const max = min * (1 + rng.int(200));
  const step = rng.next() < 0.6 ? 2 + rng.int(3) : undefined;
  const usable = step !== undefined && step <= max / min ? step : undefined;

  return { name, type: 'int', min, max, step: usable, scale: 'log' };
}

function randomLinearFloat(rng: Rng, name: string): FloatParam {
  const min = Number(((rng.next() - 0.5) * 10).toFixed(2));
  const max = Number((min + rng.next() * 10).toFixed(2));
  const divisions = 1 + rng.int(20);
  const step =
    max > min && rng.next() < 0.5 ? Number(((max - min) / divisions).toPrecision(2)) : undefined;
  const usable = step !== undefined && step > 0 && step <= max - min ? step : undefined;

  return { name, type: 'float', min, max, step: usable };
}

function randomLogFloat(rng: Rng, name: string, scale: 'log' | 'reverse_log'): FloatParam {
  const min = 10 ** -(1 + rng.int(6)) * (1 + rng.int(9));
  const max = min * 10 ** (rng.next() * 5);
  const step = rng.next() < 0.5 ? [1.5, 2, 10][rng.int(3)] : undefined;
  const usable = step !== undefined && step <= max / min ? step : undefined;

  return { name, type: 'float', min, max, step: usable, scale };
}
