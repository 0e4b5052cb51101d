import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { getLogger } from '../log';
import { LATEST_VERSION, MIGRATIONS } from './migrations';

const log = getLogger('store');

/** Error raised when a database cannot be opened or migrated; its message names the fix. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/**
 * Opens (creating when missing) the SQLite file at `file` and migrates it to
 * the latest schema. WAL mode lets readers (a second `scout list`) run while
 * a study writes. Foreign keys are off by default in SQLite, so each
 * connection switches them on.
 */
export function openDatabase(file: string): Database {
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  }

  let db: Database;
  try {
    db = new BetterSqlite3(file);
  } catch (error) {
    throw new StoreError(`cannot open database ${file}: ${(error as Error).message}`);
  }

  try {
    // The first statement reads the file, so a file that is not SQLite fails here.
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    db.close();
    throw new StoreError(
      `cannot open database ${file}: ${(error as Error).message}; ` +
        'pass a Scout database file (or a new path) with --db',
    );
  }

  try {
    migrate(db, file);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Runs every migration newer than the file's `user_version`, each in its own transaction. */
export function migrate(db: Database, file = 'database'): void {
  const current = db.pragma('user_version', { simple: true }) as number;

  if (current > LATEST_VERSION) {
    throw new StoreError(
      `${file} has schema version ${current}, newer than this Scout's ${LATEST_VERSION}; ` +
        'upgrade Scout or open another database with --db',
    );
  }

  for (const migration of MIGRATIONS) {
    if (migration.version <= current) {
      continue;
    }

    log.info({ file, version: migration.version, migration: migration.name }, 'migrating');
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
