import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApiHandler, type ApiHandler } from '../../../main/core/api';
import { ExportFolders } from '../../../main/core/export';
import { defaultSettings } from '../../../shared/defaults';
import type { DatasetRecord, StudyRecord } from '../../../shared/study';
import { FIXTURES, makeTempDir, openService, type ServiceHandle } from './helpers';

const IRIS = path.join(FIXTURES, 'iris.csv');
const temp = makeTempDir('scout-api-paths-');
let handle: ServiceHandle;
let folders: ExportFolders;
let call: ApiHandler;
let callWeb: ApiHandler;

before(() => {
  handle = openService(path.join(temp.dir, 'scout.sqlite'), { backend: 'cpu' });
  folders = new ExportFolders();
  call = createApiHandler(handle.service, { exportFolders: folders });
  callWeb = createApiHandler(handle.service);
});

after(async () => {
  await handle.service.close();
  handle.store.close();
  temp.remove();
});

/** Returns the error message of a call that must fail with `code`. */
async function failure(
  channel: string,
  request: unknown,
  code: string,
  handler: ApiHandler = call,
): Promise<string> {
  const result = await handler(channel, request);
  assert.equal(result.ok, false, `${channel} succeeded`);
  assert.equal(!result.ok && result.error.code, code, !result.ok ? result.error.message : '');
  return result.ok ? '' : result.error.message;
}

function csvSource(file: string) {
  return { format: 'csv', path: file, target: 'species', task: 'classification' };
}

describe('dataset paths from the renderer', () => {
  it('relative path is rejected', async () => {
    const message = await failure(
      'datasets.add',
      { name: 'rel', source: csvSource('test/fixtures/iris.csv') },
      'invalid',
    );

    assert.match(message, /source\.path 'test\/fixtures\/iris\.csv' is not an absolute path/);
  });

  it('missing file names the field and path', async () => {
    const missing = path.join(temp.dir, 'missing.csv');
    const message = await failure(
      'datasets.add',
      { name: 'm', source: csvSource(missing) },
      'invalid',
    );

    assert.ok(message.includes(`source.path '${missing}' does not exist`), message);
  });

  it('folder is rejected', async () => {
    const message = await failure(
      'datasets.add',
      { name: 'f', source: csvSource(FIXTURES) },
      'invalid',
    );

    assert.match(message, /is a folder; choose the CSV file itself/);
  });

  it('named pipe is rejected without blocking', async () => {
    const pipe = path.join(temp.dir, 'pipe.csv');
    execFileSync('mkfifo', [pipe]);
    const message = await failure(
      'datasets.add',
      { name: 'p', source: csvSource(pipe) },
      'invalid',
    );

    assert.match(message, /is not a regular file/);
  });

  it('device is rejected', async () => {
    const source = { format: 'idx', images: '/dev/zero', labels: '/dev/zero' };
    const message = await failure('datasets.add', { name: 'd', source }, 'invalid');

    assert.match(message, /source\.images '\/dev\/zero' is not a regular file/);
  });

  it('CSV given as NPY is rejected by kind', async () => {
    const source = { format: 'npy', features: IRIS, targets: IRIS, task: 'classification' };
    const message = await failure('datasets.add', { name: 'k', source }, 'invalid');

    assert.match(message, /source\.features '.*iris\.csv' is not a \.npy file/);
  });

  it('CSV given as IDX is rejected by kind', async () => {
    const source = { format: 'idx', images: IRIS, labels: IRIS };
    const message = await failure('datasets.add', { name: 'i', source }, 'invalid');

    assert.match(message, /source\.images '.*iris\.csv' is not an IDX file/);
  });

  it('binary file given as CSV is rejected by kind', async () => {
    const binary = path.join(temp.dir, 'binary.csv');
    fs.writeFileSync(binary, Buffer.from([0, 0, 8, 1, 0, 0, 0, 1, 7]));
    const message = await failure(
      'datasets.add',
      { name: 'b', source: csvSource(binary) },
      'invalid',
    );

    assert.match(message, /is binary data, not CSV text/);
  });

  it('rejected paths register nothing', () => {
    assert.deepEqual(handle.service.datasets.list(), []);
  });

  it('absolute path to a real file is accepted', async () => {
    const result = await call('datasets.add', { name: 'iris', source: csvSource(IRIS) });

    assert.equal(result.ok, true);
  });
});

