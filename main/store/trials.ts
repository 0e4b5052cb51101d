import type { Database } from 'better-sqlite3';
import { parseMetrics, stringifyJson } from '../../shared/json';
import type { TrialValues } from '../../shared/space/types';
import type { EpochRecord, TrialRecord, TrialStatus } from '../../shared/study';

interface TrialRow {
  id: number;
  study_id: number;
  number: number;
  config: number;
  repeat: number;
  params: string;
  seed: number;
  status: TrialStatus;
  objective: number | null;
  best_epoch: number | null;
  epochs_run: number | null;
  metrics: string | null;
  backend: string | null;
  error: string | null;
  duration_ms: number | null;
  started_at: string | null;
  finished_at: string | null;
}

/** Result of a completed trial, as the worker reports it. */
export interface TrialResult {
  objective: number;
  bestEpoch: number;
  epochsRun: number;
  metrics: Record<string, number>;
  backend: string;
  durationMs: number;
}

/** Every column of a trial but its metrics, which read as null. */
const LIGHT_COLUMNS =
  'id, study_id, number, config, repeat, params, seed, status, objective, best_epoch, ' +
  'epochs_run, NULL AS metrics, backend, error, duration_ms, started_at, finished_at';

function toRecord(row: TrialRow): TrialRecord {
  return {
    id: row.id,
    studyId: row.study_id,
    number: row.number,
    config: row.config,
    repeat: row.repeat,
    values: JSON.parse(row.params) as TrialValues,
    seed: row.seed,
    status: row.status,
    objective: row.objective,
    bestEpoch: row.best_epoch,
    epochsRun: row.epochs_run,
    metrics: row.metrics === null ? null : parseMetrics(row.metrics),
    backend: row.backend,
    error: row.error,
    durationMs: row.duration_ms,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/**
 * Trials and their per-epoch metrics. Only the process that runs a study
 * changes its trials. Each method is one statement or one transaction, so a
 * crash leaves every trial in a state it really had.
 */
export class TrialTable {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the planned trials of a study as `queued`, numbered from 1. A
   * trial without `config` is its own config (config = number, repeat 1).
   */
  insertQueued(
    studyId: number,
    trials: { values: TrialValues; seed: number; config?: number; repeat?: number }[],
  ): void {
    const insert = this.db.prepare(
      `INSERT INTO trials (study_id, number, config, repeat, params, seed, status)
       VALUES (?, ?, ?, ?, ?, ?, 'queued')`,
    );
    trials.forEach((trial, index) => {
      const number = index + 1;
      insert.run(
        studyId,
        number,
        trial.config ?? number,
        trial.repeat ?? 1,
        JSON.stringify(trial.values),
        trial.seed,
      );
    });
  }

  get(id: number): TrialRecord | undefined {
    const row = this.db.prepare('SELECT * FROM trials WHERE id = ?').get(id) as
      TrialRow | undefined;
    return row && toRecord(row);
  }

  /**
   * Returns the trials of a study in number order. With `metrics: false`
   * their `metrics` are null: parsing that JSON is most of the time spent on
   * a study of 10,000 trials, and the analysis views do not read it.
   */
  listByStudy(studyId: number, options: { metrics?: boolean } = {}): TrialRecord[] {
    const columns = options.metrics === false ? LIGHT_COLUMNS : '*';
    const rows = this.db
      .prepare(`SELECT ${columns} FROM trials WHERE study_id = ? ORDER BY number`)
      .all(studyId) as TrialRow[];
    return rows.map(toRecord);
  }

  /** Returns the trials still to run: queued ones, in number order. */
  listQueued(studyId: number): TrialRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM trials WHERE study_id = ? AND status = 'queued' ORDER BY number`)
      .all(studyId) as TrialRow[];
    return rows.map(toRecord);
  }

  /** Marks a trial running and clears the epochs of an earlier, interrupted attempt. */
  markRunning(id: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM trial_epochs WHERE trial_id = ?').run(id);
      this.db
        .prepare(
          `UPDATE trials SET status = 'running', started_at = ?, finished_at = NULL, error = NULL
           WHERE id = ?`,
        )
        .run(new Date().toISOString(), id);
    })();
  }

  insertEpoch(trialId: number, epoch: number, metrics: Record<string, number>): void {
    this.db
      .prepare('INSERT OR REPLACE INTO trial_epochs (trial_id, epoch, metrics) VALUES (?, ?, ?)')
      .run(trialId, epoch, stringifyJson(metrics));
  }

  listEpochs(trialId: number): EpochRecord[] {
    const rows = this.db
      .prepare('SELECT epoch, metrics FROM trial_epochs WHERE trial_id = ? ORDER BY epoch')
      .all(trialId) as { epoch: number; metrics: string }[];
    return rows.map((row) => ({ trialId, epoch: row.epoch, metrics: parseMetrics(row.metrics) }));
  }

  markCompleted(id: number, result: TrialResult): void {
    this.db
      .prepare(
        `UPDATE trials SET status = 'completed', objective = ?, best_epoch = ?, epochs_run = ?,
           metrics = ?, backend = ?, duration_ms = ?, error = NULL, finished_at = ?
         WHERE id = ?`,
      )
      .run(
        result.objective,
        result.bestEpoch,
        result.epochsRun,
        stringifyJson(result.metrics),
        result.backend,
        Math.round(result.durationMs),
        new Date().toISOString(),
        id,
      );
  }

  /** Ends a trial without an objective: failed, cancelled or interrupted, with the reason. */
  markEnded(
    id: number,
    status: 'failed' | 'cancelled' | 'interrupted',
    reason: string,
    details: { backend?: string; durationMs?: number; epochsRun?: number } = {},
  ): void {
    this.db
      .prepare(
        `UPDATE trials SET status = ?, error = ?, backend = COALESCE(?, backend),
           duration_ms = COALESCE(?, duration_ms), epochs_run = COALESCE(?, epochs_run),
           finished_at = ?
         WHERE id = ?`,
      )
      .run(
        status,
        reason,
        details.backend ?? null,
        details.durationMs === undefined ? null : Math.round(details.durationMs),
        details.epochsRun ?? null,
        new Date().toISOString(),
        id,
      );
  }

  /** Puts interrupted (and, with `includeCancelled`, cancelled) trials of a study back in the queue. */
  requeue(studyId: number, includeCancelled: boolean): number {
    const statuses = includeCancelled ? `('interrupted', 'cancelled')` : `('interrupted')`;
    const result = this.db
      .prepare(
        `UPDATE trials SET status = 'queued', error = NULL, finished_at = NULL
         WHERE study_id = ? AND status IN ${statuses}`,
      )
      .run(studyId);
    return result.changes;
  }

  /** Marks every running trial of a study interrupted; returns how many. */
  markRunningInterrupted(studyId: number): number {
    const result = this.db
      .prepare(
        `UPDATE trials SET status = 'interrupted',
           error = 'the process running this trial ended before it finished'
         WHERE study_id = ? AND status = 'running'`,
      )
      .run(studyId);
    return result.changes;
  }

  /** Cancels the queued trials of a study with `reason`; returns how many. */
  cancelQueued(studyId: number, reason: string): number {
    const result = this.db
      .prepare(
        `UPDATE trials SET status = 'cancelled', error = ? WHERE study_id = ? AND status = 'queued'`,
      )
      .run(reason, studyId);
    return result.changes;
  }
}
