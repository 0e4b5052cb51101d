import fs from 'node:fs';
import path from 'node:path';
import { bestTraining } from '../../shared/configs';
import { rankTrials } from '../../shared/space/rank';
import type { StudyRecord, TrialRecord } from '../../shared/study';
import { ScoutError } from './errors';

function rankCompleted(study: StudyRecord, trials: TrialRecord[]): TrialRecord[] {
  const completed = trials.filter((trial) => trial.status === 'completed');
  return rankTrials(completed, study.settings.objective.direction);
}

/**
 * Deletes the saved models of a study except those of its `keep` best
 * completed trials and of its running trials. Models are saved for every
 * trial while it runs, because whether a trial ends among the best is only
 * known when it ends.
 */
export function keepBestModels(
  study: StudyRecord,
  trials: TrialRecord[],
  directory: string,
  keep: number,
): void {
  if (!fs.existsSync(directory)) {
    return;
  }

  const kept = new Set(
    rankCompleted(study, trials)
      .slice(0, keep)
      .map((trial) => `trial-${trial.number}`),
  );
  // With repeats the exported model is the best config's best training, which may rank lower.
  const best = bestTraining(study.settings, trials)?.trial;
  if (best !== undefined && keep > 0) {
    kept.add(`trial-${best.number}`);
  }
  // With several workers, a running trial may have saved its model before its completion is
  // stored, so its rank is still unknown and its folder stays.
  for (const trial of trials) {
    if (trial.status === 'running') {
      kept.add(`trial-${trial.number}`);
    }
  }
  for (const entry of fs.readdirSync(directory)) {
    if (!kept.has(entry)) {
      fs.rmSync(path.join(directory, entry), { recursive: true, force: true });
    }
  }
}

/**
 * Returns the best trial of a study with the folder and the names of the
 * regular files of its saved model (symbolic links and subfolders are left out).
 */
export function readModelFiles(
  study: StudyRecord,
  trials: TrialRecord[],
  directory: string,
): { directory: string; trial: TrialRecord; files: string[] } {
  const best = bestTraining(study.settings, trials)?.trial;
  if (best === undefined) {
    throw new ScoutError('not-found', `study '${study.name}' has no completed trial to export`);
  }

  const modelDirectory = path.join(directory, `trial-${best.number}`);
  if (!fs.existsSync(path.join(modelDirectory, 'model.json'))) {
    throw new ScoutError(
      'not-found',
      `no saved model for trial ${best.number} of study '${study.name}' in ${modelDirectory}; ` +
        'models are kept only for the best trials of studies run with a model folder',
    );
  }
  // Only regular files are exported: a symbolic link placed in the folder could point anywhere.
  const files = fs
    .readdirSync(modelDirectory, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort();
  return { directory: modelDirectory, trial: best, files };
}