describe('export into a chosen folder', () => {
  let study: StudyRecord;
  const chosen = path.join(temp.dir, 'exports');
  const other = path.join(temp.dir, 'other');

  before(() => {
    fs.mkdirSync(chosen);
    fs.mkdirSync(other);
    const iris = handle.service.datasets
      .list()
      .find((item) => item.name === 'iris') as DatasetRecord;
    study = handle.service.createStudy({
      name: 'iris search',
      datasetId: iris.id,
      template: 'mlp',
      space: [{ name: 'units', type: 'int', min: 8, max: 32 }],
      settings: { ...defaultSettings('classification'), trials: 2, epochs: 1 },
    }).study;
    folders.allow(chosen);
  });

  function request(overrides: Record<string, unknown> = {}) {
    return { id: study.id, format: 'csv', directory: chosen, ...overrides };
  }

  it('web mode cannot write files', async () => {
    const message = await failure('studies.saveExport', request(), 'invalid', callWeb);

    assert.match(message, /desktop app only; in the browser, use the download buttons/);
    assert.deepEqual(fs.readdirSync(chosen), []);
  });

  it('folder not chosen in the dialog is rejected', async () => {
    const message = await failure('studies.saveExport', request({ directory: other }), 'invalid');

    assert.match(message, /was not chosen in the folder dialog/);
    assert.deepEqual(fs.readdirSync(other), []);
  });

  it('relative folder is rejected', async () => {
    const message = await failure(
      'studies.saveExport',
      request({ directory: 'exports' }),
      'invalid',
    );

    assert.match(message, /is not an absolute path/);
  });

  it('parent of the chosen folder is rejected', async () => {
    const message = await failure(
      'studies.saveExport',
      request({ directory: path.join(chosen, '..') }),
      'invalid',
    );

    assert.match(message, /was not chosen/);
  });

  it('writes the file into the folder', async () => {
    const result = await call('studies.saveExport', request());
    const file = path.join(chosen, 'iris-search-trials.csv');

    assert.equal(result.ok, true);
    assert.deepEqual(result.ok && result.value, { paths: [file] });
    assert.match(fs.readFileSync(file, 'utf8'), /^number,status,objective,units/);
  });

  it('existing file is not overwritten', async () => {
    const file = path.join(chosen, 'iris-search-trials.csv');
    fs.writeFileSync(file, 'kept\n');
    const message = await failure('studies.saveExport', request(), 'conflict');

    assert.ok(message.includes(`${file} exists already; choose overwrite to replace it`), message);
    assert.equal(fs.readFileSync(file, 'utf8'), 'kept\n');
  });

  it('overwrite true replaces the file', async () => {
    const file = path.join(chosen, 'iris-search-trials.csv');
    const result = await call('studies.saveExport', request({ overwrite: true }));

    assert.equal(result.ok, true);
    assert.match(fs.readFileSync(file, 'utf8'), /^number,status/);
  });

  it('overwrite never writes through a link', async () => {
    const file = path.join(chosen, 'iris-search-trials.csv');
    const outside = path.join(other, 'victim.txt');
    fs.writeFileSync(outside, 'untouched\n');
    fs.rmSync(file);
    fs.symlinkSync(outside, file);
    const message = await failure('studies.saveExport', request({ overwrite: true }), 'conflict');

    assert.match(message, /is not a regular file/);
    assert.equal(fs.readFileSync(outside, 'utf8'), 'untouched\n');
    fs.rmSync(file);
  });

  it('model without a model folder fails', async () => {
    const message = await failure('studies.saveExport', request({ format: 'model' }), 'conflict');

    assert.match(message, /keeps no trained models/);
  });

  it('unknown request field is rejected', async () => {
    const message = await failure('studies.saveExport', request({ fileName: '../x' }), 'invalid');

    assert.match(message, /unknown field 'fileName'/);
  });
});

describe('export of a trained model', () => {
  const modelTemp = makeTempDir('scout-api-model-');
  let trained: ServiceHandle;
  let callTrained: ApiHandler;
  let study: StudyRecord;
  const chosen = path.join(modelTemp.dir, 'chosen');

  before(async () => {
    trained = openService(path.join(modelTemp.dir, 'scout.sqlite'), {
      backend: 'cpu',
      modelDirectory: path.join(modelTemp.dir, 'models'),
      workerEnv: { SCOUT_LOG_LEVEL: 'silent' },
    });
    const exportFolders = new ExportFolders();
    fs.mkdirSync(chosen);
    exportFolders.allow(chosen);
    callTrained = createApiHandler(trained.service, { exportFolders });

    const iris = trained.service.datasets.add('iris', csvSource(IRIS) as never);
    study = trained.service.createStudy({
      name: 'iris model',
      datasetId: iris.id,
      template: 'mlp',
      space: [{ name: 'units', type: 'int', min: 8, max: 16 }],
      settings: { ...defaultSettings('classification'), trials: 1, epochs: 2, patience: 0 },
    }).study;
    await trained.service.runStudy(study.id);
  });

  after(async () => {
    await trained.service.close();
    trained.store.close();
    modelTemp.remove();
  });

  it('writes the model files into a subfolder', async () => {
    const result = await callTrained('studies.saveExport', {
      id: study.id,
      format: 'model',
      directory: chosen,
    });
    assert.equal(result.ok, true, !result.ok ? result.error.message : '');
    const paths = result.ok ? (result.value as { paths: string[] }).paths : [];
    const subfolder = path.join(chosen, 'iris-model-trial-1-model');

    assert.ok(paths.includes(path.join(subfolder, 'model.json')), paths.join(', '));
    for (const file of paths) {
      assert.equal(path.dirname(file), subfolder);
      assert.ok(fs.statSync(file).size > 0, file);
    }
  });

  it('second model export needs overwrite', async () => {
    const request = { id: study.id, format: 'model', directory: chosen };
    const second = await callTrained('studies.saveExport', request);
    const replaced = await callTrained('studies.saveExport', { ...request, overwrite: true });

    assert.equal(second.ok, false);
    assert.match(
      !second.ok ? second.error.message : '',
      /iris-model-trial-1-model\/model\.json exists already; choose overwrite/,
    );
    assert.equal(replaced.ok, true);
  });
});
