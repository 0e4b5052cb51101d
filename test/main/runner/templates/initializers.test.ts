import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { selectBackend, type Tf } from '../../../../main/runner/backend';
import {
  truncatedNormalValues,
  withFastSampling,
} from '../../../../main/runner/templates/initializers';

let tf: Tf;

before(async () => {
  tf = (await selectBackend('auto')).tf;
});

/** Asserts that two arrays hold the same float32 bits. */
function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      assert.fail(`${what}[${i}]: ${actual[i]} against TF.js's ${expected[i]}`);
    }
  }
}

describe('truncatedNormalValues', () => {
  it("draws TF.js's truncated normal values", () => {
    for (const [size, stdDev, seed] of [
      [784 * 70, Math.sqrt(2 / 784), 1_234_567],
      [13 * 7, 0.5, 3],
      [1, 1, 99],
    ] as const) {
      const expected = tf.tidy(
        () => tf.truncatedNormal([size], 0, stdDev, 'float32', seed).dataSync() as Float32Array,
      );
      assertSameBits(truncatedNormalValues(size, stdDev, seed), expected, `seed ${seed}`);
    }
  });

  it('keeps every value within two standard deviations', () => {
    const values = truncatedNormalValues(10_000, 0.1, 7);
    assert.ok(values.every((value) => Math.abs(value) <= 0.2 + 1e-7));
  });
});

describe('withFastSampling', () => {
  it('gives heNormal and leCunNormal kernels the same values as TF.js', () => {
    for (const seed of [1, 2_000_000_000, 424_242]) {
      for (const shape of [
        [784, 70],
        [70, 13],
        [4, 1],
      ] as [number, number][]) {
        for (const make of [tf.initializers.heNormal, tf.initializers.leCunNormal]) {
          const fast = withFastSampling(tf, make({ seed }), seed);
          const actual = tf.tidy(() => fast.apply(shape).dataSync() as Float32Array);
          const expected = tf.tidy(() => make({ seed }).apply(shape).dataSync() as Float32Array);
          assertSameBits(actual, expected, `seed ${seed}, shape ${shape}`);
        }
      }
    }
  });

  it('keeps the class name and config that a saved model records', () => {
    const plain = tf.initializers.heNormal({ seed: 5 });
    const fast = withFastSampling(tf, tf.initializers.heNormal({ seed: 5 }), 5);
    assert.equal(fast.getClassName(), plain.getClassName());
    assert.deepEqual(fast.getConfig(), plain.getConfig());
  });

  it("leaves TF.js's sampling for seed 0 and for shapes other than 2-D", () => {
    const unseeded = tf.initializers.heNormal({ seed: 0 });
    const original = unseeded.apply;
    assert.equal(withFastSampling(tf, unseeded, 0).apply, original);

    const fast = withFastSampling(tf, tf.initializers.heNormal({ seed: 8 }), 8);
    const actual = tf.tidy(() => fast.apply([3, 4, 5]).dataSync() as Float32Array);
    const expected = tf.tidy(
      () => tf.initializers.heNormal({ seed: 8 }).apply([3, 4, 5]).dataSync() as Float32Array,
    );
    assertSameBits(actual, expected, '3-D shape');
  });
});
