import fs from 'node:fs';
import path from 'node:path';
import type { DatasetPreview } from '../../shared/api/contract';
import type { DatasetSource } from '../../shared/dataset';
import type { DatasetRecord } from '../../shared/study';
import { getLogger } from '../log';
import { describeDataset, hashDatasetFiles, loadDataset } from '../runner/data';
import type { Store } from '../store';
import { ScoutError } from './errors';

const log = getLogger('core');

/**
 * Registered datasets: registration reads and checks every file and stores
 * a content hash, so a study never trains on files that changed since.
 */
export class DatasetCatalog {
  constructor(private readonly store: Store) {}

  /** Registers a dataset after reading and checking all of its files. */
  add(name: string, source: DatasetSource): DatasetRecord {
    if (this.store.datasets.findByName(name)) {
      throw new ScoutError(
        'conflict',
        `a dataset named '${name}' exists already (id ${this.store.datasets.findByName(name)!.id}); ` +
          'register this one under another name',
      );
    }

    checkDatasetPaths(source);
    const description = describeDataset(source);
    const record = this.store.datasets.insert({
      name,
      source,
      task: description.task,
      rows: description.rows,
      features: description.features,
      classes: description.classes,
      testRows: description.testRows ?? null,
      contentHash: hashDatasetFiles(source),
    });
    log.info({ datasetId: record.id, name, rows: record.rows }, 'dataset registered');
    return record;
  }

  list(): DatasetRecord[] {
    return this.store.datasets.list();
  }

  get(idOrName: number | string): DatasetRecord {
    const dataset =
      typeof idOrName === 'number' || /^\d+$/.test(idOrName)
        ? this.store.datasets.get(Number(idOrName))
        : this.store.datasets.findByName(idOrName);

    if (dataset === undefined) {
      throw new ScoutError(
        'not-found',
        `no dataset '${idOrName}'; list them with 'scout dataset list' or add one`,
      );
    }
    return dataset;
  }

  /** Loads a dataset as a study would and returns its first rows and split sizes. */
  preview(id: number, rows: number, validationFraction: number, seed: number): DatasetPreview {
    const dataset = this.get(id);
    const prepared = loadDataset(dataset.source, { validationFraction, seed });
    const shown = Math.min(rows, prepared.train.rows);
    const side = Math.sqrt(prepared.features);

    return {
      datasetId: id,
      featureNames: prepared.featureNames ?? null,
      classNames: prepared.classNames ?? null,
      rows: Array.from({ length: shown }, (_, row) => ({
        features: Array.from(
          prepared.train.x.subarray(row * prepared.features, (row + 1) * prepared.features),
        ),
        target: prepared.train.y[row],
      })),
      imageSize: dataset.format === 'idx' && Number.isInteger(side) ? side : null,
      split: {
        train: prepared.train.rows,
        validation: prepared.validation.rows,
        test: prepared.test?.rows ?? 0,
      },
    };
  }

  delete(id: number): void {
    const dataset = this.get(id);
    const users = this.store.studies.list().filter((study) => study.datasetId === id);

    if (users.length > 0) {
      throw new ScoutError(
        'conflict',
        `dataset '${dataset.name}' is used by ${users.length} studies; delete them first`,
      );
    }
    this.store.datasets.delete(id);
  }

  /** Rejects a dataset whose files changed since it was registered, or can no longer be read. */
  checkUnchanged(dataset: DatasetRecord): void {
    let hash: string;
    try {
      hash = hashDatasetFiles(dataset.source);
    } catch (error) {
      throw new ScoutError('dataset', `dataset '${dataset.name}': ${(error as Error).message}`);
    }

    if (hash !== dataset.contentHash) {
      throw new ScoutError(
        'dataset',
        `the files of dataset '${dataset.name}' changed since it was registered, so its ` +
          'studies would not be comparable; register the new files under another name',
      );
    }
  }
}

/** Fields of a dataset source that hold file paths, with the kind of file each must be. */
type FileKind = 'csv' | 'idx' | 'npy';

