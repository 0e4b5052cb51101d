import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { getLogger } from '../log';
import { LATEST_VERSION, MIGRATIONS } from './migrations';

const log = getLogger('store');

/**
 * Largest size in bytes the write-ahead log keeps after a checkpoint. SQLite
 * checkpoints every 1000 pages (about 4 MB) on its own; without this limit
 * the file would keep its largest size ever reached.
 */
export const WAL_SIZE_LIMIT = 4 * 1024 * 1024;

/**
 * Error raised when a database cannot be opened, migrated or written; its
 * message names the file and the fix. `sqliteCode` is SQLite's code
 * (SQLITE_FULL, SQLITE_READONLY, ...) when SQLite raised it.
 */
export class StoreError extends Error {
  override name = 'StoreError';

  constructor(
    message: string,
    readonly sqliteCode?: string,
  ) {
    super(message);
  }
}

/** An open database with the backup taken before migrating it. */
export interface OpenedDatabase {
  db: Database;
  /** Copy of the file taken before migrating it, or null when none was needed. */
  backupPath: string | null;
}

/**
 * Opens (creating when missing) the SQLite file at `file` and migrates it to
 * the latest schema. WAL mode lets readers (a second `scout list`) run while
 * a study writes. Foreign keys are off by default in SQLite, so each
 * connection switches them on.
 */
export function openDatabase(file: string): Database {
  return openDatabaseFile(file).db;
}

/** How `openDatabaseFile` treats a missing file. */
export interface OpenOptions {
  /**
   * Creates a missing file and its folder when true (the default). When
   * false, a missing file raises a StoreError and nothing is created, for
   * callers that only read.
   */
  create?: boolean;
}

/**
 * Opens `file` as openDatabase does and reports the backup taken before a
 * migration. A file that is not SQLite or has damaged pages is rejected with
 * a StoreError that names the file, its backups and a way out.
 */
export function openDatabaseFile(file: string, options: OpenOptions = {}): OpenedDatabase {
  const create = options.create ?? true;
  if (!create && (file === ':memory:' || !fs.existsSync(file))) {
    throw new StoreError(`no Scout database at ${file}; check the path`, 'SQLITE_CANTOPEN');
  }
  if (create && file !== ':memory:') {
    try {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    } catch (error) {
      throw new StoreError(
        `cannot create the folder of database ${file}: ${(error as Error).message}; ` +
          'pass a path in a writable folder with --db',
      );
    }
  }

  let db: Database;
  try {
    // fileMustExist also covers a file deleted after the check above.
    db = new BetterSqlite3(file, { fileMustExist: !create });
  } catch (error) {
    throw storeFailure(error, file, 'open database');
  }

  try {
    // The first statement reads the file, so a file that is not SQLite fails here.
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    checkPages(db, file);
  } catch (error) {
    db.close();
    throw storeFailure(error, file, 'open database');
  }

  try {
    const backupPath = migrate(db, file);
    return { db, backupPath };
  } catch (error) {
    db.close();
    throw storeFailure(error, file, 'migrate the database');
  }
}

/**
 * Runs SQLite's quick check, which reads every page: a file whose pages were
 * overwritten opens without error, and would fail later in the middle of a
 * study instead of here.
 */
function checkPages(db: Database, file: string): void {
  const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
  const problems = rows.map((row) => row.quick_check).filter((text) => text !== 'ok');
  if (problems.length > 0) {
    // SQLite splits one problem over lines; the message stays on one line for a terminal.
    const detail = problems.join('; ').replace(/\s*\n\s*/g, ' ');
    throw new StoreError(damagedMessage(file, detail), 'SQLITE_CORRUPT');
  }
}

/**
 * Runs every migration newer than the file's `user_version`, each in its own
 * transaction. A file that already contains data is first copied to
 * `<file>.backup-v<version>-<time>`; returns that path, or null.
 */
