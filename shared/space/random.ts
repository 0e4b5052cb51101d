import seedrandom from 'seedrandom';

/**
 * Seeded random number generator. The same seed gives the same sequence on
 * every machine, because it uses seedrandom's Alea generator and never
 * `Math.random`.
 */
export interface Rng {
  /** Seed string this generator was created from; forks append their label to it. */
  readonly seed: string;
  /** Next number, uniform in [0, 1), with 53 bits of randomness. */
  next(): number;
  /** Next integer, uniform in [0, n); `n` must be a positive integer. */
  int(n: number): number;
  /**
   * Creates an independent generator derived from this seed and `label`.
   * The fork does not depend on how many numbers this generator has drawn,
   * so `fork(7)` returns the same stream before and after any draws.
   */
  fork(label: string | number): Rng;
}

/**
 * Creates a seeded generator. A number seed and its decimal string give the
 * same stream (`createRng(42)` equals `createRng('42')`).
 */
export function createRng(seed: number | string): Rng {
  if (typeof seed === 'number' && !Number.isFinite(seed)) {
    throw new RangeError(`random seed ${seed} is not a finite number; use an integer or a string`);
  }

  return createRngFromString(String(seed));
}

function createRngFromString(seed: string): Rng {
  const prng = seedrandom.alea(seed);

  return {
    seed,
    next: () => prng.double(),
    int(n: number): number {
      if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(`Rng.int(${n}): n must be a positive integer`);
      }

      return Math.floor(prng.double() * n);
    },
    // The separator keeps fork('1') of seed '2' apart from seed '21'.
    fork: (label) => createRngFromString(`${seed}/${String(label)}`),
  };
}
