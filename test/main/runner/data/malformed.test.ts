import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import seedrandom from 'seedrandom';

import { DatasetError, describeDataset, loadDataset } from '../../../../main/runner/data';
import { MAX_CSV_BYTES, MAX_CSV_ROW_CHARS } from '../../../../main/runner/data/csv';
import { readMaybeGzip } from '../../../../main/runner/data/files';
import type { DatasetSource } from '../../../../main/runner/data/types';
import { MNIST_DIRECTORY } from '../mnist-fixture';
import { FIXTURES, makeTempDir, readIrisRows, writeNpy } from './helpers';

const SPLIT = { validationFraction: 0.2, seed: 1 };
const IRIS = readFileSync(join(FIXTURES, 'iris.csv'));
const WINE = readFileSync(join(FIXTURES, 'wine.csv'));
const MNIST_LABELS = readFileSync(join(MNIST_DIRECTORY, 't10k-labels-idx1-ubyte'));
const MNIST_IMAGES = readFileSync(join(MNIST_DIRECTORY, 't10k-images-idx3-ubyte'));

/** Maximum error message length, so a message stays readable whatever the file contains. */
const MAX_MESSAGE_CHARS = 1000;

/**
 * Asserts that `run` throws a DatasetError of `code` whose message contains every part and is
 * short; returns the message.
 */
