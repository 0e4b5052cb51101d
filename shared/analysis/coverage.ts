/**
 * Coverage: how many distinct values of each hyperparameter a study tried,
 * beside the number a grid with the same budget would have tried. With 100
 * trials over two hyperparameters a 10 x 10 grid tries 10 values of each,
 * while 100 random trials try up to 100 of each.
 */
import type { SearchSpace } from '../space/types';
import { countValues } from '../space/values';
import type { TrialRecord } from '../study';
import type { CoverageReport, ParamCoverage } from './types';

/**
 * Counts the distinct values of each hyperparameter among the completed
 * trials, and the values per axis of the largest full grid with no more
 * points than those trials (see `gridPointsPerAxis`).
 */
export function computeCoverage(space: SearchSpace, trials: TrialRecord[]): CoverageReport {
  const completed = trials.filter((trial) => trial.status === 'completed');
  const grid = gridPointsPerAxis(
    space.map((p) => countValues(p)),
    completed.length,
  );

  const params = space.map((p, index): ParamCoverage => {
    const distinct = new Set(
      completed.map((trial) => trial.values[p.name]).filter((value) => value !== undefined),
    );
    const possible = countValues(p);

    return {
      name: p.name,
      type: p.type,
      distinct: distinct.size,
      possible: Number.isFinite(possible) ? possible : null,
      grid: grid[index],
    };
  });

  return {
    trials: completed.length,
    gridTrials: grid.reduce((product, points) => product * points, completed.length > 0 ? 1 : 0),
    params,
  };
}

/**
 * Returns the values per axis of the largest full grid with at most `budget`
 * points over axes that take `counts` values each (Infinity for a
 * continuous axis). Values are added one axis at a time, always to the axis
 * with the fewest so far (the first of equals), as long as the grid stays
 * within the budget and the axis has values left. So 100 trials over two
 * continuous axes give 10 x 10, a boolean beside a continuous axis gives
 * 2 x 50, and 11 trials over five axes give 2 x 2 x 2 x 1 x 1. A budget
 * below 1 gives 0 values per axis.
 */
export function gridPointsPerAxis(counts: number[], budget: number): number[] {
  if (budget < 1) {
    return counts.map(() => 0);
  }

  const points = counts.map(() => 1);
  let product = 1;

  for (;;) {
    let axis = -1;
    for (let index = 0; index < counts.length; index++) {
      if (points[index] < counts[index] && (axis < 0 || points[index] < points[axis])) {
        axis = index;
      }
    }

    // Growing the axis with the fewest values raises the grid least, so if it
    // overshoots the budget, every other axis would too.
    if (axis < 0 || (product / points[axis]) * (points[axis] + 1) > budget) {
      return points;
    }

    product = (product / points[axis]) * (points[axis] + 1);
    points[axis]++;
  }
}
