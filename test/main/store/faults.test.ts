import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Store, StoreError, WAL_SIZE_LIMIT, listBackups } from '../../../main/store';
import { MIGRATIONS } from '../../../main/store/migrations';
import { deadPid, makeTempDir } from '../core/helpers';
import { insertIris, insertStudy } from './fixtures';

const temp = makeTempDir('scout-store-faults-');
after(() => temp.remove());

let fileCount = 0;

function newFile(): string {
  fileCount += 1;
  return path.join(temp.dir, `faults-${fileCount}.sqlite`);
}

/** Fills `store` with the iris dataset and a study of `trials` queued trials; returns the study id. */
function fill(store: Store, trials = 3): number {
  const dataset = insertIris(store, `iris-${trials}`);
  return insertStudy(store, dataset.id, trials);
}

function walSize(file: string): number {
  return fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0;
}

function assertStoreError(action: () => unknown, ...patterns: RegExp[]): StoreError {
  let caught: StoreError | undefined;
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
    for (const pattern of patterns) {
      assert.match(error.message, pattern);
    }
    caught = error;
    return true;
  });
  return caught!;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('migration backup', () => {
  it('copies a file with data first', () => {
    const file = newFile();
    // A version 1 file with rows, as an older Scout left it.
    const old = new BetterSqlite3(file);
    old.transaction(() => {
      MIGRATIONS[0].up(old);
      old.pragma('user_version = 1');
    })();
    // Rows written with the version 1 columns, because today's store writes columns added later.
    const now = new Date().toISOString();
    old
      .prepare(
        `INSERT INTO datasets (name, source, task, rows, features, classes, content_hash, created_at)
         VALUES ('iris', '{}', 'classification', 150, 4, 3, 'x', ?)`,
      )
      .run(now);
    old
      .prepare(
        `INSERT INTO studies (name, dataset_id, stage, template, space, settings, status,
           planned_trials, created_at)
         VALUES ('old', 1, 'coarse', 'mlp', '[]', '{}', 'created', 3, ?)`,
      )
      .run(now);
    for (const number of [1, 2, 3]) {
      old
        .prepare(
          `INSERT INTO trials (study_id, number, params, seed, status)
           VALUES (1, ?, '{}', ?, 'queued')`,
        )
        .run(number, 100 + number);
    }
    old.close();

    const store = Store.open(file);
    try {
      assert.ok(store.backupPath, 'no backup was taken');
      assert.match(path.basename(store.backupPath), /\.sqlite\.backup-v1-\d{8}T\d{6}Z$/);
      assert.deepEqual(listBackups(file), [store.backupPath]);
      assert.equal(store.trials.listByStudy(1).length, 3);

      const backup = new BetterSqlite3(store.backupPath, { readonly: true });
      try {
        assert.equal(backup.pragma('user_version', { simple: true }), 1);
        const { n } = backup.prepare('SELECT COUNT(*) AS n FROM trials').get() as { n: number };
        assert.equal(n, 3);
      } finally {
        backup.close();
      }
    } finally {
      store.close();
    }
  });

  it('skips a new file', () => {
    const file = newFile();
    const store = Store.open(file);
    store.close();
    assert.equal(Store.open(file).backupPath, null);
    assert.deepEqual(listBackups(file), []);
  });
});

