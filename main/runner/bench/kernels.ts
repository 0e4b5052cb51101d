/**
 * Kernel timings behind the training loop's design on the wasm backend, on
 * MNIST rows: the matrix products of a 784 -> 70 dense layer with TF.js's
 * kernels and with Scout's (kernels/matmul.ts), a 128-row batch built by the
 * Gather kernel against a copy in JavaScript, and Adam's update.
 * Run it with `node --import tsx main/runner/bench/kernels.ts`.
 * Not a test: the numbers depend on the machine and its load.
 */
import type { Tensor } from '@tensorflow/tfjs';
import { selectBackend, type Tf } from '../backend';
import { loadDataset, mnistSource } from '../data';
import { registerFastMatMul, unregisterFastMatMul } from '../kernels/matmul';

const BATCH = 128;
const FEATURES = 784;
const UNITS = 70;
const REPEATS = 200;

async function main(): Promise<void> {
  const { tf } = await selectBackend('wasm');
  const data = loadDataset(mnistSource(), { validationFraction: 0.1, seed: 1, limit: 11_000 });
  const rows = data.train;
  const x = tf.tensor2d(rows.x.subarray(0, BATCH * FEATURES), [BATCH, FEATURES]);
  const dy = tf.randomNormal([BATCH, UNITS], 0, 1, 'float32', 1);
  const w = tf.randomNormal([FEATURES, UNITS], 0, 0.05, 'float32', 2);

  print(`wasm backend, batch ${BATCH}, layer ${FEATURES} -> ${UNITS}; medians of ${REPEATS} calls`);
  const products: Array<[string, () => Tensor]> = [
    ['x W (forward)', () => tf.matMul(x, w)],
    ['x^T dy (weight gradient)', () => tf.matMul(x, dy, true, false)],
    ['dy W^T (input gradient)', () => tf.matMul(dy, w, false, true)],
  ];
  for (const [label, product] of products) {
    // Alternating three times keeps a change in the machine's load from favouring one side.
    const original: number[] = [];
    const fast: number[] = [];
    for (let round = 0; round < 3; round++) {
      unregisterFastMatMul(tf);
      original.push(time(tf, product));
      registerFastMatMul(tf);
      fast.push(time(tf, product));
    }
    print(`${label.padEnd(28)} TF.js ${ms(median(original))}, Scout ${ms(median(fast))}`);
  }
  print(`${'transpose of x'.padEnd(28)} ${ms(time(tf, () => tf.transpose(x)))}`);

  const all = tf.tensor2d(rows.x, [rows.rows, FEATURES]);
  const order = Int32Array.from({ length: BATCH }, (_, i) => (i * 7919) % rows.rows);
  const gathered = time(tf, () => tf.tidy(() => tf.gather(all, tf.tensor1d(order, 'int32'))));
  const copied = time(tf, () => {
    const batch = new Float32Array(BATCH * FEATURES);
    order.forEach((row, i) =>
      batch.set(rows.x.subarray(row * FEATURES, (row + 1) * FEATURES), i * FEATURES),
    );
    return tf.tensor2d(batch, [BATCH, FEATURES]);
  });
  print(`${'batch by Gather kernel'.padEnd(28)} ${ms(gathered)}`);
  print(`${'batch copied in JavaScript'.padEnd(28)} ${ms(copied)}`);

  const variables = [w, tf.zeros([UNITS]), tf.zeros([UNITS, 10]), tf.zeros([10])].map((value) =>
    tf.variable(value),
  );
  const gradients = variables.map((variable, i) => ({
    name: variable.name,
    tensor: tf.randomNormal(variable.shape, 0, 1, 'float32', 10 + i),
  }));
  const adam = tf.train.adam(1e-3);
  const update = time(tf, () => {
    adam.applyGradients(gradients);
    return tf.scalar(0);
  });
  print(`${'Adam update, 4 variables'.padEnd(28)} ${ms(update)}`);
}

/** Median wall time of `compute` in ms, its result read back and disposed each time. */
function time(tf: Tf, compute: () => Tensor): number {
  const samples: number[] = [];
  for (let i = 0; i < REPEATS + 20; i++) {
    const started = performance.now();
    const result = compute();
    result.dataSync();
    samples.push(performance.now() - started);
    tf.dispose(result);
  }
  // The first calls warm up the JIT and XNNPACK's caches.
  return median(samples.slice(20));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function ms(value: number): string {
  return `${value.toFixed(3)} ms`;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

void main();
