import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync } from 'node:zlib';

import { DatasetError } from './errors';

/**
 * Largest dataset file read into memory, in bytes: Node's limit for one `readFileSync`
 * (2 GiB - 1 on 64-bit Node 20). Larger files raise `too-large` before anything is read.
 */
export const MAX_FILE_BYTES = Math.min(2 ** 31 - 1, bufferConstants.MAX_LENGTH);

/** Rounds a byte count to MiB for messages. */
function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * Reads a whole dataset file. The path must name a regular file: a folder, a named pipe or a
 * device raises `not-a-file` before it is opened, because reading a pipe or /dev/zero would block
 * or never end. A missing file raises `not-found`, an empty one `empty`, and one larger than
 * `maxBytes` raises `too-large`.
 */
export function readDatasetFile(path: string, maxBytes = MAX_FILE_BYTES): Buffer {
  const name = basename(path);
  let size: number;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) {
      const kind = stats.isDirectory() ? 'a folder' : 'not a regular file';
      throw new DatasetError('not-a-file', `${path} is ${kind}; choose the dataset file itself`);
    }
    size = stats.size;
  } catch (error) {
    if (error instanceof DatasetError) {
      throw error;
    }
    throw fileSystemError(error, path);
  }

  if (size === 0) {
    throw new DatasetError(
      'empty',
      `${name}: the file is empty (0 bytes); write or download it again`,
    );
  }
  if (size > maxBytes) {
    throw new DatasetError(
      'too-large',
      `${name}: the file is ${mebibytes(size)}, above the limit of ${mebibytes(maxBytes)} for this format; use a subset of the rows, or save the data as .npy`,
    );
  }

  try {
    return readFileSync(path);
  } catch (error) {
    throw fileSystemError(error, path);
  }
}

/** Turns a file-system error into a DatasetError that names the path and the fix. */
function fileSystemError(error: unknown, path: string): Error {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new DatasetError('not-found', `dataset file not found: ${path}; check the path`);
    case 'EACCES':
    case 'EPERM':
      return new DatasetError(
        'unreadable',
        `dataset file ${path} cannot be read (permission denied); give your user read access to it`,
      );
    case 'EISDIR':
      return new DatasetError('not-a-file', `${path} is a folder; choose the dataset file itself`);
    default:
      return error as Error;
  }
}

/** Returns whether the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** File content after decompression, and whether the file was gzip. */
export interface FileContent {
  bytes: Buffer;
  gzipped: boolean;
}

/**
 * Reads a file and decompresses it when its content is gzip, whatever its file extension.
 * A damaged or cut-short gzip stream raises `corrupt-gzip`. Content that decompresses to more than
 * `maxBytes` raises `too-large` once that size is reached, so a small file cannot fill the memory.
 */
export function readMaybeGzip(path: string, maxBytes = MAX_FILE_BYTES): FileContent {
  const bytes = readDatasetFile(path, maxBytes);
  if (!isGzip(bytes)) {
    return { bytes, gzipped: false };
  }

  try {
    return { bytes: gunzipSync(bytes, { maxOutputLength: maxBytes }), gzipped: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DatasetError(
        'too-large',
        `${basename(path)}: the gzip data decompresses to more than ${mebibytes(maxBytes)}, the limit for this format; use a subset of the rows, or save the data as .npy`,
      );
    }
    const reason = (error as Error).message;
    throw new DatasetError(
      'corrupt-gzip',
      `${basename(path)}: gzip data is corrupt (${reason}); download the file again`,
    );
  }
}

/**
 * Shortens a value from a file for an error message, so a huge field or header cannot make a
 * message of megabytes.
 */
export function clip(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}
