/**
 * The best config of a study as ready-to-paste Python for Keras Tuner
 * (`hp.Fixed` values inside a model-building function) and Optuna
 * (`study.enqueue_trial`), so a user can carry the result to those tools.
 */
import type { ParamValue, SearchSpace, TrialValues } from '../space/types';
import { bestTraining } from '../configs';
import type { Objective, StudyRecord, TrialRecord } from '../study';
import { MLP_KNOBS } from '../templates/mlp';
import type { ConfigSnippets } from './types';

/** Python's reserved words, which cannot name a variable. */
const PYTHON_KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);

/**
 * Returns `value` as a Python literal: `True`/`False`, `None` for null,
 * numbers in the shortest form that reads back as the same double (with
 * `.0` added for a float hyperparameter with a whole value, so Python reads
 * it as a float), `float("nan")` and `float("inf")` for non-finite numbers, and
 * strings in double quotes with backslash escapes.
 */
export function pythonLiteral(value: ParamValue | null, asFloat = false): string {
  if (value === null) {
    return 'None';
  }

  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }

  if (typeof value === 'number') {
    return pythonNumber(value, asFloat);
  }

  return pythonString(value);
}

function pythonNumber(value: number, asFloat: boolean): string {
  if (Number.isNaN(value)) {
    return 'float("nan")';
  }

  if (!Number.isFinite(value)) {
    return value > 0 ? 'float("inf")' : '-float("inf")';
  }

  // JavaScript's String(x) is the shortest text that reads back as the same double, as Python's repr is.
  const text = Object.is(value, -0) ? '-0' : String(value);
  if (asFloat && /^-?\d+$/.test(text)) {
    return `${text}.0`;
  }
  return text;
}

/** Returns `text` as a double-quoted Python string literal. */
export function pythonString(text: string): string {
  let escaped = '';

  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === '\\' || char === '"') {
      escaped += `\\${char}`;
    } else if (char === '\n') {
      escaped += '\\n';
    } else if (char === '\r') {
      escaped += '\\r';
    } else if (char === '\t') {
      escaped += '\\t';
    } else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) {
      escaped += `\\x${code.toString(16).padStart(2, '0')}`;
    } else if (code === 0x2028 || code === 0x2029) {
      // Line and paragraph separators are valid in Python strings but break many editors.
      escaped += `\\u${code.toString(16)}`;
    } else {
      escaped += char;
    }
  }
  return `"${escaped}"`;
}

/** Names a Keras script usually imports (`from keras import layers`), which a variable must not shadow. */
const KERAS_NAMES = new Set([
  'activations',
  'callbacks',
  'initializers',
  'keras',
  'layers',
  'losses',
  'metrics',
  'models',
  'optimizers',
  'regularizers',
]);

/**
 * Returns a Python identifier for a hyperparameter name: characters other
 * than letters, digits and `_` become `_`, a leading digit gets a `_`
 * prefix, and a reserved word gets a `_` suffix.
 */
export function pythonIdentifier(name: string): string {
  let identifier = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (identifier === '' || /^[0-9]/.test(identifier)) {
    identifier = `_${identifier}`;
  }
  return PYTHON_KEYWORDS.has(identifier) ? `${identifier}_` : identifier;
}

/**
 * Returns a Keras Tuner model-building function whose hyperparameters are
 * fixed at `values` with `hp.Fixed`, in the space's order, for the user to
 * complete with their model, and a one-trial tuner on `objective`.
 */
export function kerasTunerSnippet(
  space: SearchSpace,
  values: TrialValues,
  objective: Objective,
  heading: string,
  defaults: TrialValues = {},
): string {
  const used = new Set<string>();
  const fixedLine = (name: string, value: ParamValue): string => {
    let identifier = pythonIdentifier(name);
    if (KERAS_NAMES.has(identifier)) {
      identifier = `${identifier}_value`;
    }
    while (used.has(identifier)) {
      identifier = `${identifier}_`;
    }
    used.add(identifier);
    return `    ${identifier} = hp.Fixed(${pythonString(name)}, ${literalFor(space, name, value)})`;
  };

  const searched = orderedNames(space, values).map((name) => fixedLine(name, values[name]));
  const defaultNames = Object.keys(defaults);
  const fixed =
    defaultNames.length === 0
      ? []
      : [
          "    # Scout's defaults for what the study did not search:",
          ...defaultNames.map((name) => fixedLine(name, defaults[name])),
        ];

  return [
    `# ${heading}`,
    'import keras_tuner',
    '',
    '',
    'def build_model(hp):',
    ...searched,
    ...fixed,
    '    # Build and compile the model with these values, then return it.',
    '    model = ...',
    '    return model',
    '',
    '',
    '# One trial trains the model with exactly these values.',
    `objective = keras_tuner.Objective(${pythonString(objective.metric)}, direction=${pythonString(objective.direction === 'maximize' ? 'max' : 'min')})`,
    'tuner = keras_tuner.RandomSearch(build_model, objective=objective, max_trials=1)',
    '',
  ].join('\n');
}

