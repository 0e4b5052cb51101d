import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import seedrandom from 'seedrandom';
import { createApiHandler, type ApiHandler } from '../../../main/core/api';
import { requestSchemas, searchSpaceSchema } from '../../../shared/api/schemas';
import type { Result } from '../../../shared/api/contract';
import { defaultSettings } from '../../../shared/defaults';
import { sampleRandom } from '../../../shared/space/sample';
import type { Hyperparameter, SearchSpace } from '../../../shared/space/types';
import { validateSpace } from '../../../shared/space/validate';
import type { StudyRecord } from '../../../shared/study';
import { FIXTURES, makeTempDir, openCpuService, openService, type ServiceHandle } from './helpers';

/** Random requests per run; each seed gives the same sequence. */
const RANDOM_REQUESTS = 2000;
const MUTATED_REQUESTS = 3000;
const RANDOM_SPACES = 2000;

const ERROR_CODES = ['invalid', 'not-found', 'conflict', 'dataset', 'internal'];

/** Strings that have broken parsers, paths and prototypes elsewhere. */
const STRINGS = [
  '',
  ' ',
  'a',
  'iris',
  'mlp',
  'csv',
  'idx',
  'npy',
  'json',
  'yaml',
  'random',
  'grid',
  'log',
  'linear',
  'float',
  'int',
  'choice',
  'classification',
  'regression',
  'val_accuracy',
  'maximize',
  'learning_rate',
  'units',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  '/dev/zero',
  '/tmp',
  'file.csv\u0000.txt',
  "'; DROP TABLE studies; --",
  '%2e%2e%2f',
  '\u202eevil',
  '😀'.repeat(50),
  'x'.repeat(5000),
  path.join(FIXTURES, 'iris.csv'),
  path.join(FIXTURES, 'wine.csv'),
  FIXTURES,
];

const NUMBERS = [
  0,
  -0,
  1,
  2,
  3,
  -1,
  0.5,
  1.5,
  0.2,
  99,
  100,
  101,
  200,
  201,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 53,
  -(2 ** 53),
  1e308,
  -1e308,
  5e-324,
  NaN,
  Infinity,
  -Infinity,
];

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/**
 * Returns a random value as JSON.parse or Electron IPC could deliver it:
 * NaN, Infinity and undefined included, because IPC keeps them.
 */
function randomValue(random: Random, depth = 0): unknown {
  const roll = random();
  if (depth > 3 || roll < 0.35) {
    return pick(random, [
      null,
      undefined,
      true,
      false,
      pick(random, NUMBERS),
      pick(random, NUMBERS),
      pick(random, STRINGS),
      pick(random, STRINGS),
      random() * 1e6 - 5e5,
    ]);
  }
  if (roll < 0.55) {
    return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  }
  const keys = [
    'id',
    'name',
    'source',
    'format',
    'path',
    'target',
    'task',
    'space',
    'settings',
    'datasetId',
    'template',
    'rows',
    'seed',
    'trialId',
    'type',
    'min',
    'max',
    'values',
    '__proto__',
    'constructor',
    pick(random, STRINGS),
  ];
  // JSON.parse makes `__proto__` an own property, as a request body would.
  const entries = Array.from({ length: Math.floor(random() * 5) }, () => [
    JSON.stringify(pick(random, keys)),
    JSON.stringify(randomValue(random, depth + 1) ?? null),
  ]);
  return JSON.parse(`{${entries.map(([key, value]) => `${key}:${value}`).join(',')}}`);
}

/** Applies one random change somewhere inside `value`: replace, delete, add a key or retype. */
function mutate(random: Random, value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 4 || random() < 0.25) {
    return pick(random, [
      () => randomValue(random, 2),
      () => pick(random, NUMBERS),
      () => pick(random, STRINGS),
      () => (typeof value === 'number' ? value + pick(random, [-1, 1, 0.5, 1e9]) : value),
      () => (typeof value === 'number' ? String(value) : value),
      () => [value],
      () => undefined,
    ])();
  }
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length === 0 || random() < 0.2) {
      copy.push(randomValue(random, 2));
      return copy;
    }
    const index = Math.floor(random() * copy.length);
    copy[index] = mutate(random, copy[index], depth + 1);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const roll = random();
  if (roll < 0.15 && keys.length > 0) {
    delete copy[pick(random, keys)];
  } else if (roll < 0.3 || keys.length === 0) {
    copy[pick(random, ['extra', 'Name', 'ids', 'overwrite', 'stepp', '__proto__'])] = randomValue(
      random,
      2,
    );
  } else {
    const key = pick(random, keys);
    copy[key] = mutate(random, copy[key], depth + 1);
  }
  return copy;
}

