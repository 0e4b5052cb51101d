import { basename } from 'node:path';

import { CsvError, parse } from 'csv-parse/sync';

import { DatasetError } from './errors';
import { clip, readMaybeGzip } from './files';
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

/**
 * Largest CSV file (after gzip decompression), in bytes. csv-parse keeps every field as a
 * JavaScript string, so parsing takes several times the file size in memory (an estimate: about
 * ten times for short numeric fields). Larger tables load from .npy, which is read as numbers.
 */
export const MAX_CSV_BYTES = 256 * 2 ** 20;

/**
 * Longest CSV row, in characters. A file without line breaks (binary data, a JSON dump) then fails
 * at this size with the line number instead of being read as one enormous row. One million
 * numeric columns still fit.
 */
export const MAX_CSV_ROW_CHARS = 16 * 2 ** 20;

/** Number of column names listed in a message before the list is cut. */
const LISTED_COLUMNS = 20;

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
 * are named by their 0-based index ("0", "1", ...). `target` is a column name, or `#N` for the
 * 0-based index N (see findTargetColumn).
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
      `${name}: the file has only the target column '${clip(target)}'; a dataset needs at least one feature column, so check that the delimiter is a comma`,
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
  const text = decodeCsvText(readMaybeGzip(path, MAX_CSV_BYTES).bytes, name);

  try {
    // With `info: true` each record comes as { record, info }, which the typings do not express.
    const options = {
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: true,
      max_record_size: MAX_CSV_ROW_CHARS,
    };
    return parse(text, options) as unknown as CsvRecord[];
  } catch (error) {
    if (error instanceof CsvError) {
      throw new DatasetError('invalid-csv', describeCsvError(error, name));
    }

    throw error;
  }
}

/**
 * Decodes CSV bytes as UTF-8. A UTF-16 byte order mark, a NUL byte (binary data, or UTF-16 without
 * a mark) and bytes that are not UTF-8 (such as Latin-1 accents) raise `encoding` with the line
 * and byte offset, because decoding them anyway would turn distinct labels into the same U+FFFD.
 */
function decodeCsvText(bytes: Buffer, name: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    const order = bytes[0] === 0xff ? 'FF FE, little-endian' : 'FE FF, big-endian';
    throw new DatasetError(
      'encoding',
      `${name}: the file is UTF-16 text (byte order mark ${order}), but CSV files must be UTF-8; save it as "CSV UTF-8" or convert it with iconv -f UTF-16 -t UTF-8`,
    );
  }

  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    throw new DatasetError(
      'encoding',
      `${name}: line ${lineAt(bytes, nul)} (byte offset ${nul}) contains a NUL byte, so the file is binary data or UTF-16 text, not a UTF-8 CSV file; choose the IDX or NPY format for binary files, or save the table as "CSV UTF-8"`,
    );
  }

  const invalid = findInvalidUtf8(bytes);
  if (invalid !== -1) {
    const shown = Array.from(bytes.subarray(invalid, invalid + 4), (byte) =>
      byte.toString(16).padStart(2, '0'),
    ).join(' ');
    throw new DatasetError(
      'encoding',
      `${name}: line ${lineAt(bytes, invalid)} (byte offset ${invalid}) is not valid UTF-8 (bytes ${shown}); the file is probably Latin-1 or Windows-1252, so save it as "CSV UTF-8" or convert it with iconv -f LATIN1 -t UTF-8`,
    );
  }

  return bytes.toString('utf8');
}

/** Returns the 1-based line of a byte offset. */
function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let at = bytes.indexOf(0x0a); at !== -1 && at < offset; at = bytes.indexOf(0x0a, at + 1)) {
    line++;
  }
  return line;
}

/**
 * Returns the offset of the first byte that breaks UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or -1 when the whole buffer is valid.
 */
function findInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    if (lead < 0x80) {
      i++;
      continue;
    }

    // The allowed range of the second byte depends on the lead byte (RFC 3629, section 4).
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      low = lead === 0xe0 ? 0xa0 : 0x80;
      high = lead === 0xed ? 0x9f : 0xbf;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      low = lead === 0xf0 ? 0x90 : 0x80;
      high = lead === 0xf4 ? 0x8f : 0xbf;
    } else {
      return i;
    }

    const second = bytes[i + 1];
    if (second === undefined || second < low || second > high) {
      return i;
    }
    for (let k = 2; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < 0x80 || next > 0xbf) {
        return i;
      }
    }
    i += length;
  }

  return -1;
}