function assertDatasetError(run: () => unknown, code: string, ...parts: string[]): string {
  let message = '';
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DatasetError, `expected a DatasetError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const part of parts) {
      assert.ok(error.message.includes(part), `message "${error.message}" lacks "${part}"`);
    }
    assert.ok(error.message.length <= MAX_MESSAGE_CHARS, `message of ${error.message.length}`);
    message = error.message;
    return true;
  });
  return message;
}

/** Returns iris rows as CSV text, header first. */
function irisText(rows: string[][] = readIrisRows().rows): string {
  return [readIrisRows().header, ...rows].map((row) => row.join(',')).join('\n') + '\n';
}

/** Returns the 1-based line of the first occurrence of `needle` in `text`. */
function lineOf(text: Buffer, needle: Buffer): number {
  const at = text.indexOf(needle);
  return text.subarray(0, at).toString('latin1').split('\n').length;
}

describe('malformed CSV', () => {
  const temp = makeTempDir();
  after(() => temp.remove());

  function write(name: string, bytes: Buffer | string): DatasetSource {
    const path = join(temp.dir, name);
    writeFileSync(path, bytes);
    return { format: 'csv', path, target: 'species', task: 'classification' };
  }

  it('empty file', () => {
    const source = write('empty.csv', '');

    assertDatasetError(() => loadDataset(source, SPLIT), 'empty', 'empty.csv', '0 bytes');
  });

  it('header without rows', () => {
    const source = write('header.csv', IRIS.subarray(0, IRIS.indexOf('\n') + 1));

    assertDatasetError(() => describeDataset(source), 'empty', 'header.csv', 'no data rows');
  });

  it('file cut inside a row names the line', () => {
    const lines = IRIS.toString('utf8').split('\n');
    const cut = lines.slice(0, 100).join('\n') + '\n' + lines[100]!.slice(0, 8);
    const source = write('cut.csv', cut);

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'invalid-csv',
      'cut.csv: line 101',
      'the row has 3 fields but the first row has 5',
      'cut short',
    );
  });

  it('file cut inside quotes names the line', () => {
    const { rows } = readIrisRows();
    const quoted = irisText(rows.map((row) => [...row.slice(0, 4), `"${row[4]}"`]));
    const source = write('quoted.csv', quoted.slice(0, quoted.lastIndexOf('"')));

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'invalid-csv',
      'quoted.csv: line 151',
      'never closed',
      'cut short',
    );
  });

  it('huge field is clipped in the message', () => {
    const { rows } = readIrisRows();
    const huge = rows.map((row, i) => (i === 41 ? ['x'.repeat(2_000_000), ...row.slice(1)] : row));
    const source = write('huge-field.csv', irisText(huge));

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'non-numeric',
      "huge-field.csv: column 'sepal_length', row 43",
      '(2000000 characters)',
      'encode or drop this column',
    );
  });

  it('row above the size limit names the line', () => {
    const { rows } = readIrisRows();
    const long = rows.map((row, i) => (i === 9 ? ['1'.repeat(MAX_CSV_ROW_CHARS + 10)] : row));
    const source = write('long-row.csv', irisText(long));

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'invalid-csv',
      'long-row.csv: line 11',
      `longer than ${MAX_CSV_ROW_CHARS} characters`,
    );
  });

  it('UTF-16 with byte order mark', () => {
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(IRIS.toString(), 'utf16le'),
    ]);
    const source = write('utf16.csv', utf16);

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'encoding',
      'utf16.csv: the file is UTF-16 text (byte order mark FF FE',
      'CSV UTF-8',
    );
  });

  it('UTF-16 big-endian with byte order mark', () => {
    const le = Buffer.from(IRIS.toString(), 'utf16le');
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]);
    const source = write('utf16be.csv', be);

    assertDatasetError(() => loadDataset(source, SPLIT), 'encoding', 'FE FF, big-endian');
  });

  it('UTF-16 without byte order mark', () => {
    const source = write('utf16-nobom.csv', Buffer.from(IRIS.toString(), 'utf16le'));

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'encoding',
      'utf16-nobom.csv: line 1 (byte offset 1) contains a NUL byte',
    );
  });

  it('Latin-1 label names line and offset', () => {
    const latin1 = Buffer.from(IRIS.toString().replace('virginica', 'virgínica'), 'latin1');
    const offset = latin1.indexOf(0xed);
    const source = write('latin1.csv', latin1);

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'encoding',
      `latin1.csv: line ${lineOf(latin1, Buffer.from([0xed]))} (byte offset ${offset}) is not valid UTF-8 (bytes ed 6e 69 63)`,
      'Latin-1',
    );
  });

  it('valid UTF-8 accents load', () => {
    const accents = IRIS.toString()
      .replaceAll('virginica', 'virgínica')
      .replaceAll('setosa', 'sétosa');
    const dataset = describeDataset(write('accents.csv', accents));

    assert.deepEqual(dataset.classNames, ['sétosa', 'versicolor', 'virgínica']);
  });

  it('binary IDX file read as CSV', () => {
    const source = write('labels.csv', MNIST_LABELS);

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'encoding',
      'labels.csv: line 1 (byte offset 0) contains a NUL byte',
      'IDX or NPY',
    );
  });

  it('random bytes without NUL', () => {
    const random = seedrandom('garbage');
    const bytes = Buffer.from(Array.from({ length: 4096 }, () => 1 + Math.floor(random() * 255)));
    const source = write('garbage.csv', bytes);

    assertDatasetError(() => loadDataset(source, SPLIT), 'encoding', 'garbage.csv: line');
  });

  it('text in a numeric column', () => {
    const { rows } = readIrisRows();
    const mixed = rows.map((row, i) => (i === 29 ? [row[0]!, 'wide', ...row.slice(2)] : row));
    const source = write('mixed.csv', irisText(mixed));

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'non-numeric',
      "mixed.csv: column 'sepal_width', row 31: 'wide' is not a number",
    );
  });

  it('text in a regression target', () => {
    const lines = WINE.toString().split('\n');
    lines[12] = lines[12]!.replace(/,[^,]*$/, ',two');
    const path = join(temp.dir, 'wine-mixed.csv');
    writeFileSync(path, lines.join('\n'));

    assertDatasetError(
      () => loadDataset({ format: 'csv', path, target: 'class', task: 'regression' }, SPLIT),
      'non-numeric',
      "wine-mixed.csv: target column 'class', row 13: 'two' is not a number",
      "use task 'classification'",
    );
  });

  it('semicolon delimiter points at the delimiter', () => {
    const source = write('semicolon.csv', IRIS.toString().replaceAll(',', ';'));

    assertDatasetError(() => loadDataset(source, SPLIT), 'missing-column', 'semicolon.csv');
  });

  it('wide header is listed in part', () => {
    const header = Array.from({ length: 5000 }, (_, i) => `c${i}`);
    const row = header.map(() => '1');
    const source = write('wide.csv', `${header.join(',')}\n${row.join(',')}\n${row.join(',')}\n`);

    assertDatasetError(() => loadDataset(source, SPLIT), 'missing-column', 'and 4980 more');
  });

  it('gzip that inflates past the limit', () => {
    const path = join(temp.dir, 'bomb.csv.gz');
    writeFileSync(path, gzipSync(IRIS));

    assertDatasetError(() => readMaybeGzip(path, 1000), 'too-large', 'bomb.csv.gz', 'decompresses');
  });

  it('file above the CSV limit is not read', () => {
    const path = join(temp.dir, 'sparse.csv');
    writeFileSync(path, '');
    // A sparse file: the size is set without writing, so the test stays cheap on disk.
    truncateSync(path, MAX_CSV_BYTES + 1);
    const source: DatasetSource = { format: 'csv', path, target: 'y', task: 'regression' };

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'too-large',
      'sparse.csv',
      'save the data as .npy',
    );
  });
});

describe('dataset paths that are not files', () => {
  const temp = makeTempDir();
  after(() => temp.remove());

  it('folder', () => {
    const path = join(temp.dir, 'folder.csv');
    mkdirSync(path);
    const source: DatasetSource = { format: 'csv', path, target: 'y', task: 'regression' };

    assertDatasetError(() => loadDataset(source, SPLIT), 'not-a-file', path, 'is a folder');
  });

  it('named pipe does not block', () => {
    const path = join(temp.dir, 'pipe.npy');
    execFileSync('mkfifo', [path]);
    const source: DatasetSource = {
      format: 'npy',
      features: path,
      targets: path,
      task: 'regression',
    };

    assertDatasetError(() => loadDataset(source, SPLIT), 'not-a-file', path, 'not a regular file');
  });

  it('endless device', () => {
    const source: DatasetSource = { format: 'idx', images: '/dev/zero', labels: '/dev/zero' };

    assertDatasetError(() => loadDataset(source, SPLIT), 'not-a-file', '/dev/zero');
  });

  it('path through a file', () => {
    const path = join(FIXTURES, 'iris.csv', 'inner.csv');
    const source: DatasetSource = { format: 'csv', path, target: 'y', task: 'regression' };

    assertDatasetError(() => loadDataset(source, SPLIT), 'not-found', path, 'check the path');
  });
});

describe('malformed IDX', () => {
  const temp = makeTempDir();
  after(() => temp.remove());

  function write(
    images: Buffer,
    labels: Buffer,
    names = ['images-idx3-ubyte', 'labels-idx1-ubyte'],
  ): DatasetSource {
    const imagesPath = join(temp.dir, names[0]!);
    const labelsPath = join(temp.dir, names[1]!);
    writeFileSync(imagesPath, images);
    writeFileSync(labelsPath, labels);
    return { format: 'idx', images: imagesPath, labels: labelsPath };
  }

  it('empty label file', () => {
    const source = write(MNIST_IMAGES, Buffer.alloc(0));

    assertDatasetError(() => loadDataset(source, SPLIT), 'empty', 'labels-idx1-ubyte', '0 bytes');
  });

  it('header cut short', () => {
    const source = write(MNIST_IMAGES.subarray(0, 10), MNIST_LABELS);

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'truncated',
      'images-idx3-ubyte: expected a 16-byte header, found 10 bytes',
    );
  });

  it('label data cut short', () => {
    const source = write(MNIST_IMAGES, MNIST_LABELS.subarray(0, 5000));

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'truncated',
      'labels-idx1-ubyte: expected 10008 bytes for 10000 labels, found 5000',
    );
  });

  it('extra bytes name the offset', () => {
    const source = write(MNIST_IMAGES, Buffer.concat([MNIST_LABELS, Buffer.from('tail')]));

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'trailing-data',
      'labels-idx1-ubyte: expected 10008 bytes for 10000 labels, found 10012 (extra bytes from offset 10008)',
    );
  });

  it('huge dimensions allocate nothing', () => {
    const header = Buffer.from(MNIST_IMAGES.subarray(0, 16));
    header.writeUInt32BE(0xffffffff, 4);
    header.writeUInt32BE(0xffffffff, 8);
    const before = process.memoryUsage().arrayBuffers;
    const source = write(Buffer.concat([header, MNIST_IMAGES.subarray(16, 4096)]), MNIST_LABELS);

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'truncated',
      'images-idx3-ubyte: expected',
    );
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 2 ** 20);
  });

  it('CSV text read as IDX', () => {
    const source = write(IRIS, MNIST_LABELS);

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'bad-magic',
      'images-idx3-ubyte: not an IDX file (magic number 0x',
    );
  });

  it('UTF-16 text read as IDX', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('label\n1\n', 'utf16le')]);
    const source = write(MNIST_IMAGES, utf16);

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'bad-magic',
      'labels-idx1-ubyte: not an IDX',
    );
  });

  it('random bytes read as IDX', () => {
    const random = seedrandom('idx');
    const bytes = Buffer.from(Array.from({ length: 2048 }, () => Math.floor(random() * 256)));
    bytes[0] = 0x42;
    const source = write(bytes, MNIST_LABELS);

    assertDatasetError(() => loadDataset(source, SPLIT), 'bad-magic', 'images-idx3-ubyte');
  });

  it('label type byte changed to short', () => {
    const labels = Buffer.from(MNIST_LABELS);
    labels[2] = 0x0b;
    const source = write(MNIST_IMAGES, labels);

    assertDatasetError(
      () => loadDataset(source, SPLIT),
      'truncated',
      'labels-idx1-ubyte: expected 20008 bytes for 10000 labels, found 10008',
    );
  });

  it('unknown type byte', () => {
    const labels = Buffer.from(MNIST_LABELS);
    labels[2] = 0x0a;
    const source = write(MNIST_IMAGES, labels);

    assertDatasetError(() => loadDataset(source, SPLIT), 'bad-magic', 'magic number 0x00000a01');
  });

  it('cut gzip names the file', () => {
    const gzipped = gzipSync(MNIST_LABELS);
    const source = write(MNIST_IMAGES, gzipped.subarray(0, 100), ['images', 'labels.gz']);

    assertDatasetError(() => loadDataset(source, SPLIT), 'corrupt-gzip', 'labels.gz');
  });
});

describe('malformed NPY', () => {
  const temp = makeTempDir();
  after(() => temp.remove());
  const { rows } = readIrisRows();
  const features = rows.flatMap((row) => row.slice(0, 4).map(Number));
  const labels = rows.map((row) => ['setosa', 'versicolor', 'virginica'].indexOf(row[4]!));
  const labelsPath = join(temp.dir, 'labels.npy');
  writeNpy(labelsPath, '<i8', [150], labels);

  function source(featuresPath: string): DatasetSource {
    return { format: 'npy', features: featuresPath, targets: labelsPath, task: 'classification' };
  }

  /** Writes a .npy file with a raw header dict and data, as np.save lays it out. */
  function writeRaw(name: string, dict: string, data: Buffer, version = 1): string {
    const prefix = version === 1 ? 10 : 12;
    const length = Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix;
    const start = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0, 0, 0, 0, 0]);
    if (version === 1) start.writeUInt16LE(length, 8);
    else start.writeUInt32LE(length, 8);
    const header = Buffer.from(dict.padEnd(length - 1, ' ') + '\n', 'latin1');
    const path = join(temp.dir, name);
    writeFileSync(path, Buffer.concat([start.subarray(0, prefix), header, data]));
    return path;
  }

  it('iris loads as written', () => {
    const path = join(temp.dir, 'iris.npy');
    writeNpy(path, '<f8', [150, 4], features);

    assert.equal(describeDataset(source(path)).classes, 3);
  });

  it('empty file', () => {
    const path = join(temp.dir, 'empty.npy');
    writeFileSync(path, '');

    assertDatasetError(() => loadDataset(source(path), SPLIT), 'empty', 'empty.npy', '0 bytes');
  });

  it('header cut short', () => {
    const path = join(temp.dir, 'cut-header.npy');
    writeNpy(path, '<f8', [150, 4], features);
    writeFileSync(path, readFileSync(path).subarray(0, 40));

    assertDatasetError(
      () => loadDataset(source(path), SPLIT),
      'truncated',
      'cut-header.npy: expected a 128-byte header, found 40 bytes',
    );
  });

  it('data cut short', () => {
    const path = join(temp.dir, 'cut-data.npy');
    writeNpy(path, '<f8', [150, 4], features, { dropBytes: 7 });

    assertDatasetError(
      () => loadDataset(source(path), SPLIT),
      'truncated',
      'cut-data.npy: expected 4800 bytes of data for shape (150, 4) <f8, found 4793',
    );
  });

  it('extra bytes name the offset', () => {
    const path = join(temp.dir, 'extra.npy');
    writeNpy(path, '<f8', [150, 4], features);
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.alloc(8)]));

    assertDatasetError(
      () => loadDataset(source(path), SPLIT),
      'trailing-data',
      'extra.npy: expected 4800 bytes',
      'extra bytes from offset 4928',
    );
  });

  it('huge header length', () => {
    const path = writeRaw(
      'huge-header.npy',
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
      Buffer.alloc(8),
      2,
    );
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(0xfffffff0, 8);
    writeFileSync(path, bytes);

    assertDatasetError(
      () => loadDataset(source(path), SPLIT),
      'invalid-header',
      'huge-header.npy: the header length at byte offset 8 is 4294967280 bytes',
    );
  });

  it('huge shape allocates nothing', () => {
    const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 4), }";
    const path = writeRaw('huge-shape.npy', dict, Buffer.alloc(64));

    assertDatasetError(
      () => loadDataset(source(path), SPLIT),
      'truncated',
      'huge-shape.npy: expected 32000000000000 bytes',
    );
  });

  it('negative dimension', () => {
    const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 4), }";
    const path = writeRaw('negative.npy', dict, Buffer.alloc(32));

    assertDatasetError(
      () => loadDataset(source(path), SPLIT),
      'invalid-header',
      "negative.npy: the header's shape (-1, 4) has the dimension '-1'",
    );
  });

  it('CSV text read as NPY', () => {
    const path = join(temp.dir, 'iris-text.npy');
    writeFileSync(path, IRIS);

    assertDatasetError(
      () => loadDataset(source(path), SPLIT),
      'bad-magic',
      'iris-text.npy: not a .npy file',
    );
  });

  it('Latin-1 garbage in the header', () => {
    const path = writeRaw('garbage-header.npy', "{'descr': \u00e9\u00e8\u00ff, }", Buffer.alloc(8));

    assertDatasetError(
      () => loadDataset(source(path), SPLIT),
      'unsupported',
      'garbage-header.npy: cannot read the header',
    );
  });

  it('object dtype is rejected', () => {
    const path = writeRaw(
      'objects.npy',
      "{'descr': '|O', 'fortran_order': False, 'shape': (150, 4), }",
      Buffer.alloc(4800),
    );

    assertDatasetError(
      () => loadDataset(source(path), SPLIT),
      'unsupported',
      "objects.npy: dtype '|O' is not supported",
      "arr.astype('<f4')",
    );
  });

  it('structured dtype is rejected', () => {
    const dict =
      "{'descr': [('x', '<f8'), ('label', '<U10')], 'fortran_order': False, 'shape': (150,), }";
    const path = writeRaw('structured.npy', dict, Buffer.alloc(150 * 48));

    assertDatasetError(
      () => loadDataset(source(path), SPLIT),
      'unsupported',
      'structured.npy: cannot read the header',
      'structured and object dtypes are not supported',
    );
  });

  it('string labels are rejected', () => {
    const dict = "{'descr': '<U10', 'fortran_order': False, 'shape': (150,), }";
    const strings = writeRaw('string-labels.npy', dict, Buffer.alloc(150 * 40));
    const featuresPath = join(temp.dir, 'iris-f.npy');
    writeNpy(featuresPath, '<f8', [150, 4], features);
    const mixed: DatasetSource = {
      format: 'npy',
      features: featuresPath,
      targets: strings,
      task: 'classification',
    };

    assertDatasetError(
      () => loadDataset(mixed, SPLIT),
      'unsupported',
      "string-labels.npy: dtype '<U10'",
    );
  });
});

describe('datasets without rows', () => {
  const temp = makeTempDir();
  after(() => temp.remove());

  it('IDX pair of zero items', () => {
    const images = Buffer.from(MNIST_IMAGES.subarray(0, 16));
    images.writeUInt32BE(0, 4);
    const labels = Buffer.from(MNIST_LABELS.subarray(0, 8));
    labels.writeUInt32BE(0, 4);
    const source: DatasetSource = {
      format: 'idx',
      images: join(temp.dir, 'zero-images'),
      labels: join(temp.dir, 'zero-labels'),
    };
    writeFileSync(source.images, images);
    writeFileSync(source.labels, labels);

    assertDatasetError(
      () => describeDataset(source),
      'empty',
      'zero-images: the header declares 0 images of 28x28',
    );
  });

  it('NPY array of zero rows', () => {
    const features = join(temp.dir, 'zero.npy');
    const targets = join(temp.dir, 'zero-targets.npy');
    writeNpy(features, '<f8', [0, 4], []);
    writeNpy(targets, '<f8', [0], []);
    const source: DatasetSource = { format: 'npy', features, targets, task: 'regression' };

    assertDatasetError(
      () => describeDataset(source),
      'empty',
      'zero.npy: the array has shape (0, 4)',
    );
  });
});

describe('mixed CSV labels', () => {
  const temp = makeTempDir();
  after(() => temp.remove());

  it('number among text labels', () => {
    const { rows } = readIrisRows();
    const mixed = rows.map((row, i) => (i === 70 ? [...row.slice(0, 4), '2'] : row));
    const path = join(temp.dir, 'mixed-labels.csv');
    writeFileSync(path, irisText(mixed));
    const source: DatasetSource = {
      format: 'csv',
      path,
      target: 'species',
      task: 'classification',
    };

    assertDatasetError(
      () => describeDataset(source),
      'non-numeric',
      "mixed-labels.csv: target column 'species' mixes numbers and text: row 72 has '2' but row 2 has 'setosa'",
      'use text for every class',
    );
  });
});
