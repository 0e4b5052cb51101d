import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  WorkerPool,
  type PoolOptions,
  type TrialRequest,
  type WorkerExitInfo,
  type WorkerReadyInfo,
} from '../../../main/runner/pool';
import type { TrialValues } from '../../../shared/space/types';
import { MNIST_SOURCE } from './mnist-fixture';

const pools: WorkerPool[] = [];

after(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
});

function createPool(options: Partial<PoolOptions> = {}): WorkerPool {
  const pool = new WorkerPool({
    size: 1,
    source: MNIST_SOURCE,
    // 1800 rows, a sixth of them for validation: 1500 training rows.
    split: { validationFraction: 1 / 6, seed: 1, limit: 1800 },
    // The hooks crash workers on purpose; their error logs would only clutter the output.
    env: { SCOUT_TEST_HOOKS: '1', SCOUT_LOG_LEVEL: 'silent' },
    ...options,
  });
  pools.push(pool);
  return pool;
}

function trial(
  trialId: number,
  values: TrialValues = {},
  extra: Partial<TrialRequest> = {},
): TrialRequest {
  return {
    trialId,
    values: { units: 32, ...values },
    seed: trialId,
    epochs: 2,
    patience: 0,
    objective: { metric: 'val_accuracy', direction: 'maximize' },
    ...extra,
  };
}

