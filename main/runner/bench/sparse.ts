/**
 * Times the sparse products of kernels/step.ts against the dense path on
 * the wasm backend, for the first layer of the reference model: a batch of
 * 128 MNIST rows, 784 features, 70 units. Per step, the sparse path runs
 * gatherProduct (forward) and scatterProduct (kernel gradient). The dense
 * path runs tf.matMul(x, W) and tf.matMul(x, dz, true, false), which go
 * through the fast matrix-product kernels of kernels/matmul.ts.
 *
 * Densities: MNIST rows as they are (about 0.19 nonzero), then the same rows
 * with a growing share of their zero pixels replaced by nonzero pixel values
 * taken at random from the dataset, up to 1.0. The "dense + batch" column
 * adds what a dense training step also does and a sparse one does not:
 * copying the batch's rows into one matrix and uploading it as a tensor.
 *
 * Both paths run on one thread: in Node, tfjs-backend-wasm 4.22 loads its
 * build without threads (WASM_HAS_MULTITHREAD_SUPPORT is false).
 *
 * Run it with `npm run bench:sparse`. Not a test: the numbers depend on the
 * machine and its load.
 */
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { selectBackend, type Tf } from '../backend';
import { loadDataset, mnistSource } from '../data';
import {
  compressRows,
  density,
  gatherProduct,
  registerStepKernels,
  releaseSparse,
  scatterProduct,
  uploadSparse,
} from '../kernels/step';

const BATCH = 128;
const FEATURES = 784;
const UNITS = 70;
const DATASET_ROWS = 10_000;
/** Batches cycled through, so each call reads other rows as training does. */
const BATCHES = 16;
const WARMUP = 20;
const REPEATS = 30;
/** Timing rounds per density. The paths alternate every round, so a change in load hits all of them. */
const ROUNDS = 10;
const TARGET_DENSITIES = [0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8, 1];

interface Row {
  density: number;
  sparse: number;
  dense: number;
  denseWithBatch: number;
}

async function main(): Promise<void> {
  const { tf } = await selectBackend('wasm');
  if (!registerStepKernels(tf)) {
    throw new Error(
      'the step kernels failed to compile; run the benchmark in a runtime with WebAssembly SIMD',
    );
  }
  const data = loadDataset(mnistSource(), { validationFraction: 0.1, seed: 1, limit: 12_000 });
  if (data.train.rows < DATASET_ROWS) {
    throw new Error(
      `MNIST loaded ${data.train.rows} training rows; the benchmark needs ${DATASET_ROWS}`,
    );
  }
  const pixels = data.train.x.subarray(0, DATASET_ROWS * FEATURES);
  const random = seedrandom.alea('bench-sparse');
  const batches = Array.from({ length: BATCHES }, () =>
    Int32Array.from({ length: BATCH }, () => Math.floor(random() * DATASET_ROWS)),
  );
  const w = tf.initializers.glorotUniform({ seed: 1 }).apply([FEATURES, UNITS]) as Tensor2D;

  // dz is the pre-activation of other MNIST rows scaled by 1 / BATCH, the size of a mean's gradient.
  const otherRows = batches[0]!.map((row) => (row + 1) % DATASET_ROWS);
  const dz = tf.tidy(() => {
    const preActivation = tf.matMul(denseBatch(tf, pixels, otherRows), w);
    return tf.mul(preActivation, 1 / BATCH);
  }) as Tensor2D;

  print(
    `wasm backend, batch ${BATCH}, layer ${FEATURES} -> ${UNITS}, ${DATASET_ROWS} MNIST rows; ` +
      `medians of ${ROUNDS} x ${REPEATS} calls after ${WARMUP} warm-up calls per path`,
  );
  print('ms per step: forward product + kernel gradient');
  print(
    `${'density'.padStart(8)}${'sparse'.padStart(10)}${'dense'.padStart(10)}` +
      `${'ratio'.padStart(8)}${'dense + batch'.padStart(15)}${'ratio'.padStart(8)}`,
  );

  // One untimed pass: the first density measured otherwise pays for JIT compilation and
  // XNNPACK's first-call setup, which the warm-up calls of one path alone do not cover.
  timeDensity(tf, pixels, batches, w, dz);

  const results: Row[] = [];
  const measure = (matrix: Float32Array): void => {
    const row = timeDensity(tf, matrix, batches, w, dz);
    results.push(row);
    print(
      `${row.density.toFixed(3).padStart(8)}${row.sparse.toFixed(3).padStart(10)}` +
        `${row.dense.toFixed(3).padStart(10)}${(row.sparse / row.dense).toFixed(2).padStart(8)}` +
        `${row.denseWithBatch.toFixed(3).padStart(15)}` +
        `${(row.sparse / row.denseWithBatch).toFixed(2).padStart(8)}`,
    );
  };

  measure(pixels);
  const base = density(compressRows(pixels, DATASET_ROWS, FEATURES));
  for (const target of TARGET_DENSITIES) {
    measure(fillZeros(pixels, (target - base) / (1 - base), seedrandom.alea(`fill:${target}`)));
  }

  print(`break-even density (sparse = dense): ${breakEven(results, 'dense')}`);
  print(`break-even density (sparse = dense + batch): ${breakEven(results, 'denseWithBatch')}`);
  tf.dispose([w, dz]);
}

