/**
 * Kernels of the direct training step for the wasm backend, written in
 * step.wat (assembled into step-wasm.ts):
 *
 * - Products with a sparse operand, for the first dense layer's forward
 *   product and its kernel gradient when most features are zero. MNIST's
 *   pixels are 81 % zeros, so multiplying only the nonzeros does about a
 *   fifth of the work. The dataset is compressed once and stays in the
 *   backend's memory. A batch is a list of its rows, so no batch matrix is
 *   copied.
 * - Adam's update of one variable in one pass. TF.js's AdamOptimizer
 *   issues 16 kernels per variable for it.
 *
 * The module runs in the memory of TF.js's wasm backend, through kernels
 * registered with TF.js's public kernel registry, so batch rows, weights,
 * gradients and outputs are ordinary tensors. A compressed dataset is
 * passed by its address in that memory. Each kernel computes the same
 * float32 operations in the same order as the kernels it replaces, so the
 * results are the same bits. The direct-step tests compare whole trainings
 * with the taped step.
 */
import type {
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  Tensor,
  Tensor1D,
  Tensor2D,
  TensorInfo,
} from '@tensorflow/tfjs';
import type { Tf } from '../backend';
import { STEP_WASM_BASE64 } from './step-wasm';

/** Names of the kernels in TF.js's registry (backend 'wasm'). */
export const GATHER_MATMUL_KERNEL = 'ScoutGatherMatMul';
export const SCATTER_MATMUL_KERNEL = 'ScoutScatterMatMul';
export const ADAM_KERNEL = 'ScoutAdam';

/**
 * Data whose share of nonzero features is at most this trains its first
 * layer with the sparse products. `npm run bench:sparse` (batch 128, 784
 * features, 70 units, 2-core AMD EPYC) measured the break-even against
 * XNNPACK's dense products at a share of 0.48 to 0.54. At 0.4 the sparse
 * products were 15 to 23 % faster.
 */
export const SPARSE_DENSITY_LIMIT = 0.4;

/** A matrix in compressed sparse rows: row q's nonzeros are values[p] at column indices[p], p from starts[q] to starts[q + 1] - 1. */
export interface CompressedRows {
  rows: number;
  columns: number;
  values: Float32Array;
  indices: Int32Array;
  starts: Int32Array;
}

/**
 * A compressed matrix copied into the wasm backend's memory, outside any
 * tensor: a dataset split that stays there while a worker trains on it.
 * Offsets are byte addresses in that memory; `releaseSparse` frees them.
 */
export interface SparseMatrix {
  rows: number;
  columns: number;
  values: number;
  indices: number;
  starts: number;
}

/** The WebAssembly API this file uses; the project's type libraries do not declare it. */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
};

