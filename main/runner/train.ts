import seedrandom from 'seedrandom';
import type { LayersModel, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import type { Direction } from '../../shared/space/types';
import type { Examples, PreparedDataset } from './data/types';
import type { Tf } from './backend';
import { buildMlp, type BuiltMlp, type MlpConfig } from './templates/mlp';
import {
  DirectStep,
  directStepBlocker,
  directStepEnabled,
  type DirectStepModel,
  type StepInput,
} from './direct-step';
import { fastKernelsEnabled } from './kernels/matmul';
import {
  SPARSE_DENSITY_LIMIT,
  compressRows,
  density,
  registerStepKernels,
  releaseSparse,
  uploadSparse,
  type CompressedRows,
  type SparseMatrix,
} from './kernels/step';

/** Metrics a study can optimise; regression datasets have no val_accuracy, classification ones no val_mae or val_mse. */
export type ObjectiveMetric = 'val_accuracy' | 'val_loss' | 'val_mae' | 'val_mse';

/** Metric and direction that rank the trials of a study. */
export interface Objective {
  metric: ObjectiveMetric;
  direction: Direction;
}

/**
 * Metrics of one epoch, keyed by Keras names: `loss` and `val_loss`, plus
 * `accuracy` and `val_accuracy` (classification) or `mae`, `val_mae` and
 * `val_mse` (regression). As in Keras, `loss` and `val_loss` include the L2
 * penalty; `val_mse` does not. `loss`, `accuracy` and `mae` are means over
 * the epoch's training steps, with dropout active.
 */
export type EpochMetrics = Record<string, number>;

/** Settings of one trial's training run. */
export interface TrainOptions {
  /** Trial seed: initial weights, the order of rows in each epoch and the dropout masks derive from it. */
  seed: number;
  /** Maximum number of epochs. */
  epochs: number;
  /** Epochs without improvement of the objective before training stops; 0 turns early stopping off. */
  patience: number;
  objective: Objective;
  /** Called after each epoch; epochs count from 1. */
  onEpoch?(epoch: number, metrics: EpochMetrics): void;
  /** Polled between training steps; returning true ends the trial as cancelled. */
  shouldStop?(): boolean;
  /** Keep the model (with the best epoch's weights) in the outcome; the caller then disposes it. */
  keepModel?: boolean;
  /** Rows per evaluation batch (default 1024); only memory use depends on it. */
  evaluationBatchSize?: number;
}

/** A trial that ran all its epochs or stopped early. */
export interface CompletedOutcome {
  status: 'completed';
  /** The objective at the best epoch. */
  objective: number;
  /** Best epoch, counted from 1. */
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
  /** The best epoch's metrics, plus `test_*` metrics of the best weights when the dataset has a test split. */
  metrics: EpochMetrics;
  history: EpochMetrics[];
  /** Wall time of each epoch in ms: its training steps plus its validation pass. */
  epochMs: number[];
  /** The model with the best epoch's weights, only with `keepModel`. */
  model?: LayersModel;
}

/** A trial that could not train: invalid settings or a loss that became NaN or infinite. */
export interface FailedOutcome {
  status: 'failed';
  reason: string;
  history: EpochMetrics[];
}

/** A trial that `shouldStop` ended. */
export interface CancelledOutcome {
  status: 'cancelled';
  history: EpochMetrics[];
}

/** Outcome of a trial's training run. */
export type TrialOutcome = CompletedOutcome | FailedOutcome | CancelledOutcome;

/** Maximum time in ms the training loop runs without yielding, so IPC messages such as 'cancel' are handled. */
const YIELD_INTERVAL_MS = 50;

/**
 * Trains an MLP on `data` with a seeded loop of its own: TF.js's model.fit
 * shuffles with the unseeded Math.random, so it cannot reproduce a run.
 * With the same seed on the same backend, two runs give identical metrics.
 *
 * Every tensor the trial creates is disposed before this returns, including
 * the model and the optimizer, unless `keepModel` hands the model over.
 */
export async function trainTrial(
  tf: Tf,
  data: PreparedDataset,
  config: MlpConfig,
  options: TrainOptions,
): Promise<TrialOutcome> {
  const problem = checkTrainInputs(data, options);
  if (problem !== undefined) {
    return { status: 'failed', reason: problem, history: [] };
  }

  const built = buildMlp(tf, config, {
    features: data.features,
    classes: data.classes,
    task: data.task,
    seed: options.seed,
  });
  const loop = new TrainingLoop(tf, data, config, options, built);
  let keepModel = false;

  try {
    const outcome = await loop.run();
    keepModel = outcome.status === 'completed' && options.keepModel === true;
    return outcome;
  } finally {
    loop.dispose();
    built.optimizer.dispose();
    if (!keepModel) {
      built.model.dispose();
    }
  }
}

function checkTrainInputs(data: PreparedDataset, options: TrainOptions): string | undefined {
  const metric = options.objective.metric;
  if (data.task === 'classification' && (metric === 'val_mae' || metric === 'val_mse')) {
    return `objective '${metric}' needs a regression dataset; use val_accuracy or val_loss`;
  }
  if (data.task === 'regression' && metric === 'val_accuracy') {
    return "objective 'val_accuracy' needs a classification dataset; use val_loss, val_mae or val_mse";
  }
  if (data.train.rows === 0) {
    return 'the training split is empty; add rows or raise the row limit';
  }
  if (data.validation.rows === 0) {
    return 'the validation split is empty; raise the validation fraction';
  }
  if (!Number.isInteger(options.epochs) || options.epochs < 1) {
    return `epochs must be an integer of at least 1, got ${options.epochs}`;
  }
  if (!Number.isInteger(options.patience) || options.patience < 0) {
    return `patience must be an integer of at least 0, got ${options.patience}`;
  }
  return undefined;
}

/** Sums of one pass over a split, turned into means by `rows`. */
interface PassTotals {
  loss: number;
  /** Correct predictions (classification) or absolute error (regression). */
  metric: number;
  squaredError: number;
  rows: number;
}

class TrainingLoop {
  private readonly random: seedrandom.PRNG;
  private readonly variables: Variable[];
  private readonly classification: boolean;
  private bestWeights: Tensor[] = [];
  private lastYield = Date.now();
  private readonly epochMs: number[] = [];
  /** Batch feature buffer reused on the wasm backend; see featureBuffer. */
  private scratch?: Float32Array;
  /** Set when the model can train without the gradient tape; see direct-step.ts. */
  private readonly direct?: DirectStep;
  /** The training features compressed, when the direct step's first layer uses the sparse products. */
  private readonly sparseTrain?: SparseMatrix;

  constructor(
    private readonly tf: Tf,
    private readonly data: PreparedDataset,
    private readonly config: MlpConfig,
    private readonly options: TrainOptions,
    private readonly built: BuiltMlp,
  ) {
    this.random = seedrandom.alea(`train:${options.seed}`);
    this.variables = built.model.trainableWeights.map((weight) => weight.read() as Variable);
    this.classification = data.task === 'classification';
    if (directStepEnabled() && directStepBlocker(config, built.model) === undefined) {
      const kernels = stepKernelsAvailable(tf);
      this.direct = new DirectStep(tf, {
        model: built.model,
        optimizer: built.optimizer,
        variables: this.variables,
        classification: this.classification,
        classes: data.classes,
        l2: config.l2,
        activation: config.activation,
        dropout: config.layers > 0 ? config.dropout : 0,
        adam: kernels && config.optimizer === 'adam' ? adamSettings(built) : undefined,
      });
      // The regression output's fused product has no sparse form; see DirectStep.step.
      const regressionOnly = config.layers === 0 && !this.classification;
      if (kernels && !regressionOnly) {
        this.sparseTrain = acquireSparseData(tf, data);
      }
    }
  }

  async run(): Promise<TrialOutcome> {
    const history: EpochMetrics[] = [];
    const { objective, patience } = this.options;
    let best: { epoch: number; value: number; metrics: EpochMetrics } | undefined;

    for (let epoch = 1; epoch <= this.options.epochs; epoch++) {
      const started = performance.now();
      const train = await this.trainEpoch();
      if (train === 'cancelled') {
        return { status: 'cancelled', history };
      }

      const lossProblem =
        nonFiniteLoss('loss', train.loss / train.rows, epoch) ?? this.nonFiniteWeights(epoch);
      if (lossProblem !== undefined) {
        return { status: 'failed', reason: lossProblem, history };
      }

      const validation = this.evaluate(this.data.validation);
      const metrics = { ...this.metricsOf('', train), ...this.metricsOf('val_', validation) };
      history.push(metrics);
      this.epochMs.push(performance.now() - started);
      this.options.onEpoch?.(epoch, metrics);

      const validationProblem = nonFiniteLoss('validation loss', metrics.val_loss!, epoch);
      if (validationProblem !== undefined) {
        return { status: 'failed', reason: validationProblem, history };
      }

      const value = metrics[objective.metric]!;
      if (best === undefined || isBetter(value, best.value, objective.direction)) {
        best = { epoch, value, metrics };
        this.snapshotWeights();
      } else if (patience > 0 && epoch - best.epoch >= patience) {
        return this.complete(best, history, true);
      }
    }

    return this.complete(best!, history, false);
  }

  /**
   * Returns why the trial fails when a weight became NaN or infinite, else
   * undefined. The loss alone can miss it: Keras's loss clips probabilities,
   * and TF.js's wasm clipping turns NaN into a bound, so a model with NaN
   * weights reported a finite loss of 16.1.
   */
  private nonFiniteWeights(epoch: number): string | undefined {
    const { tf } = this;
    const finite = tf.tidy(() =>
      this.variables.every((variable) => Number.isFinite(tf.sum(variable).dataSync()[0])),
    );
    return finite
      ? undefined
      : `weights became NaN or infinite at epoch ${epoch}; lower the learning rate`;
  }

  /** Releases the saved best weights; the model and optimizer belong to the caller. */
  dispose(): void {
    this.tf.dispose(this.bestWeights);
    this.bestWeights = [];
    this.direct?.dispose();
    if (this.sparseTrain !== undefined) {
      releaseSparseData(this.data);
    }
  }

  private complete(
    best: { epoch: number; value: number; metrics: EpochMetrics },
    history: EpochMetrics[],
    stoppedEarly: boolean,
  ): CompletedOutcome {
    // Restore the best epoch's weights so the test metrics and the kept model match the objective.
    this.built.model.setWeights(this.bestWeights);

    let metrics = { ...best.metrics };
    if (this.data.test !== undefined && this.data.test.rows > 0) {
      metrics = { ...metrics, ...this.metricsOf('test_', this.evaluate(this.data.test)) };
    }

    return {
      status: 'completed',
      objective: best.value,
      bestEpoch: best.epoch,
      epochsRun: history.length,
      stoppedEarly,
      metrics,
      history,
      epochMs: this.epochMs,
      model: this.options.keepModel ? this.built.model : undefined,
    };
  }

  private async trainEpoch(): Promise<PassTotals | 'cancelled'> {
    const { rows } = this.data.train;
    const batchSize = this.config.batch_size;
    const order = permutation(rows, this.random);
    const totals: PassTotals = { loss: 0, metric: 0, squaredError: 0, rows: 0 };

    for (let start = 0; start < rows; start += batchSize) {
      if (this.options.shouldStop?.()) {
        return 'cancelled';
      }

      const indices = order.subarray(start, Math.min(start + batchSize, rows));
      const step = this.trainStep(indices);
      totals.loss += step.loss * indices.length;
      totals.metric += step.metric;
      totals.rows += indices.length;

      // After a non-finite loss the weights are NaN or infinite, so the rest of the epoch is skipped.
      if (!Number.isFinite(step.loss)) {
        totals.loss = step.loss;
        break;
      }
      await this.yieldIfDue();
    }

    return totals;
  }

  private trainStep(indices: Uint32Array): { loss: number; metric: number } {
    const { tf, built } = this;
    this.reseedDropout();
    if (this.direct !== undefined) {
      const { input, labels } = this.stepInput(indices);
      try {
        return this.direct.step(input, labels);
      } finally {
        tf.dispose('dense' in input ? input.dense : input.batchRows);
      }
    }

    const [cost, metricSum] = tf.tidy(() => {
      const { x, y } = this.batch(this.data.train, indices);
      let predictions: Tensor | undefined;
      const stepCost = built.optimizer.minimize(
        () => {
          predictions = tf.keep(built.model.apply(x, { training: true }) as Tensor);
          return tf.add(built.loss(y, predictions), built.regularization()) as Scalar;
        },
        true,
        this.variables,
      )!;
      // The metric is computed after the gradients, so the gradient tape neither records its
      // kernels nor clones their inputs. That saves about 10 kernel calls per step.
      const stepMetric = this.metricSum(y, predictions!);
      predictions!.dispose();
      return [stepCost, stepMetric];
    });

    const result = { loss: cost.dataSync()[0]!, metric: metricSum.dataSync()[0]! };
    tf.dispose([cost, metricSum]);
    return result;
  }

  /** Runs the model in inference mode (no dropout) over a split, in batches. */
  private evaluate(examples: Examples): PassTotals {
    const { tf, built } = this;
    const batchSize = this.options.evaluationBatchSize ?? 1024;
    const totals: PassTotals = { loss: 0, metric: 0, squaredError: 0, rows: 0 };
    const penalty = tf.tidy(() => built.regularization().dataSync()[0]!);
    // A split of sparse data is evaluated with the sparse product, which gives the same bits.
    const sparse =
      this.sparseTrain === undefined ? undefined : sparseSplit(tf, this.data, examples);

    for (let start = 0; start < examples.rows; start += batchSize) {
      const end = Math.min(start + batchSize, examples.rows);
      const sums = tf.tidy(() => {
        const indices = rangeIndices(start, end);
        const { x, y } =
          sparse === undefined ? this.batch(examples, indices) : this.labels(examples, indices);
        const predictions =
          sparse === undefined
            ? (built.model.apply(x!, { training: false }) as Tensor)
            : this.direct!.predict({
                sparse,
                batchRows: tf.tensor1d(Int32Array.from(indices), 'int32'),
              });
        const loss = built.loss(y, predictions).dataSync()[0]!;
        const metric = this.metricSum(y, predictions).dataSync()[0]!;
        const squaredError = this.classification ? 0 : squaredErrorSum(tf, y, predictions);
        return { loss, metric, squaredError };
      });

      totals.loss += sums.loss * (end - start);
      totals.metric += sums.metric;
      totals.squaredError += sums.squaredError;
      totals.rows += end - start;
    }

    // As in Keras's evaluate(), the loss includes the regularisation penalty.
    totals.loss += penalty * totals.rows;
    return totals;
  }

  private metricsOf(prefix: string, totals: PassTotals): EpochMetrics {
    const metrics: EpochMetrics = { [`${prefix}loss`]: totals.loss / totals.rows };
    if (this.classification) {
      metrics[`${prefix}accuracy`] = totals.metric / totals.rows;
    } else {
      metrics[`${prefix}mae`] = totals.metric / totals.rows;
      // Training-step squared errors are not collected, so only evaluated splits report mse.
      if (prefix !== '') {
        metrics[`${prefix}mse`] = totals.squaredError / totals.rows;
      }
    }
    return metrics;
  }

  /** Correct predictions (classification) or summed absolute error (regression) of a batch. */
  private metricSum(y: Tensor, predictions: Tensor): Scalar {
    const { tf } = this;
    if (this.classification) {
      return tf.sum(tf.cast(tf.equal(tf.argMax(predictions, -1), tf.cast(y, 'int32')), 'float32'));
    }
    return tf.sum(tf.abs(tf.sub(tf.reshape(predictions, [-1]), y)));
  }

  /** Returns the labels of the rows at `indices` as a tensor, as `batch` makes them. */
  private labels(examples: Examples, indices: Uint32Array): { x?: Tensor; y: Tensor } {
    return { y: this.labelTensor(labelValues(examples, indices)) };
  }

  /** Copies the rows at `indices` into new tensors; labels are int32 class indices for classification. */
  private batch(examples: Examples, indices: Uint32Array): { x: Tensor; y: Tensor } {
    const { x, labels } = this.batchValues(examples, indices);
    return {
      x: this.tf.tensor2d(x, [indices.length, this.data.features]),
      y: this.labelTensor(labels),
    };
  }

  /** Makes a label tensor: int32 class indices for classification, float32 targets for regression. */
  private labelTensor(labels: Float32Array): Tensor {
    return this.classification
      ? this.tf.tensor1d(Int32Array.from(labels), 'int32')
      : this.tf.tensor1d(labels);
  }

  /** The direct step's input for the training rows at `indices`, sparse when the data is. */
  private stepInput(indices: Uint32Array): { input: StepInput; labels: Float32Array } {
    const { tf } = this;
    if (this.sparseTrain === undefined) {
      const { x, labels } = this.batchValues(this.data.train, indices);
      return { input: { dense: tf.tensor2d(x, [indices.length, this.data.features]) }, labels };
    }
    const rows = new Int32Array(indices.buffer, indices.byteOffset, indices.length);
    return {
      input: { sparse: this.sparseTrain, batchRows: tf.tensor1d(rows, 'int32') },
      labels: labelValues(this.data.train, indices),
    };
  }

  /** The features (in the reused buffer) and labels of the rows at `indices`. */
  private batchValues(
    examples: Examples,
    indices: Uint32Array,
  ): { x: Float32Array; labels: Float32Array } {
    const features = this.data.features;
    const x = this.featureBuffer(indices.length * features);
    const labels = new Float32Array(indices.length);

    for (let i = 0; i < indices.length; i++) {
      const row = indices[i]!;
      x.set(examples.x.subarray(row * features, (row + 1) * features), i * features);
      labels[i] = examples.y[row]!;
    }
    return { x, labels };
  }

  /**
   * Returns a Float32Array of `length` values for a batch's features. The wasm
   * backend copies a new tensor's values into its own memory at once, so one
   * buffer serves every batch there. Without the reuse, a reference trial
   * left about 70 MB of batch arrays per trial for the garbage collector, and
   * a worker's resident memory swung by more than 10 % between collections.
   * Other backends get a new array each time: the cpu backend keeps the
   * array it is given as the tensor's storage.
   */
  private featureBuffer(length: number): Float32Array {
    if (this.tf.getBackend() !== 'wasm') {
      return new Float32Array(length);
    }
    if (this.scratch === undefined || this.scratch.length < length) {
      this.scratch = new Float32Array(length);
    }
    return this.scratch.subarray(0, length);
  }

  /**
   * Gives each dropout layer a new seed drawn from the trial's generator.
   * TF.js's Dropout layer passes its configured seed to every call, so a
   * fixed seed repeats one mask in every step. Without a seed it draws from
   * Math.random, which cannot be reproduced. A seed per step avoids both.
   */
  private reseedDropout(): void {
    for (const layer of this.built.model.layers) {
      if (layer.getClassName() === 'Dropout') {
        (layer as unknown as { seed?: number }).seed = Math.floor(this.random() * 2 ** 31);
      }
    }
  }

  private snapshotWeights(): void {
    this.tf.dispose(this.bestWeights);
    this.bestWeights = this.built.model.getWeights().map((weight) => weight.clone());
  }

  private async yieldIfDue(): Promise<void> {
    if (Date.now() - this.lastYield < YIELD_INTERVAL_MS) {
      return;
    }
    await new Promise((resolve) => setImmediate(resolve));
    this.lastYield = Date.now();
  }
}

/** Returns whether the direct step's own kernels can run: on the wasm backend with the fast kernels on. */
function stepKernelsAvailable(tf: Tf): boolean {
  return tf.getBackend() === 'wasm' && fastKernelsEnabled() && registerStepKernels(tf);
}

/** Reads the settings of the model's Adam optimizer through its public config. */
function adamSettings(built: BuiltMlp): NonNullable<DirectStepModel['adam']> {
  const config = built.optimizer.getConfig() as Record<string, number>;
  return {
    learningRate: config.learningRate!,
    beta1: config.beta1!,
    beta2: config.beta2!,
    epsilon: config.epsilon!,
  };
}

/** Compressed features of each split, or 'dense' when too few of a training split's features are zero. */
const compressedSplits = new WeakMap<Examples, CompressedRows | 'dense'>();

/** A dataset's compressed splits in the backend's memory, and the training loops using them. */
interface HeldDataset {
  splits: Map<Examples, SparseMatrix>;
  users: number;
}

/**
 * Compressed splits in the backend's memory, keyed by their dataset's
 * training split. A worker trains one dataset, so each split is copied
 * there once. When a loop starts on another dataset, the datasets no loop
 * uses are freed. They are not tensors, so a trial's tensor count stays
 * the same.
 */
const heldDatasets = new Map<Examples, HeldDataset>();

/**
 * Starts a loop's use of `data`'s compressed splits and returns its
 * training split, or undefined when more than SPARSE_DENSITY_LIMIT of the
 * training features are nonzero. A loop that gets a matrix calls
 * `releaseSparseData` when it ends.
 */
function acquireSparseData(tf: Tf, data: PreparedDataset): SparseMatrix | undefined {
  if (compressedOf(data.train, data.features, true) === 'dense') {
    return undefined;
  }
  let dataset = heldDatasets.get(data.train);
  if (dataset === undefined) {
    for (const [train, other] of heldDatasets) {
      if (other.users === 0) {
        other.splits.forEach((matrix) => releaseSparse(tf, matrix));
        heldDatasets.delete(train);
      }
    }
    dataset = { splits: new Map(), users: 0 };
    heldDatasets.set(data.train, dataset);
  }
  dataset.users++;
  return sparseSplit(tf, data, data.train);
}

/** Ends a loop's use of `data`'s compressed splits; they stay for the next trial on it. */
function releaseSparseData(data: PreparedDataset): void {
  const dataset = heldDatasets.get(data.train);
  if (dataset !== undefined) {
    dataset.users--;
  }
}

/** A split of `data`, compressed in the backend's memory; `data` must be acquired. */
function sparseSplit(tf: Tf, data: PreparedDataset, split: Examples): SparseMatrix {
  const dataset = heldDatasets.get(data.train)!;
  let matrix = dataset.splits.get(split);
  if (matrix === undefined) {
    matrix = uploadSparse(tf, compressedOf(split, data.features, false) as CompressedRows);
    dataset.splits.set(split, matrix);
  }
  return matrix;
}

/** Returns the split compressed, once per split, or 'dense' for a training split with too many nonzeros. */
function compressedOf(
  split: Examples,
  features: number,
  isTrain: boolean,
): CompressedRows | 'dense' {
  let compressed = compressedSplits.get(split);
  if (compressed === undefined) {
    const rows = compressRows(split.x, split.rows, features);
    compressed = isTrain && density(rows) > SPARSE_DENSITY_LIMIT ? 'dense' : rows;
    compressedSplits.set(split, compressed);
  }
  return compressed;
}

/** Returns the labels of the rows at `indices`. */
function labelValues(examples: Examples, indices: Uint32Array): Float32Array {
  const labels = new Float32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    labels[i] = examples.y[indices[i]!]!;
  }
  return labels;
}

function squaredErrorSum(tf: Tf, y: Tensor, predictions: Tensor): number {
  return tf.sum(tf.squaredDifference(tf.reshape(predictions, [-1]), y)).dataSync()[0]!;
}

function nonFiniteLoss(what: string, value: number, epoch: number): string | undefined {
  if (Number.isFinite(value)) {
    return undefined;
  }
  const kind = Number.isNaN(value) ? 'NaN' : 'infinite';
  return `${what} became ${kind} at epoch ${epoch}; lower the learning rate`;
}

function isBetter(value: number, best: number, direction: Direction): boolean {
  return direction === 'maximize' ? value > best : value < best;
}

/** Fisher-Yates shuffle of 0..n-1 driven by the seeded generator. */
function permutation(n: number, random: () => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = i;
  }
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

function rangeIndices(start: number, end: number): Uint32Array {
  const indices = new Uint32Array(end - start);
  for (let i = 0; i < indices.length; i++) {
    indices[i] = start + i;
  }
  return indices;
}
