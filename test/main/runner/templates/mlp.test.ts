import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs';
import { selectBackend } from '../../../../main/runner/backend';
import {
  buildMlp,
  l2Penalty,
  MLP_KNOBS,
  resolveKnobs,
} from '../../../../main/runner/templates/mlp';
import { trainTrial } from '../../../../main/runner/train';
import { mnistSubset } from '../mnist-fixture';

describe('resolveKnobs', () => {
  it('fills defaults', () => {
    const config = resolveKnobs({}, { epochs: 7 });

    assert.deepEqual(config, {
      layers: 2,
      units: 128,
      activation: 'relu',
      dropout: 0,
      l2: 0,
      optimizer: 'adam',
      learning_rate: 1e-3,
      batch_size: 64,
      epochs: 7,
    });
  });

  it('values override defaults', () => {
    const config = resolveKnobs(
      { units: 32, activation: 'tanh', epochs: 3, learning_rate: 0.1 },
      { epochs: 7 },
    );

    assert.equal(config.units, 32);
    assert.equal(config.activation, 'tanh');
    assert.equal(config.epochs, 3);
    assert.equal(config.learning_rate, 0.1);
  });

  it('rejects unknown knob', () => {
    assert.throws(
      () => resolveKnobs({ lr: 0.1 }, { epochs: 2 }),
      /hyperparameter 'lr' is not a knob of the MLP template; rename it to one of: .*learning_rate/,
    );
  });

  it('rejects wrong types', () => {
    assert.throws(
      () => resolveKnobs({ units: '64' }, { epochs: 2 }),
      /knob 'units' expects a finite number, got "64"/,
    );
    assert.throws(
      () => resolveKnobs({ units: 12.5 }, { epochs: 2 }),
      /knob 'units' expects an integer, got 12.5/,
    );
    assert.throws(
      () => resolveKnobs({ activation: 'gelu' }, { epochs: 2 }),
      /knob 'activation': "gelu" is not allowed; use one of: relu, tanh/,
    );
    assert.throws(
      () => resolveKnobs({ optimizer: true }, { epochs: 2 }),
      /knob 'optimizer': true is not allowed/,
    );
  });

  it('rejects out-of-range values', () => {
    assert.throws(
      () => resolveKnobs({ dropout: 0.95 }, { epochs: 2 }),
      /knob 'dropout' must be at most 0.9, got 0.95/,
    );
    assert.throws(
      () => resolveKnobs({ learning_rate: 0 }, { epochs: 2 }),
      /knob 'learning_rate' must be greater than 0, got 0/,
    );
    assert.throws(
      () => resolveKnobs({ batch_size: 0 }, { epochs: 2 }),
      /knob 'batch_size' must be at least 1/,
    );
    assert.throws(() => resolveKnobs({}, { epochs: 0 }), /knob 'epochs' must be at least 1, got 0/);
  });
});

describe('MLP_KNOBS', () => {
  it('lists every config field', () => {
    const names = MLP_KNOBS.map((knob) => knob.name).sort();

    assert.deepEqual(names, Object.keys(resolveKnobs({}, { epochs: 1 })).sort());
  });

  it('choice knobs list values', () => {
    for (const knob of MLP_KNOBS.filter((candidate) => candidate.type === 'choice')) {
      assert.ok(knob.values !== undefined, knob.name);
      assert.ok(knob.values.length > 0, knob.name);
      assert.ok(knob.values.includes(knob.default as string), knob.name);
    }
  });
});

