import type { Database } from 'better-sqlite3';

/**
 * Creates the first schema: datasets, studies (a refined stage points to its
 * parent), trials and per-epoch metrics. JSON columns hold values that the
 * code reads whole (a search space, a dataset source); non-finite numbers in
 * them are written as the strings "NaN", "Infinity" and "-Infinity".
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE datasets (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      source TEXT NOT NULL,
      task TEXT NOT NULL CHECK (task IN ('classification', 'regression')),
      rows INTEGER NOT NULL,
      features INTEGER NOT NULL,
      classes INTEGER NOT NULL,
      test_rows INTEGER,
      content_hash TEXT NOT NULL,
      created_at TEXT NOT NULL
    );

    CREATE TABLE studies (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      dataset_id INTEGER NOT NULL REFERENCES datasets (id) ON DELETE RESTRICT,
      parent_id INTEGER REFERENCES studies (id) ON DELETE SET NULL,
      stage TEXT NOT NULL CHECK (stage IN ('coarse', 'refined')),
      template TEXT NOT NULL,
      space TEXT NOT NULL,
      settings TEXT NOT NULL,
      status TEXT NOT NULL CHECK (
        status IN ('created', 'running', 'paused', 'completed', 'cancelled', 'interrupted')
      ),
      planned_trials INTEGER NOT NULL,
      note TEXT,
      runner_pid INTEGER,
      created_at TEXT NOT NULL,
      started_at TEXT,
      finished_at TEXT
    );
    CREATE INDEX studies_parent ON studies (parent_id);

    CREATE TABLE trials (
      id INTEGER PRIMARY KEY,
      study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
      number INTEGER NOT NULL,
      params TEXT NOT NULL,
      seed INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (
        status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted')
      ),
      objective REAL,
      best_epoch INTEGER,
      epochs_run INTEGER,
      metrics TEXT,
      backend TEXT,
      error TEXT,
      duration_ms INTEGER,
      started_at TEXT,
      finished_at TEXT,
      UNIQUE (study_id, number)
    );
    CREATE INDEX trials_status ON trials (study_id, status);

    CREATE TABLE trial_epochs (
      trial_id INTEGER NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
      epoch INTEGER NOT NULL,
      metrics TEXT NOT NULL,
      PRIMARY KEY (trial_id, epoch)
    );
  `);
}
