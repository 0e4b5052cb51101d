import type { FloatParam, IntParam, SearchSpace, SpaceIssue } from './types';
import { valueAt, countValues } from './values';

/** Errors make a space unusable; warnings point at a likely mistake in a usable space. */
export interface SpaceReport {
  errors: SpaceIssue[];
  warnings: SpaceIssue[];
}

/** Thrown by `assertValidSpace`; `issues` contains every error found, not only the first. */
export class SpaceError extends Error {
  readonly issues: SpaceIssue[];

  constructor(issues: SpaceIssue[]) {
    const count = issues.length === 1 ? '1 error' : `${issues.length} errors`;
    super(`invalid search space (${count}):\n${issues.map((i) => `- ${i.message}`).join('\n')}`);
    this.name = 'SpaceError';
    this.issues = issues;
  }
}

const TYPES = ['int', 'float', 'choice', 'boolean', 'fixed'];
const SCALES = ['linear', 'log', 'reverse_log'];

/**
 * A hyperparameter as it may arrive from a form, a YAML file or IPC: every
 * field is checked before the typed fields are trusted.
 */
type LooseParam = Record<string, unknown>;

/**
 * Checks a search space and returns every problem found. Each message names
 * the hyperparameter and states the fix. `min == max` is valid, because a
 * refined space may collapse to one value.
 */
export function validateSpace(space: SearchSpace): SpaceReport {
  const report: SpaceReport = { errors: [], warnings: [] };

  if (!Array.isArray(space)) {
    report.errors.push({
      message: `the search space must be a list of hyperparameters, not ${formatValue(space)}; wrap the hyperparameters in a list`,
    });
    return report;
  }

  if (space.length === 0) {
    report.warnings.push({
      message:
        'the search space has no hyperparameters, so every trial uses the model defaults; add a hyperparameter to search over',
    });
  }

  checkNames(space as unknown[], report);
  space.forEach((p, index) => checkParam(p as unknown, index, report));

  return report;
}

/** Throws a SpaceError listing every error of `space`; warnings do not throw. */
export function assertValidSpace(space: SearchSpace): void {
  const { errors } = validateSpace(space);
  if (errors.length > 0) {
    throw new SpaceError(errors);
  }
}

function checkNames(space: unknown[], report: SpaceReport): void {
  const firstIndex = new Map<string, number>();

  space.forEach((p, index) => {
    const name = isRecord(p) ? p.name : undefined;
    if (typeof name !== 'string' || name.trim() === '') {
      report.errors.push({
        field: 'name',
        message: `hyperparameter ${index + 1}: name is missing; give it a non-empty name`,
      });
      return;
    }

    const first = firstIndex.get(name);
    if (first === undefined) {
      firstIndex.set(name, index);
      return;
    }

    report.errors.push({
      name,
      field: 'name',
      message: `hyperparameter '${name}': the name is used by hyperparameters ${first + 1} and ${index + 1}; rename one of them`,
    });
  });
}

function checkParam(p: unknown, index: number, report: SpaceReport): void {
  if (!isRecord(p)) {
    report.errors.push({
      message: `hyperparameter ${index + 1}: ${formatValue(p)} is not a hyperparameter; give an object with a name and a type`,
    });
    return;
  }

  const issues = new IssueList(p, index, report);

  switch (p.type) {
    case 'int':
    case 'float':
      checkNumeric(p, issues);
      break;
    case 'choice':
      checkChoice(p, issues);
      break;
    case 'boolean':
      break;
    case 'fixed':
      checkFixed(p, issues);
      break;
    default:
      issues.error('type', `unknown type ${formatValue(p.type)}; use one of ${TYPES.join(', ')}`);
  }
}

/** Collects issues of one hyperparameter, each message prefixed with its name. */
class IssueList {
  private readonly label: string;
  private readonly name: string | undefined;

  constructor(
    p: LooseParam,
    index: number,
    private readonly report: SpaceReport,
  ) {
    const hasName = typeof p.name === 'string' && p.name.trim() !== '';
    this.name = hasName ? (p.name as string) : undefined;
    this.label = hasName ? `hyperparameter '${p.name as string}'` : `hyperparameter ${index + 1}`;
  }