describe('WorkerPool', () => {
  // One single-worker pool serves the tests in order, with distinct trial
  // ids, because forking a worker and loading MNIST takes about a second.
  let pool: WorkerPool;
  let ready: WorkerReadyInfo;

  before(async () => {
    pool = createPool();
    [ready] = (await pool.start()) as [WorkerReadyInfo];
  });

  it('runs 3 trials on 1 worker', async () => {
    const epochs: Array<[number, number]> = [];
    const stop = pool.on('epoch', ({ trialId, epoch }) => epochs.push([trialId, epoch]));

    const results = await Promise.all([pool.run(trial(1)), pool.run(trial(2)), pool.run(trial(3))]);

    stop();
    assert.equal(ready.backend, 'wasm');
    assert.equal(ready.rows.train, 1500);
    assert.equal(ready.rows.validation, 300);
    for (const result of results) {
      assert.equal(result.type, 'completed', result.type === 'failed' ? result.reason : undefined);
      if (result.type !== 'completed') continue;
      assert.ok(
        result.objective > 0.5,
        `trial ${result.trialId}: val_accuracy ${result.objective}`,
      );
      assert.equal(result.backend, 'wasm');
      assert.equal(result.numTensorsAfter, result.numTensorsBefore);
      assert.equal(result.epochMs.length, 2);
      assert.ok(
        result.epochMs.reduce((sum, ms) => sum + ms, 0) <= result.durationMs,
        `epochs ${result.epochMs} longer than the trial's ${result.durationMs} ms`,
      );
      assert.ok(result.rssBytes > 0, `rssBytes ${result.rssBytes}`);
    }
    assert.deepEqual(epochs, [
      [1, 1],
      [1, 2],
      [2, 1],
      [2, 2],
      [3, 1],
      [3, 2],
    ]);
  });

  it('streams epochs to run callbacks', async () => {
    const seen: number[] = [];

    const result = await pool.run(trial(4), { onEpoch: (epoch) => seen.push(epoch) });

    assert.equal(result.type, 'completed');
    assert.deepEqual(seen, [1, 2]);
  });

  it('replaces a crashed worker', async () => {
    const exits: WorkerExitInfo[] = [];
    const stop = pool.on('workerExit', (info) => exits.push(info));

    const crashed = await pool.run(trial(7, { __crash: 'exit' }));
    const next = await pool.run(trial(8));

    stop();
    assert.equal(crashed.type, 'failed');
    assert.equal(
      crashed.type === 'failed' && crashed.reason,
      'the worker process exited with code 1 during the trial',
    );
    assert.equal(next.type, 'completed', next.type === 'failed' ? next.reason : undefined);
    assert.equal(exits.length, 1);
    assert.equal(exits[0]!.trialId, 7);
    assert.equal(exits[0]!.pid, ready.pid);
  });

  it('reports a throw as failed', async () => {
    const thrown = await pool.run(trial(5, { __crash: 'throw' }));
    const next = await pool.run(trial(6));

    assert.equal(thrown.type, 'failed');
    assert.equal(
      thrown.type === 'failed' && thrown.reason,
      'test hook: thrown inside training of trial 5',
    );
    assert.match((thrown.type === 'failed' && thrown.stack) || '', /worker\.ts/);
    assert.equal(next.type, 'completed');
  });

  it('timeout kills the worker', async () => {
    const exits: WorkerExitInfo[] = [];
    const stop = pool.on('workerExit', (info) => exits.push(info));

    const slow = await pool.run(trial(9, {}, { epochs: 500, timeoutMs: 1500 }));
    const next = await pool.run(trial(10));

    stop();
    assert.equal(slow.type, 'failed');
    assert.match(
      slow.type === 'failed' ? slow.reason : '',
      /^the trial timed out after 1500 ms and its worker was killed/,
    );
    assert.equal(exits.length, 1);
    assert.equal(exits[0]!.signal, 'SIGKILL');
    assert.equal(exits[0]!.trialId, 9);
    assert.equal(next.type, 'completed');
  });

  it('cancels a running trial', async () => {
    const result = await pool.run(trial(11, {}, { epochs: 500 }), {
      onEpoch: (epoch) => epoch === 1 && pool.cancel(11),
    });

    assert.equal(result.type, 'cancelled');
    assert.equal(pool.cancel(11), false);
  });

  it('cancels a queued trial', async () => {
    const first = pool.run(trial(12));
    const queued = pool.run(trial(13));

    assert.equal(pool.cancel(13), true);
    assert.equal((await queued).type, 'cancelled');
    assert.equal((await first).type, 'completed');
  });

  it('fails an unknown knob', async () => {
    const result = await pool.run(trial(14, { lr: 0.1 }));

    assert.equal(result.type, 'failed');
    assert.match(
      result.type === 'failed' ? result.reason : '',
      /hyperparameter 'lr' is not a knob/,
    );
  });

  it('saves the model to modelPath', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-pool-model-'));
    const modelPath = path.join(directory, 'trial-17');

    const result = await pool.run(trial(17, {}, { modelPath }));

    assert.equal(result.type, 'completed');
    assert.equal(result.type === 'completed' && result.modelPath, modelPath);
    assert.deepEqual(fs.readdirSync(modelPath).sort(), [
      'model.json',
      'preprocessing.json',
      'weights.bin',
    ]);
    const preprocessing = JSON.parse(
      fs.readFileSync(path.join(modelPath, 'preprocessing.json'), 'utf8'),
    );
    assert.equal(preprocessing.features, 784);
    assert.equal(preprocessing.classes, 10);
    assert.deepEqual(preprocessing.normalisation, { method: 'scale', divisor: 255 });
    assert.equal(result.type === 'completed' && result.numTensorsAfter, ready.numTensors);
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('ignores crash hook without env', async () => {
    const unhooked = createPool({ env: { SCOUT_LOG_LEVEL: 'silent' } });
    await unhooked.start();

    const result = await unhooked.run(trial(16, { __crash: 'exit' }));

    assert.equal(result.type, 'failed');
    assert.match(
      result.type === 'failed' ? result.reason : '',
      /hyperparameter '__crash' is not a knob/,
    );
    await unhooked.close();
  });

  it('rejects start on a missing file', async () => {
    const broken = createPool({
      source: { ...MNIST_SOURCE, images: '/nonexistent/images-idx3-ubyte' },
    });

    await assert.rejects(broken.start(), /the worker could not start: .*nonexistent/);
    const result = await broken.run(trial(15));
    assert.equal(result.type, 'failed');
  });
});

describe('WorkerPool.run', () => {
  it('fails before start', async () => {
    const pool = createPool();

    const result = await pool.run(trial(41));

    assert.equal(result.type, 'failed');
    assert.match(result.type === 'failed' ? result.reason : '', /call start\(\) before run\(\)/);
  });
});

describe('WorkerPool.close', () => {
  it('cancels the running trial', async () => {
    const pool = createPool();
    await pool.start();
    let closing: Promise<void> | undefined;

    const result = await pool.run(trial(31, {}, { epochs: 500 }), {
      onEpoch: () => {
        closing ??= pool.close();
      },
    });
    await closing;

    assert.equal(result.type, 'cancelled');
    assert.equal(result.type === 'cancelled' && result.reason, 'the worker pool was closed');
    assert.equal((await pool.run(trial(32))).type, 'cancelled');
  });
});

describe('WorkerPool with 2 workers', () => {
  it('runs trials in parallel, reproducibly', async () => {
    const pool = createPool({ size: 2 });
    const started: Array<[number, number]> = [];
    pool.on('trialStarted', (trialId, workerId) => started.push([trialId, workerId]));
    const infos = await pool.start();

    // The same seed on two workers: each process must reproduce the other's metrics.
    const results = await Promise.all([pool.run(trial(21)), pool.run(trial(22, {}, { seed: 21 }))]);

    assert.equal(infos.length, 2);
    assert.deepEqual(
      results.map((result) => result.type),
      ['completed', 'completed'],
    );
    assert.notEqual(started[0]![1], started[1]![1], 'both trials ran on the same worker');
    const [first, second] = results;
    assert.deepEqual(
      second!.type === 'completed' && second!.metrics,
      first!.type === 'completed' && first!.metrics,
    );
    await pool.close();
  });
});
