/**
 * A training step that computes the gradients of a dense MLP directly,
 * without TF.js's gradient tape.
 *
 * `optimizer.minimize` records every kernel of the forward pass on the tape,
 * clones the inputs each gradient needs, and then walks the tape backwards.
 * For the reference model (784 -> 70 ReLU -> 10 softmax) that bookkeeping
 * took more time than the kernels themselves: a `--cpu-prof` of 948 steps
 * spent 2.87 ms of a 3.44 ms step in computeGradients, of which the four
 * matrix products took about 1.3 ms.
 *
 * This step issues the kernels the tape would issue for the same model, in
 * the same order and with the same operands. The forward pass is the one
 * TF.js runs under a gradient: a MatMul, an Add of the bias, then the
 * activation. (The fused kernel, which TF.js runs outside a gradient, adds
 * the bias first and so rounds differently.) Then come TF.js 4.22's
 * gradient functions, written out: MatMul, Add, Relu, Softmax, Log,
 * ClipByValue, Mul, Sum, Mean, Neg and the L2 penalty's. The gradients are
 * therefore bit-identical to the tape's, which a test checks on MNIST. The
 * small softmax and loss part ([rows, classes]) is computed in JavaScript
 * with float32 rounding after each operation, as the kernels round.
 *
 * Every activation and dropout rate of the MLP template is covered. Dropout
 * masks come from TF.js's randomUniform with the seed the training loop
 * gives each Dropout layer before a step, as in the taped step. Models
 * with other layers keep the taped step (`directStepBlocker`).
 */
import type {
  LayersModel,
  Optimizer,
  Tensor,
  Tensor1D,
  Tensor2D,
  Variable,
} from '@tensorflow/tfjs';
import type { Tf } from './backend';
import type { MlpActivation, MlpConfig } from './templates/mlp';
import {
  adamUpdate,
  gatherProduct,
  scatterProduct,
  type AdamConstants,
  type SparseMatrix,
} from './kernels/step';

const f32 = Math.fround;

/** Keras's clipping of probabilities before the log, as float32 bounds. */
const CLIP_MIN = f32(1e-7);
const CLIP_MAX = f32(1 - 1e-7);

/**
 * Returns false when the environment variable SCOUT_DIRECT_STEP is `off`:
 * then every model trains with the taped step, to compare the two.
 */
export function directStepEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.SCOUT_DIRECT_STEP !== 'off';
}

/** TF.js's SELU constants (tfjs-core's selu_util), for SELU's gradient. */
const SELU_SCALE_ALPHA = 1.7580993408473768;
const SELU_SCALE = 1.0507009873554805;

/** Returns why a model needs the taped step, or undefined when the direct step can train it. */
export function directStepBlocker(config: MlpConfig, model: LayersModel): string | undefined {
  if (!['relu', 'elu', 'selu', 'tanh', 'sigmoid'].includes(config.activation)) {
    return `the ${config.activation} activation`;
  }
  const other = model.layers.find(
    (layer) => layer.getClassName() !== 'Dense' && layer.getClassName() !== 'Dropout',
  );
  if (other !== undefined) {
    return `a ${other.getClassName()} layer`;
  }
  return undefined;
}

/** The model, its optimizer and the settings a direct step trains with. */
export interface DirectStepModel {
  model: LayersModel;
  optimizer: Optimizer;
  /** Trainable variables in the model's order: kernel and bias of each dense layer. */
  variables: Variable[];
  classification: boolean;
  classes: number;
  /** The L2 factor of every kernel; 0 for none. */
  l2: number;
  /** Activation of the hidden layers. */
  activation: MlpActivation;
  /** Dropout rate after each hidden layer; 0 for none. */
  dropout: number;
  /**
   * Adam's settings, when the optimizer is TF.js's Adam and the backend has
   * the one-pass Adam kernel; the step then keeps the moments itself.
   */
  adam?: { learningRate: number; beta1: number; beta2: number; epsilon: number };
}

/** Result of one step: the cost (loss plus L2 penalty) and the batch's metric sum. */
export interface StepResult {
  loss: number;
  /** Correct predictions (classification) or summed absolute error (regression). */
  metric: number;
}

