import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { DatasetError } from './errors';

/** Reads a whole dataset file, turning a missing file into a `not-found` DatasetError. */
export function readDatasetFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatasetError('not-found', `dataset file not found: ${path}; check the path`);
    }

    throw error;
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
 * A damaged or cut-short gzip stream raises `corrupt-gzip`.
 */
export function readMaybeGzip(path: string): FileContent {
  const bytes = readDatasetFile(path);
  if (!isGzip(bytes)) {
    return { bytes, gzipped: false };
  }

  try {
    return { bytes: gunzipSync(bytes), gzipped: true };
  } catch (error) {
    const reason = (error as Error).message;
    throw new DatasetError(
      'corrupt-gzip',
      `${basename(path)}: gzip data is corrupt (${reason}); download the file again`,
    );
  }
}
