import type { Hyperparameter, SearchSpace, SpaceIssue } from '../space/types';
import { MLP_KNOBS, type KnobSpec } from './mlp';

type ParamType = Hyperparameter['type'];
type IssueField = NonNullable<SpaceIssue['field']>;

/** Returns the MLP knob called `name`, or undefined. */
export function findKnob(
  name: string,
  knobs: readonly KnobSpec[] = MLP_KNOBS,
): KnobSpec | undefined {
  return knobs.find((knob) => knob.name === name);
}

/** Hyperparameter types that can drive `knob`: its own numeric type, a choice or a fixed value. */
export function allowedTypes(knob: KnobSpec | undefined): ParamType[] {
  if (!knob) {
    return ['int', 'float', 'choice', 'boolean', 'fixed'];
  }
  return knob.type === 'choice' ? ['choice', 'fixed'] : [knob.type, 'choice', 'fixed'];
}

/**
 * Checks a space against the MLP template: every name is a knob, each
 * hyperparameter's type fits its knob, and bounds and values lie within what
 * the knob accepts. These are errors, because the trainer cannot use such a
 * value. Problems that `validateSpace` already reports (a missing or
 * non-numeric bound) are skipped here.
 */
export function checkKnobs(
  space: SearchSpace,
  knobs: readonly KnobSpec[] = MLP_KNOBS,
): SpaceIssue[] {
  const issues: SpaceIssue[] = [];

  for (const param of space) {
    const knob = findKnob(param.name, knobs);
    const label = `hyperparameter '${param.name}'`;

    if (param.name.trim() === '') {
      continue;
    }
    if (!knob) {
      const names = knobs.map((k) => k.name).join(', ');
      issues.push({
        name: param.name,
        field: 'name',
        message: `${label}: the MLP template has no knob of that name; use one of ${names}`,
      });
      continue;
    }

    if (!allowedTypes(knob).includes(param.type)) {
      const types = allowedTypes(knob).join(', ');
      issues.push({
        name: param.name,
        field: 'type',
        message: `${label}: type ${param.type} does not fit the ${knob.type} knob; use one of ${types}`,
      });
      continue;
    }

    issues.push(...checkKnobValues(param, knob, label));
  }

  return issues;
}

function checkKnobValues(param: Hyperparameter, knob: KnobSpec, label: string): SpaceIssue[] {
  switch (param.type) {
    case 'int':
    case 'float':
      return (['min', 'max'] as const).flatMap((field) =>
        checkKnobValue(param[field], knob, label, param.name, field),
      );
    case 'choice':
      return param.values.flatMap((value) =>
        checkKnobValue(value, knob, label, param.name, 'values'),
      );
    case 'fixed':
      return checkKnobValue(param.value, knob, label, param.name, 'value');
    case 'boolean':
      return [];
  }
}

/** Returns the issue of one value against `knob`, or none; non-numbers in numeric fields are validateSpace's job. */
function checkKnobValue(
  value: unknown,
  knob: KnobSpec,
  label: string,
  name: string,
  field: IssueField,
): SpaceIssue[] {
  const issue = (message: string): SpaceIssue[] => [
    { name, field, message: `${label}: ${message}` },
  ];
  const subject = field === 'values' ? `value ${String(value)}` : `${field} ${String(value)}`;

  if (knob.type === 'choice') {
    if (value !== undefined && !(knob.values ?? []).includes(value as string)) {
      const allowed = (knob.values ?? []).join(', ');
      return issue(`${subject} is not an allowed ${knob.name}; use one of ${allowed}`);
    }
    return [];
  }

  if (typeof value !== 'number' || !Number.isFinite(value)) {
    // A numeric knob given a string or boolean in a choice or fixed value.
    return field === 'values' || field === 'value'
      ? issue(`${subject} is not a number; ${knob.name} takes numbers`)
      : [];
  }

  if (knob.type === 'int' && !Number.isInteger(value)) {
    return issue(`${subject} is not an integer; ${knob.name} takes whole numbers`);
  }
  if (knob.min !== undefined && (value < knob.min || (knob.minExclusive && value === knob.min))) {
    const bound = knob.minExclusive ? `greater than ${knob.min}` : `at least ${knob.min}`;
    return issue(`${subject} is out of range; ${knob.name} must be ${bound}`);
  }
  if (knob.max !== undefined && value > knob.max) {
    return issue(`${subject} is out of range; ${knob.name} must be at most ${knob.max}`);
  }

  return [];
}
