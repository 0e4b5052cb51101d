import type { Database } from 'better-sqlite3';
import { getLogger } from '../log';
import { openDatabase } from './database';
import { DatasetTable } from './datasets';
import { StudyTable } from './studies';
import { TrialTable } from './trials';

export { StoreError } from './database';
export type { NewDataset } from './datasets';
export type { NewStudy } from './studies';
export type { TrialResult } from './trials';

const log = getLogger('store');

/**
 * Scout's history in one SQLite file.
 *
 * Contract: the process that runs a study is the only writer of its trials,
 * and other processes may read at any time (WAL mode). Every state change is
 * one transaction, written before the event that reports it. After a crash
 * the file therefore has each trial as completed, failed, cancelled, queued
 * or running. `recoverInterrupted` turns the running ones of dead processes
 * into `interrupted`, so `resume` can run them again. Epoch metrics of an
 * unfinished trial are kept until the trial starts again.
 */
export class Store {
  readonly datasets: DatasetTable;
  readonly studies: StudyTable;
  readonly trials: TrialTable;

  constructor(readonly db: Database) {
    this.datasets = new DatasetTable(db);
    this.studies = new StudyTable(db);
    this.trials = new TrialTable(db);
  }

  static open(file: string): Store {
    return new Store(openDatabase(file));
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  /**
   * Marks studies whose runner process is gone, and their running trials,
   * as interrupted. A study run by a live process (another `scout run` on
   * the same file) is left alone. Returns the ids of interrupted studies.
   */
  recoverInterrupted(isAlive: (pid: number) => boolean = isProcessAlive): number[] {
    const interrupted: number[] = [];

    for (const study of this.studies.listRunning()) {
      if (study.runnerPid !== null && study.runnerPid !== process.pid && isAlive(study.runnerPid)) {
        continue;
      }

      this.markInterrupted(study.id);
      interrupted.push(study.id);
    }
    return interrupted;
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

  close(): void {
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
