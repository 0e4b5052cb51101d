import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Hyperparameter } from '../../../shared/space/types';
import type { StudyRecord } from '../../../shared/study';
import { DEMO_SPACE } from '../../../main/cli/commands/demo';
import {
  makeTempDir,
  openService,
  quickSettings,
  registerMnist,
  type ServiceHandle,
} from './helpers';

/**
 * The demo's workflow through the service at a smaller size: a coarse
 * random study on 6,000 MNIST digits, then a refined study inside the
 * region of its best trials. About two minutes on two cores, so it runs
 * with `npm run test:slow`, not in `npm test`.
 */
describe('coarse to fine on MNIST', () => {
  const temp = makeTempDir('scout-coarse-to-fine-');
  let handle: ServiceHandle;
  let coarse: StudyRecord;
  let refined: StudyRecord;

  before(async () => {
    handle = openService(path.join(temp.dir, 'scout.sqlite'));
    const dataset = registerMnist(handle.service);
    const settings = quickSettings({
      trials: 12,
      epochs: 3,
      patience: 2,
      workers: 2,
      seed: 1,
      trainLimit: 6000,
      testLimit: 2000,
    });

    const created = handle.service.createStudy({
      name: 'coarse',
      datasetId: dataset.id,
      template: 'mlp',
      space: DEMO_SPACE,
      settings,
    });
    coarse = await handle.service.runStudy(created.study.id);

    const proposal = handle.service.proposeRefinement(coarse.id, { topK: 4 });
    const child = handle.service.createStudy({
      name: 'refined',
      datasetId: dataset.id,
      template: 'mlp',
      space: proposal.space,
      settings: { ...settings, seed: 2 },
      parentId: coarse.id,
    });
    refined = await handle.service.runStudy(child.study.id);
  });

  after(() => {
    handle.store.close();
    temp.remove();
  });

  it('completes every trial of both stages', () => {
    assert.equal(coarse.status, 'completed');
    assert.equal(coarse.completedTrials, 12);
    assert.equal(refined.status, 'completed');
    assert.equal(refined.completedTrials, 12);
  });

  it('refined space lies inside the coarse one', () => {
    for (const param of refined.space) {
      const parent = coarse.space.find((candidate) => candidate.name === param.name);
      assert.ok(parent, `${param.name} is not in the coarse space`);
      assertInside(param, parent);
    }
  });

  it('refined best is competitive', () => {
    // Random search inside the best region should not do markedly worse
    // than the coarse search that found it; 0.01 allows for the noise of
    // 1,200 validation digits.
    assert.ok(coarse.bestObjective !== null);
    assert.ok(coarse.bestObjective > 0.85, `coarse best ${coarse.bestObjective}`);
    assert.ok(refined.bestObjective !== null);
    assert.ok(
      refined.bestObjective >= coarse.bestObjective - 0.01,
      `refined ${refined.bestObjective} against coarse ${coarse.bestObjective}`,
    );
  });

  it('refined trials score better on median', () => {
    const median = (study: StudyRecord) => {
      const scores = handle.store.trials
        .listByStudy(study.id)
        .map((trial) => trial.objective ?? 0)
        .sort((a, b) => a - b);
      return scores[Math.floor(scores.length / 2)];
    };

    // Narrowing to the best region is what coarse to fine is for: the
    // typical refined trial beats the typical coarse one.
    assert.ok(median(refined) > median(coarse), `${median(refined)} vs ${median(coarse)}`);
  });
});

function assertInside(param: Hyperparameter, parent: Hyperparameter): void {
  if (param.type === 'int' || param.type === 'float') {
    assert.ok(parent.type === param.type, `${param.name} changed type`);
    assert.ok(param.min >= parent.min, `${param.name} min ${param.min} < ${parent.min}`);
    assert.ok(param.max <= parent.max, `${param.name} max ${param.max} > ${parent.max}`);
    return;
  }
  if (param.type === 'choice') {
    assert.ok(parent.type === 'choice');
    for (const value of param.values) {
      assert.ok(parent.values.includes(value), `${param.name} gained ${String(value)}`);
    }
  }
}
