import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The fixtures folder with the real CSV datasets. */
export const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures');

/** Creates a temporary folder and returns it with a function that removes it. */
export function makeTempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'scout-data-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Rows of the iris fixture: the header and the data rows, split on commas. */
export function readIrisRows(): { header: string[]; rows: string[][] } {
  const lines = readFileSync(join(FIXTURES, 'iris.csv'), 'utf8').trim().split('\n');
  const [header, ...rows] = lines.map((line) => line.split(','));
  return { header, rows };
}

/** Options of the .npy writer; the defaults match what `np.save` writes for a C-order array. */
export interface NpyWriteOptions {
  version?: 1 | 2 | 3;
  fortranOrder?: boolean;
  /** Bytes to drop from the end, to simulate a truncated file. */
  dropBytes?: number;
}

/**
 * Writes a .npy file as NumPy does: magic, version, header length, a header dict padded with
 * spaces to a multiple of 64 bytes and ended by a newline, then the data. `descr` selects the
 * encoding of `values`; a `>` prefix writes big-endian.
 */
export function writeNpy(
  path: string,
  descr: string,
  shape: number[],
  values: number[],
  options: NpyWriteOptions = {},
): void {
  const version = options.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const fortran = options.fortranOrder ? 'True' : 'False';
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shapeText}, }`;
  const lengthBytes = version === 1 ? 2 : 4;
  const prefix = 8 + lengthBytes;
  const padded = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(padded - prefix - 1, ' ') + '\n';

  const start = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(start);
  if (version === 1) {
    start.writeUInt16LE(header.length, 8);
  } else {
    start.writeUInt32LE(header.length, 8);
  }

  const data = encodeValues(descr, values);
  const file = Buffer.concat([start, Buffer.from(header, 'latin1'), data]);
  writeFileSync(path, file.subarray(0, file.length - (options.dropBytes ?? 0)));
}

function encodeValues(descr: string, values: number[]): Buffer {
  const littleEndian = !descr.startsWith('>');
  const kind = descr.slice(1);
  const size = Number(kind.slice(1));
  const buffer = Buffer.alloc(values.length * size);

  values.forEach((value, i) => {
    const at = i * size;
    switch (kind) {
      case 'f8':
        if (littleEndian) buffer.writeDoubleLE(value, at);
        else buffer.writeDoubleBE(value, at);
        break;
      case 'f4':
        if (littleEndian) buffer.writeFloatLE(value, at);
        else buffer.writeFloatBE(value, at);
        break;
      case 'i8':
        if (littleEndian) buffer.writeBigInt64LE(BigInt(value), at);
        else buffer.writeBigInt64BE(BigInt(value), at);
        break;
      case 'i4':
        if (littleEndian) buffer.writeInt32LE(value, at);
        else buffer.writeInt32BE(value, at);
        break;
      case 'u1':
      case 'b1':
        buffer.writeUInt8(value, at);
        break;
      default:
        throw new Error(`writeNpy: dtype ${descr} is not implemented in the test writer`);
    }
  });

  return buffer;
}