/**
 * A batch's features: dense, or rows of a sparse dataset held in the
 * backend's memory (`batchRows`, int32), for the sparse products of the
 * first layer.
 */
export type StepInput = { dense: Tensor2D } | { sparse: SparseMatrix; batchRows: Tensor1D };

interface DenseLayer {
  kernel: Variable;
  bias: Variable;
}

/**
 * Trains a dense MLP one batch at a time with directly computed gradients.
 * A step disposes every tensor it creates except the updated weights and
 * Adam's moments, which `dispose` releases.
 */
export class DirectStep {
  private readonly layers: DenseLayer[];
  /** The kernels among the variables, which get the L2 penalty. */
  private readonly kernels: Set<Variable>;
  /** The model's Dropout layers in order, one after each hidden layer when dropout is on. */
  private readonly dropouts: { seed?: number }[];
  private readonly l2Scalar?: Tensor;
  /** Adam's moments per variable, and beta1^t and beta2^t in float32, when the step runs Adam itself. */
  private moments?: { first: Tensor; second: Tensor }[];
  private accumulatedBeta1 = 0;
  private accumulatedBeta2 = 0;

  constructor(
    private readonly tf: Tf,
    private readonly spec: DirectStepModel,
  ) {
    const { variables } = spec;
    this.layers = [];
    for (let i = 0; i < variables.length; i += 2) {
      this.layers.push({ kernel: variables[i]!, bias: variables[i + 1]! });
    }
    this.kernels = new Set(this.layers.map((layer) => layer.kernel));
    this.dropouts = spec.model.layers.filter(
      (layer) => layer.getClassName() === 'Dropout',
    ) as unknown as { seed?: number }[];
    // The penalty's gradient is (dy * l2) * (kernel * 2) with dy = 1; dy * l2 is l2 in float32.
    this.l2Scalar = spec.l2 > 0 ? tf.keep(tf.scalar(spec.l2)) : undefined;
    if (spec.adam !== undefined) {
      this.moments = variables.map((variable) => ({
        first: tf.keep(tf.zerosLike(variable)),
        second: tf.keep(tf.zerosLike(variable)),
      }));
      // TF.js starts both at beta (a float32 scalar) and multiplies by beta after each step.
      this.accumulatedBeta1 = f32(spec.adam.beta1);
      this.accumulatedBeta2 = f32(spec.adam.beta2);
    }
  }

  dispose(): void {
    this.l2Scalar?.dispose();
    for (const moment of this.moments ?? []) {
      this.tf.dispose([moment.first, moment.second]);
    }
  }

