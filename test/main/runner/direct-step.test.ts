import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { selectBackend, type Tf } from '../../../main/runner/backend';
import { loadDataset } from '../../../main/runner/data';
import type { PreparedDataset } from '../../../main/runner/data/types';
import { directStepBlocker } from '../../../main/runner/direct-step';
import { buildMlp, resolveKnobs } from '../../../main/runner/templates/mlp';
import { trainTrial, type Objective, type TrialOutcome } from '../../../main/runner/train';
import type { TrialValues } from '../../../shared/space/types';
import { mnistSubset } from './mnist-fixture';

let tf: Tf;
let mnist: PreparedDataset;
let wine: PreparedDataset;

before(async () => {
  tf = (await selectBackend('auto')).tf;
  // 300 test rows: the test metrics of the best weights are compared too.
  mnist = mnistSubset(700, 200, 'classification', 300);
  wine = loadDataset(
    {
      format: 'csv',
      path: path.join(__dirname, '../../fixtures/wine.csv'),
      target: 'alcohol',
      task: 'regression',
    },
    { validationFraction: 0.2, seed: 1 },
  );
});

interface Trained {
  outcome: TrialOutcome;
  weights: Float32Array[];
}

/** Trains one trial with the direct step on or off and returns its outcome and final weights. */
async function trainWith(
  direct: boolean,
  values: TrialValues,
  data: PreparedDataset,
  objective: Objective,
): Promise<Trained> {
  const previous = process.env.SCOUT_DIRECT_STEP;
  process.env.SCOUT_DIRECT_STEP = direct ? 'on' : 'off';
  try {
    const outcome = await trainTrial(tf, data, resolveKnobs(values, { epochs: 2 }), {
      seed: 3,
      epochs: 2,
      patience: 0,
      objective,
      keepModel: true,
    });
    assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
    const model = outcome.status === 'completed' ? outcome.model! : undefined;
    const weights = model!.getWeights().map((weight) => weight.dataSync() as Float32Array);
    model!.dispose();
    return { outcome, weights };
  } finally {
    if (previous === undefined) {
      delete process.env.SCOUT_DIRECT_STEP;
    } else {
      process.env.SCOUT_DIRECT_STEP = previous;
    }
  }
}

/** Asserts that two float32 arrays hold the same bits, and names the first element that differs. */
function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      assert.fail(`${what}[${i}]: ${actual[i]} (direct) against ${expected[i]} (taped)`);
    }
  }
}

async function assertSameTraining(
  values: TrialValues,
  data: PreparedDataset,
  objective: Objective,
): Promise<void> {
  const direct = await trainWith(true, values, data, objective);
  const taped = await trainWith(false, values, data, objective);

  assert.equal(direct.weights.length, taped.weights.length);
  direct.weights.forEach((weights, i) => assertSameBits(weights, taped.weights[i]!, `weight ${i}`));

  const completed = (trained: Trained) =>
    trained.outcome.status === 'completed' ? trained.outcome : undefined;
  const directHistory = completed(direct)?.history ?? [];
  const tapedHistory = completed(taped)?.history ?? [];
  assert.equal(directHistory.length, tapedHistory.length);
  // The last entry is the best epoch's metrics with the test split's, evaluated once more.
  const directRows = [...directHistory, completed(direct)!.metrics];
  const tapedRows = [...tapedHistory, completed(taped)!.metrics];
  for (let epoch = 0; epoch < tapedRows.length; epoch++) {
    for (const [name, value] of Object.entries(tapedRows[epoch]!)) {
      const other = directRows[epoch]![name]!;
      if (name.startsWith('val_') || name.startsWith('test_') || name === 'accuracy') {
        // Evaluation gives the same bits on bit-identical weights, and the accuracy counts the same argmax.
        assert.equal(other, value, `epoch ${epoch + 1} ${name}`);
      } else {
        // The training loss and mae sum in another order (the Adam kernel sums the L2 penalty's
        // squares four lanes at a time): equal up to float32 rounding of a 55,000-term sum.
        assert.ok(
          Math.abs(other - value) <= 1e-5 * Math.max(1, Math.abs(value)),
          `epoch ${epoch + 1} ${name}: ${other} (direct) against ${value} (taped)`,
        );
      }
    }
  }
}

