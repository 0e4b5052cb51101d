import type { Database } from 'better-sqlite3';
import { getLogger } from '../log';
import { type OpenOptions, openDatabaseFile, storeFailure } from './database';
import { DatasetTable } from './datasets';
import { type StudyRunner, StudyTable } from './studies';
import { TrialTable } from './trials';

export { StoreError, WAL_SIZE_LIMIT, listBackups, type OpenOptions } from './database';
export type { NewDataset } from './datasets';
export type { NewStudy, StudyRunner } from './studies';
export type { TrialResult } from './trials';

const log = getLogger('store');

/**
 * Tokens of the study runs alive in this process. A run records its pid and
 * token in the study. A run with this process's pid is alive only if its
 * token is here, because two services (the API of the app and a test, say)
 * may open the same file in one process.
 */
const liveRuns = new Set<string>();

/** Outcome of claiming a study: claimed, or owned by the live process `pid`. */
export type ClaimResult = { claimed: true } | { claimed: false; pid: number };

/**
 * Scout's history in one SQLite file.
 *
 * Contract: one run at a time owns a study, and only that run writes the
 * study's trials. claimStudy takes the write lock before it reads, so two
 * processes cannot both win. Other processes may read at any time (WAL
 * mode). Every state change is one transaction, written before the event
 * that reports it. After a crash the file therefore has each trial as
 * completed, failed, cancelled, queued or running. `recoverInterrupted`
 * turns the running ones of dead runs into `interrupted`, so `resume` can
 * run them again. Epoch metrics of an unfinished trial are kept until the
 * trial starts again.
 */
export class Store {
  readonly datasets: DatasetTable;
  readonly studies: StudyTable;
  readonly trials: TrialTable;

  /**
   * @param file path of the database, named in error messages
   * @param backupPath copy of the file taken before migrating it on open, or null
   */
  constructor(
    readonly db: Database,
    readonly file = db.name,
    readonly backupPath: string | null = null,
  ) {
    this.datasets = new DatasetTable(db);
    this.studies = new StudyTable(db);
    this.trials = new TrialTable(db);
  }

  /**
   * Opens (creating, unless `options.create` is false, and migrating as
   * needed) the database at `file`; see openDatabaseFile.
   */
  static open(file: string, options: OpenOptions = {}): Store {
    const { db, backupPath } = openDatabaseFile(file, options);
    return new Store(db, file, backupPath);
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  /**
   * Runs `work` (which writes) and turns an SQLite failure such as a full
   * disk or a read-only file into a StoreError that names this file and the fix.
   */
  guard<T>(action: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw storeFailure(error, this.file, action);
    }
  }

  /**
   * Claims study `id` for run `token` of this process, in one transaction
   * that holds the write lock from its first read. A study owned by a live
   * run elsewhere is not claimed, and the result names that run's pid.
   * Otherwise its interrupted and cancelled trials are queued again, it
   * becomes `running`, and an earlier failure summary is cleared.
   */
  claimStudy(id: number, token: string, isAlive = isProcessAlive): ClaimResult {
    const claim = this.db.transaction((): ClaimResult => {
      const runner = this.studies.getRunner(id);
      if (runner && runner.status === 'running' && this.isRunnerAlive(runner, isAlive)) {
        return { claimed: false, pid: runner.runnerPid! };
      }

      // Resuming runs what an earlier run left: interrupted trials, and those
      // cancelled by the user or by a time limit. Finished trials never rerun.
      this.trials.markRunningInterrupted(id);
      this.trials.requeue(id, true);
      this.studies.setStatus(id, 'running');
      this.studies.setRunner(id, process.pid, token);
      this.studies.setFailureSummary(id, null);
      return { claimed: true };
    });

    const result = this.guard('write to database', () => claim.immediate());
    if (result.claimed) {
      liveRuns.add(token);
    }
    return result;
  }

  /** Releases study `id` if run `token` still owns it; the status is left as it is. */
  releaseStudy(id: number, token: string): void {
    liveRuns.delete(token);
    this.studies.clearRunner(id, token);
  }

  /** Forgets run `token` in this process without writing, for a run that cannot write. */
  forgetRun(token: string): void {
    liveRuns.delete(token);
  }

  /**
   * Runs `work` in a transaction holding the write lock, unless a live run
   * owns study `id`: then returns that run's pid without running it. A
   * `running` study whose run is gone is marked interrupted first.
   */
  whileUnclaimed<T>(
    id: number,
    work: () => T,
    isAlive = isProcessAlive,
  ): { done: true; value: T } | { done: false; pid: number } {
    const attempt = this.db.transaction(() => {
      const runner = this.studies.getRunner(id);
      if (runner && runner.status === 'running') {
        if (this.isRunnerAlive(runner, isAlive)) {
          return { done: false as const, pid: runner.runnerPid! };
        }
        this.markInterrupted(id);
      }
      return { done: true as const, value: work() };
    });
    return this.guard('write to database', () => attempt.immediate());
  }

  /**
   * Marks studies whose run is gone, and their running trials, as
   * interrupted. A study run by a live process (another `scout run` on the
   * same file, or another service in this process) is left alone. Returns
   * the ids of interrupted studies.
   */
  recoverInterrupted(isAlive: (pid: number) => boolean = isProcessAlive): number[] {
    const interrupted: number[] = [];

    for (const runner of this.studies.listRunning()) {
      if (this.isRunnerAlive(runner, isAlive)) {
        continue;
      }

      this.markInterrupted(runner.id);
      interrupted.push(runner.id);
    }
    return interrupted;
  }

  /** Returns whether the run recorded in `runner` is alive, in this process or another. */
  isRunnerAlive(runner: StudyRunner, isAlive: (pid: number) => boolean = isProcessAlive): boolean {
    if (runner.runnerPid === null) {
      return false;
    }
    if (runner.runnerPid === process.pid) {
      return runner.runnerToken !== null && liveRuns.has(runner.runnerToken);
    }
    return isAlive(runner.runnerPid);
  }

  /** Marks study `id` and its running trials interrupted and clears its runner, in one transaction. */
  markInterrupted(id: number): void {
    this.transaction(() => {
      const trials = this.trials.markRunningInterrupted(id);
      this.studies.setStatus(id, 'interrupted');
      this.studies.setRunner(id, null);
      log.warn({ studyId: id, trials }, 'study interrupted by an earlier crash');
    });
  }

  /**
   * Copies the write-ahead log into the database and truncates it, so the
   * log stays small over a long study. It waits at most 200 ms for a reader
   * of an older snapshot, then gives up. Returns whether the log was emptied.
   */
  checkpoint(): boolean {
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    try {
      // TRUNCATE waits for readers of older snapshots; a short wait keeps a study moving.
      this.db.pragma('busy_timeout = 200');
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return result?.busy === 0;
    } catch (error) {
      log.warn({ err: error, file: this.file }, 'checkpoint failed');
      return false;
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  /** Checkpoints the log into the file and closes the connection. */
  close(): void {
    if (!this.db.open) {
      return;
    }
    this.checkpoint();
    this.db.close();
  }
}

/** Returns whether a process with `pid` exists on this machine. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
