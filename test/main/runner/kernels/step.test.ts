import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Tensor, Tensor2D, Variable } from '@tensorflow/tfjs';
import { after, before, describe, it } from 'node:test';
import seedrandom from 'seedrandom';
import { selectBackend, type Tf } from '../../../../main/runner/backend';
import { loadDataset } from '../../../../main/runner/data';
import {
  SPARSE_DENSITY_LIMIT,
  adamUpdate,
  compressRows,
  density,
  gatherProduct,
  registerStepKernels,
  releaseSparse,
  scatterProduct,
  uploadSparse,
  type AdamConstants,
  type CompressedRows,
  type SparseMatrix,
} from '../../../../main/runner/kernels/step';
import { FIXTURES, REPO_ROOT, makeTempDir } from '../../core/helpers';
import { readMnistRows } from '../mnist-fixture';

const FEATURES = 784;
/** Rows of the compressed MNIST dataset. Row ZERO_ROW is set to zeros. */
const DATASET_ROWS = 400;
const ZERO_ROW = 17;
/**
 * Output widths. gatherProduct takes columns 32, then 4, then 1 at a time,
 * scatterProduct 16, 4, 1: widths 1 and 3 run only the one-column loop, and
 * 70 runs all three loops of both.
 */
const WIDTHS = [1, 3, 4, 10, 33, 70, 100];
const BATCH_SIZES = [128, 37];

const f32 = Math.fround;

let tf: Tf;
let pixels: Float32Array;
let compressed: CompressedRows;
let sparse: SparseMatrix;

before(async () => {
  tf = (await selectBackend('wasm')).tf;
  assert.equal(registerStepKernels(tf), true, 'step kernels failed to register');
  pixels = readMnistRows(0, DATASET_ROWS).x;
  pixels.fill(0, ZERO_ROW * FEATURES, (ZERO_ROW + 1) * FEATURES);
  compressed = compressRows(pixels, DATASET_ROWS, FEATURES);
  sparse = uploadSparse(tf, compressed);
});

after(() => {
  releaseSparse(tf, sparse);
});

/** Returns a shuffled batch of dataset rows that contains the all-zero row and one row twice. */
function batchRows(size: number, seed: string): Int32Array {
  const random = seedrandom.alea(seed);
  const order = shuffle(
    Int32Array.from({ length: DATASET_ROWS }, (_, i) => i).filter((row) => row !== ZERO_ROW),
    random,
  );
  const rows = Int32Array.from(order.subarray(0, size));
  rows[0] = ZERO_ROW;
  rows[1] = rows[2]!;
  return shuffle(rows, random);
}

function shuffle(values: Int32Array, random: () => number): Int32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
}

/** Copies the given dataset rows into a dense [rows.length, 784] tensor. */
function denseBatch(rows: Int32Array): Tensor2D {
  const x = new Float32Array(rows.length * FEATURES);
  rows.forEach((row, i) =>
    x.set(pixels.subarray(row * FEATURES, (row + 1) * FEATURES), i * FEATURES),
  );
  return tf.tensor2d(x, [rows.length, FEATURES]);
}

