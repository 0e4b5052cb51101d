/**
 * The search-space editor's model: one row of text fields per
 * hyperparameter, converted to and from `Hyperparameter` objects, checked
 * against the MLP template's knobs, and read from or written to JSON or YAML.
 * Pure functions, so they are unit-tested under Node.
 */
import YAML from 'yaml';
import type {
  Hyperparameter,
  ParamValue,
  Scale,
  SearchSpace,
  SpaceIssue,
} from '../../../shared/space/types';
import { checkKnobs, findKnob } from '../../../shared/templates/bind';
import { validateSpace } from '../../../shared/space/validate';
import { candidateValues, countValues } from '../../../shared/space/values';
import { formatNumber, formatValue } from './format';

export { allowedTypes, checkKnobs, findKnob } from '../../../shared/templates/bind';

/** A hyperparameter type as the type select offers it. */
export type ParamType = Hyperparameter['type'];

/** Field of a row that an issue can point at. */
export type IssueField = NonNullable<SpaceIssue['field']>;

/**
 * One row of the editor. Numbers stay text while the user types, so that
 * "1e-" or "0." is not rejected or rewritten mid-keystroke.
 */
export interface ParamRow {
  /** Identity of the row for keyed lists; not part of the space. */
  key: number;
  name: string;
  type: ParamType;
  min: string;
  max: string;
  /** Empty for no step. */
  step: string;
  scale: Scale;
  /** Values of a choice, comma-separated. */
  values: string;
  /** Value of a fixed hyperparameter. */
  value: string;
}

/** Problems shown beside the fields of one row, keyed by field. */
export type RowIssues = Partial<Record<IssueField, string[]>>;

/** Format of an imported or exported space file. */
export type SpaceFormat = 'json' | 'yaml';

let lastKey = 0;

/** Returns a key no other row of this page has. */
export function nextRowKey(): number {
  lastKey += 1;
  return lastKey;
}

/**
 * Starting ranges for knobs, chosen as common first searches for an MLP:
 * learning rate and L2 factor over decades on a log scale, sizes in powers of two.
 */
const SUGGESTED: Partial<Record<string, Partial<ParamRow>>> = {
  learning_rate: { type: 'float', min: '0.0001', max: '0.1', scale: 'log' },
  l2: { type: 'float', min: '0.000001', max: '0.01', scale: 'log' },
  dropout: { type: 'float', min: '0', max: '0.5' },
  units: { type: 'int', min: '16', max: '512', step: '2', scale: 'log' },
  batch_size: { type: 'int', min: '16', max: '256', step: '2', scale: 'log' },
  layers: { type: 'int', min: '1', max: '3' },
  epochs: { type: 'int', min: '5', max: '20' },
};

/** Returns a new row for the knob called `name`, with a suggested range. */
export function defaultRow(name: string): ParamRow {
  const knob = findKnob(name);
  const row = emptyRow(name);

  if (knob?.type === 'choice') {
    return { ...row, type: 'choice', values: (knob.values ?? []).join(', ') };
  }

  const suggested = SUGGESTED[name];
  if (suggested) {
    return { ...row, ...suggested };
  }

  return {
    ...row,
    type: knob?.type ?? 'float',
    min: knob?.min !== undefined ? String(knob.min) : '',
    max: knob?.max !== undefined ? String(knob.max) : '',
  };
}

function emptyRow(name: string): ParamRow {
  return {
    key: nextRowKey(),
    name,
    type: 'float',
    min: '',
    max: '',
    step: '',
    scale: 'linear',
    values: '',
    value: '',
  };
}

/**
 * Returns `row` switched to `type`, keeping what still applies: bounds between
 * int and float, the knob's values for a choice, the knob's default for a fixed value.
 */
