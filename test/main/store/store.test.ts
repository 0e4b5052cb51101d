import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { Store, StoreError } from '../../../main/store';
import { migrate, openDatabase } from '../../../main/store/database';
import { LATEST_VERSION, MIGRATIONS } from '../../../main/store/migrations';
import { SMALL_SPACE, deadPid, makeTempDir } from '../core/helpers';
import { insertIris, insertStudy } from './fixtures';

const temp = makeTempDir('scout-store-');
after(() => temp.remove());

let fileCount = 0;

/** Returns a path for a new database file in the temporary folder. */
function newFile(): string {
  fileCount += 1;
  return path.join(temp.dir, `store-${fileCount}.sqlite`);
}

function countRows(db: Database, table: string): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

function tableNames(db: Database): string[] {
  const rows = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
    .all() as { name: string }[];
  return rows.map((row) => row.name);
}

/** Applies the migrations up to and including `version`, as an older Scout left the file. */
function migrateTo(db: Database, version: number): void {
  for (const migration of MIGRATIONS.filter((candidate) => candidate.version <= version)) {
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}

/**
 * Inserts dataset 1 and its coarse study 1 with the version 1 columns, as an
 * older Scout wrote them. `runnerPid` is the process that ran the study.
 */
function seedOldStudy(
  db: Database,
  study: { status: string; plannedTrials: number; runnerPid?: number },
): void {
  const now = new Date().toISOString();
  db.prepare(
    `INSERT INTO datasets (name, source, task, rows, features, classes, content_hash, created_at)
     VALUES ('iris', '{}', 'classification', 150, 4, 3, 'x', ?)`,
  ).run(now);
  db.prepare(
    `INSERT INTO studies (name, dataset_id, stage, template, space, settings, status,
       planned_trials, runner_pid, created_at)
     VALUES ('old', 1, 'coarse', 'mlp', '[]', '{}', ?, ?, ?, ?)`,
  ).run(study.status, study.plannedTrials, study.runnerPid ?? null, now);
}

/**
 * One case per migration: `seed` writes the rows a database at the previous
 * version holds, `check` tests them (and the new schema) after migrating.
 * A new migration needs a new case here; the coverage test below fails
 * until it has one.
 */
interface MigrationCase {
  version: number;
  seed(db: Database): void;
  check(db: Database): void;
}

const MIGRATION_CASES: MigrationCase[] = [
  {
    version: 1,
    // Version 0 is a new, empty file: there are no rows to carry over.
    seed: () => {},
    check: (db) => {
      assert.deepEqual(tableNames(db), ['datasets', 'studies', 'trial_epochs', 'trials']);
      for (const table of ['datasets', 'studies', 'trials', 'trial_epochs']) {
        assert.equal(countRows(db, table), 0, `${table} starts empty`);
      }
      const indexes = db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'`)
        .all() as { name: string }[];
      assert.deepEqual(indexes.map((index) => index.name).sort(), [
        'studies_parent',
        'trials_study_status_objective',
      ]);
    },
  },
  {
    version: 2,
    // A version 1 file holds a study that a run held when its process died.
    seed: (db) => {
      seedOldStudy(db, { status: 'running', plannedTrials: 2, runnerPid: 4242 });
      db.prepare(
        `INSERT INTO trials (study_id, number, params, seed, status) VALUES (1, 1, '{}', 7, 'running')`,
      ).run();
    },
    check: (db) => {
      const columns = (db.prepare('PRAGMA table_info(studies)').all() as { name: string }[]).map(
        (column) => column.name,
      );
      assert.ok(columns.includes('runner_token'));
      assert.ok(columns.includes('failure_summary'));
      const study = db.prepare('SELECT * FROM studies').get() as Record<string, unknown>;
      assert.equal(study.runner_pid, 4242);
      assert.equal(study.runner_token, null);
      assert.equal(study.failure_summary, null);
      assert.equal(countRows(db, 'trials'), 1);
    },
  },
  {
    version: 3,
    // A version 2 file's trials keep their rows; only the index changes.
    seed: (db) => {
      seedOldStudy(db, { status: 'completed', plannedTrials: 1 });
      db.prepare(
        `INSERT INTO trials (study_id, number, params, seed, status, objective)
         VALUES (1, 1, '{}', 7, 'completed', 0.9)`,
      ).run();
    },
    check: (db) => {
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT MAX(objective) FROM trials
           WHERE study_id = 1 AND status = 'completed'`,
        )
        .all() as { detail: string }[];
      assert.match(plan.map((step) => step.detail).join('\n'), /trials_study_status_objective/);
      assert.equal(countRows(db, 'trials'), 1);
    },
  },
  {
    version: 4,
    // A version 3 file trained each config once: every trial becomes its own config, repeat 1.
    seed: (db) => {
      seedOldStudy(db, { status: 'completed', plannedTrials: 3 });
      const insert = db.prepare(
        `INSERT INTO trials (study_id, number, params, seed, status, objective)
         VALUES (1, ?, '{}', ?, 'completed', ?)`,
      );
      insert.run(1, 7, 0.9);
      insert.run(2, 8, 0.8);
      insert.run(3, 9, 0.7);
    },
    check: (db) => {
      const rows = db
        .prepare('SELECT number, config, repeat, seed FROM trials ORDER BY number')
        .all() as { number: number; config: number; repeat: number; seed: number }[];
      assert.deepEqual(
        rows.map((row) => [row.number, row.config, row.repeat]),
        [
          [1, 1, 1],
          [2, 2, 1],
          [3, 3, 1],
        ],
      );
      assert.deepEqual(
        rows.map((row) => row.seed),
        [7, 8, 9],
      );
    },
  },
];

describe('migrations', () => {
  it('fresh file reaches latest version', () => {
    const store = Store.open(newFile());
    try {
      assert.equal(store.db.pragma('user_version', { simple: true }), LATEST_VERSION);
      assert.equal(LATEST_VERSION, 4);
      assert.deepEqual(tableNames(store.db), ['datasets', 'studies', 'trial_epochs', 'trials']);
    } finally {
      store.close();
    }
  });

  it('every migration has a case', () => {
    assert.deepEqual(
      MIGRATION_CASES.map((entry) => entry.version),
      MIGRATIONS.map((migration) => migration.version),
    );
  });

  for (const entry of MIGRATION_CASES) {
    it(`migrates ${entry.version - 1} to ${entry.version}`, () => {
      const file = newFile();
      const old = new BetterSqlite3(file);
      migrateTo(old, entry.version - 1);
      assert.equal(old.pragma('user_version', { simple: true }), entry.version - 1);
      entry.seed(old);
      old.close();

      const db = new BetterSqlite3(file);
      try {
        db.pragma('foreign_keys = ON');
        migrate(db, file);
        assert.equal(db.pragma('user_version', { simple: true }), LATEST_VERSION);
        entry.check(db);
      } finally {
        db.close();
      }
    });
  }

  it('migrating twice changes nothing', () => {
    const file = newFile();
    const store = Store.open(file);
    const dataset = insertIris(store);
    insertStudy(store, dataset.id);
    store.close();

    const again = Store.open(file);
    try {
      assert.equal(again.db.pragma('user_version', { simple: true }), LATEST_VERSION);
      assert.equal(again.datasets.list().length, 1);
      assert.equal(again.trials.listByStudy(1).length, 3);
    } finally {
      again.close();
    }
  });

  it('rejects a newer schema version', () => {
    const file = newFile();
    const db = new BetterSqlite3(file);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();

    assert.throws(
      () => openDatabase(file),
      (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.match(error.message, new RegExp(`schema version ${LATEST_VERSION + 1}`));
        assert.match(error.message, /upgrade Scout/);
        return true;
      },
    );

    const untouched = new BetterSqlite3(file);
    assert.equal(untouched.pragma('user_version', { simple: true }), LATEST_VERSION + 1);
    assert.deepEqual(tableNames(untouched), []);
    untouched.close();
  });
});

describe('openDatabase', () => {
  it('rejects a file that is not SQLite', () => {
    const file = newFile();
    fs.writeFileSync(file, 'sepal_length,sepal_width\n5.1,3.5\n'.repeat(50));

    assert.throws(
      () => openDatabase(file),
      (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.match(error.message, new RegExp(`cannot open database ${file}`));
        assert.match(error.message, /file is not a database/);
        assert.match(error.message, /--db/);
        return true;
      },
    );
    assert.match(fs.readFileSync(file, 'utf8'), /^sepal_length/);
  });
});

describe('Store connection', () => {
  let store: Store;
  before(() => {
    store = Store.open(newFile());
  });
  after(() => store.close());

  it('uses WAL and foreign keys', () => {
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
  });

  it('dataset in use cannot be deleted', () => {
    const dataset = insertIris(store, 'iris-in-use');
    insertStudy(store, dataset.id);

    assert.throws(() => store.datasets.delete(dataset.id), /FOREIGN KEY constraint failed/);
    assert.ok(store.datasets.get(dataset.id));
  });

  it('unused dataset can be deleted', () => {
    const dataset = insertIris(store, 'iris-unused');
    store.datasets.delete(dataset.id);
    assert.equal(store.datasets.get(dataset.id), undefined);
  });

  it('duplicate dataset name is rejected', () => {
    insertIris(store, 'iris-twice');
    assert.throws(() => insertIris(store, 'iris-twice'), /UNIQUE constraint failed/);
  });

  it('study delete cascades to trials and epochs', () => {
    const dataset = insertIris(store, 'iris-cascade');
    const parentId = insertStudy(store, dataset.id, 2);
    const childId = insertStudy(store, dataset.id, 1, parentId);
    const [first] = store.trials.listByStudy(parentId);
    store.trials.markRunning(first.id);
    store.trials.insertEpoch(first.id, 1, { loss: 1 });
    store.trials.insertEpoch(first.id, 2, { loss: 0.5 });

    store.studies.delete(parentId);

    assert.equal(store.studies.get(parentId), undefined);
    assert.deepEqual(store.trials.listByStudy(parentId), []);
    const epochs = store.db
      .prepare('SELECT COUNT(*) AS n FROM trial_epochs WHERE trial_id = ?')
      .get(first.id) as { n: number };
    assert.equal(epochs.n, 0);

    // A refined child outlives its parent, and its parent_id becomes null.
    const child = store.studies.get(childId);
    assert.ok(child);
    assert.equal(child.parentId, null);
    assert.equal(store.trials.listByStudy(childId).length, 1);
  });
});

describe('TrialTable', () => {
  let store: Store;
  let datasetId: number;
  before(() => {
    store = Store.open(newFile());
    datasetId = insertIris(store).id;
  });
  after(() => store.close());

  it('insertQueued numbers trials from 1', () => {
    const studyId = insertStudy(store, datasetId, 3);
    const trials = store.trials.listByStudy(studyId);

    assert.deepEqual(
      trials.map((trial) => trial.number),
      [1, 2, 3],
    );
    assert.ok(trials.every((trial) => trial.status === 'queued'));
    assert.deepEqual(trials[1].values, { learning_rate: 0.002, units: 16, activation: 'relu' });
    assert.equal(trials[1].seed, 101);
    assert.equal(store.trials.listQueued(studyId).length, 3);
  });

  it('insertQueued stores config and repeat', () => {
    const studyId = insertStudy(store, datasetId, 0);
    store.trials.insertQueued(studyId, [
      { values: { units: 16 }, seed: 5, config: 1, repeat: 1 },
      { values: { units: 16 }, seed: 6, config: 1, repeat: 2 },
      { values: { units: 32 }, seed: 7, config: 2, repeat: 1 },
      { values: { units: 32 }, seed: 8 },
    ]);
    const trials = store.trials.listByStudy(studyId);

    assert.deepEqual(
      trials.map((trial) => [trial.number, trial.config, trial.repeat, trial.seed]),
      [
        [1, 1, 1, 5],
        [2, 1, 2, 6],
        [3, 2, 1, 7],
        [4, 4, 1, 8],
      ],
    );
    assert.deepEqual(store.trials.get(trials[1].id)?.config, 1);
    assert.deepEqual(store.trials.get(trials[1].id)?.repeat, 2);
  });

  it('markRunning clears earlier epochs', () => {
    const studyId = insertStudy(store, datasetId, 1);
    const [trial] = store.trials.listByStudy(studyId);
    store.trials.markRunning(trial.id);
    store.trials.insertEpoch(trial.id, 1, { loss: 2 });
    store.trials.markEnded(trial.id, 'interrupted', 'the process ended');

    store.trials.markRunning(trial.id);

    const running = store.trials.get(trial.id)!;
    assert.equal(running.status, 'running');
    assert.equal(running.error, null);
    assert.equal(running.finishedAt, null);
    assert.ok(running.startedAt);
    assert.deepEqual(store.trials.listEpochs(trial.id), []);
    assert.equal(store.trials.listQueued(studyId).length, 0);
  });

  it('epochs round-trip non-finite metrics', () => {
    const studyId = insertStudy(store, datasetId, 1);
    const [trial] = store.trials.listByStudy(studyId);
    store.trials.markRunning(trial.id);
    store.trials.insertEpoch(trial.id, 1, { loss: 0.25, accuracy: 0.9 });
    store.trials.insertEpoch(trial.id, 2, {
      loss: NaN,
      val_loss: Infinity,
      val_mae: -Infinity,
      accuracy: 0.1,
    });

    const epochs = store.trials.listEpochs(trial.id);
    assert.deepEqual(
      epochs.map((epoch) => epoch.epoch),
      [1, 2],
    );
    assert.deepEqual(epochs[0].metrics, { loss: 0.25, accuracy: 0.9 });
    const second = epochs[1].metrics;
    assert.equal(typeof second.loss, 'number');
    assert.ok(Number.isNaN(second.loss));
    assert.equal(second.val_loss, Infinity);
    assert.equal(second.val_mae, -Infinity);
    assert.equal(second.accuracy, 0.1);

    const raw = store.db
      .prepare('SELECT metrics FROM trial_epochs WHERE trial_id = ? AND epoch = 2')
      .get(trial.id) as { metrics: string };
    assert.match(raw.metrics, /"loss":"NaN"/);
    assert.match(raw.metrics, /"val_loss":"Infinity"/);
    assert.match(raw.metrics, /"val_mae":"-Infinity"/);
  });

  it('markCompleted stores the result', () => {
    const studyId = insertStudy(store, datasetId, 1);
    const [trial] = store.trials.listByStudy(studyId);
    store.trials.markRunning(trial.id);
    store.trials.markCompleted(trial.id, {
      objective: 0.875,
      bestEpoch: 2,
      epochsRun: 3,
      metrics: { val_accuracy: 0.875, val_loss: 0.4, test_loss: NaN },
      backend: 'wasm',
      durationMs: 1234.6,
    });

    const done = store.trials.get(trial.id)!;
    assert.equal(done.status, 'completed');
    assert.equal(done.objective, 0.875);
    assert.equal(done.bestEpoch, 2);
    assert.equal(done.epochsRun, 3);
    assert.equal(done.backend, 'wasm');
    assert.equal(done.durationMs, 1235);
    assert.equal(done.metrics?.val_accuracy, 0.875);
    assert.ok(Number.isNaN(done.metrics?.test_loss));
    assert.equal(done.error, null);
    assert.ok(done.finishedAt);

    // Without metrics, every other field reads as before.
    const [light] = store.trials.listByStudy(studyId, { metrics: false });
    assert.equal(light.metrics, null);
    assert.deepEqual({ ...light, metrics: done.metrics }, done);
  });

  it('markEnded keeps the known backend', () => {
    const studyId = insertStudy(store, datasetId, 2);
    const [failed, cancelled] = store.trials.listByStudy(studyId);
    store.trials.markRunning(failed.id);
    store.trials.markEnded(failed.id, 'failed', 'loss became NaN at epoch 1', {
      backend: 'cpu',
      durationMs: 10.4,
      epochsRun: 1,
    });
    store.trials.markEnded(cancelled.id, 'cancelled', 'cancelled by the user');

    const first = store.trials.get(failed.id)!;
    assert.equal(first.status, 'failed');
    assert.equal(first.error, 'loss became NaN at epoch 1');
    assert.equal(first.backend, 'cpu');
    assert.equal(first.durationMs, 10);
    assert.equal(first.epochsRun, 1);
    assert.equal(first.objective, null);
    assert.ok(first.finishedAt);

    const second = store.trials.get(cancelled.id)!;
    assert.equal(second.status, 'cancelled');
    assert.equal(second.error, 'cancelled by the user');
    assert.equal(second.backend, null);
    assert.equal(second.durationMs, null);
  });

  it('requeue takes interrupted and optionally cancelled', () => {
    const studyId = insertStudy(store, datasetId, 4);
    const [interrupted, cancelled, failed, completed] = store.trials.listByStudy(studyId);
    store.trials.markEnded(interrupted.id, 'interrupted', 'the process ended');
    store.trials.markEnded(cancelled.id, 'cancelled', 'cancelled by the user');
    store.trials.markEnded(failed.id, 'failed', 'loss became NaN');
    store.trials.markCompleted(completed.id, {
      objective: 0.5,
      bestEpoch: 1,
      epochsRun: 1,
      metrics: { val_accuracy: 0.5 },
      backend: 'cpu',
      durationMs: 5,
    });

    assert.equal(store.trials.requeue(studyId, false), 1);
    const afterFirst = store.trials.get(interrupted.id)!;
    assert.equal(afterFirst.status, 'queued');
    assert.equal(afterFirst.error, null);
    assert.equal(afterFirst.finishedAt, null);
    assert.equal(store.trials.get(cancelled.id)!.status, 'cancelled');

    assert.equal(store.trials.requeue(studyId, true), 1);
    assert.equal(store.trials.get(cancelled.id)!.status, 'queued');
    assert.equal(store.trials.get(failed.id)!.status, 'failed');
    assert.equal(store.trials.get(completed.id)!.status, 'completed');
    assert.deepEqual(
      store.trials.listQueued(studyId).map((trial) => trial.number),
      [1, 2],
    );
  });

  it('cancelQueued cancels only queued trials', () => {
    const studyId = insertStudy(store, datasetId, 3);
    const [running] = store.trials.listByStudy(studyId);
    store.trials.markRunning(running.id);

    assert.equal(store.trials.cancelQueued(studyId, 'the study was cancelled'), 2);

    const trials = store.trials.listByStudy(studyId);
    assert.deepEqual(
      trials.map((trial) => trial.status),
      ['running', 'cancelled', 'cancelled'],
    );
    assert.equal(trials[1].error, 'the study was cancelled');
    assert.equal(store.trials.cancelQueued(studyId, 'again'), 0);
  });
});

describe('StudyTable', () => {
  let store: Store;
  let datasetId: number;
  before(() => {
    store = Store.open(newFile());
    datasetId = insertIris(store).id;
  });
  after(() => store.close());

  it('setStatus stamps start once and end', async () => {
    const studyId = insertStudy(store, datasetId, 1);
    const created = store.studies.get(studyId)!;
    assert.equal(created.status, 'created');
    assert.equal(created.startedAt, null);

    store.studies.setStatus(studyId, 'running');
    const started = store.studies.get(studyId)!.startedAt;
    assert.ok(started);

    await new Promise((resolve) => setTimeout(resolve, 5));
    store.studies.setStatus(studyId, 'paused');
    store.studies.setStatus(studyId, 'running');
    assert.equal(store.studies.get(studyId)!.startedAt, started);
    assert.equal(store.studies.get(studyId)!.finishedAt, null);

    store.studies.setStatus(studyId, 'completed');
    const finished = store.studies.get(studyId)!;
    assert.equal(finished.status, 'completed');
    assert.ok(finished.finishedAt);
  });

  it('record counts trials and best objective', () => {
    const studyId = insertStudy(store, datasetId, 3);
    const [first, second, third] = store.trials.listByStudy(studyId);
    for (const [trial, objective] of [
      [first, 0.6],
      [second, 0.8],
    ] as const) {
      store.trials.markCompleted(trial.id, {
        objective,
        bestEpoch: 1,
        epochsRun: 1,
        metrics: { val_accuracy: objective },
        backend: 'wasm',
        durationMs: 1,
      });
    }
    store.trials.markEnded(third.id, 'failed', 'loss became NaN', { backend: 'wasm' });

    const study = store.studies.get(studyId)!;
    assert.equal(study.completedTrials, 2);
    assert.equal(study.failedTrials, 1);
    assert.equal(study.bestObjective, 0.8);
    assert.equal(study.backends, 'wasm');
    assert.equal(study.datasetName, 'iris');
    assert.deepEqual(study.space, SMALL_SPACE);
    assert.equal(store.studies.find(String(studyId))?.id, studyId);
  });

  it('find by name returns the newest', () => {
    const older = insertStudy(store, datasetId, 5);
    const newer = insertStudy(store, datasetId, 5);
    assert.ok(newer > older);
    assert.equal(store.studies.find('study-5')?.id, newer);
    assert.equal(store.studies.find('no such study'), undefined);
  });
});

describe('Store.recoverInterrupted', () => {
  it('interrupts dead runners only', async () => {
    const store = Store.open(newFile());
    const datasetId = insertIris(store).id;
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
      stdio: 'ignore',
    });

    try {
      const deadStudy = insertStudy(store, datasetId, 3);
      const liveStudy = insertStudy(store, datasetId, 2);
      const [done, running] = store.trials.listByStudy(deadStudy);
      store.trials.markCompleted(done.id, {
        objective: 0.7,
        bestEpoch: 1,
        epochsRun: 1,
        metrics: { val_accuracy: 0.7 },
        backend: 'cpu',
        durationMs: 1,
      });
      store.trials.markRunning(running.id);
      store.studies.setStatus(deadStudy, 'running');
      store.studies.setRunner(deadStudy, await deadPid());

      const [liveTrial] = store.trials.listByStudy(liveStudy);
      store.trials.markRunning(liveTrial.id);
      store.studies.setStatus(liveStudy, 'running');
      store.studies.setRunner(liveStudy, live.pid!);

      assert.deepEqual(store.recoverInterrupted(), [deadStudy]);

      const recovered = store.studies.get(deadStudy)!;
      assert.equal(recovered.status, 'interrupted');
      const runner = store.db
        .prepare('SELECT runner_pid FROM studies WHERE id = ?')
        .get(deadStudy) as { runner_pid: number | null };
      assert.equal(runner.runner_pid, null);
      assert.deepEqual(
        store.trials.listByStudy(deadStudy).map((trial) => trial.status),
        ['completed', 'interrupted', 'queued'],
      );
      assert.match(store.trials.get(running.id)!.error ?? '', /ended before it finished/);

      assert.equal(store.studies.get(liveStudy)!.status, 'running');
      assert.equal(store.trials.get(liveTrial.id)!.status, 'running');
    } finally {
      live.kill();
      store.close();
    }
  });
});
