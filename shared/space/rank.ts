import type { Direction } from './types';

/** Anything with an objective; null for a trial that has none yet or failed. */
export interface HasObjective {
  objective: number | null;
}

/**
 * Returns whether objective `a` is strictly better than `b` in `direction`.
 * A finite objective beats a missing or non-finite one (null, NaN, ±Infinity);
 * two missing or non-finite objectives are equal.
 */
export function isBetter(a: number | null, b: number | null, direction: Direction): boolean {
  const aFinite = isFiniteObjective(a);
  const bFinite = isFiniteObjective(b);

  if (!aFinite || !bFinite) {
    return aFinite && !bFinite;
  }

  return direction === 'maximize' ? a > b : a < b;
}

/**
 * Returns a copy of `trials` sorted best first. Trials with a null or
 * non-finite objective (NaN, ±Infinity, as from a diverged run) go last.
 * The sort is stable, so ties keep their input order.
 */
export function rankTrials<T extends HasObjective>(trials: T[], direction: Direction): T[] {
  return [...trials].sort((a, b) => compareObjectives(a.objective, b.objective, direction));
}

function compareObjectives(a: number | null, b: number | null, direction: Direction): number {
  if (isBetter(a, b, direction)) {
    return -1;
  }

  return isBetter(b, a, direction) ? 1 : 0;
}

/** Returns whether `x` is a usable objective, which is a finite number. */
export function isFiniteObjective(x: number | null): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