  /**
   * Trains on one batch: `input` is [rows, features], and labels are class
   * indices or targets. A sparse input needs a first layer that is not the
   * regression output, whose fused product has no sparse form.
   */
  step(input: StepInput, labels: Float32Array): StepResult {
    const { tf, spec } = this;
    let result: StepResult = { loss: Number.NaN, metric: Number.NaN };
    const sparse = 'sparse' in input ? input : undefined;

    const gradients = tf.tidy(() => {
      // Forward, as TF.js computes a dense layer under a gradient: product, bias, activation.
      const x = sparse === undefined ? (input as { dense: Tensor2D }).dense : undefined;
      const inputs: (Tensor | undefined)[] = [x];
      const sums: Tensor[] = [];
      const activations: Tensor[] = [];
      const masks: Tensor[] = [];
      let output: Tensor | undefined = x;
      for (let i = 0; i < this.layers.length; i++) {
        const layer = this.layers[i]!;
        const last = i === this.layers.length - 1;
        const b = layer.kernel as Tensor2D;
        const product = (): Tensor =>
          i === 0 && sparse !== undefined
            ? gatherProduct(tf, sparse.sparse, sparse.batchRows, b)
            : tf.matMul(output as Tensor2D, b);
        // A linear layer runs the fused kernel even under a gradient, so the regression output does too.
        const sum =
          last && !spec.classification
            ? tf.fused.matMul({ a: output as Tensor2D, b, bias: layer.bias, activation: 'linear' })
            : tf.add(product(), layer.bias);
        sums.push(sum);
        if (!last) {
          const activated = activate(tf, spec.activation, sum);
          activations.push(activated);
          output = activated;
          if (spec.dropout > 0) {
            const mask = this.dropoutMask(i, activated.shape);
            masks.push(mask);
            output = tf.mul(activated, mask);
          }
          inputs.push(output);
        } else if (spec.classification) {
          output = tf.softmax(sum);
        } else {
          output = sum;
        }
      }

      const { gradient, loss, metric } = spec.classification
        ? crossentropyGradient(output!.dataSync() as Float32Array, labels, spec.classes)
        : squaredErrorGradient(output!.dataSync() as Float32Array, labels);
      // With the Adam kernel the penalty comes from the kernel's sums of squares, after the update.
      result = { loss: this.moments === undefined ? loss + this.penalty() : loss, metric };

      // Backward, each layer's gradient function in turn.
      const grads: Record<string, Tensor> = {};
      let dy: Tensor = tf.tensor2d(gradient, output!.shape as [number, number]);
      for (let i = this.layers.length - 1; i >= 0; i--) {
        const layer = this.layers[i]!;
        if (i < this.layers.length - 1) {
          if (spec.dropout > 0) {
            // Mul's gradient: dy * mask.
            dy = tf.mul(dy, tf.cast(masks[i]!, 'float32'));
          }
          dy = activationGradient(tf, spec.activation, dy, sums[i]!, activations[i]!);
        }
        grads[layer.bias.name] = tf.reshape(tf.sum(dy, 0), layer.bias.shape);
        let kernelGradient =
          i === 0 && sparse !== undefined
            ? scatterProduct(tf, sparse.sparse, sparse.batchRows, dy as Tensor2D)
            : tf.matMul(inputs[i] as Tensor2D, dy as Tensor2D, true, false);
        if (this.l2Scalar !== undefined && this.moments === undefined) {
          kernelGradient = tf.add(
            tf.mul(this.l2Scalar, tf.mul(layer.kernel, 2)),
            kernelGradient,
          ) as Tensor2D;
        }
        grads[layer.kernel.name] = kernelGradient;
        if (i > 0) {
          dy = tf.matMul(dy as Tensor2D, layer.kernel as Tensor2D, false, true);
        }
      }
      return grads;
    });

    if (this.moments !== undefined) {
      result.loss += this.applyAdam(gradients);
    } else {
      spec.optimizer.applyGradients(gradients);
    }
    tf.dispose(Object.values(gradients));
    return result;
  }

  /**
   * Adam's update with the one-pass kernel, with the constants TF.js's
   * AdamOptimizer derives: each a float32 scalar, 1 - beta^t from the
   * accumulated float32 power. The kernel also adds the L2 penalty's
   * gradient to the kernels' gradients. Returns the penalty of the weights
   * before the update, the ones the step's loss was computed with.
   */
  private applyAdam(gradients: Record<string, Tensor>): number {
    const { tf } = this;
    const adam = this.spec.adam!;
    const constants: AdamConstants = {
      beta1: f32(adam.beta1),
      oneMinusBeta1: f32(1 - adam.beta1),
      beta2: f32(adam.beta2),
      oneMinusBeta2: f32(1 - adam.beta2),
      corr1: f32(1 - this.accumulatedBeta1),
      corr2: f32(1 - this.accumulatedBeta2),
      epsilon: f32(adam.epsilon),
      negativeLearningRate: f32(-adam.learningRate),
    };
    const l2 = f32(this.spec.l2);
    let penalty = 0;
    tf.tidy(() => {
      this.spec.variables.forEach((variable, i) => {
        const moment = this.moments![i]!;
        const isKernel = this.kernels.has(variable);
        const [value, first, second, squares] = adamUpdate(
          tf,
          variable,
          gradients[variable.name]!,
          moment.first,
          moment.second,
          constants,
          isKernel ? l2 : 0,
        );
        if (isKernel && l2 > 0) {
          // As l2Penalty adds it: 0 + l2 * sum(kernel^2), layer by layer, in float32.
          penalty = f32(penalty + f32(l2 * squares.dataSync()[0]!));
        }
        variable.assign(value);
        tf.dispose([moment.first, moment.second]);
        moment.first = tf.keep(first);
        moment.second = tf.keep(second);
      });
    });
    this.accumulatedBeta1 = f32(this.accumulatedBeta1 * f32(adam.beta1));
    this.accumulatedBeta2 = f32(this.accumulatedBeta2 * f32(adam.beta2));
    return penalty;
  }

