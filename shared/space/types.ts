/**
 * Search-space types, with the semantics of Keras Tuner's HyperParameters.
 * Bounds are inclusive. On a linear scale `step` is added, and on a log
 * scale `step` is a multiplier greater than 1.
 */

/** Scale on which a numeric hyperparameter is drawn and refined. */
export type Scale = 'linear' | 'log' | 'reverse_log';

/** A value a hyperparameter can take in a trial. */
export type ParamValue = number | string | boolean;

/** Integer hyperparameter, `min` and `max` inclusive. */
export interface IntParam {
  name: string;
  type: 'int';
  min: number;
  max: number;
  /** Added on a linear scale (default 1); a multiplier > 1 on a log scale. */
  step?: number;
  scale?: 'linear' | 'log';
}

/** Float hyperparameter, `min` and `max` inclusive; continuous without `step`. */
export interface FloatParam {
  name: string;
  type: 'float';
  min: number;
  max: number;
  step?: number;
  scale?: Scale;
}

/** One value out of a list; every value has the same type. */
export interface ChoiceParam {
  name: string;
  type: 'choice';
  values: ParamValue[];
}

/** `true` or `false`, each with probability 1/2. */
export interface BooleanParam {
  name: string;
  type: 'boolean';
}

/** A value that every trial uses. */
export interface FixedParam {
  name: string;
  type: 'fixed';
  value: ParamValue;
}

/** Any hyperparameter of a search space. */
export type Hyperparameter = IntParam | FloatParam | ChoiceParam | BooleanParam | FixedParam;

/** The hyperparameters of a study, in the order the user listed them. */
export type SearchSpace = Hyperparameter[];

/** The values one trial uses, keyed by hyperparameter name. */
export type TrialValues = Record<string, ParamValue>;

/** Whether a larger or a smaller objective is better. */
export type Direction = 'maximize' | 'minimize';

/** A problem found in a search space, tied to one hyperparameter where possible. */
export interface SpaceIssue {
  /** Hyperparameter name, or undefined for a problem with the whole space. */
  name?: string;
  /** Field of the hyperparameter the problem is in, for showing it beside that field. */
  field?: 'name' | 'type' | 'min' | 'max' | 'step' | 'scale' | 'values' | 'value';
  message: string;
}