  error(field: SpaceIssue['field'], text: string): void {
    this.report.errors.push({ name: this.name, field, message: `${this.label}: ${text}` });
  }

  warning(field: SpaceIssue['field'], text: string): void {
    this.report.warnings.push({ name: this.name, field, message: `${this.label}: ${text}` });
  }

  get errorCount(): number {
    return this.report.errors.length;
  }
}

// ---------------------------------------------------------------- int and float

function checkNumeric(p: LooseParam, issues: IssueList): void {
  const before = issues.errorCount;

  const boundsOk = checkBounds(p, issues);
  const scaleOk = checkScale(p, issues, boundsOk);
  if (!boundsOk || !scaleOk) {
    return;
  }

  checkStep(p, issues);

  // The grid warning needs a valid step, so it runs only on an error-free parameter.
  if (issues.errorCount === before) {
    warnIfStepLeavesGap(p as unknown as IntParam | FloatParam, issues);
  }
}

/** Returns whether min and max are finite, ordered and (for an int) integers. */
function checkBounds(p: LooseParam, issues: IssueList): boolean {
  let ok = true;

  for (const field of ['min', 'max'] as const) {
    const value = p[field];
    if (value === undefined || value === null) {
      issues.error(field, `${field} is missing; set ${field} to a finite number`);
      ok = false;
    } else if (typeof value !== 'number' || !Number.isFinite(value)) {
      issues.error(
        field,
        `${field} ${formatValue(value)} is not a finite number; set ${field} to a finite number`,
      );
      ok = false;
    } else if (p.type === 'int' && !Number.isInteger(value)) {
      issues.error(
        field,
        `${field} ${value} is not an integer; use an integer ${field} or make the type float`,
      );
      ok = false;
    }
  }

  if (ok && (p.min as number) > (p.max as number)) {
    issues.error('min', `min ${String(p.min)} is greater than max ${String(p.max)}; swap them`);
    ok = false;
  }

  return ok;
}

/** Returns whether the scale is known and allowed for the type and bounds. */
function checkScale(p: LooseParam, issues: IssueList, boundsOk: boolean): boolean {
  const scale = p.scale ?? 'linear';

  if (typeof scale !== 'string' || !SCALES.includes(scale)) {
    issues.error('scale', `unknown scale ${formatValue(scale)}; use one of ${SCALES.join(', ')}`);
    return false;
  }

  if (p.type === 'int' && scale === 'reverse_log') {
    issues.error(
      'scale',
      'scale reverse_log is only for float; use linear or log, or make the type float',
    );
    return false;
  }

  if (scale !== 'linear' && boundsOk && (p.min as number) <= 0) {
    issues.error(
      'min',
      `a ${scale} scale needs min > 0, but min is ${String(p.min)}; set min to a positive value such as 1e-6, or use a linear scale`,
    );
    return false;
  }

  return true;
}

function checkStep(p: LooseParam, issues: IssueList): void {
  const step = p.step;
  if (step === undefined) {
    return;
  }

  const scale = (p.scale ?? 'linear') as string;
  const min = p.min as number;
  const max = p.max as number;

  if (typeof step !== 'number' || !Number.isFinite(step)) {
    issues.error(
      'step',
      `step ${formatValue(step)} is not a finite number; set a number or remove step`,
    );
  } else if (p.type === 'int' && (!Number.isInteger(step) || step < 1)) {
    issues.error(
      'step',
      `step ${step} is not a positive integer; an int step must be a whole number, at least 1 (at least 2 on a log scale)`,
    );
  } else if (scale === 'linear' && step <= 0) {
    issues.error(
      'step',
      `step ${step} must be greater than 0; use a positive step, or remove step for a continuous range`,
    );
  } else if (scale !== 'linear' && step <= 1) {
    issues.error(
      'step',
      `step ${step} on a ${scale} scale is a multiplier and must be greater than 1; use 2 to double each value, or 10 for one value per decade`,
    );
  } else if (min !== max && scale === 'linear' && exceeds(step, max - min)) {
    issues.error(
      'step',
      `step ${step} is larger than the range ${min}..${max} (a span of ${roundForMessage(max - min)}); use a step of at most ${roundForMessage(max - min)}, or widen the range`,
    );
  } else if (min !== max && scale !== 'linear' && exceeds(step, max / min)) {
    issues.error(
      'step',
      `step ${step} is larger than the range ${min}..${max} (a ratio max/min of ${roundForMessage(max / min)}); use a step of at most ${roundForMessage(max / min)}, or widen the range`,
    );
  }
}