/**
 * Returns a copy of `pixels` in which each zero is replaced, with probability
 * `share`, by a nonzero pixel value taken at random from `pixels`.
 */
function fillZeros(pixels: Float32Array, share: number, random: () => number): Float32Array {
  const nonzeros = pixels.filter((value) => value !== 0);
  const filled = Float32Array.from(pixels);
  for (let i = 0; i < filled.length; i++) {
    if (filled[i] === 0 && random() < share) {
      filled[i] = nonzeros[Math.floor(random() * nonzeros.length)]!;
    }
  }
  return filled;
}

/** Copies the given rows of `pixels` into one [rows, 784] tensor, as a dense training step does. */
function denseBatch(tf: Tf, pixels: Float32Array, rows: Int32Array): Tensor2D {
  const x = new Float32Array(rows.length * FEATURES);
  rows.forEach((row, i) =>
    x.set(pixels.subarray(row * FEATURES, (row + 1) * FEATURES), i * FEATURES),
  );
  return tf.tensor2d(x, [rows.length, FEATURES]);
}

/** Times both paths on one matrix and returns their median ms per step, with its density. */
function timeDensity(
  tf: Tf,
  pixels: Float32Array,
  batches: Int32Array[],
  w: Tensor2D,
  dz: Tensor2D,
): Row {
  const compressed = compressRows(pixels, DATASET_ROWS, FEATURES);
  const sparse = uploadSparse(tf, compressed);
  const rows = batches.map((batch) => tf.tensor1d(batch, 'int32'));
  const dense = batches.map((batch) => denseBatch(tf, pixels, batch));

  const sparseStep = (i: number): Tensor[] => [
    gatherProduct(tf, sparse, rows[i % BATCHES] as Tensor1D, w),
    scatterProduct(tf, sparse, rows[i % BATCHES] as Tensor1D, dz),
  ];
  const denseStep = (i: number, x = dense[i % BATCHES]!): Tensor[] => [
    tf.matMul(x, w),
    tf.matMul(x, dz, true, false),
  ];
  const denseWithBatchStep = (i: number): Tensor[] => {
    const x = denseBatch(tf, pixels, batches[i % BATCHES]!);
    return [...denseStep(i, x), x];
  };

  const samples = { sparse: [] as number[], dense: [] as number[], denseWithBatch: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const warmup = round === 0 ? WARMUP : 0;
    samples.sparse.push(...time(tf, sparseStep, warmup));
    samples.dense.push(...time(tf, denseStep, warmup));
    samples.denseWithBatch.push(...time(tf, denseWithBatchStep, warmup));
  }

  releaseSparse(tf, sparse);
  tf.dispose([...rows, ...dense]);
  return {
    density: density(compressed),
    sparse: median(samples.sparse),
    dense: median(samples.dense),
    denseWithBatch: median(samples.denseWithBatch),
  };
}

/**
 * Measures the wall time in ms of REPEATS calls of `step`, after `warmup` untimed calls.
 * The wasm backend runs each kernel synchronously, so a call's time includes
 * its computation without reading the result back.
 */
function time(tf: Tf, step: (i: number) => Tensor[], warmup: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < warmup + REPEATS; i++) {
    const started = performance.now();
    const outputs = step(i);
    const elapsed = performance.now() - started;
    tf.dispose(outputs);
    if (i >= warmup) {
      samples.push(elapsed);
    }
  }
  return samples;
}

/** Estimates the density where sparse and dense times cross, interpolating linearly between measurements. */
function breakEven(results: Row[], dense: 'dense' | 'denseWithBatch'): string {
  const ratio = (row: Row): number => row.sparse / row[dense];
  if (ratio(results[0]!) >= 1) {
    return `below ${results[0]!.density.toFixed(3)} (sparse is slower at every measured density)`;
  }
  for (let i = 1; i < results.length; i++) {
    const before = results[i - 1]!;
    const after = results[i]!;
    if (ratio(after) >= 1) {
      const t = (1 - ratio(before)) / (ratio(after) - ratio(before));
      return `about ${(before.density + t * (after.density - before.density)).toFixed(2)}`;
    }
  }
  return `above ${results[results.length - 1]!.density.toFixed(3)} (sparse is faster at every measured density)`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

void main();
