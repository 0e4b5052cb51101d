import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKEND_ORDER, selectBackend, userFacingBackendName } from '../../../main/runner/backend';

function isInstalled(moduleName: string): boolean {
  try {
    require.resolve(moduleName);
    return true;
  } catch {
    return false;
  }
}

const nativeInstalled =
  isInstalled('@tensorflow/tfjs-node') || isInstalled('@tensorflow/tfjs-node-gpu');

describe('selectBackend', () => {
  it('auto returns a working backend', async () => {
    const { name, tf } = await selectBackend('auto');

    assert.ok((BACKEND_ORDER as readonly string[]).includes(name), `unexpected backend ${name}`);
    assert.equal(userFacingBackendName(tf.getBackend(), name === 'tensorflow-gpu'), name);
    const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync());
    assert.deepEqual(sum, [4, 6]);
  });

  it('auto prefers wasm without tfjs-node', { skip: nativeInstalled }, async () => {
    const { name } = await selectBackend('auto');

    assert.equal(name, 'wasm');
  });

  it('cpu when asked for', async () => {
    const { name, tf } = await selectBackend('cpu');

    assert.equal(name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
  });

  it('wasm when asked for', async () => {
    const { name, tf } = await selectBackend('wasm');

    assert.equal(name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('missing native backend throws', { skip: nativeInstalled }, async () => {
    await assert.rejects(selectBackend('tensorflow'), /tfjs-node.*use --backend auto/);
  });
});

describe('userFacingBackendName', () => {
  it('maps native names', () => {
    assert.equal(userFacingBackendName('tensorflow', true), 'tensorflow-gpu');
    assert.equal(userFacingBackendName('tensorflow', false), 'tensorflow');
    assert.equal(userFacingBackendName('wasm', false), 'wasm');
  });
});
