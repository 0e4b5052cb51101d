import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  adviseWorkerCount,
  describeWorkerCount,
  expectedBackend,
  detectResources,
  listCudaDevices,
  planWorkers,
} from '../../../main/runner/workers';

describe('adviseWorkerCount', () => {
  it('wasm uses every CPU', () => {
    const advice = adviseWorkerCount('wasm', { cpus: 8, gpus: 0 });

    assert.equal(advice.workers, 8);
    assert.equal(describeWorkerCount(advice), '8 workers (wasm backend: one per CPU, 8 CPUs)');
  });

  it('cpu uses every CPU', () => {
    assert.equal(adviseWorkerCount('cpu', { cpus: 2, gpus: 1 }).workers, 2);
  });

  it('tensorflow uses one worker', () => {
    const advice = adviseWorkerCount('tensorflow', { cpus: 16, gpus: 0 });

    assert.equal(advice.workers, 1);
    assert.match(advice.reason, /one process already uses every core/);
  });

  it('tensorflow-gpu uses one per GPU', () => {
    assert.equal(adviseWorkerCount('tensorflow-gpu', { cpus: 16, gpus: 3 }).workers, 3);
    assert.equal(adviseWorkerCount('tensorflow-gpu', { cpus: 16, gpus: 0 }).workers, 1);
  });

  it('never advises zero', () => {
    assert.equal(adviseWorkerCount('wasm', { cpus: 0, gpus: 0 }).workers, 1);
  });

  it('detects this machine', () => {
    const resources = detectResources();

    assert.ok(resources.cpus >= 1, `cpus ${resources.cpus}`);
    assert.equal(adviseWorkerCount('wasm').workers, resources.cpus);
  });
});

describe('listCudaDevices', () => {
  it('reads CUDA_VISIBLE_DEVICES', () => {
    assert.deepEqual(listCudaDevices({ CUDA_VISIBLE_DEVICES: '0, 2' }), ['0', '2']);
  });

  it('hidden devices count as none', () => {
    assert.deepEqual(listCudaDevices({ CUDA_VISIBLE_DEVICES: '' }), []);
    assert.deepEqual(listCudaDevices({ CUDA_VISIBLE_DEVICES: '-1' }), []);
  });
});

describe('expectedBackend', () => {
  const resolvesOnly =
    (...names: string[]) =>
    (name: string): string => {
      if (!names.includes(name)) throw new Error(`Cannot find module '${name}'`);
      return `/node_modules/${name}/index.js`;
    };

  it('auto prefers native GPU', () => {
    const resolve = resolvesOnly('@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node');

    assert.equal(expectedBackend('auto', resolve), 'tensorflow-gpu');
  });

  it('auto takes tfjs-node next', () => {
    assert.equal(expectedBackend('auto', resolvesOnly('@tensorflow/tfjs-node')), 'tensorflow');
  });

  it('auto falls back to wasm', () => {
    assert.equal(expectedBackend('auto', resolvesOnly()), 'wasm');
  });

  it('keeps an explicit choice', () => {
    assert.equal(expectedBackend('cpu', resolvesOnly('@tensorflow/tfjs-node')), 'cpu');
  });
});

describe('planWorkers', () => {
  it('keeps a requested count', () => {
    const plan = planWorkers('wasm', 3);

    assert.equal(plan.workers, 3);
    assert.equal(plan.reason, 'set by the user');
    assert.equal(plan.gpuDevices, undefined);
  });

  it('advises for the backend', () => {
    const plan = planWorkers('cpu');

    assert.equal(plan.backend, 'cpu');
    assert.equal(plan.workers, detectResources().cpus);
  });
});
