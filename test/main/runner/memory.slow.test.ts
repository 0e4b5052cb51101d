import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WorkerPool } from '../../../main/runner/pool';
import { MNIST_SOURCE } from './mnist-fixture';

describe('worker memory', () => {
  const pool = new WorkerPool({
    size: 1,
    source: MNIST_SOURCE,
    // 1800 rows, a sixth of them for validation: 1500 training rows.
    split: { validationFraction: 1 / 6, seed: 1, limit: 1800 },
    backend: 'wasm',
    env: { SCOUT_LOG_LEVEL: 'silent' },
  });

  after(() => pool.close());

  it('stays flat over 100 trials', async (context) => {
    const ready = await pool.start();
    const rss: number[] = [];

    for (let trialId = 1; trialId <= 100; trialId++) {
      const result = await pool.run({
        trialId,
        // Units vary, so tensors of many shapes are allocated and freed.
        values: { layers: 1, units: 40 + (trialId % 61), l2: 1e-3, batch_size: 128 },
        seed: trialId,
        epochs: 2,
        patience: 0,
        objective: { metric: 'val_accuracy', direction: 'maximize' },
      });
      assert.equal(result.type, 'completed', result.type === 'failed' ? result.reason : undefined);
      if (result.type !== 'completed') return;
      assert.equal(result.numTensorsAfter, ready[0]!.numTensors, `trial ${trialId} leaked tensors`);
      rss.push(result.rssBytes);
    }

    const growth = rss[99]! / rss[9]! - 1;
    context.diagnostic(
      `resident memory: ${rss[9]} bytes after trial 10, ${rss[99]} after trial 100 (${(growth * 100).toFixed(1)} %)`,
    );
    assert.ok(
      growth < 0.1,
      `resident memory grew ${(growth * 100).toFixed(1)} % from trial 10 (${rss[9]} bytes) to trial 100 (${rss[99]} bytes)`,
    );
  });
});
