import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ExportFolders, writeExportFiles } from '../../../main/core/export';
import { ScoutError } from '../../../main/core/errors';
import { makeTempDir } from './helpers';

const temp = makeTempDir('scout-export-paths-');
after(() => temp.remove());

function assertScoutError(run: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ScoutError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

function folder(name: string): string {
  const directory = path.join(temp.dir, name);
  fs.mkdirSync(directory, { recursive: true });
  return fs.realpathSync(directory);
}

describe('ExportFolders', () => {
  it('resolves a chosen folder', () => {
    const folders = new ExportFolders();
    const chosen = folder('chosen');
    folders.allow(chosen);

    assert.equal(folders.resolve(chosen), chosen);
    assert.equal(folders.resolve(`${chosen}${path.sep}`), chosen);
  });

  it('resolves a link to a chosen folder', () => {
    const folders = new ExportFolders();
    const chosen = folder('linked-target');
    const link = path.join(temp.dir, 'link-to-chosen');
    fs.symlinkSync(chosen, link);
    folders.allow(chosen);

    assert.equal(folders.resolve(link), chosen);
  });

  it('rejects a subfolder of a chosen folder', () => {
    const folders = new ExportFolders();
    const chosen = folder('parent');
    folders.allow(chosen);

    assertScoutError(() => folders.resolve(folder('parent/child')), 'invalid', /was not chosen/);
  });

  it('rejects a missing folder', () => {
    assertScoutError(
      () => new ExportFolders().resolve(path.join(temp.dir, 'nope')),
      'invalid',
      /does not exist; choose another folder/,
    );
  });
});

describe('writeExportFiles', () => {
  it('writes a model subfolder', () => {
    const directory = folder('model');
    const paths = writeExportFiles(
      directory,
      [
        { name: 'best-model/model.json', content: '{}' },
        { name: 'best-model/weights.bin', content: Buffer.from([1, 2, 3]) },
      ],
      false,
    );

    assert.deepEqual(paths, [
      path.join(directory, 'best-model', 'model.json'),
      path.join(directory, 'best-model', 'weights.bin'),
    ]);
    assert.deepEqual([...fs.readFileSync(paths[1]!)], [1, 2, 3]);
  });

  it('existing model folder needs overwrite', () => {
    const directory = folder('model');

    assertScoutError(
      () => writeExportFiles(directory, [{ name: 'best-model/other.json', content: '{}' }], false),
      'conflict',
      /best-model exists already; choose overwrite/,
    );
    assert.equal(fs.existsSync(path.join(directory, 'best-model', 'other.json')), false);
  });

  for (const name of [
    '../escape.csv',
    '..',
    '.',
    '',
    '/etc/passwd',
    'a/../../escape.csv',
    'a/b/c.csv',
    '..\\escape.csv',
    'nul\0.csv',
  ]) {
    it(`rejects the name ${JSON.stringify(name)}`, () => {
      const directory = folder('names');

      assertScoutError(
        () => writeExportFiles(directory, [{ name, content: 'x' }], true),
        'invalid',
        /would leave the folder/,
      );
      assert.deepEqual(fs.readdirSync(directory), []);
      assert.equal(fs.existsSync(path.join(temp.dir, 'escape.csv')), false);
    });
  }

  it('checks every file before writing any', () => {
    const directory = folder('all-or-nothing');
    fs.writeFileSync(path.join(directory, 'second.csv'), 'kept');

    assertScoutError(
      () =>
        writeExportFiles(
          directory,
          [
            { name: 'first.csv', content: 'new' },
            { name: 'second.csv', content: 'new' },
          ],
          false,
        ),
      'conflict',
      /second\.csv exists already/,
    );
    assert.equal(fs.existsSync(path.join(directory, 'first.csv')), false);
  });

  it('dangling link is not followed', () => {
    const directory = folder('dangling');
    const outside = path.join(temp.dir, 'created-through-link.csv');
    fs.symlinkSync(outside, path.join(directory, 'out.csv'));

    for (const overwrite of [false, true]) {
      assertScoutError(
        () => writeExportFiles(directory, [{ name: 'out.csv', content: 'x' }], overwrite),
        'conflict',
        /not a regular file/,
      );
    }
    assert.equal(fs.existsSync(outside), false);
  });
});