  /**
   * Returns the dropout multiplier of hidden layer `layer`, as TF.js's
   * dropout makes it: floor(uniform + keep) / keep, with uniform drawn from the seed the
   * training loop set on the layer's Dropout before this step.
   */
  private dropoutMask(layer: number, shape: number[]): Tensor {
    const { tf } = this;
    const dropout = this.dropouts[layer]!;
    const keep = 1 - this.spec.dropout;
    const uniform = tf.randomUniform(shape, 0, 1, 'float32', dropout.seed);
    return tf.div(tf.floor(tf.add(uniform, keep)), keep);
  }

  /**
   * Computes the model's output for rows of sparse data, as `model.apply`
   * does at inference: each hidden layer as `hiddenAtInference` describes,
   * then a product, the bias and softmax (or the fused linear product) at
   * the output. The first layer's product is the sparse one with the same sums.
   */
  predict(input: { sparse: SparseMatrix; batchRows: Tensor1D }): Tensor {
    const { tf, spec } = this;
    return tf.tidy(() => {
      let output: Tensor2D | undefined;
      for (let i = 0; i < this.layers.length; i++) {
        const layer = this.layers[i]!;
        const b = layer.kernel as Tensor2D;
        const last = i === this.layers.length - 1;
        if (!last) {
          output = this.hiddenAtInference(i, input, output, layer) as Tensor2D;
        } else if (spec.classification) {
          const product =
            i === 0
              ? gatherProduct(tf, input.sparse, input.batchRows, b)
              : tf.fused.matMul({ a: output!, b });
          return tf.softmax(tf.add(product, layer.bias));
        } else {
          return tf.fused.matMul({ a: output!, b, bias: layer.bias, activation: 'linear' });
        }
      }
      throw new Error('the model has no layers');
    });
  }

  /**
   * Computes a hidden layer at inference, as TF.js's Dense layer does: ReLU
   * and ELU fused into the product with its bias, the other activations
   * after a product without bias and an Add of the bias.
   */
  private hiddenAtInference(
    i: number,
    input: { sparse: SparseMatrix; batchRows: Tensor1D },
    previous: Tensor2D | undefined,
    layer: DenseLayer,
  ): Tensor {
    const { tf, spec } = this;
    const b = layer.kernel as Tensor2D;
    const { activation } = spec;
    if (activation === 'relu' || activation === 'elu') {
      if (i > 0) {
        return tf.fused.matMul({ a: previous!, b, bias: layer.bias, activation });
      }
      const product = gatherProduct(tf, input.sparse, input.batchRows, b, {
        bias: layer.bias,
        relu: activation === 'relu',
      });
      return activation === 'relu' ? product : tf.elu(product);
    }
    const product =
      i === 0
        ? gatherProduct(tf, input.sparse, input.batchRows, b)
        : tf.fused.matMul({ a: previous!, b });
    return activate(tf, activation, tf.add(product, layer.bias));
  }

  /** Computes the L2 penalty, l2 * sum(kernel^2) added layer by layer, as the taped loss computes it. */
  private penalty(): number {
    if (this.l2Scalar === undefined) {
      return 0;
    }
    const { tf } = this;
    return tf.tidy(() => {
      let total: Tensor = tf.scalar(0);
      for (const layer of this.layers) {
        total = tf.add(total, tf.mul(this.spec.l2, tf.sum(tf.square(layer.kernel))));
      }
      return total.dataSync()[0]!;
    });
  }
}

/**
 * Computes the gradient of Keras's sparse categorical crossentropy through
 * softmax, as TF.js's gradient functions compute it in float32, with the
 * batch's mean loss and its count of correct predictions. `probabilities`
 * is [rows, classes].
 */
