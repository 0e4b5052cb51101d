import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import YAML from 'yaml';
import type { ScoutEvent } from '../../../shared/api/contract';
import type { SearchSpace } from '../../../shared/space/types';
import type { DatasetRecord, StudyRecord, StudySettings, TrialRecord } from '../../../shared/study';
import { ScoutError } from '../../../main/core/errors';
import {
  FIXTURES,
  SMALL_SPACE,
  copyMnistTrainingPair,
  deadPid,
  makeTempDir,
  openService,
  quickSettings,
  registerMnist,
  type ServiceHandle,
} from './helpers';

const temp = makeTempDir('scout-service-');
const modelDirectory = path.join(temp.dir, 'models');
let handle: ServiceHandle;
let mnist: DatasetRecord;

before(() => {
  handle = openService(path.join(temp.dir, 'scout.sqlite'), { modelDirectory, keepModels: 2 });
  mnist = registerMnist(handle.service);
});

after(async () => {
  await handle.service.close();
  handle.store.close();
  temp.remove();
});

function create(name: string, space: SearchSpace, settings: Partial<StudySettings> = {}) {
  return handle.service.createStudy({
    name,
    datasetId: mnist.id,
    template: 'mlp',
    space,
    settings: quickSettings(settings),
  }).study;
}

function trialsOf(studyId: number): TrialRecord[] {
  return handle.store.trials.listByStudy(studyId);
}

function countRows(table: 'studies' | 'trials'): number {
  const row = handle.store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number };
  return row.n;
}

