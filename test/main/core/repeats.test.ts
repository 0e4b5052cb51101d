import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ScoutEvent } from '../../../shared/api/contract';
import { rankConfigs } from '../../../shared/configs';
import { defaultSettings } from '../../../shared/defaults';
import { proposeRefinement } from '../../../shared/space/refine';
import type { SearchSpace } from '../../../shared/space/types';
import type { DatasetRecord, StudySettings, TrialRecord } from '../../../shared/study';
import { repeatSeed } from '../../../main/core/planning';
import { IRIS } from '../store/fixtures';
import { makeTempDir, openService, type ServiceHandle } from './helpers';

const temp = makeTempDir('scout-repeats-');
let handle: ServiceHandle;
let iris: DatasetRecord;

before(() => {
  handle = openService(path.join(temp.dir, 'scout.sqlite'));
  iris = handle.service.datasets.add('iris', IRIS);
});

after(async () => {
  await handle.service.close();
  handle.store.close();
  temp.remove();
});

/** One config: every hyperparameter fixed, so only the training seed varies. */
const FIXED_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'fixed', value: 0.01 },
  { name: 'units', type: 'fixed', value: 8 },
];

const RANDOM_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-3, max: 1e-1, scale: 'log' },
  { name: 'units', type: 'int', min: 4, max: 32, step: 2, scale: 'log' },
];

/** Settings of a quick study on iris: a few epochs, one worker. */
function irisSettings(overrides: Partial<StudySettings>): StudySettings {
  return {
    ...defaultSettings('classification'),
    seed: 21,
    epochs: 3,
    patience: 0,
    workers: 1,
    ...overrides,
  };
}

function create(name: string, space: SearchSpace, settings: Partial<StudySettings>) {
  return handle.service.createStudy({
    name,
    datasetId: iris.id,
    template: 'mlp',
    space,
    settings: irisSettings(settings),
  }).study;
}

function trialsOf(studyId: number): TrialRecord[] {
  return handle.store.trials.listByStudy(studyId);
}

describe('study repeats', () => {
  it('fixed space trains each repeat', async () => {
    const created = create('fixed-repeats', FIXED_SPACE, { trials: 5, repeats: 3 });
    assert.equal(created.plannedTrials, 3);

    const study = await handle.service.runStudy(created.id);
    const trials = trialsOf(study.id);

    assert.equal(study.status, 'completed');
    assert.equal(study.completedTrials, 3);
    assert.deepEqual(
      trials.map((trial) => [trial.number, trial.config, trial.repeat]),
      [
        [1, 1, 1],
        [2, 1, 2],
        [3, 1, 3],
      ],
    );
    assert.deepEqual(
      trials.map((trial) => trial.seed),
      [1, 2, 3].map((repeat) => repeatSeed(21, 1, repeat)),
    );
    assert.equal(new Set(trials.map((trial) => trial.seed)).size, 3);
    const losses = trials.map((trial) => trial.metrics?.val_loss);
    assert.equal(new Set(losses).size, 3, `val_loss per repeat: ${losses.join(', ')}`);

    const [config] = rankConfigs(trials, 'maximize');
    assert.equal(config.completed, 3);
    assert.ok(config.sd !== null);
  });

  it('random configs rank by mean', async () => {
    const created = create('random-repeats', RANDOM_SPACE, { trials: 4, repeats: 2 });
    const study = await handle.service.runStudy(created.id);
    const trials = trialsOf(study.id);

    assert.equal(study.status, 'completed');
    assert.equal(trials.length, 8);
    assert.ok(trials.every((trial) => trial.status === 'completed'));
    assert.equal(new Set(trials.map((trial) => trial.seed)).size, 8);

    const ranked = rankConfigs(trials, 'maximize');
    assert.deepEqual(ranked.map((config) => config.config).sort(), [1, 2, 3, 4]);
    for (const config of ranked) {
      const own = trials.filter((trial) => trial.config === config.config);
      assert.equal(own.length, 2);
      assert.deepEqual(own[0].values, own[1].values);
      assert.equal(config.completed, 2);
      const mean = ((own[0].objective ?? NaN) + (own[1].objective ?? NaN)) / 2;
      assert.ok(Math.abs((config.mean ?? NaN) - mean) < 1e-12, `config ${config.config} mean`);
    }
    for (let index = 1; index < ranked.length; index++) {
      assert.ok((ranked[index - 1].mean ?? NaN) >= (ranked[index].mean ?? NaN));
    }
  });

  it('refine uses config means', () => {
    const parent = handle.service.getStudy('random-repeats');
    const proposal = handle.service.proposeRefinement(parent.id, { topK: 2 });
    const means = rankConfigs(trialsOf(parent.id), 'maximize').map((config) => ({
      values: config.values,
      objective: config.mean,
    }));

    assert.equal(proposal.basis, 'configs');
    assert.equal(proposal.top, 2);
    assert.match(
      proposal.summary ?? '',
      /^refined around the top 2 of 4 configs by mean val_accuracy/,
    );
    assert.deepEqual(
      proposal.space,
      proposeRefinement(parent.space, means, 'maximize', { topK: 2 }).space,
    );
  });

  it('refine without repeats uses trials', async () => {
    const created = create('single-trainings', RANDOM_SPACE, { trials: 3 });
    await handle.service.runStudy(created.id);
    const proposal = handle.service.proposeRefinement(created.id, { topK: 2 });

    assert.equal(proposal.basis, 'trials');
    assert.match(proposal.summary ?? '', /^refined around the top 2 of 3 trials by val_accuracy/);
  });

  it('resumes after an interrupted repeat', async () => {
    // Enough epochs that the second repeat is still training when its first epoch is reported.
    const created = create('interrupted-repeats', FIXED_SPACE, {
      trials: 1,
      repeats: 3,
      epochs: 400,
    });
    const planned = trialsOf(created.id);
    const stop = handle.service.onEvent((event: ScoutEvent) => {
      // Interrupt while the second repeat trains, as quitting Scout would.
      if (event.studyId === created.id && event.type === 'trial-epoch' && event.number === 2) {
        stop();
        void handle.service.interruptAll();
      }
    });
    handle.service.startStudy(created.id);
    const interrupted = await handle.service.whenStopped(created.id);
    stop();

    assert.equal(interrupted.status, 'interrupted');
    const before = trialsOf(created.id);
    assert.deepEqual(
      before.map((trial) => trial.status),
      ['completed', 'interrupted', 'queued'],
    );

    const resumed = await handle.service.runStudy(created.id);
    const trials = trialsOf(created.id);

    assert.equal(resumed.status, 'completed');
    assert.equal(resumed.completedTrials, 3);
    assert.deepEqual(
      trials.map((trial) => trial.seed),
      planned.map((trial) => trial.seed),
    );
    assert.deepEqual(
      trials.map((trial) => trial.repeat),
      [1, 2, 3],
    );
    assert.equal(trials[0].finishedAt, before[0].finishedAt, 'repeat 1 ran again');
    assert.equal(rankConfigs(trials, 'maximize')[0].completed, 3);
  });
});