/** Asserts that two tensors hold the same float32 bits, and names the first element that differs. */
function assertSameBits(actual: Tensor, expected: Tensor, label: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${label}: shape`);
  const a = actual.dataSync() as Float32Array;
  const e = expected.dataSync() as Float32Array;
  const aBits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const eBits = new Uint32Array(e.buffer, e.byteOffset, e.length);
  for (let i = 0; i < eBits.length; i++) {
    if (aBits[i] !== eBits[i]) {
      assert.fail(`${label}[${i}]: ${a[i]} (kernel) against ${e[i]} (TF.js)`);
    }
  }
}

describe('gatherProduct', () => {
  it('matches matMul bit for bit', () => {
    for (const size of BATCH_SIZES) {
      const rows = batchRows(size, `gather:${size}`);
      const x = denseBatch(rows);
      const indices = tf.tensor1d(rows, 'int32');
      for (const n of WIDTHS) {
        const b = tf.initializers.glorotUniform({ seed: n }).apply([FEATURES, n]) as Tensor2D;
        const actual = gatherProduct(tf, sparse, indices, b);
        const expected = tf.matMul(x, b);
        assertSameBits(actual, expected, `batch ${size}, n ${n}`);
        tf.dispose([b, actual, expected]);
      }
      tf.dispose([x, indices]);
    }
  });

  it('matches fused matMul with bias and ReLU', () => {
    const rows = batchRows(128, 'gather-fused');
    const x = denseBatch(rows);
    const indices = tf.tensor1d(rows, 'int32');
    for (const n of WIDTHS) {
      const b = tf.initializers.glorotUniform({ seed: n }).apply([FEATURES, n]) as Tensor2D;
      // Created as [n]: tfjs-backend-wasm 4.22's _FusedMatMul checks the rank the bias data was
      // created with, so it rejects a bias reshaped from [1, n].
      const bias = tf.tensor1d(
        tf.tidy(() =>
          tf.initializers
            .glorotUniform({ seed: 50 + n })
            .apply([1, n])
            .dataSync(),
        ),
      );
      const cases: Array<[string, Tensor, Tensor]> = [
        [
          'bias',
          gatherProduct(tf, sparse, indices, b, { bias }),
          tf.fused.matMul({ a: x, b, bias, activation: 'linear' }),
        ],
        [
          'bias and ReLU',
          gatherProduct(tf, sparse, indices, b, { bias, relu: true }),
          tf.fused.matMul({ a: x, b, bias, activation: 'relu' }),
        ],
        [
          'ReLU',
          gatherProduct(tf, sparse, indices, b, { relu: true }),
          tf.fused.matMul({ a: x, b, activation: 'relu' }),
        ],
      ];
      for (const [label, actual, expected] of cases) {
        assertSameBits(actual, expected, `${label}, n ${n}`);
        tf.dispose([actual, expected]);
      }
      tf.dispose([b, bias]);
    }
    tf.dispose([x, indices]);
  });

  it('returns zeros for the all-zero row', () => {
    const indices = tf.tensor1d([ZERO_ROW, 0], 'int32');
    const b = tf.initializers.glorotUniform({ seed: 5 }).apply([FEATURES, 33]) as Tensor2D;
    const productTensor = gatherProduct(tf, sparse, indices, b);
    const product = productTensor.dataSync();
    const zeroRow = Array.from(product.subarray(0, 33));
    assert.deepEqual(zeroRow, new Array(33).fill(0));
    assert.ok(
      product.subarray(33).some((value) => value !== 0),
      'row 0 has nonzero products',
    );
    tf.dispose([indices, b, productTensor]);
  });

  it('rejects a row outside the matrix', () => {
    const b = tf.initializers.glorotUniform({ seed: 6 }).apply([FEATURES, 4]) as Tensor2D;
    const dy = tf.zeros([2, 4]) as Tensor2D;
    for (const row of [DATASET_ROWS, -1]) {
      const indices = tf.tensor1d([0, row], 'int32');
      assert.throws(() => gatherProduct(tf, sparse, indices, b), {
        message: `batch row ${row} is outside the sparse matrix's ${DATASET_ROWS} rows; pass indices from 0 to ${DATASET_ROWS - 1}`,
      });
      assert.throws(() => scatterProduct(tf, sparse, indices, dy), /batch row .* is outside/);
      indices.dispose();
    }
    tf.dispose([b, dy]);
  });
});

describe('scatterProduct', () => {
  it('matches transposed matMul bit for bit', () => {
    for (const size of BATCH_SIZES) {
      const rows = batchRows(size, `scatter:${size}`);
      const x = denseBatch(rows);
      const indices = tf.tensor1d(rows, 'int32');
      // dy is the pre-activation of other MNIST rows, which has both signs like a real gradient.
      const other = denseBatch(batchRows(size, `scatter-dy:${size}`));
      for (const n of WIDTHS) {
        const dy = tf.tidy(() =>
          tf.matMul(other, tf.initializers.glorotUniform({ seed: 100 + n }).apply([FEATURES, n])),
        ) as Tensor2D;
        const actual = scatterProduct(tf, sparse, indices, dy);
        const expected = tf.matMul(x, dy, true, false);
        assertSameBits(actual, expected, `batch ${size}, n ${n}`);
        tf.dispose([dy, actual, expected]);
      }
      tf.dispose([x, indices, other]);
    }
  });
});

interface Model {
  variables: Variable[];
  /** The crossentropy's gradients at the variables' current values, in the variables' order. */
  gradients(): Tensor[];
}

