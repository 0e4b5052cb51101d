import { basename } from 'node:path';

import { DatasetError } from './errors';
import { clip, readDatasetFile } from './files';

/** A decoded .npy array; values are converted to numbers. */
export interface NpyArray {
  /** NumPy dtype string from the header, such as `<f8`. */
  descr: string;
  shape: number[];
  /** Values in row-major (C) order. */
  data: Float64Array;
}

/** Readers of the supported little-endian dtypes: element size and how to read one element. */
const NPY_DTYPES: Record<string, { size: number; read: (view: DataView, at: number) => number }> = {
  '<f4': { size: 4, read: (view, at) => view.getFloat32(at, true) },
  '<f8': { size: 8, read: (view, at) => view.getFloat64(at, true) },
  '|i1': { size: 1, read: (view, at) => view.getInt8(at) },
  '<i1': { size: 1, read: (view, at) => view.getInt8(at) },
  '<i2': { size: 2, read: (view, at) => view.getInt16(at, true) },
  '<i4': { size: 4, read: (view, at) => view.getInt32(at, true) },
  // 64-bit integers above 2^53 lose precision as numbers; labels and counts are far below that.
  '<i8': { size: 8, read: (view, at) => Number(view.getBigInt64(at, true)) },
  '|u1': { size: 1, read: (view, at) => view.getUint8(at) },
  '<u1': { size: 1, read: (view, at) => view.getUint8(at) },
  '|b1': { size: 1, read: (view, at) => (view.getUint8(at) === 0 ? 0 : 1) },
};

/** Largest header read, in bytes; np.load rejects larger ones by default too (max_header_size). */
const MAX_HEADER_BYTES = 10000;

/** The magic string `\x93NUMPY` that starts every .npy file. */
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Reads a .npy file (format versions 1, 2 and 3) into numbers. */
export function readNpy(path: string): NpyArray {
  return parseNpy(readDatasetFile(path), basename(path));
}

/**
 * Decodes .npy bytes; `name` is the file name used in error messages. Fortran-order arrays,
 * big-endian dtypes and dtypes outside NPY_DTYPES raise `unsupported` with the NumPy call that
 * re-saves the array in a supported form.
 */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { header, dataOffset } = readHeader(bytes, view, name);
  const { descr, fortranOrder, shape } = parseHeader(header, name);

  if (fortranOrder) {
    throw new DatasetError(
      'unsupported',
      `${name}: the array is stored in Fortran order; save it in C order with np.save(path, np.ascontiguousarray(arr))`,
    );
  }

  const dtype = lookupDtype(descr, name);
  const count = shape.reduce((product, dim) => product * dim, 1);
  const expectedBytes = count * dtype.size;
  const foundBytes = bytes.length - dataOffset;

  if (foundBytes < expectedBytes) {
    throw new DatasetError(
      'truncated',
      `${name}: expected ${expectedBytes} bytes of data for shape (${shape.join(', ')}) ${descr}, found ${foundBytes}; the file is truncated, save it again`,
    );
  }
  if (foundBytes > expectedBytes) {
    throw new DatasetError(
      'trailing-data',
      `${name}: expected ${expectedBytes} bytes of data for shape (${shape.join(', ')}) ${descr}, found ${foundBytes} (extra bytes from offset ${dataOffset + expectedBytes}); the header does not match the data, so save the array again with np.save`,
    );
  }

  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = dtype.read(view, dataOffset + i * dtype.size);
  }

  return { descr, shape, data };
}

function readHeader(
  bytes: Uint8Array,
  view: DataView,
  name: string,
): { header: string; dataOffset: number } {
  if (bytes.length < 10 || NPY_MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new DatasetError(
      'bad-magic',
      `${name}: not a .npy file (it does not start with \\x93NUMPY); save the array with np.save`,
    );
  }

  // Version 1 stores the header length as a little-endian uint16; versions 2 and 3 as a uint32.
  const major = bytes[6];
  if (major < 1 || major > 3) {
    throw new DatasetError(
      'unsupported',
      `${name}: .npy format version ${major} is not supported (versions 1 to 3 are); save the array with np.save`,
    );
  }

  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  const dataOffset = headerStart + headerLength;

  if (headerLength > MAX_HEADER_BYTES) {
    throw new DatasetError(
      'invalid-header',
      `${name}: the header length at byte offset 8 is ${headerLength} bytes, above the limit of ${MAX_HEADER_BYTES}; the file is damaged or not a .npy file, so save the array again with np.save`,
    );
  }

  if (bytes.length < dataOffset) {
    throw new DatasetError(
      'truncated',
      `${name}: expected a ${dataOffset}-byte header, found ${bytes.length} bytes; the file is truncated, save it again`,
    );
  }

  // Version 3 allows UTF-8 in the header; versions 1 and 2 are Latin-1.
  const encoding = major === 3 ? 'utf8' : 'latin1';
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + headerStart, headerLength).toString(
    encoding,
  );

  return { header, dataOffset };
}

function parseHeader(
  header: string,
  name: string,
): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortranOrder = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];

  if (descr === undefined || fortranOrder === undefined || shape === undefined) {
    throw new DatasetError(
      'unsupported',
      `${name}: cannot read the header ${clip(header.trim(), 200)} (structured and object dtypes are not supported); save a plain numeric array with np.save(path, arr.astype('<f4'))`,
    );
  }

  const fields = shape
    .split(',')
    .map((dim) => dim.trim())
    .filter((dim) => dim !== '');
  const invalid = fields.find((dim) => !/^\d+$/.test(dim) || !Number.isSafeInteger(Number(dim)));
  if (invalid !== undefined) {
    throw new DatasetError(
      'invalid-header',
      `${name}: the header's shape (${clip(shape, 100)}) has the dimension '${clip(invalid)}', which is not a whole number from 0; the file is damaged, so save the array again with np.save`,
    );
  }

  return { descr, fortranOrder: fortranOrder === 'True', shape: fields.map(Number) };
}

function lookupDtype(descr: string, name: string): (typeof NPY_DTYPES)[string] {
  if (descr.startsWith('>')) {
    throw new DatasetError(
      'unsupported',
      `${name}: big-endian dtype '${descr}' is not supported; save it little-endian with np.save(path, arr.astype('<${descr.slice(1)}'))`,
    );
  }

  const dtype = NPY_DTYPES[descr];
  if (dtype === undefined) {
    const supported = Object.keys(NPY_DTYPES).join(', ');
    throw new DatasetError(
      'unsupported',
      `${name}: dtype '${clip(descr)}' is not supported (supported: ${supported}); convert it with arr.astype('<f4')`,
    );
  }

  return dtype;
}