describe('buildMlp', () => {
  it('classification head and loss', async () => {
    const { tf } = await selectBackend('auto');
    const config = resolveKnobs({ layers: 2, units: 16, dropout: 0.2 }, { epochs: 1 });
    const { model, optimizer, lossName } = buildMlp(tf, config, {
      features: 784,
      classes: 10,
      task: 'classification',
      seed: 1,
    });

    const classes = model.layers.map((layer) => layer.getClassName());
    assert.deepEqual(classes, ['Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']);
    assert.deepEqual(model.outputs[0]!.shape, [null, 10]);
    assert.equal(model.layers.at(-1)!.getConfig().activation, 'softmax');
    assert.equal(lossName, 'sparseCategoricalCrossentropy');
    model.dispose();
    optimizer.dispose();
  });

  it('regression head and loss', async () => {
    const { tf } = await selectBackend('auto');
    const config = resolveKnobs({ layers: 0 }, { epochs: 1 });
    const { model, optimizer, lossName } = buildMlp(tf, config, {
      features: 13,
      classes: 1,
      task: 'regression',
      seed: 1,
    });

    assert.deepEqual(model.outputs[0]!.shape, [null, 1]);
    assert.equal(model.layers.at(-1)!.getConfig().activation, 'linear');
    assert.equal(lossName, 'meanSquaredError');
    model.dispose();
    optimizer.dispose();
  });

  it('seeded initial weights', async () => {
    const { tf } = await selectBackend('auto');
    const config = resolveKnobs({ units: 8 }, { epochs: 1 });
    const shape = { features: 20, classes: 3, task: 'classification' as const };
    const weightsOf = (seed: number) => {
      const { model, optimizer } = buildMlp(tf, config, { ...shape, seed });
      const values = model.getWeights().map((weight) => Array.from(weight.dataSync()));
      model.dispose();
      optimizer.dispose();
      return values;
    };

    assert.deepEqual(weightsOf(5), weightsOf(5));
    assert.notDeepEqual(weightsOf(5), weightsOf(6));
  });

  it('dropout only in training', async () => {
    const { tf } = await selectBackend('auto');
    const config = resolveKnobs({ units: 64, dropout: 0.5 }, { epochs: 1 });
    const { model, optimizer } = buildMlp(tf, config, {
      features: 784,
      classes: 10,
      task: 'classification',
      seed: 1,
    });
    const input = tf.tensor2d(mnistSubset(0, 8).validation.x, [8, 784]);
    const run = (training: boolean) =>
      Array.from((model.apply(input, { training }) as Tensor).dataSync());

    const inference = run(false);
    const training = run(true);

    assert.deepEqual(run(false), inference);
    assert.notDeepEqual(training, inference);
    tf.dispose(input);
    model.dispose();
    optimizer.dispose();
  });

  it('rejects a one-class classification', async () => {
    const { tf } = await selectBackend('auto');
    const config = resolveKnobs({}, { epochs: 1 });

    assert.throws(
      () => buildMlp(tf, config, { features: 4, classes: 1, task: 'classification', seed: 1 }),
      /at least 2 classes, got 1/,
    );
  });
});

describe('l2Penalty', () => {
  it('matches taped gradients bit for bit', async () => {
    const { tf } = await selectBackend('wasm');
    const data = mnistSubset(1500, 300);
    const config = resolveKnobs({ layers: 2, units: 40, l2: 3e-3 }, { epochs: 1 });
    // Kernels after a trained epoch, not only their initial values.
    const outcome = await trainTrial(tf, data, config, {
      seed: 3,
      epochs: 1,
      patience: 0,
      objective: { metric: 'val_accuracy', direction: 'maximize' },
      keepModel: true,
    });
    assert.equal(outcome.status, 'completed');
    const model = outcome.status === 'completed' ? outcome.model! : undefined!;
    const kernels = model.layers
      .filter((layer) => layer.getClassName() === 'Dense')
      .map((layer) => layer.getWeights()[0]!);
    // The penalty as the gradient tape would record it, term by term.
    const taped = (): Tensor =>
      kernels.reduce<Tensor>(
        (total, kernel) => tf.add(total, tf.mul(3e-3, tf.sum(tf.square(kernel)))),
        tf.scalar(0),
      );

    const custom = tf.valueAndGrads(() => l2Penalty(tf, model, 3e-3))(kernels);
    const reference = tf.valueAndGrads(taped)(kernels);

    assert.equal(kernels.length, 3);
    assert.equal(custom.value.dataSync()[0], reference.value.dataSync()[0]);
    for (let i = 0; i < kernels.length; i++) {
      assert.deepEqual(custom.grads[i]!.dataSync(), reference.grads[i]!.dataSync(), `kernel ${i}`);
    }
    tf.dispose([custom.value, reference.value, ...custom.grads, ...reference.grads]);
    model.dispose();
  });

  it('is zero without l2', async () => {
    const { tf } = await selectBackend('wasm');
    const built = buildMlp(tf, resolveKnobs({}, { epochs: 1 }), {
      features: 784,
      classes: 10,
      task: 'classification',
      seed: 1,
    });

    const penalty = l2Penalty(tf, built.model, 0);

    assert.equal(penalty.dataSync()[0], 0);
    tf.dispose([penalty]);
    built.model.dispose();
    built.optimizer.dispose();
  });
});