const accuracy: Objective = { metric: 'val_accuracy', direction: 'maximize' };
const mae: Objective = { metric: 'val_mae', direction: 'minimize' };

describe('direct training step', () => {
  it('matches the tape with L2 and Adam', async () => {
    await assertSameTraining(
      { layers: 1, units: 70, l2: 1e-3, learning_rate: 3e-3, batch_size: 128, optimizer: 'adam' },
      mnist,
      accuracy,
    );
  });

  it('matches the tape with two layers', async () => {
    // 700 rows in batches of 96 leave a last batch of 28 rows.
    await assertSameTraining(
      { layers: 2, units: 33, l2: 0, learning_rate: 1e-2, batch_size: 96, optimizer: 'rmsprop' },
      mnist,
      accuracy,
    );
  });

  it('matches the tape without hidden layers', async () => {
    await assertSameTraining(
      { layers: 0, l2: 1e-2, learning_rate: 0.1, batch_size: 50, optimizer: 'sgd' },
      mnist,
      accuracy,
    );
  });

  it('matches the tape for regression', async () => {
    await assertSameTraining(
      { layers: 1, units: 16, l2: 1e-4, learning_rate: 1e-2, batch_size: 16, optimizer: 'adam' },
      wine,
      mae,
    );
    await assertSameTraining(
      { layers: 0, l2: 0, learning_rate: 0.05, batch_size: 32, optimizer: 'adagrad' },
      wine,
      mae,
    );
  });

  it('matches the tape on the cpu backend', async () => {
    // Without the wasm backend's kernels the step runs TF.js's kernels only.
    const previous = tf.getBackend();
    tf = (await selectBackend('cpu')).tf;
    try {
      await assertSameTraining(
        { layers: 1, units: 20, l2: 1e-3, learning_rate: 3e-3, batch_size: 128, optimizer: 'adam' },
        mnist,
        accuracy,
      );
    } finally {
      await tf.setBackend(previous);
    }
  });

  it('trains two datasets at once', async () => {
    // Trials yield every 50 ms, so two trials on different sparse datasets interleave, and
    // each must keep its own compressed rows until it ends.
    const first = mnistSubset(2500, 200);
    const second = mnistSubset(2000, 300);
    const values = { layers: 1, units: 24, learning_rate: 3e-3, batch_size: 32 };
    const alone = [
      await trainWith(true, values, first, accuracy),
      await trainWith(true, values, second, accuracy),
    ];
    const together = await Promise.all([
      trainWith(true, values, first, accuracy),
      trainWith(true, values, second, accuracy),
    ]);

    together.forEach((trained, i) =>
      trained.weights.forEach((weights, j) =>
        assertSameBits(weights, alone[i]!.weights[j]!, `dataset ${i + 1}, weight ${j}`),
      ),
    );
  });

  it('matches the tape for every activation', async () => {
    for (const activation of ['elu', 'selu', 'tanh', 'sigmoid']) {
      await assertSameTraining(
        { layers: 2, units: 20, activation, l2: 1e-3, learning_rate: 3e-3, batch_size: 64 },
        mnist,
        accuracy,
      );
    }
  });

  it('matches the tape with dropout', async () => {
    await assertSameTraining(
      { layers: 2, units: 30, dropout: 0.3, l2: 1e-4, learning_rate: 3e-3, batch_size: 64 },
      mnist,
      accuracy,
    );
    await assertSameTraining(
      { layers: 1, units: 12, activation: 'tanh', dropout: 0.2, batch_size: 16 },
      wine,
      mae,
    );
  });

  it('leaves other layers to the taped step', () => {
    const config = resolveKnobs({ activation: 'tanh', dropout: 0.2 }, { epochs: 1 });
    const built = buildMlp(tf, config, {
      features: 4,
      classes: 3,
      task: 'classification',
      seed: 1,
    });
    const flattened = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [2, 2] }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    try {
      assert.equal(directStepBlocker(config, built.model), undefined);
      assert.equal(directStepBlocker(config, flattened), 'a Flatten layer');
    } finally {
      built.model.dispose();
      built.optimizer.dispose();
      flattened.dispose();
    }
  });
});
