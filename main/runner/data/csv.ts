import { basename } from 'node:path';

import { CsvError, parse } from 'csv-parse/sync';

import { DatasetError } from './errors';
import { readMaybeGzip } from './files';
import type { Task } from './types';

/** Features and targets read from a table, before labels are checked and rows are split. */
export interface TabularData {
  /** `rows * features` values, row-major, not yet standardised. */
  x: Float64Array;
  /** Target per row: a class index for classification, the value for regression. */
  y: Float64Array;
  rows: number;
  features: number;
  featureNames: string[];
  /** Sorted class names when the classification target contains strings. */
  classNames?: string[];
  /** Names a data row (0-based) as the user finds it in the file, for messages. */
  describeRow: (index: number) => string;
}

/** Values that mean "no value" in exported tables; compared in lower case. */
const MISSING_MARKERS = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?']);

/** Decimal numbers with an optional sign and exponent; hex, `Infinity` and `1_000` are not accepted. */
const NUMBER_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const FEATURE_FIX = 'feature columns must be numeric, so encode or drop this column';
const REGRESSION_FIX = "a regression target must be numeric; use task 'classification' for labels";
const CLASS_FIX = 'fix the value or drop the row';

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Reads a CSV dataset (plain or gzip, UTF-8 with or without a byte order mark, LF or CRLF,
 * quoted fields that contain commas or line breaks).
 *
 * Header rule: the first row is a header when one of its fields is neither a number nor a missing
 * value while the second row's field in the same column is a number. Without a header, the columns
 * are named by their 0-based index ("0", "1", ...). `target` is a column name or an index string.
 *
 * Rows are numbered as a spreadsheet shows them: 1-based, the header is row 1. Every feature must
 * be a number; a classification target may hold strings, which become class indices in sorted
 * order with `classNames` kept.
 */
export function readCsvDataset(path: string, target: string, task: Task): TabularData {
  const name = basename(path);
  const records = parseRecords(path, name);

  if (records.length === 0) {
    throw new DatasetError('empty', `${name}: the file has no rows; add a header and data rows`);
  }

  const hasHeader = detectHeader(records.map((entry) => entry.record));
  const dataRecords = hasHeader ? records.slice(1) : records;
  if (dataRecords.length === 0) {
    throw new DatasetError('empty', `${name}: the file has a header but no data rows`);
  }

  const columnCount = records[0].record.length;
  const columnNames = hasHeader
    ? records[0].record
    : Array.from({ length: columnCount }, (_, i) => String(i));
  const targetIndex = findTargetColumn(columnNames, target, name);
  const featureIndices = columnNames.map((_, i) => i).filter((i) => i !== targetIndex);

  if (featureIndices.length === 0) {
    throw new DatasetError(
      'bad-shape',
      `${name}: the file has only the target column '${target}'; a dataset needs at least one feature column`,
    );
  }

  const describeRow = makeRowDescriber(dataRecords, hasHeader);
  const cells = dataRecords.map((entry) => entry.record);
  const x = readFeatures(cells, featureIndices, columnNames, describeRow, name);
  const targetName = columnNames[targetIndex];
  const targets = cells.map((record) => record[targetIndex]);
  const { y, classNames } = readTargets(targets, targetName, task, describeRow, name);

  return {
    x,
    y,
    rows: cells.length,
    features: featureIndices.length,
    featureNames: featureIndices.map((i) => columnNames[i]),
    classNames,
    describeRow,
  };
}

/** Returns whether the text is a decimal number such as `3`, `-0.5` or `1e-3`. */
export function isNumeric(value: string): boolean {
  return NUMBER_PATTERN.test(value.trim());
}

/** Returns whether the text marks a missing value (empty, NA, N/A, NaN, null, None, ?). */
export function isMissing(value: string): boolean {
  return MISSING_MARKERS.has(value.trim().toLowerCase());
}

