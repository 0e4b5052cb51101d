import fs from 'node:fs';
import type { BackendPreference } from '../runner/backend';
import { ScoutError } from '../core/errors';
import { StudyService } from '../core/service';
import { defaultDatabasePath, modelDirectory } from '../core/paths';
import { Store } from '../store';

/** Options every command accepts. */
export interface GlobalOptions {
  db?: string;
  backend?: BackendPreference;
  keepModels?: number;
}

/** An open database with its study service. */
export interface CommandContext {
  databasePath: string;
  store: Store;
  service: StudyService;
  /** The `--backend` preference the study runs with. */
  backend: BackendPreference;
}

/**
 * Access a command needs to the database. `write` creates a missing file and
 * `read` rejects it, so a mistyped `--db` path is reported instead of
 * showing an empty new database.
 */
export type DatabaseAccess = 'read' | 'write';

/** Opens the database named by `--db` (default: the user-data folder) and its service. */
export function openContext(
  options: GlobalOptions,
  access: DatabaseAccess = 'write',
): CommandContext {
  const databasePath = options.db ?? defaultDatabasePath();
  if (access === 'read' && !fs.existsSync(databasePath)) {
    throw new ScoutError(
      'not-found',
      `no Scout database at ${databasePath}; check the path, or create one with \`scout dataset add\``,
    );
  }
  const store = Store.open(databasePath, { create: access === 'write' });
  if (store.backupPath !== null) {
    process.stderr.write(
      `scout: upgraded the schema of ${databasePath}; the copy from before is ${store.backupPath}\n`,
    );
  }
  const service = new StudyService(store, {
    backend: options.backend,
    modelDirectory: modelDirectory(databasePath),
    keepModels: options.keepModels,
  });
  return { databasePath, store, service, backend: options.backend ?? 'auto' };
}

/**
 * Runs a study with Ctrl-C handled. The first interrupt stops the running
 * trials and leaves the study `interrupted`, so `scout resume` continues it.
 * Finished trials stay recorded.
 */
export async function runInterruptible(context: CommandContext, studyId: number) {
  return whileInterruptible(
    context,
    'stopping; finished trials are kept, resume with scout resume',
    () => context.service.runStudy(studyId),
  );
}

/**
 * Runs `work` with Ctrl-C and SIGTERM handled: `message` goes to standard
 * error and every running study stops `interrupted`, with its finished trials
 * kept. The exit code becomes 128 + the signal number, as shells report it,
 * so a script sees that the work did not finish.
 */
export async function whileInterruptible<T>(
  context: CommandContext,
  message: string,
  work: () => Promise<T>,
): Promise<T> {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${message}\n`);
    process.exitCode = signal === 'SIGINT' ? 130 : 143;
    void context.service.interruptAll();
  };

  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work();
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
