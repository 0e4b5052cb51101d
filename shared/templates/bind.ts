import type { Hyperparameter, ParamValue, SearchSpace, SpaceIssue } from '../space/types';
import type { KnobSpec } from './mlp';

/** Returns the numeric values a hyperparameter can reach: its bounds, or its listed values. */
function numericReach(param: Hyperparameter): number[] | undefined {
  switch (param.type) {
    case 'int':
    case 'float':
      return [param.min, param.max];
    case 'choice':
      return param.values.every((value) => typeof value === 'number')
        ? (param.values as number[])
        : undefined;
    case 'fixed':
      return typeof param.value === 'number' ? [param.value] : undefined;
    case 'boolean':
      return undefined;
  }
}

function listedValues(param: Hyperparameter): ParamValue[] | undefined {
  if (param.type === 'choice') {
    return param.values;
  }
  return param.type === 'fixed' ? [param.value] : undefined;
}

function checkNumericKnob(param: Hyperparameter, knob: KnobSpec): SpaceIssue[] {
  const reach = numericReach(param);
  if (reach === undefined) {
    return [
      {
        name: param.name,
        field: 'type',
        message: `'${param.name}' takes numbers; use an int, float, numeric choice or fixed number`,
      },
    ];
  }

  const issues: SpaceIssue[] = [];
  if (knob.type === 'int' && param.type === 'float') {
    issues.push({
      name: param.name,
      field: 'type',
      message: `'${param.name}' takes whole numbers; make it an int`,
    });
  }
  if (knob.type === 'int' && reach.some((value) => !Number.isInteger(value))) {
    issues.push({
      name: param.name,
      field: 'values',
      message: `'${param.name}' takes whole numbers; remove the fractional values`,
    });
  }

  const low = Math.min(...reach);
  const high = Math.max(...reach);
  const lowField = param.type === 'int' || param.type === 'float' ? 'min' : 'values';
  const highField = param.type === 'int' || param.type === 'float' ? 'max' : 'values';

  if (knob.min !== undefined && (knob.minExclusive ? low <= knob.min : low < knob.min)) {
    const bound = knob.minExclusive ? `greater than ${knob.min}` : `at least ${knob.min}`;
    issues.push({
      name: param.name,
      field: lowField,
      message: `'${param.name}' must be ${bound}, but the space reaches ${low}; raise it`,
    });
  }
  if (knob.max !== undefined && high > knob.max) {
    issues.push({
      name: param.name,
      field: highField,
      message: `'${param.name}' must be at most ${knob.max}, but the space reaches ${high}; lower it`,
    });
  }
  return issues;
}

function checkChoiceKnob(param: Hyperparameter, knob: KnobSpec): SpaceIssue[] {
  const values = listedValues(param);
  if (values === undefined) {
    return [
      {
        name: param.name,
        field: 'type',
        message: `'${param.name}' is one of ${knob.values?.join(', ')}; use a choice or a fixed value`,
      },
    ];
  }

  const unknown = values.filter((value) => !knob.values?.includes(String(value)));
  if (unknown.length === 0) {
    return [];
  }
  return [
    {
      name: param.name,
      field: param.type === 'fixed' ? 'value' : 'values',
      message:
        `'${param.name}' has no option ${unknown.map(String).join(', ')}; ` +
        `pick from ${knob.values?.join(', ')}`,
    },
  ];
}

/**
 * Checks that each hyperparameter of `space` names a knob of the template
 * and only reaches values the knob accepts. Knobs not in the space keep
 * their defaults, so a missing knob is not a problem.
 */
export function validateBinding(space: SearchSpace, knobs: readonly KnobSpec[]): SpaceIssue[] {
  const issues: SpaceIssue[] = [];

  for (const param of space) {
    const knob = knobs.find((candidate) => candidate.name === param.name);
    if (knob === undefined) {
      const names = knobs.map((candidate) => candidate.name).join(', ');
      issues.push({
        name: param.name,
        field: 'name',
        message: `'${param.name}' is not a knob of this model template; use one of ${names}`,
      });
      continue;
    }

    const found =
      knob.type === 'choice' ? checkChoiceKnob(param, knob) : checkNumericKnob(param, knob);
    issues.push(...found);
  }
  return issues;
}
