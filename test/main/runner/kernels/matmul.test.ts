import assert from 'node:assert/strict';
import type { Tensor } from '@tensorflow/tfjs';
import { after, before, describe, it } from 'node:test';
import { selectBackend, type Tf } from '../../../../main/runner/backend';
import {
  originalKernel,
  registerFastMatMul,
  unregisterFastMatMul,
} from '../../../../main/runner/kernels/matmul';
import { resolveKnobs } from '../../../../main/runner/templates/mlp';
import { trainTrial, type TrialOutcome } from '../../../../main/runner/train';
import { mnistSubset, readMnistRows } from '../mnist-fixture';

let tf: Tf;

before(async () => {
  tf = (await selectBackend('wasm')).tf;
});

after(() => {
  registerFastMatMul(tf);
});

/** Runs `compute` with the wasm backend's own kernels, then restores the fast ones. */
function withOriginalKernels<T>(compute: () => T): T {
  unregisterFastMatMul(tf);
  try {
    return compute();
  } finally {
    registerFastMatMul(tf);
  }
}

/** MNIST pixels as a [rows, 784] tensor. */
function mnistRows(offset: number, rows: number): Tensor {
  return tf.tensor2d(readMnistRows(offset, rows).x, [rows, 784]);
}

function assertClose(actual: Tensor, expected: Tensor, label: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${label}: shape`);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let worst = 0;
  for (let i = 0; i < e.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - e[i]!) / Math.max(1, Math.abs(e[i]!)));
  }
  assert.ok(worst < 1e-4, `${label}: largest relative difference ${worst}`);
}

describe('registerFastMatMul', () => {
  it('replaces both kernels', () => {
    assert.equal(registerFastMatMul(tf), true);

    assert.ok(originalKernel('BatchMatMul') !== undefined);
    assert.ok(originalKernel('_FusedMatMul') !== undefined);
    assert.notEqual(
      tf.getKernel('BatchMatMul', 'wasm').kernelFunc,
      originalKernel('BatchMatMul')!.kernelFunc,
    );
  });

  it('matches the original kernel', () => {
    // A weight gradient (x^T dy), an input gradient (dy W^T) and both flags, on MNIST pixels.
    const x = mnistRows(0, 128);
    const w = tf.transpose(mnistRows(128, 70));
    const dy = mnistRows(300, 128).slice([0, 100], [128, 70]);
    const cases: Array<[string, () => Tensor]> = [
      ['x^T dy', () => tf.matMul(x, dy, true, false)],
      ['dy W^T', () => tf.matMul(dy, w, false, true)],
      ['x W', () => tf.matMul(x, w)],
      ['W^T x^T', () => tf.matMul(w, x, true, true)],
      ['x x^T', () => tf.matMul(x, x, false, true)],
      ['x^T x, wide result', () => tf.matMul(x, x, true, false)],
      ['W W^T, wide result', () => tf.matMul(w, w, false, true)],
      ['batched x^T dy', () => tf.matMul(tf.stack([x, x]), tf.stack([dy, dy]), true, false)],
      ['fused x^T dy', () => tf.fused.matMul({ a: x, b: dy, transposeA: true })],
      [
        'fused dy W^T',
        () => tf.fused.matMul({ a: dy, b: w, transposeB: true, activation: 'linear' }),
      ],
    ];

    for (const [label, compute] of cases) {
      const fast = compute();
      const original = withOriginalKernels(compute);
      assertClose(fast, original, label);
      tf.dispose([fast, original]);
    }
    tf.dispose([x, w, dy]);
  });

  it('fuses bias after a transpose', () => {
    // The original fused kernel adds the bias wrongly when transposeA is set (TF.js 4.22: off by
    // up to 1.0 here), so the reference is the unfused product, bias and activation.
    const x = mnistRows(0, 128);
    const dy = mnistRows(300, 128).slice([0, 100], [128, 70]);
    const bias = tf.fill([70], -0.5);

    const fused = tf.fused.matMul({ a: x, b: dy, transposeA: true, bias, activation: 'relu' });
    const unfused = withOriginalKernels(() =>
      tf.relu(tf.add(tf.matMul(tf.transpose(x), dy), bias)),
    );

    assertClose(fused, unfused, 'fused x^T dy + bias, relu');
    tf.dispose([x, dy, bias, fused, unfused]);
  });

  it('frees its intermediate tensors', () => {
    const x = mnistRows(0, 128);
    const dy = mnistRows(128, 128).slice([0, 0], [128, 70]);
    const dyTransposed = tf.transpose(dy);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const dataIds = backend.numDataIds();
    const tensors = tf.memory().numTensors;

    const products = [
      tf.matMul(x, dy, true, false),
      tf.matMul(x, x, false, true),
      tf.matMul(x, dyTransposed, true, true),
    ];
    tf.dispose(products);

    assert.equal(backend.numDataIds(), dataIds);
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([x, dy, dyTransposed]);
  });

  it('keeps training metrics', async () => {
    const data = mnistSubset(1500, 300);
    const config = resolveKnobs(
      { layers: 1, units: 70, l2: 1e-3, learning_rate: 1e-3, batch_size: 128 },
      { epochs: 2 },
    );
    const train = (): Promise<TrialOutcome> =>
      trainTrial(tf, data, config, {
        seed: 7,
        epochs: 2,
        patience: 0,
        objective: { metric: 'val_accuracy', direction: 'maximize' },
      });

    const fast = await train();
    unregisterFastMatMul(tf);
    const original = await train().finally(() => registerFastMatMul(tf));

    assert.equal(fast.history.length, 2);
    assert.equal(original.history.length, 2);
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const metric of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
        const a = fast.history[epoch]![metric]!;
        const b = original.history[epoch]![metric]!;
        // Summation order differs, so the weights drift apart by float rounding only.
        const tolerance = metric.endsWith('accuracy') ? 2 / 300 : 1e-3;
        assert.ok(
          Math.abs(a - b) <= tolerance,
          `epoch ${epoch + 1} ${metric}: ${a} with the fast kernels, ${b} without`,
        );
      }
    }
  });
});