export function crossentropyGradient(
  probabilities: Float32Array,
  labels: Float32Array,
  classes: number,
): { gradient: Float32Array; loss: number; metric: number } {
  const rows = labels.length;
  const gradient = new Float32Array(rows * classes);
  // Neg then Mean: dy = -1 / rows at every row, then Sum and Mul spread it to the label's column.
  const perRow = f32(-1 / rows);
  let logSum = 0;
  let correct = 0;

  for (let r = 0; r < rows; r++) {
    const offset = r * classes;
    const label = labels[r]!;
    let best = 0;
    let dyTimesYSum = 0;
    for (let c = 0; c < classes; c++) {
      const p = probabilities[offset + c]!;
      if (p > probabilities[offset + best]!) {
        best = c;
      }
      // Mul by the one-hot row (x 1 or x 0), Log (dy / clipped), then ClipByValue (dy where in range).
      const dOneHot = c === label ? perRow : f32(perRow * 0);
      const clipped = Math.min(Math.max(p, CLIP_MIN), CLIP_MAX);
      const dLog = f32(dOneHot / clipped);
      const dClip = p >= CLIP_MIN && p <= CLIP_MAX ? dLog : 0;
      // Softmax: dyTimesY = dy * y, then dyTimesY - sum(dyTimesY) * y.
      const dyTimesY = f32(dClip * p);
      gradient[offset + c] = dyTimesY;
      dyTimesYSum = f32(dyTimesYSum + dyTimesY);
      if (c === label) {
        logSum += Math.log(clipped);
      }
    }
    for (let c = 0; c < classes; c++) {
      const p = probabilities[offset + c]!;
      gradient[offset + c] = f32(gradient[offset + c]! - f32(dyTimesYSum * p));
    }
    if (best === label) {
      correct++;
    }
  }
  return { gradient, loss: -logSum / rows, metric: correct };
}

/**
 * Computes the gradient of the mean squared error for a [rows, 1]
 * prediction as TF.js does: Mean gives 1 / rows, SquaredDifference
 * 2 * (a - b). Also returns the mean loss and the summed absolute error.
 */
export function squaredErrorGradient(
  predictions: Float32Array,
  targets: Float32Array,
): { gradient: Float32Array; loss: number; metric: number } {
  const rows = targets.length;
  const gradient = new Float32Array(rows);
  const dy = f32(1 / rows);
  let squared = 0;
  let absolute = 0;
  for (let r = 0; r < rows; r++) {
    const difference = f32(predictions[r]! - targets[r]!);
    gradient[r] = f32(dy * f32(2 * difference));
    squared = f32(squared + f32(difference * difference));
    absolute = f32(absolute + Math.abs(difference));
  }
  return { gradient, loss: f32(squared / rows), metric: absolute };
}

/** Applies a hidden layer's activation with the kernel TF.js's layer uses. */
function activate(tf: Tf, activation: MlpActivation, sum: Tensor): Tensor {
  switch (activation) {
    case 'relu':
      return tf.relu(sum);
    case 'elu':
      return tf.elu(sum);
    case 'selu':
      return tf.selu(sum);
    case 'tanh':
      return tf.tanh(sum);
    case 'sigmoid':
      return tf.sigmoid(sum);
  }
}

/**
 * Computes the gradient through a hidden layer's activation as TF.js
 * 4.22's gradient functions do, from dy, the pre-activation sum x and the
 * activation's output y.
 */
function activationGradient(
  tf: Tf,
  activation: MlpActivation,
  dy: Tensor,
  x: Tensor,
  y: Tensor,
): Tensor {
  switch (activation) {
    case 'relu':
      return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
    case 'elu':
      return tf.engine().runKernel('EluGrad', { dy, y }) as Tensor;
    case 'selu':
      return tf.where(
        tf.greater(x, tf.scalar(0)),
        tf.mul(dy, tf.scalar(SELU_SCALE)),
        tf.mul(tf.mul(dy, tf.scalar(SELU_SCALE_ALPHA)), tf.exp(tf.cast(x, 'float32'))),
      );
    case 'tanh':
      return tf.mul(tf.sub(tf.scalar(1), tf.square(y)), dy);
    case 'sigmoid':
      return tf.mul(dy, tf.mul(y, tf.sub(tf.scalar(1), y)));
  }
}
