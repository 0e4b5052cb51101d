import { defaultSettings } from '../../../../shared/defaults';
import type { StudyRecord, TrialRecord } from '../../../../shared/study';

/**
 * Returns a completed coarse classification study record on dataset 1
 * ("mnist") with 3 completed trials, with `overrides` applied.
 */
export function studyRecord(id: number, overrides: Partial<StudyRecord> = {}): StudyRecord {
  return {
    id,
    name: `study ${id}`,
    datasetId: 1,
    datasetName: 'mnist',
    parentId: null,
    stage: 'coarse',
    template: 'mlp',
    space: [{ name: 'units', type: 'int', min: 16, max: 64 }],
    settings: defaultSettings('classification'),
    status: 'completed',
    plannedTrials: 3,
    note: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    completedTrials: 3,
    failedTrials: 0,
    bestObjective: null,
    backends: 'cpu',
    ...overrides,
  };
}

/**
 * Returns trial `number` of study `studyId`, completed on the CPU after one
 * epoch with `objective` as its validation accuracy, with `overrides` applied.
 */
export function completedTrial(
  studyId: number,
  number: number,
  objective: number,
  overrides: Partial<TrialRecord> = {},
): TrialRecord {
  return {
    id: studyId * 100 + number,
    studyId,
    number,
    values: {},
    seed: number,
    status: 'completed',
    objective,
    bestEpoch: 1,
    epochsRun: 1,
    metrics: { val_accuracy: objective },
    backend: 'cpu',
    error: null,
    durationMs: 1000,
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}