/** Returns csv-parse's error as a message with the line and a fix that fits the problem. */
function describeCsvError(error: CsvError, name: string): string {
  const line = (error as CsvError & { lines?: number }).lines;
  const where = line === undefined ? '' : `line ${line}: `;

  switch (error.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      // csv-parse 6 words this error "Invalid Record Length: expect 5, got 3 on line 7".
      const counts = /expect (\d+), got (\d+)/.exec(error.message);
      const found =
        counts === null
          ? 'a different number of'
          : `${counts[2]} fields but the first row has ${counts[1]}`;
      return `${name}: ${where}the row has ${found}; every row needs the same number of fields, so check for a missing or extra comma, or a file cut short`;
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return `${name}: ${where}a quoted field is never closed; the file may be cut short, or a quote inside a field must be doubled ("")`;
    case 'CSV_MAX_RECORD_SIZE':
      return `${name}: ${where}a row is longer than ${MAX_CSV_ROW_CHARS} characters; check that this is a CSV file with one row per line`;
    default:
      return `${name}: invalid CSV (${clip(error.message, 200)}); check the quoting and the field count of that line`;
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

/**
 * Finds the target column: `#N` is the column at 0-based index N, anything else a header name,
 * and a plain number N is index N when no header name is N. A plain number that names one column
 * and is the index of another is rejected as ambiguous, with the `#N` form of each.
 */
function findTargetColumn(columnNames: string[], target: string, name: string): number {
  const indexForm = /^#(\d+)$/.exec(target);
  if (indexForm !== null && Number(indexForm[1]) < columnNames.length) {
    return Number(indexForm[1]);
  }

  const byName = indexForm === null ? columnNames.indexOf(target) : -1;
  const byIndex = /^\d+$/.test(target) && Number(target) < columnNames.length ? Number(target) : -1;
  if (byName !== -1 && byIndex !== -1 && byName !== byIndex) {
    throw new DatasetError(
      'ambiguous-column',
      `${name}: target column '${clip(target)}' is ambiguous: it is the header name of the column at index ${byName} and the 0-based index of column '${clip(columnNames[byIndex])}'; give '#${byIndex}' for the column at index ${byIndex}, or '#${byName}' for the column named '${clip(target)}'`,
    );
  }
  if (byName !== -1) {
    return byName;
  }
  if (byIndex !== -1) {
    return byIndex;
  }

  const listed = columnNames.slice(0, LISTED_COLUMNS).map((column) => `'${clip(column)}'`);
  const more = columnNames.length - listed.length;
  const available = more > 0 ? `${listed.join(', ')} and ${more} more` : listed.join(', ');
  throw new DatasetError(
    'missing-column',
    `${name}: target column '${clip(target)}' not found; available columns: ${available} (or #N for the 0-based index N, below ${columnNames.length})`,
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
      const value = record[column];
      // The fast path skips building the location text, which only an error message needs.
      if (isNumeric(value)) {
        x[row * featureIndices.length + j] = Number(value);
        return;
      }
      const where = `column '${clip(columnNames[column])}', ${describeRow(row)}`;
      x[row * featureIndices.length + j] = parseNumber(value, where, name, FEATURE_FIX);
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
      `${name}: target column '${clip(targetName)}', ${describeRow(missing)} has no value ('${targets[missing]}'); fill it in or drop the row`,
    );
  }

  if (task === 'classification' && !targets.every(isNumeric)) {
    // A number among text labels is most often a data-entry slip, and it would silently become
    // a class of its own, so the column must use one kind of label.
    const number = targets.findIndex(isNumeric);
    if (number !== -1) {
      const text = targets.findIndex((value) => !isNumeric(value));
      throw new DatasetError(
        'non-numeric',
        `${name}: target column '${clip(targetName)}' mixes numbers and text: ${describeRow(number)} has '${clip(targets[number])}' but ${describeRow(text)} has '${clip(targets[text])}'; use text for every class or a class index for every row`,
      );
    }
    return readClassNames(targets);
  }

  const fix = task === 'regression' ? REGRESSION_FIX : CLASS_FIX;
  const y = Float64Array.from(targets, (value, row) =>
    parseNumber(value, `target column '${clip(targetName)}', ${describeRow(row)}`, name, fix),
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
    throw new DatasetError(
      'non-numeric',
      `${name}: ${where}: '${clip(value)}' is not a number; ${fix}`,
    );
  }

  return Number(value);
}
