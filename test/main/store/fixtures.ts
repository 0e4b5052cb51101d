import path from 'node:path';
import { describeDataset, hashDatasetFiles } from '../../../main/runner/data';
import type { Store } from '../../../main/store';
import type { DatasetSource } from '../../../shared/dataset';
import type { DatasetRecord } from '../../../shared/study';
import { FIXTURES, SMALL_SPACE, quickSettings } from '../core/helpers';

/** The iris fixture as a CSV dataset source. */
export const IRIS: DatasetSource = {
  format: 'csv',
  path: path.join(FIXTURES, 'iris.csv'),
  target: 'species',
  task: 'classification',
};

/** Registers the iris fixture in `store` with its real summary and hash. */
export function insertIris(store: Store, name = 'iris'): DatasetRecord {
  const description = describeDataset(IRIS);
  return store.datasets.insert({
    name,
    source: IRIS,
    task: description.task,
    rows: description.rows,
    features: description.features,
    classes: description.classes,
    testRows: null,
    contentHash: hashDatasetFiles(IRIS),
  });
}

/**
 * Inserts a study of `trials` queued trials over dataset `datasetId`, coarse
 * or refined from `parentId`, and returns the study id.
 */
export function insertStudy(
  store: Store,
  datasetId: number,
  trials = 3,
  parentId: number | null = null,
): number {
  const studyId = store.studies.insert({
    name: `study-${trials}`,
    datasetId,
    parentId,
    stage: parentId === null ? 'coarse' : 'refined',
    template: 'mlp',
    space: SMALL_SPACE,
    settings: quickSettings({ trials }),
    plannedTrials: trials,
    note: null,
  });
  store.trials.insertQueued(
    studyId,
    Array.from({ length: trials }, (_, index) => ({
      values: { learning_rate: 0.001 * (index + 1), units: 16, activation: 'relu' },
      seed: 100 + index,
    })),
  );
  return studyId;
}
