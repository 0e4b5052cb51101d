import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs';
import { selectBackend } from '../../../main/runner/backend';
import { loadModelFrom, saveModelTo } from '../../../main/runner/model-files';
import { resolveKnobs } from '../../../main/runner/templates/mlp';
import { trainTrial } from '../../../main/runner/train';
import { mnistSubset } from './mnist-fixture';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-model-'));

after(() => fs.rmSync(directory, { recursive: true, force: true }));

describe('saveModelTo', () => {
  it('round-trips a trained model', async () => {
    const { tf } = await selectBackend('auto');
    const data = mnistSubset(600, 200);
    const outcome = await trainTrial(tf, data, resolveKnobs({ units: 32 }, { epochs: 1 }), {
      seed: 3,
      epochs: 1,
      patience: 0,
      objective: { metric: 'val_accuracy', direction: 'maximize' },
      keepModel: true,
    });
    assert.equal(outcome.status, 'completed');
    const model = outcome.status === 'completed' ? outcome.model! : assert.fail('no model');

    await saveModelTo(tf, model, directory);
    const loaded = await loadModelFrom(tf, directory);

    assert.deepEqual(fs.readdirSync(directory).sort(), ['model.json', 'weights.bin']);
    const modelJson = JSON.parse(fs.readFileSync(path.join(directory, 'model.json'), 'utf8'));
    assert.equal(modelJson.format, 'layers-model');
    assert.equal(modelJson.trainingConfig.loss, 'sparseCategoricalCrossentropy');

    const input = tf.tensor2d(data.validation.x, [200, 784]);
    const expected = (model.predict(input) as Tensor).dataSync();
    const actual = (loaded.predict(input) as Tensor).dataSync();
    assert.deepEqual(actual, expected);
    tf.dispose(input);
    model.dispose();
    loaded.dispose();
  });
});
