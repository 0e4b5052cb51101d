import seedrandom from 'seedrandom';
import type { LayersModel, Optimizer, Scalar, Tensor } from '@tensorflow/tfjs';
import type { ParamValue, TrialValues } from '../../../shared/space/types';
import type { Task } from '../data/types';
import type { Tf } from '../backend';
import { withFastSampling } from './initializers';

import { MLP_ACTIVATIONS, MLP_KNOBS, MLP_OPTIMIZERS } from '../../../shared/templates/mlp';
import type {
  KnobSpec,
  MlpActivation,
  MlpConfig,
  MlpOptimizer,
} from '../../../shared/templates/mlp';

export { MLP_ACTIVATIONS, MLP_KNOBS, MLP_OPTIMIZERS };
export type { KnobSpec, MlpActivation, MlpConfig, MlpOptimizer };

/** Defaults that come from outside the template: the study's training settings. */
export interface MlpDefaults {
  epochs: number;
}

/**
 * Resolves a trial's values to a complete MLP configuration: knobs not in
 * `values` take the template's defaults (`epochs` from `defaults`). Throws
 * an Error naming the knob for an unknown name or a value of the wrong type
 * or out of range.
 */
export function resolveKnobs(values: TrialValues, defaults: MlpDefaults): MlpConfig {
  const config: Record<string, ParamValue> = { epochs: defaults.epochs };
  for (const knob of MLP_KNOBS) {
    if (knob.default !== undefined) {
      config[knob.name] = knob.default;
    }
  }

  for (const [name, value] of Object.entries(values)) {
    const knob = MLP_KNOBS.find((candidate) => candidate.name === name);
    if (knob === undefined) {
      const known = MLP_KNOBS.map((candidate) => candidate.name).join(', ');
      throw new Error(
        `hyperparameter '${name}' is not a knob of the MLP template; rename it to one of: ${known}`,
      );
    }
    config[name] = checkKnobValue(knob, value);
  }

  checkKnobValue(
    MLP_KNOBS.find((knob) => knob.name === 'epochs')!,
    config.epochs,
  );
  return config as unknown as MlpConfig;
}

