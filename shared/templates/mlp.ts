/**
 * The MLP template's knobs, shared by the trainer and the New study form:
 * a search space binds hyperparameters to these names, and knobs not in the
 * space take their defaults.
 */
import type { ParamValue } from '../space/types';

/** Hidden-layer activations the MLP template offers. */
export const MLP_ACTIVATIONS = ['relu', 'tanh', 'elu', 'selu', 'sigmoid'] as const;

/** Optimizers the MLP template offers. */
export const MLP_OPTIMIZERS = ['adam', 'sgd', 'rmsprop', 'adagrad'] as const;

/** A hidden-layer activation of the MLP template. */
export type MlpActivation = (typeof MLP_ACTIVATIONS)[number];

/** An optimizer of the MLP template. */
export type MlpOptimizer = (typeof MLP_OPTIMIZERS)[number];

/** Every knob of the MLP template with a value; knob names follow Keras Tuner's snake_case. */
export interface MlpConfig {
  layers: number;
  units: number;
  activation: MlpActivation;
  dropout: number;
  l2: number;
  optimizer: MlpOptimizer;
  learning_rate: number;
  batch_size: number;
  epochs: number;
}

/** Description of one knob, for binding a search space to the template and for the form. */
export interface KnobSpec {
  name: keyof MlpConfig;
  type: 'int' | 'float' | 'choice';
  /** Default value; undefined for `epochs`, whose default comes from the study's training settings. */
  default?: ParamValue;
  description: string;
  /** Inclusive bounds for numeric knobs. */
  min?: number;
  max?: number;
  /** Whether `min` itself is excluded (a learning rate must be greater than 0). */
  minExclusive?: boolean;
  /** Allowed values of a choice knob. */
  values?: readonly string[];
}

/** The MLP template's knobs; a search space binds hyperparameters to them by name. */
export const MLP_KNOBS: readonly KnobSpec[] = [
  {
    name: 'layers',
    type: 'int',
    default: 2,
    min: 0,
    max: 64,
    description: 'Number of hidden dense layers; 0 trains a linear model.',
  },
  {
    name: 'units',
    type: 'int',
    default: 128,
    min: 1,
    max: 65536,
    description: 'Units in each hidden layer.',
  },
  {
    name: 'activation',
    type: 'choice',
    default: 'relu',
    values: MLP_ACTIVATIONS,
    description: 'Activation of the hidden layers.',
  },
  {
    name: 'dropout',
    type: 'float',
    default: 0,
    min: 0,
    max: 0.9,
    description: 'Dropout rate after each hidden layer, active in training only.',
  },
  {
    name: 'l2',
    type: 'float',
    default: 0,
    min: 0,
    description: 'L2 regularisation factor on the kernels: the loss gains l2 * sum(w^2).',
  },
  {
    name: 'optimizer',
    type: 'choice',
    default: 'adam',
    values: MLP_OPTIMIZERS,
    description: 'Optimizer of the training loop.',
  },
  {
    name: 'learning_rate',
    type: 'float',
    default: 1e-3,
    min: 0,
    minExclusive: true,
    description: 'Learning rate of the optimizer.',
  },
  { name: 'batch_size', type: 'int', default: 64, min: 1, description: 'Rows per training step.' },
  {
    name: 'epochs',
    type: 'int',
    min: 1,
    description: "Maximum number of epochs; overrides the study's training settings.",
  },
];
