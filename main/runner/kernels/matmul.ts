/**
 * Faster matrix products for the wasm backend of TF.js 4.22.
 *
 * In tfjs-backend-wasm 4.22 only an untransposed BatchMatMul reaches
 * XNNPACK's fully-connected path; with transposeA or transposeB set it runs
 * a generic loop. main/runner/bench/kernels.ts measured [128,784]^T x
 * [128,70] on MNIST rows, the weight gradient of a 784 -> 70 dense layer, at
 * 6.3 to 11.9 ms against 0.65 to 0.87 ms here (2-core AMD EPYC, shared load).
 * The gradient of every dense layer issues such products. The kernels
 * registered here transpose the operand explicitly (with the backend's own
 * Transpose kernel) and call the original kernel untransposed. The products
 * are the same up to float32 rounding, because XNNPACK sums in another order.
 *
 * The original _FusedMatMul also adds the bias wrongly when transposeA is
 * set: the kernel test saw errors of up to 1.0. The replacement never passes
 * the flag on, so its bias is right.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { Tf } from '../backend';

/** The parts of the wasm backend the kernels use; it is not exported as a type by TF.js. */
interface WasmBackend {
  disposeData(dataId: object): boolean;
}

interface MatMulArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs?: NamedAttrMap;
}

/**
 * Returns false when the environment variable SCOUT_FAST_KERNELS is `off`:
 * then the wasm backend keeps its own matrix-product kernels, to compare
 * speed and results with and without the ones registered here.
 */
export function fastKernelsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.SCOUT_FAST_KERNELS !== 'off';
}

/** Kernels replaced by `registerFastMatMul`, with the configs that were registered before. */
const replaced = new Map<string, KernelConfig>();

/** Names of the kernels that `registerFastMatMul` replaces. */
export const FAST_MATMUL_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;

/**
 * Replaces the wasm backend's BatchMatMul and _FusedMatMul kernels with
 * versions that never pass a transpose flag to XNNPACK. Calling it again
 * does nothing. Returns false when the wasm backend has no such kernels
 * registered (the package is not loaded), and true otherwise.
 */
export function registerFastMatMul(tf: Tf): boolean {
  for (const name of FAST_MATMUL_KERNELS) {
    if (replaced.has(name)) {
      continue;
    }
    const original = tf.getKernel(name, 'wasm');
    if (original === undefined) {
      return false;
    }

    const kernelFunc =
      name === 'BatchMatMul' ? batchMatMul(tf, original) : fusedMatMul(tf, original);
    tf.unregisterKernel(name, 'wasm');
    // The original setupFunc binds the wasm function the original kernel calls; it must still run
    // when the backend is initialised after this registration.
    tf.registerKernel({ ...original, kernelFunc });
    replaced.set(name, original);
  }
  return true;
}

/** Puts the original kernels back; for tests that compare both. */
export function unregisterFastMatMul(tf: Tf): void {
  for (const [name, original] of replaced) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
    replaced.delete(name);
  }
}

/** Returns the kernel that `registerFastMatMul` replaced, or undefined when it did not replace it. */
export function originalKernel(
  name: (typeof FAST_MATMUL_KERNELS)[number],
): KernelConfig | undefined {
  return replaced.get(name);
}

/**
 * BatchMatMul without transpose flags. A^T B transposes A. A B^T
 * transposes B, or A and the result when that moves fewer elements, since
 * A B^T = (B A^T)^T. With both flags set, A^T B^T = (B A)^T needs only the
 * result transposed.
 */
