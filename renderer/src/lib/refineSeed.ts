/**
 * Hands a proposed refined space from one screen to the Refine screen, such
 * as the region of trials brushed in parallel coordinates. The seed lives in
 * memory for one navigation: the Refine screen takes it once, and a reload
 * of the page falls back to the usual proposal from the top trials.
 */
import type { SearchSpace, SpaceIssue } from '../../../shared/space/types';

/** A refined space proposed outside the Refine screen, with where it came from. */
export interface RefineSeed {
  /** The study to refine. */
  studyId: number;
  space: SearchSpace;
  warnings: SpaceIssue[];
  /** Number of trials the space was drawn from. */
  top: number;
  /** Origin of the space, shown above it, such as "12 trials selected in parallel coordinates". */
  source: string;
}

let pending: RefineSeed | null = null;

/** Stores `seed` for the next Refine screen of `seed.studyId`, replacing any earlier one. */
export function setRefineSeed(seed: RefineSeed): void {
  pending = seed;
}

/** Returns the seed for study `studyId` and clears it, or null when there is none for that study. */
export function takeRefineSeed(studyId: number): RefineSeed | null {
  if (pending?.studyId !== studyId) {
    return null;
  }
  const seed = pending;
  pending = null;
  return seed;
}
