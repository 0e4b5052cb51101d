import fs from 'node:fs';
import path from 'node:path';
import type { StudyData } from '../../../shared/analysis/types';
import type { TrialRecord } from '../../../shared/study';

/**
 * A coarse iris study (12 trials: trial 1 failed with an infinite loss,
 * trial 4 reached accuracy 0, trial 3 is best with 0.9) and its refined study
 * (8 trials, trial 8 matches 0.9), trained for real and recorded by
 * fixtures/record.ts.
 */
export interface RecordedLineage {
  coarse: StudyData;
  refined: StudyData;
}

/** Loads a fresh copy of the recorded lineage, so a test may change it. */
export function loadLineage(): RecordedLineage {
  const file = path.join(__dirname, 'fixtures', 'iris-lineage.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RecordedLineage;
}

/** Returns trial `number` of `data`; fails the test when it is missing. */
export function trialNumber(data: StudyData, number: number): TrialRecord {
  const trial = data.trials.find((item) => item.number === number);
  if (trial === undefined) {
    throw new Error(`study '${data.study.name}' has no trial ${number}`);
  }
  return trial;
}