function parseRecords(path: string, name: string): CsvRecord[] {
  const text = readMaybeGzip(path).bytes.toString('utf8');

  try {
    // With `info: true` each record comes as { record, info }, which the typings do not express.
    const options = { bom: true, info: true, skip_empty_lines: true, trim: true };
    return parse(text, options) as unknown as CsvRecord[];
  } catch (error) {
    if (error instanceof CsvError) {
      throw new DatasetError(
        'invalid-csv',
        `${name}: invalid CSV (${error.message}); every row needs the same number of fields`,
      );
    }

    throw error;
  }
}

function detectHeader(records: string[][]): boolean {
  const [first, second] = records;
  if (second === undefined) {
    return first.some((field) => !isNumeric(field) && !isMissing(field));
  }

  return first.some(
    (field, i) =>
      !isNumeric(field) && !isMissing(field) && second[i] !== undefined && isNumeric(second[i]),
  );
}

function findTargetColumn(columnNames: string[], target: string, name: string): number {
  const byName = columnNames.indexOf(target);
  if (byName !== -1) {
    return byName;
  }

  if (/^\d+$/.test(target) && Number(target) < columnNames.length) {
    return Number(target);
  }

  const available = columnNames.map((column) => `'${column}'`).join(', ');
  throw new DatasetError(
    'missing-column',
    `${name}: target column '${target}' not found; available columns: ${available} (or a 0-based index)`,
  );
}

/**
 * Builds the row names used in messages. A quoted field with line breaks makes a row span several
 * lines, so the starting line is added whenever it differs from the row number.
 */
function makeRowDescriber(dataRecords: CsvRecord[], hasHeader: boolean): (index: number) => string {
  return (index) => {
    const entry = dataRecords[index];
    const row = index + (hasHeader ? 2 : 1);
    const breaks = entry.record.join('').match(/\r\n|\r|\n/g)?.length ?? 0;
    const line = entry.info.lines - breaks;

    return line === row ? `row ${row}` : `row ${row} (line ${line})`;
  };
}

function readFeatures(
  cells: string[][],
  featureIndices: number[],
  columnNames: string[],
  describeRow: (index: number) => string,
  name: string,
): Float64Array {
  const x = new Float64Array(cells.length * featureIndices.length);

  cells.forEach((record, row) => {
    featureIndices.forEach((column, j) => {
      const where = `column '${columnNames[column]}', ${describeRow(row)}`;
      x[row * featureIndices.length + j] = parseNumber(record[column], where, name, FEATURE_FIX);
    });
  });

  return x;
}

function readTargets(
  targets: string[],
  targetName: string,
  task: Task,
  describeRow: (index: number) => string,
  name: string,
): { y: Float64Array; classNames?: string[] } {
  const missing = targets.findIndex(isMissing);
  if (missing !== -1) {
    throw new DatasetError(
      'missing-value',
      `${name}: target column '${targetName}', ${describeRow(missing)} has no value ('${targets[missing]}'); fill it in or drop the row`,
    );
  }

  if (task === 'classification' && !targets.every(isNumeric)) {
    return readClassNames(targets);
  }

  const fix = task === 'regression' ? REGRESSION_FIX : CLASS_FIX;
  const y = Float64Array.from(targets, (value, row) =>
    parseNumber(value, `target column '${targetName}', ${describeRow(row)}`, name, fix),
  );

  return { y };
}

function readClassNames(targets: string[]): { y: Float64Array; classNames: string[] } {
  // Code-unit order, not locale order, so the class indices do not depend on the machine.
  const classNames = [...new Set(targets)].sort();
  const indexOf = new Map(classNames.map((className, i) => [className, i]));

  return { y: Float64Array.from(targets, (value) => indexOf.get(value) ?? -1), classNames };
}

function parseNumber(value: string, where: string, name: string, fix: string): number {
  if (isMissing(value)) {
    throw new DatasetError(
      'missing-value',
      `${name}: ${where} has no value ('${value}'); fill in the missing values or drop the row`,
    );
  }

  if (!isNumeric(value)) {
    throw new DatasetError('non-numeric', `${name}: ${where}: '${value}' is not a number; ${fix}`);
  }

  return Number(value);
}