/** Returns Optuna code that queues `values` as the first trial of a study. */
export function optunaSnippet(
  space: SearchSpace,
  values: TrialValues,
  direction: Objective['direction'],
  heading: string,
  defaults: TrialValues = {},
): string {
  const entry = (name: string, value: ParamValue): string =>
    `        ${pythonString(name)}: ${literalFor(space, name, value)},`;
  const defaultNames = Object.keys(defaults);
  const fixed =
    defaultNames.length === 0
      ? []
      : [
          "# Scout's defaults for what the study did not search; use them as constants.",
          'fixed_params = (',
          '    {',
          ...defaultNames.map((name) => entry(name, defaults[name])),
          '    }',
          ')',
          '',
        ];

  return [
    `# ${heading}`,
    'import optuna',
    '',
    `study = optuna.create_study(direction=${pythonString(direction)})`,
    '# The objective function must suggest parameters with these names.',
    'study.enqueue_trial(',
    '    {',
    ...orderedNames(space, values).map((name) => entry(name, values[name])),
    '    }',
    ')',
    ...fixed,
    '',
  ].join('\n');
}

/**
 * Returns the values the trained model used for the MLP template's knobs
 * that `values` leaves out: each knob's default, and the study's epochs.
 */
export function templateDefaults(study: StudyRecord, values: TrialValues): TrialValues {
  const defaults: TrialValues = {};

  for (const knob of MLP_KNOBS) {
    if (knob.name in values) {
      continue;
    }
    const value = knob.name === 'epochs' ? study.settings.epochs : knob.default;
    if (value !== undefined) {
      defaults[knob.name] = value;
    }
  }
  return defaults;
}

/**
 * Returns both snippets for the best completed trial of `study`. Throws when
 * no trial completed with a finite objective.
 */
export function bestConfigSnippets(study: StudyRecord, trials: TrialRecord[]): ConfigSnippets {
  const { metric, direction } = study.settings.objective;
  const found = bestTraining(study.settings, trials);
  if (found === undefined) {
    throw new Error(
      `study '${study.name}' has no completed trial with a finite objective; run it before exporting its best config`,
    );
  }

  const best = found.trial;
  const defaults = templateDefaults(study, best.values);
  const result =
    found.config === undefined
      ? `Best trial #${best.number}`
      : `Best config (mean ${metric} ${Number((found.config.mean as number).toPrecision(4))} over ${found.config.completed} trainings; best training #${best.number})`;
  const heading =
    `${result} of study '${study.name}' on '${study.datasetName}': ${metric} ${best.objective} (${direction})`.replace(
      /[\r\n]+/g,
      ' ',
    );

  return {
    trialNumber: best.number,
    // bestTraining returns only trainings with a finite objective.
    objective: best.objective as number,
    kerasTuner: kerasTunerSnippet(
      study.space,
      best.values,
      study.settings.objective,
      heading,
      defaults,
    ),
    optuna: optunaSnippet(study.space, best.values, direction, heading, defaults),
  };
}

/** Lists the space's names that `values` has, then any other names in `values`. */
function orderedNames(space: SearchSpace, values: TrialValues): string[] {
  const names = space.map((p) => p.name).filter((name) => name in values);
  return [...names, ...Object.keys(values).filter((name) => !names.includes(name))];
}

function literalFor(space: SearchSpace, name: string, value: ParamValue): string {
  // A knob the space leaves out is written with the knob's own type.
  const type =
    space.find((item) => item.name === name)?.type ??
    MLP_KNOBS.find((knob) => knob.name === name)?.type;
  return pythonLiteral(value, type === 'float');
}