function listPathFields(source: DatasetSource): [string, string, FileKind][] {
  switch (source.format) {
    case 'csv':
      return [['path', source.path, 'csv']];
    case 'npy':
      return [
        ['features', source.features, 'npy'],
        ['targets', source.targets, 'npy'],
      ];
    case 'idx': {
      const fields: [string, string | undefined][] = [
        ['images', source.images],
        ['labels', source.labels],
        ['testImages', source.testImages],
        ['testLabels', source.testLabels],
      ];
      return fields
        .filter((entry): entry is [string, string] => entry[1] !== undefined)
        .map(([field, file]) => [field, file, 'idx']);
    }
  }
}

/**
 * Checks every file path of a dataset source before any file is read. Each
 * path must be absolute and name an existing regular file, because a folder,
 * pipe or device would block or never end when read. The file must start like
 * its format: gzip data, the .npy magic, an IDX header, or (CSV) text without
 * a NUL byte in its first 512 bytes. Raises ScoutError `invalid` naming the
 * field, the path and the fix. The loaders check the full content afterwards.
 */
export function checkDatasetPaths(source: DatasetSource): void {
  for (const [field, file, kind] of listPathFields(source)) {
    const where = `source.${field} '${file}'`;
    if (file.includes('\0')) {
      throw new ScoutError('invalid', `${where} contains a NUL character; choose the file again`);
    }
    if (!path.isAbsolute(file)) {
      throw new ScoutError(
        'invalid',
        `${where} is not an absolute path; choose the file with Browse or give its full path`,
      );
    }

    let stats: fs.Stats;
    try {
      stats = fs.statSync(file);
    } catch {
      throw new ScoutError(
        'invalid',
        `${where} does not exist or cannot be read; check the path and the file's permissions`,
      );
    }
    if (!stats.isFile()) {
      const what = stats.isDirectory() ? 'a folder' : 'not a regular file';
      throw new ScoutError(
        'invalid',
        `${where} is ${what}; choose the ${kind.toUpperCase()} file itself`,
      );
    }

    const problem = checkFileStart(readStart(file), kind);
    if (problem !== undefined) {
      throw new ScoutError('invalid', `${where} ${problem}`);
    }
  }
}

/** Bytes read to recognise a file's kind; enough for the .npy magic and a NUL in CSV text. */
const SNIFF_BYTES = 512;

function readStart(file: string): Buffer {
  const descriptor = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const read = fs.readSync(descriptor, buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, read);
  } finally {
    fs.closeSync(descriptor);
  }
}

/** Returns why the first bytes do not fit `kind`, or undefined when they do. */
function checkFileStart(start: Buffer, kind: FileKind): string | undefined {
  if (start.length === 0) {
    return 'is empty (0 bytes); choose a file with data';
  }
  // Gzip is accepted for CSV and IDX; the loaders decompress and check the content.
  const gzip = start.length >= 2 && start[0] === 0x1f && start[1] === 0x8b;
  switch (kind) {
    case 'npy':
      return start.subarray(0, 6).equals(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]))
        ? undefined
        : 'is not a .npy file (it does not start with \\x93NUMPY); save the array with np.save';
    case 'idx': {
      const idx =
        start.length >= 4 &&
        start[0] === 0 &&
        start[1] === 0 &&
        start[2] >= 0x08 &&
        start[2] <= 0x0e;
      return idx || gzip
        ? undefined
        : 'is not an IDX file (it does not start with two zero bytes and a type byte); choose an MNIST-style IDX file';
    }
    case 'csv': {
      // UTF-16 text is full of NUL bytes; the CSV loader names that encoding and its fix.
      const utf16 =
        (start[0] === 0xff && start[1] === 0xfe) || (start[0] === 0xfe && start[1] === 0xff);
      return gzip || utf16 || !start.includes(0)
        ? undefined
        : 'is binary data, not CSV text; choose the IDX or NPY format for it, or save the table as "CSV UTF-8"';
    }
  }
}
