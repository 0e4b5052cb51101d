import path from 'node:path';
import type { StudyDetail } from '../../../shared/api/contract';
import { defaultSettings } from '../../../shared/defaults';
import type { SearchSpace } from '../../../shared/space/types';
import type { StudySettings } from '../../../shared/study';
import { FIXTURES, openService, type ServiceHandle } from '../core/helpers';

/**
 * A space over the MLP template on iris whose L2 factor reaches 1e4. With
 * plain SGD the largest factors make the loss diverge to infinity, so some
 * trials really fail (trial 1 of seed 3 does). Others reach accuracy 0.
 */
export const IRIS_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-3, max: 3, scale: 'log' },
  { name: 'l2', type: 'float', min: 1e-5, max: 1e4, scale: 'log' },
  { name: 'units', type: 'int', min: 4, max: 64, step: 2, scale: 'log' },
  { name: 'activation', type: 'choice', values: ['relu', 'tanh'] },
  { name: 'dropout', type: 'float', min: 0, max: 0.5 },
  { name: 'optimizer', type: 'fixed', value: 'sgd' },
];

/** Settings of a quick iris study: a few epochs, one worker. */
export function irisSettings(overrides: Partial<StudySettings> = {}): StudySettings {
  return {
    ...defaultSettings('classification'),
    trials: 12,
    seed: 3,
    epochs: 4,
    patience: 0,
    workers: 1,
    ...overrides,
  };
}

/** A coarse iris study and a refined one inside its best trials' region, both trained for real. */
export interface IrisLineage {
  handle: ServiceHandle;
  coarse: StudyDetail;
  refined: StudyDetail;
}

/** Registers iris in a new database file in `dir`. */
export function openIris(dir: string): { handle: ServiceHandle; datasetId: number } {
  const handle = openService(path.join(dir, 'scout.db'), {
    workerEnv: { SCOUT_LOG_LEVEL: 'silent' },
  });
  const iris = handle.service.datasets.add('iris', {
    format: 'csv',
    path: path.join(FIXTURES, 'iris.csv'),
    target: 'species',
    task: 'classification',
  });
  return { handle, datasetId: iris.id };
}

/**
 * Trains a coarse study of `coarseTrials` on iris, proposes a refinement
 * from its top 25 % and trains a refined study of `refinedTrials` there.
 */
export async function runIrisLineage(
  dir: string,
  coarseTrials = 12,
  refinedTrials = 8,
): Promise<IrisLineage> {
  const { handle, datasetId } = openIris(dir);
  const { service } = handle;

  const coarse = service.createStudy({
    name: 'iris-coarse',
    datasetId,
    template: 'mlp',
    space: IRIS_SPACE,
    settings: irisSettings({ trials: coarseTrials }),
  }).study;
  await service.runStudy(coarse.id);

  const proposal = service.proposeRefinement(coarse.id, { topPercent: 25 });
  const refined = service.createStudy({
    name: 'iris-refined',
    datasetId,
    template: 'mlp',
    space: proposal.space,
    settings: irisSettings({ trials: refinedTrials, seed: 4 }),
    parentId: coarse.id,
  }).study;
  await service.runStudy(refined.id);

  return {
    handle,
    coarse: service.getStudyDetail(coarse.id),
    refined: service.getStudyDetail(refined.id),
  };
}