/** Asserts that `action` throws a ScoutError with `code` whose message matches `pattern`. */
function assertScoutError(action: () => unknown, code: ScoutError['code'], pattern: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof ScoutError, `expected a ScoutError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

/** Resolves with the first event of `studyId` that `match` accepts. */
function nextEvent(studyId: number, match: (event: ScoutEvent) => boolean): Promise<ScoutEvent> {
  return new Promise((resolve) => {
    const stop = handle.service.onEvent((event) => {
      if (event.studyId === studyId && match(event)) {
        stop();
        resolve(event);
      }
    });
  });
}

describe('StudyService datasets', () => {
  it('datasets.add records the MNIST summary', () => {
    assert.equal(mnist.format, 'idx');
    assert.equal(mnist.task, 'classification');
    assert.equal(mnist.rows, 60000);
    assert.equal(mnist.features, 784);
    assert.equal(mnist.classes, 10);
    assert.equal(mnist.testRows, 10000);
    assert.match(mnist.contentHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(handle.service.datasets.get('mnist'), mnist);
  });

  it('datasets.add rejects a taken name', () => {
    assertScoutError(() => registerMnist(handle.service), 'conflict', /'mnist' exists already/);
    assert.equal(handle.service.datasets.list().length, 1);
  });

  it('datasets.get of unknown name is not-found', () => {
    assertScoutError(
      () => handle.service.datasets.get('fashion'),
      'not-found',
      /no dataset 'fashion'/,
    );
  });
});

describe('StudyService studies', () => {
  let coarse: StudyRecord;

  it('runStudy completes 3 trials', async () => {
    const created = create('coarse', SMALL_SPACE);
    assert.equal(created.status, 'created');
    assert.equal(created.stage, 'coarse');
    assert.equal(created.plannedTrials, 3);
    assert.equal(trialsOf(created.id).length, 3);

    coarse = await handle.service.runStudy(created.id);

    assert.equal(coarse.status, 'completed');
    assert.equal(coarse.completedTrials, 3);
    assert.equal(coarse.failedTrials, 0);
    assert.ok(coarse.finishedAt);
    const trials = trialsOf(coarse.id);
    assert.equal(trials.length, 3);
    for (const trial of trials) {
      assert.equal(trial.status, 'completed', `trial ${trial.number}: ${trial.error}`);
      assert.ok(trial.objective !== null);
      assert.ok(trial.objective > 0.2, `trial ${trial.number} objective ${trial.objective}`);
      assert.ok(trial.objective <= 1);
      assert.equal(trial.objective, trial.metrics?.val_accuracy);
      assert.ok(trial.backend, `trial ${trial.number} has no backend`);
      assert.equal(trial.epochsRun, 1);
      assert.equal(trial.bestEpoch, 1);
      assert.equal(typeof trial.metrics?.test_accuracy, 'number');
      assert.ok(trial.durationMs !== null);
      assert.ok(trial.durationMs > 0);

      const epochs = handle.store.trials.listEpochs(trial.id);
      assert.deepEqual(
        epochs.map((epoch) => epoch.epoch),
        [1],
      );
      assert.equal(epochs[0].metrics.val_accuracy, trial.objective);
      assert.equal(typeof epochs[0].metrics.loss, 'number');
    }
    assert.equal(coarse.backends, trials[0].backend);
    assert.equal(coarse.bestObjective, Math.max(...trials.map((trial) => trial.objective!)));
  });

  it('same seed repeats the trials', async () => {
    const copy = create('coarse-again', SMALL_SPACE);
    const other = create('other-seed', SMALL_SPACE, { seed: 12 });

    const first = trialsOf(coarse.id);
    const second = trialsOf(copy.id);
    assert.deepEqual(
      second.map((trial) => trial.values),
      first.map((trial) => trial.values),
    );
    assert.deepEqual(
      second.map((trial) => trial.seed),
      first.map((trial) => trial.seed),
    );
    assert.notDeepEqual(
      trialsOf(other.id).map((trial) => trial.values),
      first.map((trial) => trial.values),
    );

    await handle.service.runStudy(copy.id);
    assert.deepEqual(
      trialsOf(copy.id).map((trial) => trial.objective),
      first.map((trial) => trial.objective),
    );
    handle.service.deleteStudy(other.id);
  });

  it('invalid space writes nothing', () => {
    const cases: { space: SearchSpace; pattern: RegExp }[] = [
      {
        space: [{ name: 'learning_rate', type: 'float', min: 0.1, max: 0.01, scale: 'log' }],
        pattern: /'learning_rate'|learning_rate/,
      },
      {
        space: [...SMALL_SPACE, { name: 'momentum', type: 'float', min: 0, max: 0.9 }],
        pattern: /'momentum'.*knob/,
      },
    ];

    for (const { space, pattern } of cases) {
      const studies = countRows('studies');
      const trials = countRows('trials');

      assert.throws(
        () => create('invalid', space),
        (error: unknown) => {
          assert.ok(error instanceof ScoutError);
          assert.equal(error.code, 'invalid');
          assert.match(error.message, pattern);
          assert.ok(error.issues);
          assert.ok(error.issues.length > 0);
          assert.equal(error.issues[0].name, space[space.length - 1].name);
          return true;
        },
      );
      assert.equal(countRows('studies'), studies);
      assert.equal(countRows('trials'), trials);
    }
  });

  it('invalid min above max names both bounds', () => {
    const space: SearchSpace = [{ name: 'units', type: 'int', min: 64, max: 16 }];
    assertScoutError(() => create('invalid-units', space), 'invalid', /units.*64.*16/s);
  });

  it('wrong objective for the task is rejected', () => {
    const studies = countRows('studies');
    assertScoutError(
      () =>
        create('regression-objective', SMALL_SPACE, {
          objective: { metric: 'val_mae', direction: 'minimize' },
        }),
      'invalid',
      /val_mae does not fit the classification dataset 'mnist'/,
    );
    assert.equal(countRows('studies'), studies);
  });

  it('failed trial does not stop the study', async () => {
    // SGD at learning rate 10 with an L2 factor of 10 drives the loss to NaN in the first epoch.
    // At learning rate 1e-3 the same model trains.
    const space: SearchSpace = [
      { name: 'learning_rate', type: 'choice', values: [1e-3, 10] },
      { name: 'units', type: 'choice', values: [16, 32] },
      { name: 'optimizer', type: 'fixed', value: 'sgd' },
      { name: 'l2', type: 'fixed', value: 10 },
    ];
    const created = create('diverging', space, { trials: 4 });
    const study = await handle.service.runStudy(created.id);

    assert.equal(study.status, 'completed');
    const trials = trialsOf(study.id);
    assert.equal(trials.length, 4);
    const diverging = trials.filter((trial) => trial.values.learning_rate === 10);
    const stable = trials.filter((trial) => trial.values.learning_rate === 1e-3);
    assert.equal(diverging.length, 2);
    assert.equal(stable.length, 2);

    for (const trial of diverging) {
      assert.equal(trial.status, 'failed');
      assert.match(trial.error ?? '', /NaN/);
      assert.match(trial.error ?? '', /lower the learning rate/);
      assert.equal(trial.objective, null);
      assert.ok(trial.backend);
    }
    for (const trial of stable) {
      assert.equal(trial.status, 'completed', `trial ${trial.number}: ${trial.error}`);
      assert.equal(typeof trial.objective, 'number');
    }
    assert.equal(study.completedTrials, 2);
    assert.equal(study.failedTrials, 2);
  });

  it('trial timeout fails the trial only', async () => {
    const created = create('timed-out', SMALL_SPACE, {
      trials: 2,
      epochs: 200,
      trialTimeoutSeconds: 0.5,
    });
    const study = await handle.service.runStudy(created.id);

    assert.equal(study.status, 'completed');
    for (const trial of trialsOf(study.id)) {
      assert.equal(trial.status, 'failed');
      assert.match(trial.error ?? '', /timed out after 500 ms/);
      assert.ok(trial.durationMs !== null);
      assert.ok(trial.durationMs >= 500, `duration ${trial.durationMs} ms`);
    }
    assert.equal(study.failedTrials, 2);
  });

  it('pause stops after the running trial', async () => {
    const created = create('paused', SMALL_SPACE, { trials: 3 });
    const started = nextEvent(created.id, (event) => event.type === 'trial-started');
    handle.service.startStudy(created.id);
    await started;
    assertScoutError(() => handle.service.startStudy(created.id), 'conflict', /running already/);
    handle.service.pauseStudy(created.id);

    const paused = await handle.service.whenStopped(created.id);
    assert.equal(paused.status, 'paused');
    assert.deepEqual(
      trialsOf(created.id).map((trial) => trial.status),
      ['completed', 'queued', 'queued'],
    );
    const first = trialsOf(created.id)[0];

    const resumed = await handle.service.runStudy(created.id);
    assert.equal(resumed.status, 'completed');
    const trials = trialsOf(created.id);
    assert.ok(trials.every((trial) => trial.status === 'completed'));
    assert.equal(trials[0].finishedAt, first.finishedAt);
    assert.equal(trials[0].objective, first.objective);
    assertScoutError(() => handle.service.pauseStudy(created.id), 'conflict', /is not running/);
  });

  it('cancel stops the running trial', async () => {
    const created = create('cancelled', SMALL_SPACE, { trials: 3, epochs: 200 });
    const firstEpoch = nextEvent(created.id, (event) => event.type === 'trial-epoch');
    handle.service.startStudy(created.id);
    await firstEpoch;
    handle.service.cancelStudy(created.id);

    const cancelled = await handle.service.whenStopped(created.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.ok(cancelled.finishedAt);
    const [running, ...queued] = trialsOf(created.id);
    assert.equal(running.status, 'cancelled');
    assert.equal(running.error, 'cancelled by the user');
    for (const trial of queued) {
      assert.equal(trial.status, 'cancelled');
      assert.match(trial.error ?? '', /cancelled before this trial ran/);
    }
  });

  it('start resumes a cancelled study', async () => {
    const created = create('cancelled then resumed', SMALL_SPACE, { trials: 2, epochs: 1 });
    handle.service.cancelStudy(created.id);
    assert.deepEqual(
      trialsOf(created.id).map((trial) => trial.status),
      ['cancelled', 'cancelled'],
    );

    const resumed = await handle.service.runStudy(created.id);

    assert.equal(resumed.status, 'completed');
    assert.deepEqual(
      trialsOf(created.id).map((trial) => trial.status),
      ['completed', 'completed'],
    );
  });

  it('start recovers only a crashed study', async () => {
    const active = create('active', SMALL_SPACE, { trials: 1, epochs: 200 });
    const firstEpoch = nextEvent(active.id, (event) => event.type === 'trial-epoch');
    handle.service.startStudy(active.id);
    await firstEpoch;

    // A study left running by a runner that has died since.
    const crashed = create('crashed', SMALL_SPACE, { trials: 1 });
    const [crashedTrial] = trialsOf(crashed.id);
    handle.store.trials.markRunning(crashedTrial.id);
    handle.store.studies.setStatus(crashed.id, 'running');
    handle.store.studies.setRunner(crashed.id, await deadPid());

    handle.service.startStudy(crashed.id);

    assert.equal(handle.service.getStudy(active.id).status, 'running');
    assert.equal(trialsOf(active.id)[0].status, 'running');
    handle.service.cancelStudy(active.id);
    const [stoppedActive, finishedCrashed] = await Promise.all([
      handle.service.whenStopped(active.id),
      handle.service.whenStopped(crashed.id),
    ]);
    assert.equal(stoppedActive.status, 'cancelled');
    assert.equal(finishedCrashed.status, 'completed');
    assert.equal(trialsOf(crashed.id)[0].status, 'completed');
  });

  it('cancel of a new study cancels its queue', () => {
    const created = create('never-run', SMALL_SPACE, { trials: 2 });
    const cancelled = handle.service.cancelStudy(created.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.deepEqual(
      trialsOf(created.id).map((trial) => trial.status),
      ['cancelled', 'cancelled'],
    );
  });

  it('time limit cancels queued trials', async () => {
    const limit = 0.3;
    // 40 trials take several seconds even with fast kernels, so the limit cancels some of them.
    const created = create('time-limited', SMALL_SPACE, { trials: 40, timeLimitSeconds: limit });
    const study = await handle.service.runStudy(created.id);

    assert.equal(study.status, 'completed');
    const trials = trialsOf(study.id);
    const cancelled = trials.filter((trial) => trial.status === 'cancelled');
    const completed = trials.filter((trial) => trial.status === 'completed');
    assert.ok(cancelled.length >= 1, 'no trial was cancelled');
    assert.equal(completed.length + cancelled.length, 40);
    for (const trial of cancelled) {
      assert.match(trial.error ?? '', /time limit of 0\.3 s was reached before this trial ran/);
    }
    assert.match(
      study.note ?? '',
      new RegExp(`time limit of 0\\.3 s reached; ${cancelled.length} queued trials were cancelled`),
    );

    // A resume runs the cancelled trials under a fresh time limit, never the finished ones.
    const resumed = await handle.service.runStudy(study.id);
    const after = trialsOf(study.id);
    assert.equal(resumed.status, 'completed');
    assert.ok(after.filter((trial) => trial.status === 'completed').length > completed.length);
    for (const trial of completed) {
      assert.equal(after.find((other) => other.id === trial.id)?.finishedAt, trial.finishedAt);
    }
  });

  it('completed study cannot start again', () => {
    assertScoutError(
      () => handle.service.startStudy(coarse.id),
      'conflict',
      /'coarse' is completed with no trials left to run/,
    );
  });

  it('refinement lies within the parent', () => {
    const proposal = handle.service.proposeRefinement(coarse.id, { topK: 2 });

    assert.equal(proposal.parentId, coarse.id);
    assert.equal(proposal.top, 2);
    assert.deepEqual(proposal.parentSpace, SMALL_SPACE);
    assert.deepEqual(
      proposal.space.map((param) => param.name),
      SMALL_SPACE.map((param) => param.name),
    );

    const best = trialsOf(coarse.id).sort((a, b) => b.objective! - a.objective!)[0];
    for (const param of proposal.space) {
      const parent = SMALL_SPACE.find((candidate) => candidate.name === param.name)!;
      if (param.type === 'int' || param.type === 'float') {
        assert.equal(param.type, parent.type);
        assert.ok(parent.type === 'int' || parent.type === 'float');
        assert.ok(param.min >= parent.min, `${param.name} min ${param.min} < ${parent.min}`);
        assert.ok(param.max <= parent.max, `${param.name} max ${param.max} > ${parent.max}`);
        assert.ok(param.min <= param.max);
        assert.equal(param.scale, parent.scale);
        const value = best.values[param.name] as number;
        assert.ok(value >= param.min, `${param.name} min ${param.min} excludes the best ${value}`);
        assert.ok(value <= param.max, `${param.name} max ${param.max} excludes the best ${value}`);
      } else if (param.type === 'choice') {
        assert.ok(parent.type === 'choice');
        assert.ok(param.values.every((value) => parent.values.includes(value)));
        assert.ok(param.values.includes(best.values[param.name]));
      } else {
        assert.equal(param.type, 'fixed');
        assert.equal(param.value, best.values[param.name]);
      }
    }
  });

  it('refinement needs a completed trial', () => {
    const created = create('unrun', SMALL_SPACE, { trials: 1 });
    assertScoutError(
      () => handle.service.proposeRefinement(created.id, {}),
      'conflict',
      /no completed trials yet/,
    );
    assertScoutError(
      () => handle.service.proposeRefinement(coarse.id, { topK: 0 }),
      'invalid',
      /topK 0/,
    );
    handle.service.deleteStudy(created.id);
  });

  it('refined study records its parent', () => {
    const proposal = handle.service.proposeRefinement(coarse.id, { topK: 2 });
    const { study } = handle.service.createStudy({
      name: 'refined',
      datasetId: mnist.id,
      template: 'mlp',
      space: proposal.space,
      settings: quickSettings({ trials: 2, seed: 12 }),
      parentId: coarse.id,
    });

    assert.equal(study.parentId, coarse.id);
    assert.equal(study.stage, 'refined');
    assert.deepEqual(study.space, proposal.space);
    const detail = handle.service.getStudyDetail(coarse.id);
    assert.ok(detail.children.some((child) => child.id === study.id));
    assert.equal(handle.service.getStudyDetail(study.id).parent?.id, coarse.id);
  });

  it('refined study must share the dataset', () => {
    const iris = handle.service.datasets.add('iris', {
      format: 'csv',
      path: path.join(FIXTURES, 'iris.csv'),
      target: 'species',
      task: 'classification',
    });
    const studies = countRows('studies');
    assertScoutError(
      () =>
        handle.service.createStudy({
          name: 'refined-iris',
          datasetId: iris.id,
          template: 'mlp',
          space: SMALL_SPACE,
          settings: quickSettings({ trainLimit: undefined, testLimit: undefined }),
          parentId: coarse.id,
        }),
      'invalid',
      /parent's dataset 'mnist', not 'iris'/,
    );
    assert.equal(countRows('studies'), studies);
    assertScoutError(
      () => handle.service.datasets.delete(mnist.id),
      'conflict',
      /dataset 'mnist' is used by \d+ studies/,
    );
    handle.service.datasets.delete(iris.id);
  });

  it('duplicateStudy copies space and settings', () => {
    const copy = handle.service.duplicateStudy(coarse.id);
    assert.equal(copy.name, 'coarse (copy)');
    assert.equal(copy.status, 'created');
    assert.deepEqual(copy.space, coarse.space);
    assert.deepEqual(copy.settings, coarse.settings);
    assert.deepEqual(
      trialsOf(copy.id).map((trial) => trial.values),
      trialsOf(coarse.id).map((trial) => trial.values),
    );
    handle.service.deleteStudy(copy.id);
    assertScoutError(() => handle.service.getStudy(copy.id), 'not-found', /no study/);
    assert.deepEqual(trialsOf(copy.id), []);
  });

  describe('exports', () => {
    it('JSON keeps integers and exact floats', () => {
      const file = handle.service.exportStudy(coarse.id, 'json');
      assert.equal(file.fileName, 'coarse-best.json');
      assert.equal(file.mediaType, 'application/json');

      const document = JSON.parse(file.content);
      const best = trialsOf(coarse.id).find((trial) => trial.objective === coarse.bestObjective)!;
      assert.equal(document.trial.number, best.number);
      assert.equal(document.trial.seed, best.seed);
      assert.equal(document.objective.value, best.objective);
      assert.deepEqual(document.hyperparameters, best.values);
      assert.equal(document.hyperparameters.learning_rate, best.values.learning_rate);
      assert.equal(document.trial.metrics.test_accuracy, best.metrics?.test_accuracy);

      // Knobs outside the space come from the template's defaults and the study's epochs.
      assert.equal(document.config.units, best.values.units);
      assert.equal(document.config.optimizer, 'adam');
      assert.equal(document.config.batch_size, 64);
      assert.equal(document.config.epochs, 1);
      assert.equal(document.dataset.name, 'mnist');

      assert.match(file.content, new RegExp(`"units": ${best.values.units},?\\n`));
      assert.match(file.content, /"batch_size": 64,?\n/);
      assert.doesNotMatch(file.content, /"(units|batch_size|layers|epochs|seed)": -?\d+\.\d/);
    });

    it('YAML parses to the JSON document', () => {
      const json = JSON.parse(handle.service.exportStudy(coarse.id, 'json').content);
      const yaml = handle.service.exportStudy(coarse.id, 'yaml');
      assert.equal(yaml.fileName, 'coarse-best.yaml');
      assert.deepEqual(YAML.parse(yaml.content), json);
    });

    it('CSV has a row per trial', () => {
      const study = handle.service.getStudy('diverging');
      const file = handle.service.exportStudy(study.id, 'csv');
      assert.equal(file.fileName, 'diverging-trials.csv');

      const [header, ...rows] = parseCsv(file.content) as string[][];
      const trials = trialsOf(study.id);
      assert.equal(rows.length, trials.length);
      assert.deepEqual(header.slice(0, 7), [
        'number',
        'status',
        'objective',
        'learning_rate',
        'units',
        'optimizer',
        'l2',
      ]);
      assert.deepEqual(header.slice(-6), [
        'best_epoch',
        'epochs_run',
        'duration_ms',
        'backend',
        'seed',
        'error',
      ]);
      assert.ok(header.includes('val_accuracy'));
      assert.ok(header.includes('test_accuracy'));

      const column = (name: string) => header.indexOf(name);
      for (const [index, trial] of trials.entries()) {
        const row = rows[index];
        assert.equal(row[column('number')], String(trial.number));
        assert.equal(row[column('status')], trial.status);
        assert.equal(Number(row[column('learning_rate')]), trial.values.learning_rate);
        if (trial.status === 'failed') {
          assert.equal(row[column('objective')], '');
          assert.equal(row[column('val_accuracy')], '');
          assert.equal(row[column('error')], trial.error);
          assert.match(row[column('error')], /NaN/);
        } else {
          assert.equal(Number(row[column('objective')]), trial.objective);
          assert.equal(row[column('error')], '');
        }
      }
    });

    it('CSV writes a NaN metric as NaN', () => {
      const created = create('nan-metric', SMALL_SPACE, { trials: 2 });
      const [first] = trialsOf(created.id);
      handle.store.trials.markCompleted(first.id, {
        objective: 0.5,
        bestEpoch: 1,
        epochsRun: 1,
        metrics: { val_accuracy: 0.5, val_loss: NaN, test_loss: Infinity },
        backend: 'cpu',
        durationMs: 1,
      });

      const [header, ...rows] = parseCsv(
        handle.service.exportStudy(created.id, 'csv').content,
      ) as string[][];
      assert.equal(rows[0][header.indexOf('val_loss')], 'NaN');
      assert.equal(rows[0][header.indexOf('test_loss')], 'Infinity');
      assert.equal(rows[0][header.indexOf('val_accuracy')], '0.5');
      assert.equal(rows[1][header.indexOf('val_loss')], '');
      assert.equal(rows[1][header.indexOf('status')], 'queued');

      const json = handle.service.exportStudy(created.id, 'json').content;
      assert.match(json, /"val_loss": "NaN"/);
      handle.service.deleteStudy(created.id);
    });

    it('best config of an unrun study is not-found', () => {
      const created = create('nothing-yet', SMALL_SPACE, { trials: 1 });
      assertScoutError(
        () => handle.service.exportStudy(created.id, 'json'),
        'not-found',
        /no completed trial yet/,
      );
      handle.service.deleteStudy(created.id);
    });

    it('exportModel returns the best kept model', () => {
      const studyFolder = path.join(modelDirectory, `study-${coarse.id}`);
      const ranked = trialsOf(coarse.id).sort((a, b) => b.objective! - a.objective!);
      assert.deepEqual(
        fs.readdirSync(studyFolder).sort(),
        ranked
          .slice(0, 2)
          .map((trial) => `trial-${trial.number}`)
          .sort(),
      );

      const model = handle.service.exportModel(coarse.id);
      assert.equal(model.trial.number, ranked[0].number);
      assert.equal(model.directory, path.join(studyFolder, `trial-${ranked[0].number}`));
      assert.ok(model.files.includes('model.json'));
      const manifest = JSON.parse(
        fs.readFileSync(path.join(model.directory, 'model.json'), 'utf8'),
      );
      const weightFiles: string[] = manifest.weightsManifest.flatMap((group: { paths: string[] }) =>
        group.paths.map((file) => path.normalize(file)),
      );
      assert.ok(weightFiles.length > 0);
      assert.deepEqual([...weightFiles, 'model.json', 'preprocessing.json'].sort(), model.files);
      for (const weights of weightFiles) {
        assert.ok(fs.statSync(path.join(model.directory, weights)).size > 0);
      }
    });
  });

  it('changed dataset file is rejected', async () => {
    const copyDirectory = path.join(temp.dir, 'mnist-copy');
    fs.mkdirSync(copyDirectory);
    const source = copyMnistTrainingPair(copyDirectory);
    const dataset = handle.service.datasets.add('mnist-copy', source);
    const request = {
      name: 'on-copy',
      datasetId: dataset.id,
      template: 'mlp' as const,
      space: SMALL_SPACE,
      settings: quickSettings({ trials: 1, testLimit: undefined }),
    };
    const { study } = handle.service.createStudy(request);

    fs.appendFileSync(source.labels, Buffer.from([0]));

    const studies = countRows('studies');
    assertScoutError(
      () => handle.service.createStudy({ ...request, name: 'on-copy-again' }),
      'dataset',
      /files of dataset 'mnist-copy' changed since it was registered/,
    );
    assert.equal(countRows('studies'), studies);
    assertScoutError(
      () => handle.service.startStudy(study.id),
      'dataset',
      /files of dataset 'mnist-copy' changed/,
    );
    assert.equal(handle.service.getStudy(study.id).status, 'created');

    fs.rmSync(source.images);
    assertScoutError(
      () => handle.service.startStudy(study.id),
      'dataset',
      /dataset 'mnist-copy'.*train-images-idx3-ubyte/,
    );
  });
});
