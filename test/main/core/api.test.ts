import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ScoutEvent } from '../../../shared/api/contract';
import type { DatasetRecord, StudyRecord, StudySettings } from '../../../shared/study';
import { createApiHandler, toWireValue, type ApiHandler } from '../../../main/core/api';
import { defaultSettings } from '../../../shared/defaults';
import {
  FIXTURES,
  makeTempDir,
  openCpuService,
  openService,
  waitFor,
  type ServiceHandle,
} from './helpers';

const temp = makeTempDir('scout-api-');
let handle: ServiceHandle;
let call: ApiHandler;

before(() => {
  handle = openCpuService(temp.dir);
  call = createApiHandler(handle.service);
});

after(async () => {
  await handle.service.close();
  handle.store.close();
  temp.remove();
});

const IRIS_SOURCE = {
  format: 'csv',
  path: path.join(FIXTURES, 'iris.csv'),
  target: 'species',
  task: 'classification',
} as const;

function irisSettings(overrides: Partial<StudySettings> = {}): StudySettings {
  return {
    ...defaultSettings('classification'),
    trials: 2,
    epochs: 2,
    patience: 0,
    workers: 1,
    ...overrides,
  };
}

/** Returns the value of a successful call, failing the test with the error otherwise. */
async function value<T>(channel: string, request: unknown): Promise<T> {
  const result = await call(channel, request);
  if (!result.ok) {
    assert.fail(`${channel} failed: ${result.error.code}: ${result.error.message}`);
  }
  return result.value as T;
}