/** The parts of the wasm backend the kernels use; TF.js does not export them as a type. */
interface WasmBackend {
  wasm: {
    asm: { memory: { buffer: ArrayBuffer } };
    _malloc(bytes: number): number;
    _free(offset: number): void;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

interface StepExports {
  gather_matmul(
    values: number,
    indices: number,
    starts: number,
    batchRows: number,
    rows: number,
    b: number,
    n: number,
    out: number,
    bias: number,
    relu: number,
  ): void;
  scatter_matmul(
    values: number,
    indices: number,
    starts: number,
    batchRows: number,
    rows: number,
    dy: number,
    n: number,
    out: number,
    columns: number,
  ): void;
  adam(
    w: number,
    g: number,
    m: number,
    v: number,
    size: number,
    wOut: number,
    mOut: number,
    vOut: number,
    squares: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    corr1: number,
    corr2: number,
    epsilon: number,
    negativeLr: number,
    hasL2: number,
    l2: number,
  ): void;
}

/** One instance of the module per backend, since each instance imports that backend's memory. */
const instances = new WeakMap<object, StepExports>();

function exportsFor(backend: WasmBackend): StepExports {
  let exports = instances.get(backend);
  if (exports === undefined) {
    const module = new WebAssembly.Module(Buffer.from(STEP_WASM_BASE64, 'base64'));
    const instance = new WebAssembly.Instance(module, { env: { memory: backend.wasm.asm.memory } });
    exports = instance.exports as unknown as StepExports;
    instances.set(backend, exports);
  }
  return exports;
}

interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs?: NamedAttrMap;
}

function at(backend: WasmBackend, tensor: TensorInfo | undefined): number {
  return backend.dataIdMap.get(tensor!.dataId).memoryOffset;
}

/**
 * Throws unless every batch row indexes a row of the matrix. The module
 * does not check its indices, and a wrong one would read other memory.
 */
function checkBatchRows(backend: WasmBackend, batchRows: TensorInfo, matrix: SparseMatrix): void {
  const rows = new Int32Array(
    backend.wasm.asm.memory.buffer,
    at(backend, batchRows),
    batchRows.shape[0]!,
  );
  for (const row of rows) {
    if (row < 0 || row >= matrix.rows) {
      throw new Error(
        `batch row ${row} is outside the sparse matrix's ${matrix.rows} rows; pass indices from 0 to ${matrix.rows - 1}`,
      );
    }
  }
}

/**
 * out [rows, n] = A[batchRows] b, where b is [A's columns, n]; with a bias
 * input, sums start at the bias, and attrs.relu clamps them at 0.
 */
function gatherMatMul({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { batchRows, b, bias } = inputs;
  const matrix = attrs as unknown as SparseMatrix;
  checkBatchRows(backend, batchRows!, matrix);
  const rows = batchRows!.shape[0]!;
  const n = b!.shape[1]!;
  const out = backend.makeOutput([rows, n], 'float32');
  if (rows > 0 && n > 0) {
    exportsFor(backend).gather_matmul(
      matrix.values,
      matrix.indices,
      matrix.starts,
      at(backend, batchRows),
      rows,
      at(backend, b),
      n,
      at(backend, out),
      bias === undefined ? 0 : at(backend, bias),
      attrs?.relu === true ? 1 : 0,
    );
  }
  return out;
}

/** out [columns, n] = A[batchRows]^T dy, where dy is [rows, n]. */
function scatterMatMul({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { batchRows, dy } = inputs;
  const matrix = attrs as unknown as SparseMatrix;
  checkBatchRows(backend, batchRows!, matrix);
  const columns = matrix.columns;
  const rows = batchRows!.shape[0]!;
  const n = dy!.shape[1]!;
  const out = backend.makeOutput([columns, n], 'float32');
  if (columns > 0 && n > 0) {
    exportsFor(backend).scatter_matmul(
      matrix.values,
      matrix.indices,
      matrix.starts,
      at(backend, batchRows),
      rows,
      at(backend, dy),
      n,
      at(backend, out),
      columns,
    );
  }
  return out;
}

/**
 * Adam's update of one variable, with the L2 penalty's gradient added first
 * when attrs.l2 is above 0: outputs the new value, first moment and second
 * moment, and the sum of the old value's squares ([1]).
 */
function adam({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const { value, gradient, firstMoment, secondMoment } = inputs;
  const shape = value!.shape;
  const size = shape.reduce((product, dimension) => product * dimension, 1);
  const outputs = [0, 1, 2].map(() => backend.makeOutput(shape, 'float32'));
  const squares = backend.makeOutput([1], 'float32');
  const [newValue, newFirst, newSecond] = outputs;
  const a = attrs as Record<string, number>;
  exportsFor(backend).adam(
    at(backend, value),
    at(backend, gradient),
    at(backend, firstMoment),
    at(backend, secondMoment),
    size,
    at(backend, newValue),
    at(backend, newFirst),
    at(backend, newSecond),
    at(backend, squares),
    a.beta1!,
    a.oneMinusBeta1!,
    a.beta2!,
    a.oneMinusBeta2!,
    a.corr1!,
    a.corr2!,
    a.epsilon!,
    a.negativeLearningRate!,
    a.l2! > 0 ? 1 : 0,
    a.l2!,
  );
  return [...outputs, squares];
}

const KERNELS: [string, (args: KernelArgs) => TensorInfo | TensorInfo[]][] = [
  [GATHER_MATMUL_KERNEL, gatherMatMul],
  [SCATTER_MATMUL_KERNEL, scatterMatMul],
  [ADAM_KERNEL, adam],
];

/**
 * Registers the kernels for the wasm backend. Calling it again does
 * nothing. Returns false when this runtime cannot compile the module (it
 * needs WebAssembly SIMD); callers then keep TF.js's kernels.
 */
export function registerStepKernels(tf: Tf): boolean {
  if (tf.getKernel(ADAM_KERNEL, 'wasm') !== undefined) {
    return true;
  }
  try {
    new WebAssembly.Module(Buffer.from(STEP_WASM_BASE64, 'base64'));
  } catch {
    return false;
  }
  for (const [kernelName, kernelFunc] of KERNELS) {
    const config: KernelConfig = {
      kernelName,
      backendName: 'wasm',
      kernelFunc: kernelFunc as unknown as KernelFunc,
    };
    tf.registerKernel(config);
  }
  return true;
}

/**
 * Multiplies the rows `batchRows` (int32) of the sparse `a` by the dense
 * `b` [a.columns, n]. With `bias` and `relu` it computes what TF.js's fused
 * product with a bias and a ReLU computes: the dense layer at inference.
 */
export function gatherProduct(
  tf: Tf,
  a: SparseMatrix,
  batchRows: Tensor1D,
  b: Tensor2D,
  fused: { bias?: Tensor; relu?: boolean } = {},
): Tensor2D {
  const inputs: Record<string, Tensor> = { batchRows, b };
  if (fused.bias !== undefined) {
    inputs.bias = fused.bias;
  }
  return tf.engine().runKernel(GATHER_MATMUL_KERNEL, inputs, {
    ...a,
    relu: fused.relu === true,
  } as unknown as NamedAttrMap) as Tensor2D;
}

/** Multiplies the transpose of the rows `batchRows` of the sparse `a` by `dy` [batch rows, n], giving [a.columns, n]. */
export function scatterProduct(
  tf: Tf,
  a: SparseMatrix,
  batchRows: Tensor1D,
  dy: Tensor2D,
): Tensor2D {
  return tf.engine().runKernel(SCATTER_MATMUL_KERNEL, { batchRows, dy }, {
    ...a,
  } as unknown as NamedAttrMap) as Tensor2D;
}

/** Float32 constants of one Adam step, as TF.js's AdamOptimizer rounds them. */
export interface AdamConstants {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** 1 - beta1^t and 1 - beta2^t. */
  corr1: number;
  corr2: number;
  epsilon: number;
  negativeLearningRate: number;
}

/**
 * Adam's update of one variable. With `l2` above 0 (a float32 factor) the
 * gradient first gets the L2 penalty's gradient, l2 * (value * 2), added as
 * TF.js adds it. Returns the new value, first and second moments, and the
 * sum of the old value's squares as a [1] tensor, for the penalty's value.
 */
export function adamUpdate(
  tf: Tf,
  value: Tensor,
  gradient: Tensor,
  firstMoment: Tensor,
  secondMoment: Tensor,
  constants: AdamConstants,
  l2 = 0,
): [Tensor, Tensor, Tensor, Tensor] {
  return tf.engine().runKernel(ADAM_KERNEL, { value, gradient, firstMoment, secondMoment }, {
    ...constants,
    l2,
  } as unknown as NamedAttrMap) as unknown as [Tensor, Tensor, Tensor, Tensor];
}

/** Compresses a dense row-major matrix [rows, columns]. */
export function compressRows(x: Float32Array, rows: number, columns: number): CompressedRows {
  let nonzeros = 0;
  for (let i = 0; i < rows * columns; i++) {
    if (x[i] !== 0) {
      nonzeros++;
    }
  }
  const values = new Float32Array(nonzeros);
  const indices = new Int32Array(nonzeros);
  const starts = new Int32Array(rows + 1);
  let p = 0;
  for (let r = 0; r < rows; r++) {
    starts[r] = p;
    const base = r * columns;
    for (let c = 0; c < columns; c++) {
      const value = x[base + c]!;
      if (value !== 0) {
        values[p] = value;
        indices[p] = c;
        p++;
      }
    }
  }
  starts[rows] = p;
  return { rows, columns, values, indices, starts };
}

/** Share of nonzero entries of a compressed matrix, 0 to 1. */
export function density(matrix: CompressedRows): number {
  const cells = matrix.rows * matrix.columns;
  return cells === 0 ? 1 : matrix.values.length / cells;
}

/**
 * Copies a compressed matrix into the wasm backend's memory. The copy is
 * not a tensor, so it does not count among a trial's tensors; free it with
 * `releaseSparse`.
 */
export function uploadSparse(tf: Tf, matrix: CompressedRows): SparseMatrix {
  const backend = tf.backend() as unknown as WasmBackend;
  const copy = (array: Float32Array | Int32Array): number => {
    const offset = backend.wasm._malloc(Math.max(array.byteLength, 4));
    new Uint8Array(backend.wasm.asm.memory.buffer, offset, array.byteLength).set(
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
    );
    return offset;
  };
  return {
    rows: matrix.rows,
    columns: matrix.columns,
    values: copy(matrix.values),
    indices: copy(matrix.indices),
    starts: copy(matrix.starts),
  };
}

/** Frees what `uploadSparse` copied; the matrix must not be used afterwards. */
export function releaseSparse(tf: Tf, matrix: SparseMatrix): void {
  const backend = tf.backend() as unknown as WasmBackend;
  backend.wasm._free(matrix.values);
  backend.wasm._free(matrix.indices);
  backend.wasm._free(matrix.starts);
}