export function migrate(db: Database, file = 'database'): string | null {
  const current = db.pragma('user_version', { simple: true }) as number;

  if (current > LATEST_VERSION) {
    throw new StoreError(
      `${file} has schema version ${current}, newer than this Scout's ${LATEST_VERSION}; ` +
        'upgrade Scout or open another database with --db',
    );
  }

  const pending = MIGRATIONS.filter((migration) => migration.version > current);
  const backupPath = current > 0 && pending.length > 0 ? backUp(db, file, current) : null;

  for (const migration of pending) {
    log.info({ file, version: migration.version, migration: migration.name }, 'migrating');
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return backupPath;
}

/**
 * Copies the database to `<file>.backup-v<version>-<time>` with VACUUM INTO,
 * which writes a consistent, compact copy even while other connections read.
 */
function backUp(db: Database, file: string, version: number): string | null {
  if (file === ':memory:' || db.memory) {
    return null;
  }

  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  let target = `${path.resolve(file)}.backup-v${version}-${stamp}`;
  for (let copy = 2; fs.existsSync(target); copy++) {
    target = `${path.resolve(file)}.backup-v${version}-${stamp}-${copy}`;
  }
  // The copy gets its name only when complete, so a crash during the copy leaves no
  // half-written file that looks like a backup.
  const partial = `${target}.partial`;
  try {
    fs.rmSync(partial, { force: true });
    db.prepare('VACUUM INTO ?').run(partial);
    fs.renameSync(partial, target);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw new StoreError(
      `cannot back up ${file} to ${target} before upgrading its schema: ` +
        `${(error as Error).message}; free disk space or make the folder writable, then retry`,
    );
  }
  log.warn({ file, backup: target, version }, 'backed up the database before migrating it');
  return target;
}

/** Returns the backups of `file` taken before migrations, newest first. */
export function listBackups(file: string): string[] {
  if (file === ':memory:') {
    return [];
  }
  const resolved = path.resolve(file);
  const folder = path.dirname(resolved);
  const prefix = `${path.basename(resolved)}.backup-`;
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(prefix) && !/(-wal|-shm|-journal|\.partial)$/.test(name))
    .sort()
    .reverse()
    .map((name) => path.join(folder, name));
}

function damagedMessage(file: string, detail: string): string {
  const backups = listBackups(file);
  const backup =
    backups.length > 0
      ? `open its latest backup with --db ${backups[0]}, or `
      : 'open a backup copy of it with --db, or ';
  return (
    `the database ${file} is damaged (${detail}); ${backup}start a new database with ` +
    '--db NEW_FILE. Scout leaves the damaged file as it is, so it can be recovered with ' +
    "the sqlite3 tool's .recover command"
  );
}

/**
 * Turns an error that SQLite raised while Scout tried to `action` on `file`
 * into a StoreError naming the file and the fix. Other errors come back
 * unchanged.
 */
export function storeFailure(error: unknown, file: string, action: string): Error {
  if (error instanceof StoreError) {
    return error;
  }
  const code = (error as { code?: unknown }).code;
  const message = (error as Error).message ?? String(error);
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) {
    return error instanceof Error ? error : new Error(String(error));
  }

  const folder = file === ':memory:' ? 'its folder' : path.dirname(path.resolve(file));
  let text: string;
  if (code === 'SQLITE_FULL') {
    text =
      `cannot ${action} ${file}: the disk is full (${message}); free space on the disk ` +
      `holding ${folder}, then resume the study`;
  } else if (code.startsWith('SQLITE_READONLY')) {
    text =
      `cannot ${action} ${file}: the database is read-only (${message}); make the file, ` +
      `its -wal and -shm files and the folder ${folder} writable, or copy the file to a ` +
      'writable folder and open the copy with --db';
  } else if (code.startsWith('SQLITE_CANTOPEN')) {
    text =
      `cannot ${action} ${file}: the file or its journal cannot be opened (${message}); ` +
      `check that the folder ${folder} exists and is writable, or pass another path with --db`;
  } else if (code === 'SQLITE_NOTADB') {
    const backups = listBackups(file);
    const latest = backups.length > 0 ? ` (latest: ${backups[0]})` : '';
    text =
      `cannot ${action} ${file}: ${message}; it is not a Scout database, or its header is ` +
      `damaged; open a backup${latest} or a new path with --db`;
  } else if (code.startsWith('SQLITE_CORRUPT')) {
    text = damagedMessage(file, message);
  } else if (code.startsWith('SQLITE_IOERR')) {
    text =
      `cannot ${action} ${file}: the disk reported an error (${message}); check the disk ` +
      `holding ${folder} and its free space, then resume the study`;
  } else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    text =
      `cannot ${action} ${file}: another process has held it locked for over 5 s ` +
      `(${message}); close the other Scout using it, then retry`;
  } else {
    text = `cannot ${action} ${file}: ${message} (${code})`;
  }
  return new StoreError(text, code);
}