/** SHA-256 of every table's rows in rowid order: equal hashes mean the data did not change. */
function hashDatabase(handle: ServiceHandle): string {
  const db = handle.store.db;
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all() as { name: string }[];
  const hash = createHash('sha256');
  for (const { name } of tables) {
    const rows = db
      .prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`)
      .raw()
      .all();
    hash.update(
      `${name}\0${JSON.stringify(rows, (_key, item: unknown) => (typeof item === 'bigint' ? String(item) : item))}\0`,
    );
  }
  return hash.digest('hex');
}

/** Asserts that `result` is a Result envelope and nothing else. */
function assertEnvelope(result: Result<unknown>, label: string): void {
  assert.equal(typeof result, 'object', label);
  assert.notEqual(result, null, label);
  if (result.ok) {
    assert.deepEqual(Object.keys(result).sort(), ['ok', 'value'], label);
    return;
  }
  assert.equal(result.ok, false, label);
  assert.ok(ERROR_CODES.includes(result.error.code), `${label}: code ${result.error.code}`);
  assert.equal(typeof result.error.message, 'string', label);
  assert.ok(result.error.message.length > 0, label);
}

/** Describes a request for a failure message, with NaN and undefined visible. */
function show(channel: string, request: unknown): string {
  const text = JSON.stringify(request, (_key, item: unknown) =>
    typeof item === 'number' && !Number.isFinite(item)
      ? String(item)
      : item === undefined
        ? '<undefined>'
        : item,
  );
  return `${channel} ${text?.slice(0, 300)}`;
}

describe('API dispatcher fuzz', () => {
  const temp = makeTempDir('scout-fuzz-');
  let handle: ServiceHandle;
  let call: ApiHandler;
  let templates: Record<string, unknown>;
  const counts = { rejected: 0, refused: 0, accepted: 0 };
  /** Requests that failed with code `internal`: an exception the service did not expect. */
  const internal: string[] = [];

  before(() => {
    handle = openCpuService(temp.dir);
    call = createApiHandler(handle.service);

    const irisPath = path.join(FIXTURES, 'iris.csv');
    const iris = handle.service.datasets.add('iris', {
      format: 'csv',
      path: irisPath,
      target: 'species',
      task: 'classification',
    });
    // A dataset whose file changes after registration: starting its study fails at once, so
    // the fuzz never trains a model while it compares the database.
    const copyPath = path.join(temp.dir, 'iris-copy.csv');
    fs.copyFileSync(irisPath, copyPath);
    const copy = handle.service.datasets.add('iris-copy', {
      format: 'csv',
      path: copyPath,
      target: 'species',
      task: 'classification',
    });
    const space: SearchSpace = [
      { name: 'learning_rate', type: 'float', min: 1e-3, max: 1e-1, scale: 'log' },
      { name: 'units', type: 'int', min: 8, max: 64 },
    ];
    const settings = { ...defaultSettings('classification'), trials: 3, epochs: 1 };
    const study = handle.service.createStudy({
      name: 'frozen',
      datasetId: copy.id,
      template: 'mlp',
      space,
      settings,
    }).study;
    fs.appendFileSync(copyPath, '5.0,3.0,1.5,0.2,setosa\n');

    templates = {
      'system.info': {},
      'datasets.list': {},
      'datasets.add': {
        name: 'iris-again',
        source: { format: 'csv', path: irisPath, target: 'species', task: 'classification' },
      },
      'datasets.preview': { id: iris.id, rows: 5, validationFraction: 0.2, seed: 1 },
      'datasets.delete': { id: copy.id },
      'studies.list': {},
      'studies.get': { id: study.id },
      'studies.create': { name: 'fuzzed', datasetId: iris.id, template: 'mlp', space, settings },
      'studies.start': { id: study.id },
      'studies.pause': { id: study.id },
      'studies.cancel': { id: study.id },
      'studies.delete': { id: study.id },
      'studies.duplicate': { id: study.id, name: 'copy' },
      'studies.proposeRefinement': { id: study.id, topK: 2 },
      'studies.export': { id: study.id, format: 'json' },
      'studies.exportModel': { id: study.id },
      // Without export folders (as in web mode) every save is rejected, so nothing is written.
      'studies.saveExport': { id: study.id, format: 'csv', directory: temp.dir },
      'trials.epochs': { trialId: 1 },
      'analysis.study': { id: study.id },
      'analysis.compare': { ids: [study.id, study.id + 1] },
      'analysis.snippets': { id: study.id },
      'analysis.compareCsv': { ids: [study.id, study.id + 1] },
    };
  });

  after(async () => {
    await handle.service.close();
    handle.store.close();
    temp.remove();
  });

  /**
   * Sends one request and checks the envelope. A request that the schema rejects must come back
   * `invalid` naming the channel; a request that fails for any reason must leave the database as
   * it was. A successful one may write, and a study it starts is cancelled before the next call.
   */
  async function check(channel: string, request: unknown): Promise<void> {
    const label = show(channel, request);
    const before = hashDatabase(handle);
    const result = await call(channel, request);
    assertEnvelope(result, label);

    const known = Object.prototype.hasOwnProperty.call(requestSchemas, channel);
    const schema = known ? requestSchemas[channel as keyof typeof requestSchemas] : undefined;
    const valid = schema !== undefined && schema.safeParse(request ?? {}).success;
    if (!valid) {
      counts.rejected++;
      assert.equal(result.ok, false, `${label}: accepted a request its schema rejects`);
      assert.equal(!result.ok && result.error.code, 'invalid', label);
    }

    if (!result.ok) {
      if (result.error.code === 'internal') {
        internal.push(`${label}: ${result.error.message}`);
      }
      counts.refused += valid ? 1 : 0;
      assert.equal(hashDatabase(handle), before, `${label}: a rejected request wrote`);
      return;
    }

    counts.accepted++;
    if (channel === 'studies.start') {
      const id = (result.value as StudyRecord).id;
      handle.service.cancelStudy(id);
      await handle.service.whenStopped(id);
    }
  }

  it('random JSON on every channel', async () => {
    const random = seedrandom('api-random');
    const channels = [...Object.keys(requestSchemas), 'studies.launch', '__proto__', 'toString'];

    for (let i = 0; i < RANDOM_REQUESTS; i++) {
      await check(pick(random, channels), randomValue(random));
    }
    assert.ok(counts.rejected > RANDOM_REQUESTS * 0.9, `rejected ${counts.rejected}`);
  });

  it('mutated valid requests', async () => {
    const random = seedrandom('api-mutations');
    const channels = Object.keys(templates);
    const before = { ...counts };

    for (let i = 0; i < MUTATED_REQUESTS; i++) {
      const channel = pick(random, channels);
      let request = templates[channel];
      const changes = 1 + Math.floor(random() * 3);
      for (let k = 0; k < changes; k++) {
        request = mutate(random, request);
      }
      await check(channel, request);
    }

    // Both kinds must occur, or the fuzz tests only one side of the schema.
    assert.ok(
      counts.rejected - before.rejected > 100,
      `rejected ${counts.rejected - before.rejected}`,
    );
    assert.ok(
      counts.accepted - before.accepted > 50,
      `accepted ${counts.accepted - before.accepted}`,
    );
  });

  it('no request fails as internal', () => {
    assert.deepEqual(internal, [], JSON.stringify(counts));
  });

  it('writes no export files', () => {
    const expected = (name: string) =>
      name.startsWith('scout.sqlite') || name === 'iris-copy.csv' || name === 'models';

    assert.deepEqual(
      fs.readdirSync(temp.dir).filter((name) => !expected(name)),
      [],
    );
  });

  it('leaves Object.prototype untouched', () => {
    assert.deepEqual(
      Object.getOwnPropertyNames(Object.prototype).sort(),
      Object.getOwnPropertyNames(Object.getPrototypeOf({})).sort(),
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.keys(Object.prototype).length, 0);
  });

  it('database passes the integrity check', () => {
    const rows = handle.store.db.prepare('PRAGMA integrity_check').all() as {
      integrity_check: string;
    }[];

    assert.deepEqual(rows, [{ integrity_check: 'ok' }]);
  });
});

describe('request schema messages', () => {
  let call: ApiHandler;
  const temp = makeTempDir('scout-schema-');
  let handle: ServiceHandle;

  before(() => {
    handle = openService(path.join(temp.dir, 'scout.sqlite'), { backend: 'cpu' });
    call = createApiHandler(handle.service);
  });

  after(async () => {
    await handle.service.close();
    handle.store.close();
    temp.remove();
  });

  async function message(channel: string, request: unknown): Promise<string> {
    const result = await call(channel, request);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'invalid');
    return result.ok ? '' : result.error.message;
  }

  it('unknown field is named', async () => {
    const text = await message('studies.get', { id: 1, force: true });

    assert.match(text, /unknown field 'force'; remove it/);
  });

  it('unknown nested field is named with its path', async () => {
    const request = {
      name: 'x',
      source: { format: 'csv', path: '/x.csv', target: 'y', task: 'regression', delimiter: ';' },
    };

    assert.match(await message('datasets.add', request), /source: unknown field 'delimiter'/);
  });

  it('wrong type names the field', async () => {
    assert.match(
      await message('studies.get', { id: '1' }),
      /^invalid request for studies\.get:\nid: /,
    );
  });

  it('non-finite numbers are rejected', async () => {
    for (const value of [NaN, Infinity, -Infinity]) {
      const text = await message('datasets.preview', {
        id: 1,
        rows: 5,
        validationFraction: value,
        seed: 1,
      });
      assert.match(text, /validationFraction: /, String(value));
    }
  });

  it('out-of-range setting names the field', async () => {
    const request = {
      name: 'x',
      datasetId: 1,
      template: 'mlp',
      space: [],
      settings: { ...defaultSettings('classification'), workers: 65 },
    };

    assert.match(await message('studies.create', request), /settings\.workers: must be at most 64/);
  });

  it('unknown settings key is named', async () => {
    const request = {
      name: 'x',
      datasetId: 1,
      template: 'mlp',
      space: [],
      settings: { ...defaultSettings('classification'), epoch: 3 },
    };

    assert.match(await message('studies.create', request), /settings: unknown field 'epoch'/);
  });

  it('overlong name is rejected', async () => {
    const request = { id: 1, name: 'n'.repeat(201) };

    assert.match(
      await message('studies.duplicate', request),
      /name: must be at most 200 characters/,
    );
  });
});

describe('space parser fuzz', () => {
  /** Returns a random hyperparameter near the valid shapes, so some pass and some fail. */
  function randomParam(random: Random): unknown {
    const type = pick(random, ['int', 'float', 'choice', 'boolean', 'fixed', 'bogus']);
    const name = pick(random, ['learning_rate', 'units', 'activation', 'dropout', '', 'x']);
    const base: Record<string, unknown> = { name, type };
    if (type === 'int' || type === 'float') {
      base.min = pick(random, NUMBERS);
      base.max = pick(random, NUMBERS);
      if (random() < 0.4) base.step = pick(random, NUMBERS);
      if (random() < 0.5) base.scale = pick(random, ['linear', 'log', 'reverse_log', 'cubic']);
    } else if (type === 'choice') {
      base.values = Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, 3));
    } else if (type === 'fixed') {
      base.value = randomValue(random, 3);
    }
    return random() < 0.2 ? mutate(random, base) : base;
  }

  it('never throws and keeps sampled values in range', () => {
    const random = seedrandom('space');
    let usable = 0;

    for (let i = 0; i < RANDOM_SPACES; i++) {
      const input =
        random() < 0.2
          ? randomValue(random)
          : Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomParam(random));
      const label = show('space', input);

      const report = validateSpace(input as SearchSpace);
      for (const issue of [...report.errors, ...report.warnings]) {
        assert.equal(typeof issue.message, 'string', label);
        assert.ok(issue.message.length > 0, label);
      }

      const parsed = searchSpaceSchema.safeParse(input);
      if (!parsed.success || report.errors.length > 0) {
        continue;
      }

      usable++;
      const { trials } = sampleRandom(parsed.data as SearchSpace, 5, i);
      for (const trial of trials) {
        for (const param of parsed.data as Hyperparameter[]) {
          const value = trial[param.name];
          if (param.type === 'int' || param.type === 'float') {
            assert.equal(typeof value, 'number', label);
            assert.ok(Number.isFinite(value), `${label}: ${param.name} = ${String(value)}`);
            assert.ok(
              (value as number) >= param.min && (value as number) <= param.max,
              `${label}: ${param.name} = ${String(value)}`,
            );
          }
        }
      }
    }

    assert.ok(usable > 100, `usable spaces ${usable}`);
  });
});