describe('createApiHandler', () => {
  let iris: DatasetRecord;

  before(async () => {
    iris = await value<DatasetRecord>('datasets.add', { name: 'iris', source: IRIS_SOURCE });
  });

  it('rejects an unknown channel', async () => {
    const result = await call('studies.launch', { id: 1 });

    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'invalid');
    assert.match(!result.ok ? result.error.message : '', /unknown API channel 'studies\.launch'/);
  });

  it('rejects a prototype property as channel', async () => {
    const result = await call('toString', {});

    assert.equal(!result.ok && result.error.code, 'invalid');
  });

  it('rejects a request failing its schema', async () => {
    const result = await call('studies.create', { name: '', datasetId: -1, template: 'mlp' });

    assert.equal(result.ok, false);
    const message = !result.ok ? result.error.message : '';
    assert.equal(!result.ok && result.error.code, 'invalid');
    assert.match(message, /^invalid request for studies\.create:/);
    assert.match(message, /datasetId: /);
    assert.match(message, /space: /);
    assert.match(message, /settings: /);
  });

  it('rejects extra fields on an empty request', async () => {
    const result = await call('system.info', { verbose: true });

    assert.equal(!result.ok && result.error.code, 'invalid');
  });

  it('accepts a missing body as an empty request', async () => {
    const info = await value<{ version: string; databasePath: string }>('system.info', undefined);

    assert.match(info.version, /^\d+\.\d+\.\d+/);
    assert.equal(info.databasePath, handle.file);
  });

  it('returns a registered dataset', async () => {
    const datasets = await value<DatasetRecord[]>('datasets.list', {});

    assert.deepEqual(
      datasets.map((dataset) => dataset.name),
      ['iris'],
    );
    assert.equal(datasets[0]!.rows, 150);
  });

  it('maps datasets.preview to the loaded rows', async () => {
    const preview = await value<{
      rows: { features: number[]; target: number }[];
      split: { train: number; validation: number };
      classNames: string[];
    }>('datasets.preview', { id: iris.id, rows: 5, validationFraction: 0.2, seed: 1 });

    assert.equal(preview.rows.length, 5);
    assert.equal(preview.rows[0]!.features.length, 4);
    assert.equal(preview.split.train + preview.split.validation, 150);
    assert.deepEqual(preview.classNames, ['setosa', 'versicolor', 'virginica']);
  });

  it('returns not-found for a missing study', async () => {
    const result = await call('studies.get', { id: 999 });

    assert.equal(!result.ok && result.error.code, 'not-found');
  });

  it('returns space issues of an invalid space', async () => {
    const result = await call('studies.create', {
      name: 'bad',
      datasetId: iris.id,
      template: 'mlp',
      space: [{ name: 'learning_rate', type: 'float', min: 0.1, max: 0.01 }],
      settings: irisSettings(),
    });

    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'invalid');
    const issues = (!result.ok && result.error.issues) || [];
    assert.equal(issues.length, 1);
    assert.match(JSON.stringify(issues[0]), /learning_rate/);
  });

  it('returns the study record from studies.create', async () => {
    const study = await value<StudyRecord & { warnings?: unknown }>('studies.create', {
      name: 'created',
      datasetId: iris.id,
      template: 'mlp',
      space: [{ name: 'units', type: 'int', min: 4, max: 8 }],
      settings: irisSettings(),
    });

    assert.equal(study.name, 'created');
    assert.equal(study.status, 'created');
    assert.equal(study.plannedTrials, 2);
    assert.equal(study.warnings, undefined);
  });

  it('turns an unexpected error into internal', async () => {
    const closed = openService(path.join(temp.dir, 'closed.sqlite'));
    const closedCall = createApiHandler(closed.service);
    closed.store.close();

    const result = await closedCall('datasets.list', {});

    assert.equal(!result.ok && result.error.code, 'internal');
    assert.match(!result.ok ? result.error.message : '', /database/i);
  });

  it('resumes a paused study and exports its model', async () => {
    const study = await value<StudyRecord>('studies.create', {
      name: 'resumed',
      datasetId: iris.id,
      template: 'mlp',
      space: [{ name: 'units', type: 'int', min: 4, max: 8 }],
      settings: irisSettings({ trials: 3 }),
    });
    const ended: number[] = [];
    const unsubscribe = handle.service.onEvent((event: ScoutEvent) => {
      if (event.type === 'trial-ended' && event.studyId === study.id) {
        ended.push(event.trialId);
      }
    });

    try {
      await value('studies.start', { id: study.id });
      await waitFor(() => ended.length >= 1, 'the first trial to end');
      await value('studies.pause', { id: study.id });
      const paused = await handle.service.whenStopped(study.id);
      assert.equal(paused.status, 'paused');
      assert.ok(paused.completedTrials < 3, `paused after ${paused.completedTrials} trials`);

      const restarted = await value<StudyRecord>('studies.start', { id: study.id });
      assert.equal(restarted.status, 'running');
      const finished = await handle.service.whenStopped(study.id);
      assert.equal(finished.status, 'completed');
      assert.equal(finished.completedTrials, 3);
    } finally {
      unsubscribe();
    }

    const model = await value<{ fileName: string; files: { name: string; base64: string }[] }>(
      'studies.exportModel',
      { id: study.id },
    );
    const names = model.files.map((file) => file.name);
    assert.ok(names.includes('model.json'), `files: ${names.join(', ')}`);
    const json = model.files.find((file) => file.name === 'model.json')!;
    const topology = JSON.parse(Buffer.from(json.base64, 'base64').toString('utf8'));
    assert.ok(topology.modelTopology, 'model.json has a modelTopology');
    assert.ok(Array.isArray(topology.weightsManifest));
    assert.match(model.fileName, /^resumed-trial-\d+-model$/);
  });

  it('reports the backend after a run', async () => {
    const info = await value<{ backend: string | null }>('system.info', {});

    assert.equal(typeof info.backend, 'string');
    assert.match(info.backend ?? '', /cpu/);
  });

  it('lists the epochs of a trial', async () => {
    const studies = await value<StudyRecord[]>('studies.list', {});
    const resumed = studies.find((study) => study.name === 'resumed')!;
    const detail = await value<{ trials: { id: number; epochsRun: number }[] }>('studies.get', {
      id: resumed.id,
    });
    const trial = detail.trials[0]!;

    const epochs = await value<{ epoch: number }[]>('trials.epochs', { trialId: trial.id });

    assert.equal(epochs.length, trial.epochsRun);
    assert.deepEqual(
      epochs.map((epoch) => epoch.epoch),
      [1, 2],
    );
  });

  it('returns not-found for a missing trial', async () => {
    const result = await call('trials.epochs', { trialId: 9999 });

    assert.equal(!result.ok && result.error.code, 'not-found');
  });
});

describe('toWireValue', () => {
  it('writes non-finite numbers as strings', () => {
    const wire = toWireValue({ loss: NaN, high: Infinity, low: -Infinity, ok: 1.5 });

    assert.deepEqual(wire, { loss: 'NaN', high: 'Infinity', low: '-Infinity', ok: 1.5 });
  });

  it('drops undefined fields', () => {
    assert.deepEqual(toWireValue({ a: undefined, b: null }), { b: null });
  });

  it('returns null for undefined', () => {
    assert.equal(toWireValue(undefined), null);
  });
});
