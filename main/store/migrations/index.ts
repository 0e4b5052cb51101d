import type { Database } from 'better-sqlite3';
import * as initial from './001-initial';
import * as runnerClaim from './002-runner-claim';
import * as trialObjectiveIndex from './003-trial-objective-index';
import * as trialConfigs from './004-trial-configs';

/** One schema change; `version` is the `user_version` the database has after it. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

/**
 * Every migration in order. Append new ones with the next version number and
 * never edit a migration that has shipped: databases in the field already
 * ran it.
 */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', up: initial.up },
  { version: 2, name: 'runner-claim', up: runnerClaim.up },
  { version: 3, name: 'trial-objective-index', up: trialObjectiveIndex.up },
  { version: 4, name: 'trial-configs', up: trialConfigs.up },
];

/** The schema version this build of Scout writes. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