/**
 * Warns when the step grid misses a bound. Linear and log grids start at min,
 * so they may stop short of max. A reverse_log grid starts at max (as in Keras
 * Tuner), so it may stop short of min.
 */
function warnIfStepLeavesGap(p: IntParam | FloatParam, issues: IssueList): void {
  if (p.step === undefined || p.min === p.max) {
    return;
  }

  const count = countValues(p);
  const first = valueAt(p, 0);
  const last = valueAt(p, count - 1);

  if (last !== p.max) {
    issues.warning(
      'step',
      `step ${p.step} does not divide ${p.min}..${p.max}; the largest value drawn is ${last}; set max to ${last}, or choose a step that divides the range`,
    );
  } else if (first !== p.min) {
    issues.warning(
      'step',
      `step ${p.step} does not divide ${p.min}..${p.max}; the smallest value drawn is ${first}; set min to ${first}, or choose a step that divides the range`,
    );
  }
}

/**
 * Returns whether `step` is larger than `range` by more than floating-point noise:
 * 0.3 - 0.2 is 0.09999999999999998, yet step 0.1 fits 0.2..0.3.
 */
function exceeds(step: number, range: number): boolean {
  return step > range * (1 + 1e-9);
}

// ---------------------------------------------------------------- choice and fixed

function checkChoice(p: LooseParam, issues: IssueList): void {
  const values = p.values;

  if (!Array.isArray(values) || values.length === 0) {
    issues.error('values', 'the choice has no values; list at least one value');
    return;
  }

  let valid = true;
  for (const value of values) {
    valid = checkValue(value, 'values', 'choice value', issues) && valid;
  }
  if (!valid) {
    return;
  }

  const types = [...new Set(values.map((value) => typeof value))];
  if (types.length > 1) {
    issues.error(
      'values',
      `the choice mixes ${types.join(' and ')} values (${values.map(formatValue).join(', ')}); use values of one type`,
    );
    return;
  }

  const occurrences = new Map<unknown, number>();
  for (const value of values) {
    occurrences.set(value, (occurrences.get(value) ?? 0) + 1);
  }

  for (const [value, count] of occurrences) {
    if (count > 1) {
      issues.error(
        'values',
        `the choice lists ${formatValue(value)} ${count} times; keep one and remove the duplicates`,
      );
    }
  }
}

function checkFixed(p: LooseParam, issues: IssueList): void {
  if (p.value === undefined || p.value === null) {
    issues.error(
      'value',
      'fixed has no value; set value, or remove the hyperparameter to use the model default',
    );
    return;
  }

  checkValue(p.value, 'value', 'value', issues);
}

/** Returns whether `value` is a finite number, a string or a boolean, and reports it otherwise. */
function checkValue(
  value: unknown,
  field: 'values' | 'value',
  what: string,
  issues: IssueList,
): boolean {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    issues.error(
      field,
      `${what} ${formatValue(value)} is not a finite number; remove it or use a finite number`,
    );
    return false;
  }

  if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') {
    issues.error(
      field,
      `${what} ${formatValue(value)} is not a number, string or boolean; use one of those`,
    );
    return false;
  }

  return true;
}

// ---------------------------------------------------------------- helpers

function isRecord(value: unknown): value is LooseParam {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shows a value as the user wrote it: strings quoted, objects as JSON. */
function formatValue(value: unknown): string {
  if (typeof value === 'string') {
    return `'${value}'`;
  }

  if (typeof value === 'object' && value !== null) {
    return JSON.stringify(value);
  }

  return String(value);
}

/** Drops floating-point noise from a computed number shown in a message (32 - 0.1 shows as 31.9). */
function roundForMessage(x: number): number {
  return Number(x.toPrecision(12));
}