describe('damaged database', () => {
  it('overwritten pages name the file and a way out', () => {
    const file = newFile();
    const store = Store.open(file);
    fill(store, 400);
    store.close();
    fs.writeFileSync(`${file}.backup-v1-20260101T000000Z`, '');

    // Overwrite the middle of the file, as a failing disk or a stray write would.
    const size = fs.statSync(file).size;
    const handle = fs.openSync(file, 'r+');
    fs.writeSync(handle, Buffer.alloc(8192, 0x5a), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
    fs.closeSync(handle);
    const damaged = fs.readFileSync(file);

    const error = assertStoreError(
      () => Store.open(file),
      new RegExp(`the database ${escape(file)} is damaged`),
      new RegExp(`open its latest backup with --db ${escape(file)}\\.backup-v1-`),
      /start a new database with --db NEW_FILE/,
    );
    assert.match(error.sqliteCode ?? '', /^SQLITE_CORRUPT/);
    assert.ok(fs.readFileSync(file).equals(damaged), 'opening changed the damaged file');
  });

  it('overwritten header says not a database', () => {
    const file = newFile();
    const store = Store.open(file);
    fill(store);
    store.close();
    const handle = fs.openSync(file, 'r+');
    fs.writeSync(handle, Buffer.from('this is not SQLite at all'), 0, 25, 0);
    fs.closeSync(handle);

    assertStoreError(
      () => Store.open(file),
      new RegExp(`cannot open database ${escape(file)}: file is not a database`),
      /open a backup or a new path with --db/,
    );
  });
});

describe('write-ahead log', () => {
  it('stays bounded over many writes', () => {
    const file = newFile();
    const store = Store.open(file);
    const reader = new BetterSqlite3(file, { readonly: true });
    try {
      const studyId = fill(store, 40);
      const trials = store.trials.listByStudy(studyId);
      const metrics = { loss: 0.5, accuracy: 0.9, val_loss: 0.6, val_accuracy: 0.85, pad: 1 };
      let largest = 0;

      // 40 trials of 500 epochs are 20,000 commits, and each appends at least one 4 KiB page
      // to the log. A reader polls in between, as the app does while a study runs.
      for (const trial of trials) {
        store.trials.markRunning(trial.id);
        for (let epoch = 1; epoch <= 500; epoch++) {
          store.trials.insertEpoch(trial.id, epoch, { ...metrics, epoch });
          if (epoch % 100 === 0) {
            reader.prepare('SELECT COUNT(*) FROM trial_epochs').get();
          }
          largest = Math.max(largest, walSize(file));
        }
        store.checkpoint();
      }
      // SQLite checkpoints every 1000 pages (4 MB) and then cuts the log to the size limit.
      assert.ok(largest <= WAL_SIZE_LIMIT + 1024 * 1024, `the log grew to ${largest} bytes`);
      assert.equal(walSize(file), 0);
    } finally {
      reader.close();
      store.close();
    }
  });

  it('one large transaction is cut back', () => {
    const file = newFile();
    const store = Store.open(file);
    try {
      const studyId = fill(store, 1);
      const [trial] = store.trials.listByStudy(studyId);
      const text = 'x'.repeat(2000);
      store.transaction(() => {
        for (let epoch = 1; epoch <= 6000; epoch++) {
          store.trials.insertEpoch(trial.id, epoch, { [text]: epoch });
        }
      });
      assert.ok(walSize(file) > 2 * WAL_SIZE_LIMIT, `log of ${walSize(file)} bytes`);
      store.trials.insertEpoch(trial.id, 6001, { loss: 1 });
      // The next checkpoint of a later write truncates the log to the limit.
      store.db.pragma('wal_checkpoint(PASSIVE)');
      store.trials.insertEpoch(trial.id, 6002, { loss: 1 });
      assert.ok(walSize(file) <= WAL_SIZE_LIMIT, `log of ${walSize(file)} bytes`);
    } finally {
      store.close();
    }
  });

  it('close checkpoints with a reader open', () => {
    const file = newFile();
    const store = Store.open(file);
    const reader = new BetterSqlite3(file, { readonly: true });
    try {
      fill(store, 50);
      assert.ok(walSize(file) > 0);
      store.close();
      assert.equal(walSize(file), 0);
      const { n } = reader.prepare('SELECT COUNT(*) AS n FROM trials').get() as { n: number };
      assert.equal(n, 50);
    } finally {
      reader.close();
    }
  });
});

describe('study claim', () => {
  it('one run per study across stores', () => {
    const file = newFile();
    const first = Store.open(file);
    const second = Store.open(file);
    try {
      const studyId = fill(first);
      assert.deepEqual(first.claimStudy(studyId, 'run-a'), { claimed: true });
      assert.deepEqual(second.claimStudy(studyId, 'run-b'), {
        claimed: false,
        pid: process.pid,
      });
      // Another store of this process must not take the live run for a crashed one.
      assert.deepEqual(second.recoverInterrupted(), []);
      assert.equal(second.studies.get(studyId)!.status, 'running');

      first.releaseStudy(studyId, 'run-a');
      first.studies.setStatus(studyId, 'paused');
      assert.deepEqual(second.claimStudy(studyId, 'run-b'), { claimed: true });
      second.releaseStudy(studyId, 'run-b');
    } finally {
      first.close();
      second.close();
    }
  });

  it('dead runs are taken over', async () => {
    const file = newFile();
    const store = Store.open(file);
    try {
      const studyId = fill(store);
      const [trial] = store.trials.listByStudy(studyId);
      store.trials.markRunning(trial.id);
      store.studies.setStatus(studyId, 'running');

      // A run of another process that died, then one of this process that is gone.
      store.studies.setRunner(studyId, await deadPid(), 'gone');
      assert.deepEqual(store.claimStudy(studyId, 'run-c'), { claimed: true });
      assert.equal(store.trials.get(trial.id)!.status, 'queued');
      store.forgetRun('run-c');
      assert.deepEqual(store.claimStudy(studyId, 'run-d'), { claimed: true });
      assert.equal(store.studies.getRunner(studyId)!.runnerToken, 'run-d');
      store.releaseStudy(studyId, 'run-d');
    } finally {
      store.close();
    }
  });
});
