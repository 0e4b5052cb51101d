import path from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import { getLogger } from '../log';
import { fastKernelsEnabled, registerFastMatMul } from './kernels/matmul';

const log = getLogger('runner');

/** The TF.js namespace every runner module computes with. */
export type Tf = typeof tfjs;

/** A backend a user can ask for; `auto` tries them best first. */
export type BackendPreference = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** User-facing backend names, best first; `auto` tries them in this order. */
export const BACKEND_ORDER = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

/** A backend that loaded and ran a test computation. */
export interface SelectedBackend {
  /** User-facing name: 'tensorflow-gpu', 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  tf: Tf;
}

type BackendName = (typeof BACKEND_ORDER)[number];

/**
 * Selects the best TF.js backend that loads and computes in this process.
 * A specific preference tries only that backend and throws when it fails.
 * `auto` tries BACKEND_ORDER in turn and logs each failure at debug level.
 * The backend is process-wide, so a worker calls this once.
 *
 * NOTE: the tfjs-node and tfjs-node-gpu paths have not been run: neither
 * package was installed where this was written. 'tensorflow-gpu' means that
 * tfjs-node-gpu loaded; libtensorflow may still run on the CPU when it finds
 * no CUDA device.
 *
 * One tf instance: with tfjs-node(-gpu), the returned `tf` is the one the
 * native package exports, because its 'tensorflow' backend registers into
 * the tfjs-core that the native package resolves. If npm nested a second copy
 * of @tensorflow/tfjs under it, the top-level copy would not see that backend.
 * Without the native packages, `tf` is the top-level @tensorflow/tfjs, which
 * the wasm backend registers into (both resolve the same tfjs-core).
 */
export async function selectBackend(
  preferred: BackendPreference = 'auto',
): Promise<SelectedBackend> {
  if (preferred !== 'auto') {
    try {
      return await tryBackend(preferred);
    } catch (error) {
      throw new Error(
        `backend '${preferred}' is not available (${errorMessage(error)}); ` +
          `install ${BACKEND_PACKAGES[preferred]} or use --backend auto`,
      );
    }
  }

  const reasons: string[] = [];
  for (const name of BACKEND_ORDER) {
    try {
      return await tryBackend(name);
    } catch (error) {
      const reason = errorMessage(error);
      reasons.push(`${name}: ${reason}`);
      log.debug({ backend: name, reason }, 'backend unavailable, trying the next one');
    }
  }

  throw new Error(`no TF.js backend could be initialised (${reasons.join('; ')})`);
}

/** The npm package each backend needs. */
const BACKEND_PACKAGES: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu (with CUDA)',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs',
};

/** Maps the name `tf.getBackend()` returns to the name Scout shows. */
export function userFacingBackendName(tfBackend: string, nativeGpu: boolean): string {
  if (tfBackend === 'tensorflow') {
    return nativeGpu ? 'tensorflow-gpu' : 'tensorflow';
  }

  return tfBackend;
}

async function tryBackend(name: BackendName): Promise<SelectedBackend> {
  switch (name) {
    case 'tensorflow-gpu':
      return activateNative('@tensorflow/tfjs-node-gpu', true);
    case 'tensorflow':
      return activateNative('@tensorflow/tfjs-node', false);
    case 'wasm':
      return activateWasm();
    case 'cpu':
      return activate(tfjs, 'cpu', false);
  }
}

async function activateNative(moduleName: string, gpu: boolean): Promise<SelectedBackend> {
  // Requiring the package loads libtensorflow and registers the 'tensorflow'
  // backend; it throws when the package or the shared library is missing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const native = require(moduleName) as Tf;
  return activate(native, 'tensorflow', gpu);
}

async function activateWasm(): Promise<SelectedBackend> {
  // Loaded only here, because loading registers 'wasm' with a higher priority
  // than 'cpu' (2 against 1 in TF.js 4.22), so TF.js would pick it on its own
  // before its paths are set.
  const wasm =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');

  // In Node the backend reads its .wasm files from disk; they sit next to the
  // package's main file in dist/. The trailing separator makes it a prefix.
  const distDirectory = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(distDirectory + path.sep);

  const selected = await activate(tfjs, 'wasm', false);
  // The wasm backend's own transposed matrix products are several times slower than XNNPACK's
  // untransposed ones (see kernels/matmul.ts); SCOUT_FAST_KERNELS=off keeps them, to compare.
  if (fastKernelsEnabled()) {
    registerFastMatMul(tfjs);
  }
  return selected;
}

async function activate(tf: Tf, backend: string, gpu: boolean): Promise<SelectedBackend> {
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) {
    throw new Error(`tf.setBackend('${backend}') failed`);
  }

  await tf.ready();
  checkComputes(tf, backend);

  const name = userFacingBackendName(tf.getBackend(), gpu);
  log.info({ backend: name }, 'TF.js backend selected');
  return { name, tf };
}

/** Throws unless a small matrix product comes out right, so a backend that loads but computes garbage is rejected. */
function checkComputes(tf: Tf, backend: string): void {
  const product = tf.tidy(() =>
    tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).dataSync(),
  );
  const expected = [19, 22, 43, 50];
  const matches = expected.every((value, i) => product[i] === value);
  if (!matches) {
    throw new Error(
      `backend '${backend}' computed [${Array.from(product)}] for a 2x2 product, expected [${expected}]`,
    );
  }
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // A missing native library produces a multi-line message; the first line names the file.
  return message.split('\n')[0] ?? message;
}