function batchMatMul(tf: Tf, original: KernelConfig): KernelFunc {
  const call = original.kernelFunc as (args: MatMulArgs) => TensorInfo;

  const kernel = (args: MatMulArgs): TensorInfo => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const transposeA = args.attrs?.transposeA === true;
    const transposeB = args.attrs?.transposeB === true;
    if (!transposeA && !transposeB) {
      return call(args);
    }

    const plain = (left: TensorInfo, right: TensorInfo): TensorInfo =>
      call({ ...args, inputs: { a: left, b: right }, attrs: untransposed(args.attrs) });
    const scratch = new Scratch(tf, args.backend);

    try {
      if (transposeA && transposeB) {
        return scratch.transposeResult(plain(b, a));
      }
      if (transposeA) {
        return plain(scratch.transpose(a), b);
      }
      // A B^T directly costs a transpose of B plus XNNPACK's packing of B, both
      // linear in B; (B A^T)^T costs the same for A plus a transpose of the result.
      if (2 * size(b) <= 2 * size(a) + productSize(a, b)) {
        return plain(a, scratch.transpose(b));
      }
      return scratch.transposeResult(plain(b, scratch.transpose(a)));
    } finally {
      scratch.dispose();
    }
  };
  return kernel as unknown as KernelFunc;
}

/** _FusedMatMul without transpose flags: the flagged operands are transposed first. */
function fusedMatMul(tf: Tf, original: KernelConfig): KernelFunc {
  const call = original.kernelFunc as (args: MatMulArgs) => TensorInfo;

  const kernel = (args: MatMulArgs): TensorInfo => {
    const transposeA = args.attrs?.transposeA === true;
    const transposeB = args.attrs?.transposeB === true;
    if (!transposeA && !transposeB) {
      return call(args);
    }

    const scratch = new Scratch(tf, args.backend);
    try {
      const inputs = { ...args.inputs };
      if (transposeA) {
        inputs.a = scratch.transpose(inputs.a!);
      }
      if (transposeB) {
        inputs.b = scratch.transpose(inputs.b!);
      }
      return call({ ...args, inputs, attrs: untransposed(args.attrs) });
    } finally {
      scratch.dispose();
    }
  };
  return kernel as unknown as KernelFunc;
}

/**
 * Intermediate tensors of one kernel call. Tensors made by calling kernels
 * directly are unknown to the engine, so they are freed here by hand.
 */
class Scratch {
  private readonly created: TensorInfo[] = [];
  private readonly transposeKernel: (args: MatMulArgs) => TensorInfo;

  constructor(
    tf: Tf,
    private readonly backend: WasmBackend,
  ) {
    this.transposeKernel = tf.getKernel('Transpose', 'wasm').kernelFunc as (
      args: MatMulArgs,
    ) => TensorInfo;
  }

  /** Swaps the last two dimensions into a new tensor that dispose() frees. */
  transpose(x: TensorInfo): TensorInfo {
    const out = this.swapLastTwo(x);
    this.created.push(out);
    return out;
  }

  /** Swaps the last two dimensions of a kernel's output and frees that output; the result is the caller's. */
  transposeResult(product: TensorInfo): TensorInfo {
    this.created.push(product);
    return this.swapLastTwo(product);
  }

  dispose(): void {
    for (const info of this.created) {
      this.backend.disposeData(info.dataId);
    }
    this.created.length = 0;
  }

  private swapLastTwo(x: TensorInfo): TensorInfo {
    const rank = x.shape.length;
    const perm = Array.from({ length: rank }, (_, i) => i);
    perm[rank - 2] = rank - 1;
    perm[rank - 1] = rank - 2;
    return this.transposeKernel({ inputs: { x }, backend: this.backend, attrs: { perm } });
  }
}

function untransposed(attrs: NamedAttrMap | undefined): NamedAttrMap {
  return { ...attrs, transposeA: false, transposeB: false };
}

function size(x: TensorInfo): number {
  return x.shape.reduce((product, dimension) => product * dimension, 1);
}

/** Element count of A B^T, the product with B transposed, counting A's batch dimensions. */
function productSize(a: TensorInfo, b: TensorInfo): number {
  const rankA = a.shape.length;
  const rows = a.shape[rankA - 2]!;
  const columns = b.shape[b.shape.length - 2]!;
  const batch = size(a) / (rows * a.shape[rankA - 1]!);
  return batch * rows * columns;
}