/**
 * Builds a 785 -> 13 ReLU -> 10 softmax classifier on MNIST rows whose last
 * feature is a constant 1. The variable sizes (10205, 130, 10) are not
 * multiples of 4, so Adam's single-element tail runs for each.
 */
function mnistModel(prefix: string, seed: number): Model {
  const examples = readMnistRows(1000, 64);
  const features = FEATURES + 1;
  const x = new Float32Array(examples.rows * features).fill(1);
  for (let r = 0; r < examples.rows; r++) {
    x.set(examples.x.subarray(r * FEATURES, (r + 1) * FEATURES), r * features);
  }
  const initial = [
    tf.initializers.glorotUniform({ seed }).apply([features, 13]),
    tf.initializers.glorotUniform({ seed: seed + 1 }).apply([13, 10]),
    tf.zeros([10]),
  ];
  const variables = initial.map((value, i) => tf.variable(value, true, `${prefix}${i}`));
  tf.dispose(initial);

  const gradients = (): Tensor[] =>
    tf.tidy(() => {
      const inputs = tf.tensor2d(x, [examples.rows, features]);
      const labels = tf.oneHot(tf.tensor1d(examples.y, 'int32'), 10);
      const [hiddenKernel, outputKernel, outputBias] = variables as [Variable, Variable, Variable];
      const { grads } = tf.variableGrads(() => {
        const hidden = tf.relu(tf.matMul(inputs, hiddenKernel as Tensor2D));
        const logits = tf.add(tf.matMul(hidden, outputKernel as Tensor2D), outputBias);
        return tf.losses.softmaxCrossEntropy(labels, logits);
      }, variables);
      return variables.map((variable) => grads[variable.name]!);
    });
  return { variables, gradients };
}

/**
 * Computes the float32 constants of an Adam step as DirectStep.applyAdam
 * does, from beta1^t and beta2^t accumulated in float32.
 */
function adamConstants(
  settings: { learningRate: number; beta1: number; beta2: number; epsilon: number },
  accumulatedBeta1: number,
  accumulatedBeta2: number,
): AdamConstants {
  const { learningRate, beta1, beta2, epsilon } = settings;
  return {
    beta1: f32(beta1),
    oneMinusBeta1: f32(1 - beta1),
    beta2: f32(beta2),
    oneMinusBeta2: f32(1 - beta2),
    corr1: f32(1 - accumulatedBeta1),
    corr2: f32(1 - accumulatedBeta2),
    epsilon: f32(epsilon),
    negativeLearningRate: f32(-learningRate),
  };
}