export function changeRowType(row: ParamRow, type: ParamType): ParamRow {
  const knob = findKnob(row.name);
  const changed: ParamRow = { ...row, type };

  if (type === 'int' && row.scale === 'reverse_log') {
    changed.scale = 'linear';
  }
  if (type === 'choice' && row.values.trim() === '') {
    changed.values = knob?.values?.join(', ') ?? listedValues(row) ?? '';
  }
  if (type === 'fixed' && row.value.trim() === '' && knob?.default !== undefined) {
    changed.value = String(knob.default);
  }

  return changed;
}

/** Largest grid turned into a choice's values when a numeric row becomes a choice. */
const MAX_VALUES_FOR_CHOICE = 24;

/** Returns a valid numeric row's candidate values as choice text, or undefined. */
function listedValues(row: ParamRow): string | undefined {
  if (row.type !== 'int' && row.type !== 'float') {
    return undefined;
  }

  const param = paramFromRow(row);
  if (validateSpace([param]).errors.length > 0 || countValues(param) > MAX_VALUES_FOR_CHOICE) {
    return undefined;
  }
  return candidateValues(param)?.map(String).join(', ');
}

/**
 * Converts a hyperparameter, possibly malformed (from a file), into a row.
 * Fields the row cannot show are dropped; validation then reports what is missing.
 */
export function rowFromParam(param: Hyperparameter): ParamRow {
  const loose = param as unknown as Record<string, unknown>;
  const row = emptyRow(typeof loose.name === 'string' ? loose.name : '');
  const type = loose.type;

  if (
    type === 'int' ||
    type === 'float' ||
    type === 'choice' ||
    type === 'boolean' ||
    type === 'fixed'
  ) {
    row.type = type;
  }

  row.min = textOf(loose.min);
  row.max = textOf(loose.max);
  row.step = textOf(loose.step);
  if (loose.scale === 'log' || loose.scale === 'reverse_log') {
    row.scale = loose.scale;
  }
  if (Array.isArray(loose.values)) {
    row.values = loose.values.map(textOf).join(', ');
  }
  row.value = textOf(loose.value);

  return row;
}

function textOf(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/**
 * Converts a row into a hyperparameter. Text that is not a number is kept
 * as text, so `validateSpace` reports it beside the field ("min 'abc' is not
 * a finite number"), and an empty bound becomes missing.
 */
export function paramFromRow(row: ParamRow): Hyperparameter {
  const name = row.name;

  switch (row.type) {
    case 'int':
    case 'float': {
      const param: Record<string, unknown> = {
        name,
        type: row.type,
        min: parseBound(row.min),
        max: parseBound(row.max),
      };
      if (row.step.trim() !== '') {
        param.step = parseBound(row.step);
      }
      if (row.scale !== 'linear') {
        param.scale = row.scale;
      }
      return param as unknown as Hyperparameter;
    }
    case 'choice':
      return { name, type: 'choice', values: splitValues(row.values) };
    case 'boolean':
      return { name, type: 'boolean' };
    case 'fixed':
      return { name, type: 'fixed', value: parseLiteral(row.value) } as Hyperparameter;
  }
}

/** Converts every row; the result is what `validateSpace` checks and `studies.create` receives. */
export function spaceFromRows(rows: ParamRow[]): SearchSpace {
  return rows.map(paramFromRow);
}

function parseBound(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }

  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}

/**
 * Parses one value typed in the form: "true" and "false" become booleans,
 * numbers become numbers, anything else stays a string. Empty text is missing.
 */
export function parseLiteral(text: string): ParamValue | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }
  if (trimmed === 'true' || trimmed === 'false') {
    return trimmed === 'true';
  }

  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}

/** Splits comma-separated choice values, skipping empty entries, and parses each. */
export function splitValues(text: string): ParamValue[] {
  return text
    .split(',')
    .map((part) => parseLiteral(part))
    .filter((value): value is ParamValue => value !== undefined);
}

/**
 * Sorts issues to the rows they name: `rows[i]` gets the issues whose
 * hyperparameter name is row i's name, keyed by field (issues without a
 * field go under `name`). Issues that name no row are returned as `general`.
 */
