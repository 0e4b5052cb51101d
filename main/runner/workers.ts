import fs from 'node:fs';
import os from 'node:os';
import type { BackendPreference } from './backend';

/** Machine resources that the default worker count depends on. */
export interface MachineResources {
  /** Logical CPUs this process may use (os.availableParallelism()). */
  cpus: number;
  /** CUDA devices visible to this process. */
  gpus: number;
}

/** A default worker count and the reason for it, to show the user. */
export interface WorkerCountAdvice {
  workers: number;
  reason: string;
}

/**
 * Chooses how many worker processes a study runs by default on a backend:
 * - `wasm` and `cpu` compute on one thread per process (TF.js 4.22 turns
 *   wasm threads off in Node), so one worker per logical CPU fills the machine.
 * - `tensorflow` (libtensorflow) already spreads one trial over all cores, so
 *   more workers would only compete for them.
 * - `tensorflow-gpu` runs one worker per GPU; WorkerPool pins each worker to
 *   its own device through CUDA_VISIBLE_DEVICES.
 */
export function adviseWorkerCount(
  backend: string,
  resources: MachineResources = detectResources(),
): WorkerCountAdvice {
  const cpus = Math.max(1, resources.cpus);
  switch (backend) {
    case 'tensorflow-gpu':
      if (resources.gpus < 1) {
        return { workers: 1, reason: 'tensorflow-gpu backend, no CUDA device detected' };
      }
      return {
        workers: resources.gpus,
        reason: `tensorflow-gpu backend: one per GPU, ${plural(resources.gpus, 'GPU')}`,
      };
    case 'tensorflow':
      return { workers: 1, reason: 'tensorflow backend: one process already uses every core' };
    default:
      return {
        workers: cpus,
        reason: `${backend} backend: one per CPU, ${plural(cpus, 'CPU')}`,
      };
  }
}

/** Returns the default worker count for `backend` on this machine; see adviseWorkerCount. */
export function defaultWorkerCount(backend: string): number {
  return adviseWorkerCount(backend).workers;
}

/**
 * Returns the backend a worker will most likely select for `preference`,
 * without loading TF.js: for `auto`, the first native package that resolves
 * (tfjs-node-gpu, then tfjs-node), otherwise wasm. A native package that is
 * installed but whose libtensorflow fails to load makes the worker fall back
 * to wasm, so the pool's 'ready' messages carry the backend actually used.
 */
export function expectedBackend(
  preference: BackendPreference,
  resolve: (name: string) => string = require.resolve,
): string {
  if (preference !== 'auto') {
    return preference;
  }
  const installed = (name: string): boolean => {
    try {
      resolve(name);
      return true;
    } catch {
      return false;
    }
  };
  if (installed('@tensorflow/tfjs-node-gpu')) {
    return 'tensorflow-gpu';
  }
  return installed('@tensorflow/tfjs-node') ? 'tensorflow' : 'wasm';
}

/** A pool's worker count, its expected backend and the CUDA devices to pin its workers to. */
export interface WorkerPlan extends WorkerCountAdvice {
  /** The backend the workers will most likely select; see expectedBackend. */
  backend: string;
  /** Devices for PoolOptions.gpuDevices; set only for tensorflow-gpu. */
  gpuDevices?: string[];
}

/**
 * Plans a pool for `preference`: `requested` workers when the user gave a
 * count, otherwise the advised default for the expected backend. The reason
 * states which, so it can be shown next to the count.
 */
export function planWorkers(preference: BackendPreference, requested?: number): WorkerPlan {
  const backend = expectedBackend(preference);
  const devices = backend === 'tensorflow-gpu' ? listCudaDevices() : [];
  const gpuDevices = devices.length > 0 ? devices : undefined;
  if (requested !== undefined) {
    return { backend, workers: requested, reason: 'set by the user', gpuDevices };
  }
  const advice = adviseWorkerCount(backend, {
    cpus: os.availableParallelism(),
    gpus: devices.length,
  });
  return { backend, ...advice, gpuDevices };
}

/** Formats the advice for a status line, such as "2 workers (wasm backend: one per CPU, 2 CPUs)". */
export function describeWorkerCount(advice: WorkerCountAdvice): string {
  return `${plural(advice.workers, 'worker')} (${advice.reason})`;
}

/** Counts the CPUs and CUDA devices this process can use. */
export function detectResources(): MachineResources {
  return { cpus: os.availableParallelism(), gpus: listCudaDevices().length };
}

/**
 * Lists the CUDA device ids this process may use, as CUDA_VISIBLE_DEVICES
 * takes them: that variable's entries when it is set, otherwise 0..n-1 for
 * the n devices in the NVIDIA driver's /proc/driver/nvidia/gpus (Linux).
 * NOTE: on Windows and macOS, without that variable, this returns no device.
 */
export function listCudaDevices(env: NodeJS.ProcessEnv = process.env): string[] {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined) {
    // An empty value or -1 hides every device.
    return visible
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '' && entry !== '-1');
  }
  try {
    const count = fs.readdirSync('/proc/driver/nvidia/gpus').length;
    return Array.from({ length: count }, (_, i) => String(i));
  } catch {
    return [];
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