/** Returns the constants of Adam's first step with TF.js's defaults and a learning rate of 1e-3. */
function firstStepConstants(): AdamConstants {
  return adamConstants(
    { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    f32(0.9),
    f32(0.999),
  );
}

/**
 * Sums the squares of `values` in float32 in the Adam kernel's order: four
 * lane sums over the whole groups of 4, added pairwise, then the remaining
 * elements one at a time.
 */
function laneSumOfSquares(values: Float32Array): number {
  const vectorEnd = values.length - (values.length % 4);
  const lanes = [0, 0, 0, 0];
  for (let i = 0; i < vectorEnd; i++) {
    lanes[i % 4] = f32(lanes[i % 4]! + f32(values[i]! * values[i]!));
  }
  let sum = f32(f32(lanes[0]! + lanes[1]!) + f32(lanes[2]! + lanes[3]!));
  for (let i = vectorEnd; i < values.length; i++) {
    sum = f32(sum + f32(values[i]! * values[i]!));
  }
  return sum;
}

/**
 * Trains two copies of the MNIST model for 6 steps on the same gradients,
 * one with tf.train.adam and one with adamUpdate, and asserts after each
 * step that values, moments and the kernel's sum of squares agree. With
 * `l2` above 0 the reference gradient gets l2 * (value * 2) added first, as
 * TF.js's L2 regularizer's gradient adds it.
 */
async function assertAdamMatches(l2: number): Promise<void> {
  const learningRate = 3e-3;
  const beta1 = 0.9;
  const beta2 = 0.999;
  const epsilon = tf.backend().epsilon();
  const reference = mnistModel(`adam-reference-${l2}-`, 7);
  const candidate = mnistModel(`adam-candidate-${l2}-`, 7);
  const optimizer = tf.train.adam(learningRate, beta1, beta2);
  const l2Scalar = tf.scalar(l2);
  let moments = candidate.variables.map((variable) => ({
    first: tf.zerosLike(variable) as Tensor,
    second: tf.zerosLike(variable) as Tensor,
  }));
  // As DirectStep.applyAdam: beta^t accumulated in float32, starting at beta.
  let accumulatedBeta1 = f32(beta1);
  let accumulatedBeta2 = f32(beta2);

  for (let step = 1; step <= 6; step++) {
    const gradients = reference.gradients();
    const constants = adamConstants(
      { learningRate, beta1, beta2, epsilon },
      accumulatedBeta1,
      accumulatedBeta2,
    );

    const referenceGradients = reference.variables.map((variable, i) => ({
      name: variable.name,
      tensor:
        l2 > 0
          ? tf.tidy(() => tf.add(tf.mul(l2Scalar, tf.mul(variable, 2)), gradients[i]!))
          : gradients[i]!,
    }));
    optimizer.applyGradients(referenceGradients);
    if (l2 > 0) {
      tf.dispose(referenceGradients.map((gradient) => gradient.tensor));
    }

    moments = candidate.variables.map((variable, i) => {
      const moment = moments[i]!;
      const oldValue = variable.dataSync() as Float32Array;
      const [value, first, second, squares] = adamUpdate(
        tf,
        variable,
        gradients[i]!,
        moment.first,
        moment.second,
        constants,
        f32(l2),
      );
      const sum = squares.dataSync();
      assert.equal(sum.length, 1, `step ${step}, variable ${i}: squares length`);
      assert.equal(sum[0], laneSumOfSquares(oldValue), `step ${step}, variable ${i}: squares`);
      variable.assign(value);
      tf.dispose([value, squares, moment.first, moment.second]);
      return { first, second };
    });
    accumulatedBeta1 = f32(accumulatedBeta1 * f32(beta1));
    accumulatedBeta2 = f32(accumulatedBeta2 * f32(beta2));
    tf.dispose(gradients);

    candidate.variables.forEach((variable, i) =>
      assertSameBits(variable, reference.variables[i]!, `step ${step}, variable ${i}`),
    );
  }

  const weights = await optimizer.getWeights();
  const byName = new Map(weights.map((weight) => [weight.name, weight.tensor]));
  reference.variables.forEach((variable, i) => {
    assertSameBits(moments[i]!.first, byName.get(`${variable.name}/m`)!, `first moment ${i}`);
    assertSameBits(moments[i]!.second, byName.get(`${variable.name}/v`)!, `second moment ${i}`);
  });

  optimizer.dispose();
  tf.dispose([l2Scalar, ...reference.variables, ...candidate.variables]);
  tf.dispose(moments.flatMap((moment) => [moment.first, moment.second]));
}

describe('adamUpdate', () => {
  it('matches tf.train.adam bit for bit', async () => {
    await assertAdamMatches(0);
  });

  it('matches tf.train.adam with L2', async () => {
    await assertAdamMatches(1e-3);
  });

  it('sums squares close to tf.sum', () => {
    // The kernel's lane order differs from the Sum kernel's, so the sums agree up to rounding.
    const model = mnistModel('adam-squares-', 11);
    model.variables.forEach((variable, i) => {
      const zeros = tf.zerosLike(variable);
      const outputs = adamUpdate(tf, variable, zeros, zeros, zeros, firstStepConstants());
      const expected = tf.tidy(() => tf.sum(tf.square(variable)).dataSync()[0]!);
      const actual = outputs[3].dataSync()[0]!;
      assert.ok(
        Math.abs(actual - expected) <= 1e-6 * expected,
        `variable ${i}: ${actual} (kernel) against ${expected} (tf.sum)`,
      );
      tf.dispose([zeros, ...outputs]);
    });
    tf.dispose(model.variables);
  });
});

describe('step kernels', () => {
  it('leave no tensors behind', () => {
    const rows = tf.tensor1d(batchRows(37, 'memory'), 'int32');
    const b = tf.initializers.glorotUniform({ seed: 9 }).apply([FEATURES, 70]) as Tensor2D;
    const dy = tf.initializers.glorotUniform({ seed: 10 }).apply([37, 70]) as Tensor2D;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const dataIds = backend.numDataIds();
    const tensors = tf.memory().numTensors;

    const outputs = [
      gatherProduct(tf, sparse, rows, b),
      scatterProduct(tf, sparse, rows, dy),
      ...adamUpdate(tf, b, b, b, b, firstStepConstants()),
    ];
    assert.equal(outputs.length, 6);
    tf.dispose(outputs);

    assert.equal(backend.numDataIds(), dataIds);
    assert.equal(tf.memory().numTensors, tensors);
    tf.dispose([rows, b, dy]);
  });
});

describe('compressRows', () => {
  it('keeps every nonzero of MNIST rows', () => {
    const { values, indices, starts } = compressed;
    assert.equal(starts.length, DATASET_ROWS + 1);
    assert.equal(starts[ZERO_ROW], starts[ZERO_ROW + 1], 'the zero row has no entries');

    const restored = new Float32Array(DATASET_ROWS * FEATURES);
    for (let row = 0; row < DATASET_ROWS; row++) {
      for (let p = starts[row]!; p < starts[row + 1]!; p++) {
        if (p > starts[row]!) {
          assert.ok(indices[p]! > indices[p - 1]!, `row ${row}: column indices not increasing`);
        }
        assert.notEqual(values[p], 0, `row ${row}: stored zero at column ${indices[p]}`);
        restored[row * FEATURES + indices[p]!] = values[p]!;
      }
    }
    assert.deepEqual(restored, pixels);
  });

  it('measures MNIST density below the limit', () => {
    const mnist = compressRows(readMnistRows(0, 2000).x, 2000, FEATURES);
    const share = density(mnist);
    assert.ok(share > 0.1, `MNIST density ${share}`);
    assert.ok(share < 0.3, `MNIST density ${share}`);
    assert.ok(share <= SPARSE_DENSITY_LIMIT, `MNIST density ${share} above the sparse limit`);
  });

  it('measures wine density above the limit', () => {
    const wine = loadDataset(
      {
        format: 'csv',
        path: path.join(FIXTURES, 'wine.csv'),
        target: 'alcohol',
        task: 'regression',
      },
      { validationFraction: 0.2, seed: 1 },
    );
    const standardized = compressRows(wine.train.x, wine.train.rows, wine.features);
    assert.equal(density(standardized), 1);
    assert.ok(density(standardized) > SPARSE_DENSITY_LIMIT);

    // Raw features: every column but the class label is nonzero, and 59 of the 178 wines are class 0.
    const lines = fs.readFileSync(path.join(FIXTURES, 'wine.csv'), 'utf8').trim().split('\n');
    const table = lines.slice(1).map((line) => line.split(',').slice(1).map(Number));
    const raw = compressRows(Float32Array.from(table.flat()), table.length, table[0]!.length);
    assert.equal(raw.rows, 178);
    assert.equal(raw.columns, 13);
    assert.equal(density(raw), (178 * 13 - 59) / (178 * 13));
  });
});

describe('build-kernels script', () => {
  const script = path.join(REPO_ROOT, 'scripts', 'build-kernels.mjs');

  it('finds step-wasm.ts up to date', () => {
    const result = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
  });

  it('reports a changed step.wat', () => {
    // A copy of the script and kernels in which step.wat has one more function.
    const temp = makeTempDir('scout-build-kernels-');
    try {
      const kernels = path.join(temp.dir, 'main', 'runner', 'kernels');
      fs.mkdirSync(path.join(temp.dir, 'scripts'));
      fs.mkdirSync(kernels, { recursive: true });
      fs.copyFileSync(script, path.join(temp.dir, 'scripts', 'build-kernels.mjs'));
      fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(temp.dir, 'node_modules'));
      const source = fs.readFileSync(path.join(REPO_ROOT, 'main/runner/kernels/step.wat'), 'utf8');
      const end = source.lastIndexOf(')');
      const changed = `${source.slice(0, end)}  (func (export "nothing"))\n)\n`;
      fs.writeFileSync(path.join(kernels, 'step.wat'), changed);
      fs.copyFileSync(
        path.join(REPO_ROOT, 'main/runner/kernels/step-wasm.ts'),
        path.join(kernels, 'step-wasm.ts'),
      );

      const result = spawnSync(
        process.execPath,
        [path.join(temp.dir, 'scripts', 'build-kernels.mjs'), '--check'],
        { encoding: 'utf8' },
      );
      assert.equal(result.status, 1);
      assert.match(result.stderr, /does not match step\.wat/);
    } finally {
      temp.remove();
    }
  });
});
