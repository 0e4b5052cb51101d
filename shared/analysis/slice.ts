/**
 * Slice plots: the objective against each hyperparameter, one chart per
 * hyperparameter, with the region of a refined study shaded inside its
 * parent's space.
 */
import type { Hyperparameter, ParamValue, SearchSpace } from '../space/types';
import { isNumeric, scaleOf } from '../space/values';
import type { StudyRecord } from '../study';
import {
  chooseObjectiveAxis,
  failedTrials,
  isShownOnAxis,
  scoredTrials,
  type ScoredTrialRecord,
} from './objective';
import type {
  AxisScale,
  ObjectiveScaleRequest,
  Slice,
  SliceBand,
  SlicePoint,
  SliceView,
  StudyData,
} from './types';

/**
 * Builds the slice plots of a study: for each hyperparameter of its space,
 * the completed trials as (value, objective) points on the hyperparameter's
 * own scale (log for a log-scaled int or float), and shaded bands. A refined
 * study gets its parent's bounds as the `parent` band and its own as the
 * `refined` band. A coarse study with refined children gets its own bounds
 * as `parent` and one `refined` band per child. Failed trials are listed
 * apart in `failed`, and objectives a log axis cannot show in
 * `axis.notShown` (see `chooseObjectiveAxis`).
 */
export function buildSlices(
  data: StudyData,
  objectiveScale: ObjectiveScaleRequest = 'auto',
): SliceView {
  const scored = scoredTrials(data.trials);
  const axis = chooseObjectiveAxis(data.study.settings.objective, scored, objectiveScale);
  const shown = scored.filter((trial) => isShownOnAxis(axis, trial.objective));

  return {
    axis,
    trials: shown.map((trial) => ({
      trialId: trial.id,
      number: trial.number,
      objective: trial.objective,
    })),
    slices: data.study.space.map((p) => buildSlice(p, shown, bandsFor(p.name, data))),
    failed: failedTrials(data.trials),
  };
}

function buildSlice(p: Hyperparameter, shown: ScoredTrialRecord[], bands: SliceBand[]): Slice {
  const values = shown.map((trial) => trial.values[p.name] ?? null);

  if (!isNumeric(p)) {
    return {
      name: p.name,
      type: p.type,
      scale: 'linear',
      domain: null,
      categories: categoriesOf(
        p,
        values.filter((value) => value !== null),
      ),
      values,
      bands,
    };
  }

  // Validation keeps log-scaled values above 0, so every value has a place on the axis.
  const scale: AxisScale = scaleOf(p) === 'log' ? 'log' : 'linear';
  const usable = isUsableNumber(scale);
  const bounds = bands.flatMap((band) => [band.min, band.max]);

  return {
    name: p.name,
    type: p.type,
    scale,
    domain: spanOf([p.min, p.max, ...bounds, ...values].filter(usable)),
    categories: null,
    values,
    bands,
  };
}

/**
 * Returns the points of `slice` as (value, objective) pairs with their
 * trial, skipping trials without a value for its hyperparameter.
 */
export function slicePoints(view: SliceView, slice: Slice): SlicePoint[] {
  const points: SlicePoint[] = [];

  view.trials.forEach((trial, index) => {
    const value = slice.values[index];
    if (value !== null && value !== undefined) {
      points.push({ ...trial, value });
    }
  });
  return points;
}

/**
 * Returns the ordered categories of a choice, boolean or fixed
 * hyperparameter: the space's order, then any other value the trials used
 * (from an earlier space) in first-seen order.
 */
export function categoriesOf(p: Hyperparameter, used: ParamValue[]): ParamValue[] {
  const declared: ParamValue[] =
    p.type === 'choice'
      ? [...p.values]
      : p.type === 'boolean'
        ? [false, true]
        : p.type === 'fixed'
          ? [p.value]
          : [];
  const categories = [...declared];

  for (const value of used) {
    if (!categories.includes(value)) {
      categories.push(value);
    }
  }
  return categories;
}

/**
 * Returns the shaded bands for hyperparameter `name`: the wider space first,
 * then the refined regions. A study without parent or children has none.
 */
export function bandsFor(name: string, data: StudyData): SliceBand[] {
  if (data.parent !== null) {
    return [...bandOf('parent', data.parent, name), ...bandOf('refined', data.study, name)];
  }

  if (data.children.length === 0) {
    return [];
  }

  return [
    ...bandOf('parent', data.study, name),
    ...data.children.flatMap((child) => bandOf('refined', child, name)),
  ];
}

function bandOf(kind: SliceBand['kind'], study: StudyRecord, name: string): SliceBand[] {
  const p = findParam(study.space, name);
  if (p === undefined) {
    return [];
  }

  const band = { kind, studyId: study.id, studyName: study.name };
  switch (p.type) {
    case 'int':
    case 'float':
      return [{ ...band, min: p.min, max: p.max, values: null }];
    case 'choice':
      return [{ ...band, min: null, max: null, values: [...p.values] }];
    case 'boolean':
      return [{ ...band, min: null, max: null, values: [false, true] }];
    case 'fixed':
      // A refined study fixes a boolean its top trials agreed on; the band is that one value.
      return [
        typeof p.value === 'number'
          ? { ...band, min: p.value, max: p.value, values: null }
          : { ...band, min: null, max: null, values: [p.value] },
      ];
  }
}

function findParam(space: SearchSpace, name: string): Hyperparameter | undefined {
  return space.find((p) => p.name === name);
}

function isUsableNumber(scale: AxisScale) {
  return (value: unknown): value is number =>
    typeof value === 'number' && Number.isFinite(value) && (scale === 'linear' || value > 0);
}

function spanOf(values: number[]): [number, number] | null {
  if (values.length === 0) {
    return null;
  }
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  return [min, max];
}
