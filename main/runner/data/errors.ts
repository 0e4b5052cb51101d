/** Kind of dataset failure, so callers and tests can branch without parsing the message. */
export type DatasetErrorCode =
  /** A file does not exist. */
  | 'not-found'
  /** A path names a folder, a pipe or a device instead of a regular file. */
  | 'not-a-file'
  /** A file exists but cannot be read (permissions). */
  | 'unreadable'
  /** A file (or its decompressed content) is larger than the loader reads into memory. */
  | 'too-large'
  /** A CSV file is not UTF-8 text: UTF-16, Latin-1 bytes or binary data. */
  | 'encoding'
  /** A header field of a binary format is invalid (such as a negative .npy dimension). */
  | 'invalid-header'
  /** A binary file is longer than its header promises, so the header and data disagree. */
  | 'trailing-data'
  /** A file named `.gz` is neither gzip nor a plain file of the expected format. */
  | 'not-gzip'
  /** A gzip file fails to decompress (damaged or cut short). */
  | 'corrupt-gzip'
  /** A file is shorter than its header promises. */
  | 'truncated'
  /** A file does not start with the magic bytes of its format. */
  | 'bad-magic'
  /** An array has the wrong number of dimensions for its role. */
  | 'bad-shape'
  /** A valid file uses a feature Scout does not read (dtype, byte order, layout). */
  | 'unsupported'
  /** Two files or arrays that belong together disagree on the row count. */
  | 'mismatch'
  /** The CSV target column does not exist. */
  | 'missing-column'
  /** The CSV target is a header name of one column and the index of another. */
  | 'ambiguous-column'
  /** A CSV value that must be a number is not one. */
  | 'non-numeric'
  /** A value is empty, NA or NaN. */
  | 'missing-value'
  /** A CSV file cannot be parsed (for example, rows with different field counts). */
  | 'invalid-csv'
  /** A file contains no data rows. */
  | 'empty'
  /** The split options leave the validation set empty. */
  | 'empty-validation'
  /** A split option is outside its range. */
  | 'invalid-option'
  /** A classification label is not an integer class index from 0. */
  | 'labels-out-of-range';

/** An invalid or unreadable dataset; the message names the file, the value and the fix. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';

  constructor(
    readonly code: DatasetErrorCode,
    message: string,
  ) {
    super(message);
  }
}
