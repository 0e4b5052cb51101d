import type { Database } from 'better-sqlite3';

/**
 * Adds what a safe study run needs: `runner_token`, the claim of one run
 * (two services in the same process share a pid, so the pid alone cannot
 * tell whose run it is), and `failure_summary`, the JSON summary of the
 * failed trials in a row that paused a study.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE studies ADD COLUMN runner_token TEXT;
    ALTER TABLE studies ADD COLUMN failure_summary TEXT;
  `);
}
