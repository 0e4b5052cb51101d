import type { Database } from 'better-sqlite3';
import type { SearchSpace } from '../../shared/space/types';
import type {
  FailureSummary,
  Stage,
  StudyRecord,
  StudySettings,
  StudyStatus,
} from '../../shared/study';

interface StudyRow {
  id: number;
  name: string;
  dataset_id: number;
  dataset_name: string;
  parent_id: number | null;
  stage: Stage;
  template: string;
  space: string;
  settings: string;
  status: StudyStatus;
  planned_trials: number;
  note: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  completed_trials: number;
  failed_trials: number;
  best_max: number | null;
  best_min: number | null;
  backends: string | null;
  failure_summary: string | null;
}

/** The process and run that hold a study, as stored. */
export interface StudyRunner {
  id: number;
  name: string;
  status: StudyStatus;
  runnerPid: number | null;
  runnerToken: string | null;
}

/** Fields of a study that a caller supplies when creating it. */
export interface NewStudy {
  name: string;
  datasetId: number;
  parentId: number | null;
  stage: Stage;
  template: string;
  space: SearchSpace;
  settings: StudySettings;
  plannedTrials: number;
  note: string | null;
}

const SELECT_STUDY = `
  SELECT s.*, d.name AS dataset_name,
    (SELECT COUNT(*) FROM trials t WHERE t.study_id = s.id AND t.status = 'completed')
      AS completed_trials,
    (SELECT COUNT(*) FROM trials t WHERE t.study_id = s.id AND t.status = 'failed')
      AS failed_trials,
    (SELECT MAX(objective) FROM trials t WHERE t.study_id = s.id AND t.status = 'completed')
      AS best_max,
    (SELECT MIN(objective) FROM trials t WHERE t.study_id = s.id AND t.status = 'completed')
      AS best_min,
    (SELECT GROUP_CONCAT(DISTINCT backend) FROM trials t
       WHERE t.study_id = s.id AND t.backend IS NOT NULL) AS backends
  FROM studies s JOIN datasets d ON d.id = s.dataset_id`;

function toRecord(row: StudyRow): StudyRecord {
  const settings = JSON.parse(row.settings) as StudySettings;
  const maximize = settings.objective.direction === 'maximize';

  return {
    id: row.id,
    name: row.name,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    parentId: row.parent_id,
    stage: row.stage,
    template: row.template,
    space: JSON.parse(row.space) as SearchSpace,
    settings,
    status: row.status,
    plannedTrials: row.planned_trials,
    note: row.note,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    completedTrials: row.completed_trials,
    failedTrials: row.failed_trials,
    bestObjective: maximize ? row.best_max : row.best_min,
    backends: row.backends,
    failureSummary:
      row.failure_summary === null ? null : (JSON.parse(row.failure_summary) as FailureSummary),
  };
}

/** Studies; a refined stage records its parent in `parent_id`. */
export class StudyTable {
  constructor(private readonly db: Database) {}

  insert(study: NewStudy): number {
    const result = this.db
      .prepare(
        `INSERT INTO studies (name, dataset_id, parent_id, stage, template, space, settings,
           status, planned_trials, note, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'created', ?, ?, ?)`,
      )
      .run(
        study.name,
        study.datasetId,
        study.parentId,
        study.stage,
        study.template,
        JSON.stringify(study.space),
        JSON.stringify(study.settings),
        study.plannedTrials,
        study.note,
        new Date().toISOString(),
      );
    return Number(result.lastInsertRowid);
  }

  get(id: number): StudyRecord | undefined {
    const row = this.db.prepare(`${SELECT_STUDY} WHERE s.id = ?`).get(id) as StudyRow | undefined;
    return row && toRecord(row);
  }

  /** Finds a study by id (a number) or by name; with a repeated name, the newest. */
  find(idOrName: string): StudyRecord | undefined {
    if (/^\d+$/.test(idOrName)) {
      return this.get(Number(idOrName));
    }

    const row = this.db
      .prepare(`${SELECT_STUDY} WHERE s.name = ? ORDER BY s.id DESC LIMIT 1`)
      .get(idOrName) as StudyRow | undefined;
    return row && toRecord(row);
  }

  list(): StudyRecord[] {
    const rows = this.db.prepare(`${SELECT_STUDY} ORDER BY s.id`).all() as StudyRow[];
    return rows.map(toRecord);
  }

  /** Sets the status and the matching timestamp: `started_at` once, `finished_at` on an end state. */
  setStatus(id: number, status: StudyStatus): void {
    const now = new Date().toISOString();
    const finished = status === 'completed' || status === 'cancelled' ? now : null;

    this.db
      .prepare(
        `UPDATE studies SET status = ?,
           started_at = CASE WHEN ? = 'running' THEN COALESCE(started_at, ?) ELSE started_at END,
           finished_at = ?
         WHERE id = ?`,
      )
      .run(status, status, now, finished, id);
  }

  setNote(id: number, note: string | null): void {
    this.db.prepare('UPDATE studies SET note = ? WHERE id = ?').run(note, id);
  }

  /** Deletes a study with its trials and metrics; refined children keep their rows. */
  delete(id: number): void {
    this.db.prepare('DELETE FROM studies WHERE id = ?').run(id);
  }

  /**
   * Records which process and run hold the study, so another process (or
   * another service in this one) can tell whether that run is alive.
   */
  setRunner(id: number, pid: number | null, token: string | null = null): void {
    this.db
      .prepare('UPDATE studies SET runner_pid = ?, runner_token = ? WHERE id = ?')
      .run(pid, token, id);
  }

  /** Clears the runner of study `id` if run `token` still owns it; returns whether it did. */
  clearRunner(id: number, token: string): boolean {
    const result = this.db
      .prepare(
        'UPDATE studies SET runner_pid = NULL, runner_token = NULL WHERE id = ? AND runner_token = ?',
      )
      .run(id, token);
    return result.changes > 0;
  }

  /** Returns the status and runner of study `id`, or undefined when there is no such study. */
  getRunner(id: number): StudyRunner | undefined {
    return this.db.prepare(`${SELECT_RUNNER} WHERE id = ?`).get(id) as StudyRunner | undefined;
  }

  /** Returns the runners of studies marked `running`. */
  listRunning(): StudyRunner[] {
    return this.db.prepare(`${SELECT_RUNNER} WHERE status = 'running'`).all() as StudyRunner[];
  }

  /** Stores (or with null clears) why the study paused after failed trials in a row. */
  setFailureSummary(id: number, summary: FailureSummary | null): void {
    this.db
      .prepare('UPDATE studies SET failure_summary = ? WHERE id = ?')
      .run(summary === null ? null : JSON.stringify(summary), id);
  }
}

const SELECT_RUNNER = `
  SELECT id, name, status, runner_pid AS runnerPid, runner_token AS runnerToken FROM studies`;