export function issuesByRow(
  rows: ParamRow[],
  issues: SpaceIssue[],
): { rows: RowIssues[]; general: string[] } {
  const byRow: RowIssues[] = rows.map(() => ({}));
  const general: string[] = [];

  for (const issue of issues) {
    const indexes = rows.flatMap((row, index) =>
      issue.name !== undefined && row.name === issue.name ? [index] : [],
    );
    if (indexes.length === 0) {
      general.push(issue.message);
      continue;
    }

    const field = issue.field ?? 'name';
    for (const index of indexes) {
      const list = byRow[index][field] ?? [];
      if (!list.includes(issue.message)) {
        list.push(issue.message);
      }
      byRow[index][field] = list;
    }
  }

  return { rows: byRow, general };
}

/** A space converted from the editor's rows, with every problem found in it. */
export interface SpaceCheck {
  space: SearchSpace;
  /** Problems that block creating a study: `validateSpace` errors and knob errors. */
  errors: SpaceIssue[];
  warnings: SpaceIssue[];
}

/**
 * Converts `rows` and checks the space with `validateSpace` and against the
 * MLP knobs. A knob error on a field that `validateSpace` already flags is
 * dropped, because both often describe one mistake (min 0 on a log scale is
 * also below the learning rate's range), and the field shows one error.
 */
export function checkRows(rows: ParamRow[]): SpaceCheck {
  const space = spaceFromRows(rows);
  const report = validateSpace(space);
  const flagged = new Set(report.errors.map(issueFieldKey));
  const knobErrors = checkKnobs(space).filter((issue) => !flagged.has(issueFieldKey(issue)));

  return {
    space,
    errors: [...report.errors, ...knobErrors],
    warnings: report.warnings,
  };
}

/** Returns a key of the hyperparameter and field of an issue; no field means `name`, as in `issuesByRow`. */
function issueFieldKey(issue: SpaceIssue): string {
  return `${issue.name ?? ''}\u0000${issue.field ?? 'name'}`;
}

/** Writes a space as a JSON or YAML document: a list of hyperparameters. */
export function spaceToText(space: SearchSpace, format: SpaceFormat): string {
  return format === 'json' ? `${JSON.stringify(space, null, 2)}\n` : YAML.stringify(space);
}

/**
 * Reads a space from JSON or YAML text: a list of hyperparameters, or an
 * object with such a list under `space` (as in a study's exported settings).
 * Throws an Error that describes what is wrong with the document. The
 * hyperparameters themselves are checked later by validation.
 */
export function spaceFromText(text: string): SearchSpace {
  let document: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both formats.
    document = YAML.parse(text);
  } catch (error) {
    // The yaml package appends a code frame after the first line; the first line names the problem.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new Error(
      `the file is not valid JSON or YAML (${reason}); fix the syntax or export a space again`,
    );
  }

  const list = isRecord(document) && Array.isArray(document.space) ? document.space : document;
  if (!Array.isArray(list)) {
    throw new Error(
      'the file contains no list of hyperparameters; give a list, or an object with the list under "space"',
    );
  }

  const bad = list.findIndex((item) => !isRecord(item));
  if (bad !== -1) {
    throw new Error(
      `entry ${bad + 1} of the file is not a hyperparameter object; give each one a name and a type`,
    );
  }

  return list as SearchSpace;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Summarises a hyperparameter on one line: "float 0.0001 to 0.1, log" or "choice: relu, tanh". */
export function describeParam(param: Hyperparameter): string {
  switch (param.type) {
    case 'int':
    case 'float': {
      const step = param.step !== undefined ? `, step ${formatNumber(param.step)}` : '';
      const scale = param.scale && param.scale !== 'linear' ? `, ${param.scale}` : '';
      return `${param.type} ${formatNumber(param.min)} to ${formatNumber(param.max)}${step}${scale}`;
    }
    case 'choice':
      return `choice: ${param.values.map(formatValue).join(', ')}`;
    case 'boolean':
      return 'boolean';
    case 'fixed':
      return `fixed: ${formatValue(param.value)}`;
  }
}