function checkKnobValue(knob: KnobSpec, value: ParamValue): ParamValue {
  const prefix = `knob '${knob.name}'`;

  if (knob.type === 'choice') {
    if (typeof value !== 'string' || !knob.values!.includes(value)) {
      throw new Error(
        `${prefix}: ${JSON.stringify(value)} is not allowed; use one of: ${knob.values!.join(', ')}`,
      );
    }
    return value;
  }

  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${prefix} expects a finite number, got ${JSON.stringify(value)}`);
  }
  if (knob.type === 'int' && !Number.isInteger(value)) {
    throw new Error(`${prefix} expects an integer, got ${value}; use an int hyperparameter`);
  }
  if (knob.min !== undefined && (knob.minExclusive ? value <= knob.min : value < knob.min)) {
    const bound = knob.minExclusive ? `greater than ${knob.min}` : `at least ${knob.min}`;
    throw new Error(`${prefix} must be ${bound}, got ${value}`);
  }
  if (knob.max !== undefined && value > knob.max) {
    throw new Error(`${prefix} must be at most ${knob.max}, got ${value}`);
  }
  return value;
}

/** Shape of the data a model is built for. */
export interface MlpShape {
  features: number;
  /** Number of classes for classification (at least 2); 1 for regression. */
  classes: number;
  task: Task;
  /** Trial seed; every kernel initialiser and dropout mask derives from it. */
  seed: number;
}

/** A built MLP with the optimizer and the loss that fit its output layer. */
export interface BuiltMlp {
  model: LayersModel;
  optimizer: Optimizer;
  /** Keras name of the loss; saveModelTo writes it to model.json's training config. */
  lossName: 'sparseCategoricalCrossentropy' | 'meanSquaredError';
  /** Mean loss over the rows, without regularisation. Labels are class indices (classification) or targets, shape [rows]. */
  loss: (labels: Tensor, predictions: Tensor) => Scalar;
  /** L2 penalty of the kernels; a zero scalar when l2 is 0. */
  regularization: () => Scalar;
}

/**
 * Builds the MLP: `layers` dense hidden layers (each followed by dropout
 * when the rate is above 0), then softmax output with sparse categorical
 * crossentropy for classification, or a linear output with mean squared
 * error for regression. Kernel initialisers are seeded from `shape.seed`, so
 * the same seed gives the same initial weights on the same backend.
 * The caller owns the model and the optimizer and disposes both.
 */
export function buildMlp(tf: Tf, config: MlpConfig, shape: MlpShape): BuiltMlp {
  checkShape(shape);

  const seeds = seedrandom.alea(`mlp-init:${shape.seed}`);
  const nextSeed = (): number => Math.floor(seeds() * 2 ** 31);
  const regularizer = config.l2 > 0 ? tf.regularizers.l2({ l2: config.l2 }) : undefined;
  const model = tf.sequential();

  for (let i = 0; i < config.layers; i++) {
    model.add(
      tf.layers.dense({
        units: config.units,
        activation: config.activation,
        kernelInitializer: hiddenInitializer(tf, config.activation, nextSeed()),
        kernelRegularizer: regularizer,
        inputShape: i === 0 ? [shape.features] : undefined,
      }),
    );
    if (config.dropout > 0) {
      // The seed is replaced before every training step (see train.ts), so masks differ per step.
      model.add(tf.layers.dropout({ rate: config.dropout, seed: nextSeed() }));
    }
  }

  const classification = shape.task === 'classification';
  model.add(
    tf.layers.dense({
      units: classification ? shape.classes : 1,
      activation: classification ? 'softmax' : 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
      kernelRegularizer: regularizer,
      inputShape: config.layers === 0 ? [shape.features] : undefined,
    }),
  );

  const optimizer = createOptimizer(tf, config.optimizer, config.learning_rate);
  const lossName = classification ? 'sparseCategoricalCrossentropy' : 'meanSquaredError';
  // Compiling sets model.loss and model.optimizer, which saveModelTo writes as the training
  // config; training itself uses the loop in train.ts, not model.fit.
  model.compile({ optimizer, loss: lossName });

  return {
    model,
    optimizer,
    lossName,
    loss: classification ? sparseCrossentropy(tf, shape.classes) : meanSquaredError(tf),
    regularization: () => l2Penalty(tf, model, config.l2),
  };
}

function checkShape(shape: MlpShape): void {
  if (!Number.isInteger(shape.features) || shape.features < 1) {
    throw new Error(`the dataset has ${shape.features} features; an MLP needs at least 1`);
  }
  if (shape.task === 'classification' && (!Number.isInteger(shape.classes) || shape.classes < 2)) {
    throw new Error(
      `a classification dataset needs at least 2 classes, got ${shape.classes}; use the regression task for a numeric target`,
    );
  }
}

/** He initialisation suits ReLU-like units, LeCun normal is what SELU's self-normalisation assumes, Glorot suits saturating units. */
function hiddenInitializer(tf: Tf, activation: MlpActivation, seed: number) {
  switch (activation) {
    case 'relu':
    case 'elu':
      return withFastSampling(tf, tf.initializers.heNormal({ seed }), seed);
    case 'selu':
      return withFastSampling(tf, tf.initializers.leCunNormal({ seed }), seed);
    case 'tanh':
    case 'sigmoid':
      return tf.initializers.glorotUniform({ seed });
  }
}

function createOptimizer(tf: Tf, name: MlpOptimizer, learningRate: number): Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(learningRate);
    case 'sgd':
      return tf.train.sgd(learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate);
    case 'adagrad':
      return tf.train.adagrad(learningRate);
  }
}

/** Keras's sparse categorical crossentropy on probabilities: clipping to [eps, 1 - eps] keeps log finite. */
function sparseCrossentropy(tf: Tf, classes: number) {
  return (labels: Tensor, probabilities: Tensor): Scalar =>
    tf.tidy(() => {
      const epsilon = 1e-7;
      const oneHot = tf.oneHot(tf.cast(labels, 'int32'), classes);
      const clipped = tf.clipByValue(probabilities, epsilon, 1 - epsilon);
      return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(clipped)), -1))) as Scalar;
    });
}

function meanSquaredError(tf: Tf) {
  return (targets: Tensor, predictions: Tensor): Scalar =>
    tf.tidy(() => tf.mean(tf.squaredDifference(tf.reshape(predictions, [-1]), targets)) as Scalar);
}

/**
 * Computes the penalty Keras's l2 regulariser adds: l2 * sum(kernel^2) over
 * all dense kernels, added up layer by layer from 0.
 *
 * Its gradient, l2 * 2 * kernel, is given directly instead of recorded on
 * the gradient tape. Taping the square, sum, product and sums costs about
 * 15 kernel calls per training step, each with TF.js's overhead, while the
 * gradient needs two multiplications per kernel. TF.js's own Square, Sum
 * and Multiply gradients compute the same products in the same order,
 * (dy * l2) * (kernel * 2) rounded to float32 at each step. So the gradients
 * are bit-identical, which a test checks on MNIST-trained kernels.
 */
export function l2Penalty(tf: Tf, model: LayersModel, l2: number): Scalar {
  const kernels = model.layers
    .filter((layer) => layer.getClassName() === 'Dense')
    .map((layer) => layer.getWeights()[0]!);
  if (l2 === 0 || kernels.length === 0) {
    return tf.scalar(0);
  }

  const penalty = tf.customGrad((...args: unknown[]) => {
    const inputs = args.slice(0, -1) as Tensor[];
    const save = args.at(-1) as (tensors: Tensor[]) => void;
    save(inputs);

    const value = tf.tidy(() => {
      let total: Scalar = tf.scalar(0);
      for (const kernel of inputs) {
        total = tf.add(total, tf.mul(l2, tf.sum(tf.square(kernel)))) as Scalar;
      }
      return total;
    });
    const gradFunc = (dy: Tensor, saved: Tensor[]): Tensor[] =>
      saved.map((kernel) => tf.mul(tf.mul(dy, l2), tf.mul(kernel, 2)));
    return { value, gradFunc };
  });
  return penalty(...kernels) as Scalar;
}
