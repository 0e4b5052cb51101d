import { basename } from 'node:path';

import { DatasetError } from './errors';
import { readMaybeGzip } from './files';

/** Element types of the IDX format: the third magic byte and its size in bytes. */
const IDX_DTYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: 'ubyte', size: 1 },
  0x09: { name: 'byte', size: 1 },
  0x0b: { name: 'short', size: 2 },
  0x0c: { name: 'int', size: 4 },
  0x0d: { name: 'float', size: 4 },
  0x0e: { name: 'double', size: 8 },
};

/** Role of an IDX file, which fixes its expected dimensions. */
export type IdxRole = 'images' | 'labels';

/** A decoded IDX array. */
export interface IdxArray {
  /** Type byte from the magic number (0x08 for unsigned bytes, as in MNIST). */
  dtype: number;
  /** Sizes of the dimensions; `dims[0]` is the item count. */
  dims: number[];
  /** Values in row-major order; unsigned bytes are a view of the file, not a copy. */
  data: Uint8Array | Float64Array;
}

/** Image rows and labels read from an IDX pair, checked to have the same count. */
export interface IdxPair {
  images: IdxArray;
  labels: Float64Array | Uint8Array;
  rows: number;
  /** Values per image (784 for MNIST's 28x28). */
  features: number;
}

/**
 * Reads an IDX file, plain or gzip. Gzip is detected by its magic bytes, whatever the name:
 * a gzip file named without `.gz` loads, and so does a plain IDX file named `.gz` (its content is
 * a valid IDX file, so renaming it would change nothing). A `.gz` file that is neither gzip nor IDX
 * raises `not-gzip`.
 */
export function readIdx(path: string, role: IdxRole): IdxArray {
  const { bytes, gzipped } = readMaybeGzip(path);

  // Sizes in messages refer to the decompressed content, so the name says so.
  const name = gzipped ? `${basename(path)} (decompressed)` : basename(path);

  return parseIdx(bytes, name, role);
}

/** Decodes IDX bytes; `name` is the file name used in error messages. */
export function parseIdx(bytes: Uint8Array, name: string, role: IdxRole): IdxArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dtype = readMagic(view, name);
  const ndims = bytes[3];

  // The header is the 4-byte magic number and one big-endian uint32 per dimension.
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new DatasetError(
      'truncated',
      `${name}: expected a ${headerBytes}-byte header, found ${bytes.length} bytes; the file is truncated, download it again`,
    );
  }

  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) {
    dims.push(view.getUint32(4 + 4 * i, false));
  }

  checkDims(dims, name, role);

  const { size } = IDX_DTYPES[dtype];
  const count = dims.reduce((product, dim) => product * dim, 1);
  const expectedBytes = headerBytes + count * size;
  if (bytes.length < expectedBytes) {
    throw new DatasetError(
      'truncated',
      `${name}: expected ${expectedBytes} bytes for ${describeItems(dims, role)}, found ${bytes.length}; the file is truncated, download it again`,
    );
  }

  if (bytes.length > expectedBytes) {
    throw new DatasetError(
      'trailing-data',
      `${name}: expected ${expectedBytes} bytes for ${describeItems(dims, role)}, found ${bytes.length} (extra bytes from offset ${expectedBytes}); the header does not match the data, so download the file again`,
    );
  }

  return { dtype, dims, data: readValues(view, headerBytes, count, dtype) };
}

/** Reads an image file and its label file and checks that they hold the same number of items. */
export function readIdxPair(imagesPath: string, labelsPath: string): IdxPair {
  const images = readIdx(imagesPath, 'images');
  const labels = readIdx(labelsPath, 'labels');
  const rows = images.dims[0];

  if (labels.dims[0] !== rows) {
    throw new DatasetError(
      'mismatch',
      `${basename(imagesPath)} has ${rows} images but ${basename(labelsPath)} has ${labels.dims[0]} labels; use the label file that belongs to these images`,
    );
  }

  const features = images.dims.slice(1).reduce((product, dim) => product * dim, 1);
  if (rows === 0 || features === 0) {
    throw new DatasetError(
      'empty',
      `${basename(imagesPath)}: the header declares ${describeItems(images.dims, 'images')}, so there is nothing to train on; choose an IDX file with data`,
    );
  }

  return { images, labels: labels.data, rows, features };
}

/**
 * Copies the given image rows into a flat array scaled to [0, 1].
 * NOTE: only unsigned-byte images are divided by 255; other IDX types are copied unscaled.
 */
export function gatherImageRows(
  images: IdxArray,
  features: number,
  rowIndices: ArrayLike<number>,
): Float32Array {
  const out = new Float32Array(rowIndices.length * features);
  const scale = images.dtype === 0x08 ? 1 / 255 : 1;

  for (let i = 0; i < rowIndices.length; i++) {
    const start = rowIndices[i] * features;
    for (let j = 0; j < features; j++) {
      out[i * features + j] = images.data[start + j] * scale;
    }
  }

  return out;
}

function readMagic(view: DataView, name: string): number {
  const magic = view.byteLength >= 4 ? view.getUint32(0, false) : -1;
  const dtype = view.byteLength >= 4 ? view.getUint8(2) : -1;
  const ndims = view.byteLength >= 4 ? view.getUint8(3) : 0;

  if (magic >>> 16 !== 0 || !(dtype in IDX_DTYPES) || ndims === 0) {
    const found = magic === -1 ? `only ${view.byteLength} bytes` : `magic number 0x${hex(magic)}`;
    const code = name.endsWith('.gz') ? 'not-gzip' : 'bad-magic';
    const problem = name.endsWith('.gz') ? 'neither gzip data nor an IDX file' : 'not an IDX file';

    throw new DatasetError(
      code,
      `${name}: ${problem} (${found}; an IDX file starts with two zero bytes, a type byte from 0x08 to 0x0e and the dimension count); check that this is an MNIST-style IDX file, or download it again`,
    );
  }

  return dtype;
}

function checkDims(dims: number[], name: string, role: IdxRole): void {
  if (role === 'labels' && dims.length !== 1) {
    throw new DatasetError(
      'bad-shape',
      `${name}: a label file must have 1 dimension, found ${dims.length} (${dims.join('x')}); check that the images and labels paths are not swapped`,
    );
  }

  if (role === 'images' && dims.length < 2) {
    throw new DatasetError(
      'bad-shape',
      `${name}: an image file must have at least 2 dimensions, found ${dims.length}; check that the images and labels paths are not swapped`,
    );
  }
}

function readValues(
  view: DataView,
  offset: number,
  count: number,
  dtype: number,
): Uint8Array | Float64Array {
  if (dtype === 0x08) {
    return new Uint8Array(view.buffer, view.byteOffset + offset, count);
  }

  // IDX stores multi-byte values big-endian, so they are read one by one through the DataView.
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    values[i] = readBigEndian(view, offset, i, dtype);
  }

  return values;
}

function readBigEndian(view: DataView, offset: number, index: number, dtype: number): number {
  switch (dtype) {
    case 0x09:
      return view.getInt8(offset + index);
    case 0x0b:
      return view.getInt16(offset + 2 * index, false);
    case 0x0c:
      return view.getInt32(offset + 4 * index, false);
    case 0x0d:
      return view.getFloat32(offset + 4 * index, false);
    default:
      return view.getFloat64(offset + 8 * index, false);
  }
}

function describeItems(dims: number[], role: IdxRole): string {
  if (role === 'labels') {
    return `${dims[0]} labels`;
  }

  return `${dims[0]} images of ${dims.slice(1).join('x')}`;
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}
