import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ScoutError } from '../../../main/core/errors';
import { keepBestModels, readModelFiles } from '../../../main/core/models';
import type { Store } from '../../../main/store';
import type { StudyRecord } from '../../../shared/study';
import {
  SMALL_SPACE,
  makeTempDir,
  openService,
  quickSettings,
  registerMnist,
  type ServiceHandle,
} from './helpers';

const temp = makeTempDir('scout-models-');
let handle: ServiceHandle;
let datasetId: number;

before(() => {
  handle = openService(path.join(temp.dir, 'scout.sqlite'));
  datasetId = registerMnist(handle.service).id;
});

after(() => {
  handle.store.close();
  temp.remove();
});

let created = 0;

/** Creates a study of `count` queued trials; returns it with its model folder. */
function createStudy(count: number): { study: StudyRecord; folder: string } {
  created += 1;
  const { study } = handle.service.createStudy({
    name: `models-${created}`,
    datasetId,
    template: 'mlp',
    space: SMALL_SPACE,
    settings: quickSettings({ trials: count }),
  });
  const folder = path.join(temp.dir, 'models', `study-${study.id}`);
  return { study, folder };
}

/** Writes a model folder for trial `number`, as a worker does when the trial ends. */
function writeModelFolder(folder: string, number: number): void {
  const directory = path.join(folder, `trial-${number}`);
  fs.mkdirSync(directory, { recursive: true });
  fs.writeFileSync(path.join(directory, 'model.json'), '{}');
  fs.writeFileSync(path.join(directory, 'weights.bin'), Buffer.alloc(16));
}

function complete(store: Store, trialId: number, objective: number): void {
  store.trials.markRunning(trialId);
  store.trials.markCompleted(trialId, {
    objective,
    bestEpoch: 1,
    epochsRun: 1,
    metrics: { val_accuracy: objective },
    backend: 'cpu',
    durationMs: 1,
  });
}

describe('keepBestModels', () => {
  it('keeps the best completed trials', () => {
    const { study, folder } = createStudy(4);
    const trials = handle.store.trials.listByStudy(study.id);
    const objectives = [0.5, 0.9, 0.7, 0.6];
    trials.forEach((trial, index) => {
      complete(handle.store, trial.id, objectives[index]);
      writeModelFolder(folder, trial.number);
    });

    keepBestModels(study, handle.store.trials.listByStudy(study.id), folder, 2);

    assert.deepEqual(fs.readdirSync(folder).sort(), ['trial-2', 'trial-3']);
  });

  it('spares a running trial', () => {
    // With two workers, trial 2 may have saved its model but not yet reported
    // completion when trial 1 completes and pruning runs.
    const { study, folder } = createStudy(2);
    const [first, second] = handle.store.trials.listByStudy(study.id);
    handle.store.trials.markRunning(second.id);
    writeModelFolder(folder, second.number);
    complete(handle.store, first.id, 0.5);
    writeModelFolder(folder, first.number);

    keepBestModels(study, handle.store.trials.listByStudy(study.id), folder, 1);

    assert.deepEqual(fs.readdirSync(folder).sort(), ['trial-1', 'trial-2']);

    complete(handle.store, second.id, 0.8);
    keepBestModels(study, handle.store.trials.listByStudy(study.id), folder, 1);
    assert.deepEqual(fs.readdirSync(folder), ['trial-2']);
  });

  it('missing folder is a no-op', () => {
    const { study, folder } = createStudy(1);
    keepBestModels(study, handle.store.trials.listByStudy(study.id), folder, 1);
    assert.equal(fs.existsSync(folder), false);
  });
});

describe('readModelFiles', () => {
  it('returns the best trial model', () => {
    const { study, folder } = createStudy(2);
    const [first, second] = handle.store.trials.listByStudy(study.id);
    complete(handle.store, first.id, 0.4);
    complete(handle.store, second.id, 0.6);
    writeModelFolder(folder, second.number);

    const model = readModelFiles(study, handle.store.trials.listByStudy(study.id), folder);
    assert.equal(model.trial.number, 2);
    assert.equal(model.directory, path.join(folder, 'trial-2'));
    assert.deepEqual(model.files, ['model.json', 'weights.bin']);
  });

  it('missing model is not-found', () => {
    const { study, folder } = createStudy(1);
    const [only] = handle.store.trials.listByStudy(study.id);
    complete(handle.store, only.id, 0.4);

    assert.throws(
      () => readModelFiles(study, handle.store.trials.listByStudy(study.id), folder),
      (error: unknown) => {
        assert.ok(error instanceof ScoutError);
        assert.equal(error.code, 'not-found');
        assert.match(
          error.message,
          new RegExp(`no saved model for trial 1 of study '${study.name}'`),
        );
        return true;
      },
    );
  });
});
