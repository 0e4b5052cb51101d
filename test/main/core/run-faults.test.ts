import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { ScoutEvent } from '../../../shared/api/contract';
import type { SearchSpace } from '../../../shared/space/types';
import type { StudySettings } from '../../../shared/study';
import { ScoutError } from '../../../main/core/errors';
import { StoreError } from '../../../main/store';
import {
  FIXTURES,
  collectOutput,
  makeTempDir,
  openService,
  quickSettings,
  spawnCli,
  type ServiceHandle,
} from './helpers';

const temp = makeTempDir('scout-run-faults-');
after(() => temp.remove());

let fileCount = 0;

const IRIS_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-3, max: 3e-2, scale: 'log' },
  { name: 'units', type: 'int', min: 4, max: 32, scale: 'log' },
];

/** A service over a new database with iris registered and a study of `settings`; returns both. */
function irisStudy(settings: Partial<StudySettings> = {}, space: SearchSpace = IRIS_SPACE) {
  fileCount += 1;
  const handle = openService(path.join(temp.dir, `run-${fileCount}.sqlite`), { backend: 'cpu' });
  const dataset = handle.service.datasets.add('iris', {
    format: 'csv',
    path: path.join(FIXTURES, 'iris.csv'),
    target: 'species',
    task: 'classification',
  });
  const { study } = handle.service.createStudy({
    name: 'iris study',
    datasetId: dataset.id,
    template: 'mlp',
    space,
    settings: quickSettings({ trainLimit: undefined, testLimit: undefined, ...settings }),
  });
  return { handle, study };
}

async function closeService(handle: ServiceHandle): Promise<void> {
  await handle.service.close();
  handle.store.close();
}

function integrity(file: string): string {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((row) => row.integrity_check)
      .join('; ');
  } finally {
    db.close();
  }
}

/** Calls `listener` on each event of the service until it returns true. */
function onEvents(handle: ServiceHandle, listener: (event: ScoutEvent) => boolean | void): void {
  const stop = handle.service.onEvent((event) => {
    if (listener(event) === true) {
      stop();
    }
  });
}

/** Returns the pids of the worker processes that `pid` started, from /proc (Linux). */
function workerPids(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const command = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
        return parent === pid && /runner[/\\]worker\.[jt]s/.test(command);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * Makes `target` (a file or folder) read-only and returns a function that
 * undoes it, or undefined when that is not possible. chmod does not stop
 * root from writing, so as root the target is made immutable (chattr +i).
 */
function makeReadOnly(target: string): (() => void) | undefined {
  if (process.getuid?.() !== 0) {
    const mode = fs.statSync(target).mode & 0o777;
    fs.chmodSync(target, fs.statSync(target).isDirectory() ? 0o555 : 0o444);
    return () => fs.chmodSync(target, mode);
  }
  if (spawnSync('chattr', ['+i', target]).status !== 0) {
    return undefined;
  }
  return () => {
    spawnSync('chattr', ['-i', target]);
  };
}

function assertConflict(action: () => unknown, pattern: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof ScoutError, `expected a ScoutError, got ${String(error)}`);
    assert.equal(error.code, 'conflict');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('StudyRun faults', () => {
  it('full disk pauses the study', async () => {
    const { handle, study } = irisStudy({ trials: 6, epochs: 30 });
    try {
      // SQLITE_FULL for real: the database may not grow past its current pages once a trial
      // has completed, as on a disk with no space left.
      let completedBefore = 0;
      onEvents(handle, (event) => {
        if (event.type === 'trial-ended' && event.status === 'completed') {
          completedBefore = 1;
          const pages = handle.store.db.pragma('page_count', { simple: true }) as number;
          handle.store.db.pragma(`max_page_count = ${pages}`);
          return true;
        }
      });

      await assert.rejects(handle.service.runStudy(study.id), (error: unknown) => {
        assert.ok(error instanceof StoreError, String(error));
        assert.equal(error.sqliteCode, 'SQLITE_FULL');
        assert.ok(error.message.includes(handle.file), error.message);
        assert.match(error.message, /disk is full.*free space/);
        return true;
      });
      assert.equal(completedBefore, 1);

      const paused = handle.service.getStudy(study.id);
      assert.equal(paused.status, 'paused');
      assert.match(paused.note ?? '', /disk is full/);
      const trials = handle.store.trials.listByStudy(study.id);
      assert.ok(trials.filter((trial) => trial.status === 'completed').length >= 1);
      assert.ok(trials.every((trial) => trial.status !== 'running'));
      assert.equal(integrity(handle.file), 'ok');

      // Space freed: resume runs the rest and keeps what was recorded.
      handle.store.db.pragma('max_page_count = 1073741823');
      const recorded = trials.filter((trial) => trial.status === 'completed');
      const finished = await handle.service.runStudy(study.id);
      assert.equal(finished.status, 'completed');
      assert.equal(finished.completedTrials, 6);
      for (const trial of recorded) {
        assert.equal(handle.store.trials.get(trial.id)!.finishedAt, trial.finishedAt);
      }
    } finally {
      await closeService(handle);
    }
  });

  it('read-only database mid-run is recovered', async () => {
    const { handle, study } = irisStudy({ trials: 4, epochs: 20 });
    try {
      // query_only makes every write fail with SQLITE_READONLY, the pause included, so the
      // study stays `running` in the file until this process (or another) opens it again.
      onEvents(handle, (event) => {
        if (event.type === 'trial-ended') {
          handle.store.db.pragma('query_only = ON');
          return true;
        }
      });
      await assert.rejects(handle.service.runStudy(study.id), (error: unknown) => {
        assert.ok(error instanceof StoreError, String(error));
        assert.match(error.sqliteCode ?? '', /^SQLITE_READONLY/);
        assert.match(error.message, /read-only.*writable/);
        assert.ok(error.message.includes(handle.file));
        return true;
      });
      assert.equal(handle.service.getStudy(study.id).status, 'running');

      handle.store.db.pragma('query_only = OFF');
      const next = openService(handle.file, { backend: 'cpu' });
      try {
        assert.equal(next.service.getStudy(study.id).status, 'interrupted');
        const finished = await next.service.runStudy(study.id);
        assert.equal(finished.status, 'completed');
        assert.equal(finished.completedTrials, 4);
      } finally {
        await closeService(next);
      }
      assert.equal(integrity(handle.file), 'ok');
    } finally {
      await closeService(handle);
    }
  });

  it('read-only file refuses to start', async (context) => {
    const { handle, study } = irisStudy({ trials: 2 });
    await closeService(handle);

    const unlock = makeReadOnly(handle.file);
    if (unlock === undefined) {
      context.skip('chattr +i is not available to make the file read-only as root');
      return;
    }
    try {
      const next = openService(handle.file, { backend: 'cpu' });
      try {
        assert.throws(
          () => next.service.startStudy(study.id),
          (error: unknown) => {
            assert.ok(error instanceof StoreError, String(error));
            assert.match(error.message, /read-only/);
            assert.ok(error.message.includes(handle.file));
            return true;
          },
        );
        assert.equal(next.service.getStudy(study.id).status, 'created');
      } finally {
        next.store.close();
      }
    } finally {
      unlock();
    }
    assert.equal(integrity(handle.file), 'ok');
  });

  it('read-only folder refuses to open', async (context) => {
    const { handle } = irisStudy({ trials: 2 });
    await closeService(handle);
    const folder = path.join(temp.dir, 'read-only');
    fs.mkdirSync(folder);
    const file = path.join(folder, 'scout.sqlite');
    fs.copyFileSync(handle.file, file);

    const unlock = makeReadOnly(folder);
    if (unlock === undefined) {
      context.skip('chattr +i is not available to make the folder read-only as root');
      return;
    }
    try {
      assert.throws(
        () => openService(file),
        (error: unknown) => {
          assert.ok(error instanceof StoreError, String(error));
          assert.equal(error.sqliteCode, 'SQLITE_CANTOPEN');
          assert.ok(
            error.message.includes(`check that the folder ${folder} exists and is writable`),
          );
          return true;
        },
      );
    } finally {
      unlock();
    }
    assert.equal(integrity(file), 'ok');
  });

  it('failed trials in a row pause the study', async () => {
    // Every trial needs far longer than its time limit, so each one fails.
    const { handle, study } = irisStudy({
      trials: 8,
      epochs: 5000,
      trialTimeoutSeconds: 0.5,
      maxConsecutiveFailures: 3,
    });
    try {
      const statuses: ScoutEvent[] = [];
      onEvents(handle, (event) => {
        if (event.type === 'study-status') {
          statuses.push(event);
        }
      });

      const paused = await handle.service.runStudy(study.id);
      assert.equal(paused.status, 'paused');
      const trials = handle.store.trials.listByStudy(study.id);
      assert.deepEqual(
        trials.map((trial) => trial.status),
        ['failed', 'failed', 'failed', 'queued', 'queued', 'queued', 'queued', 'queued'],
      );
      const summary = paused.failureSummary!;
      assert.equal(summary.consecutiveFailures, 3);
      assert.equal(
        summary.reasons.reduce((sum, entry) => sum + entry.count, 0),
        3,
      );
      assert.deepEqual(summary.reasons, [
        {
          reason: trials[0].error,
          count: 3,
        },
      ]);
      assert.match(trials[0].error ?? '', /timed out after 500 ms/);
      assert.match(paused.note ?? '', /paused after 3 failed trials in a row/);

      const last = statuses.at(-1) as Extract<ScoutEvent, { type: 'study-status' }>;
      assert.equal(last.status, 'paused');
      assert.deepEqual(last.failures, summary);

      // Resuming clears the summary and tries again; 0 would turn the check off.
      handle.service.startStudy(study.id);
      assert.equal(handle.service.getStudy(study.id).failureSummary, null);
      const again = await handle.service.whenStopped(study.id);
      assert.equal(again.status, 'paused');
      assert.equal(
        handle.store.trials.listByStudy(study.id).filter((t) => t.status === 'failed').length,
        6,
      );
    } finally {
      await closeService(handle);
    }
  });

  it('killed worker fails only its trial', async () => {
    const { handle, study } = irisStudy({ trials: 3, epochs: 400 });
    try {
      let killed = 0;
      onEvents(handle, (event) => {
        if (event.type === 'trial-epoch' && event.number === 1 && event.epoch === 5) {
          for (const pid of workerPids(process.pid)) {
            process.kill(pid, 'SIGKILL');
            killed += 1;
          }
          return true;
        }
      });

      const finished = await handle.service.runStudy(study.id);
      assert.equal(killed, 1);
      assert.equal(finished.status, 'completed');
      const [first, ...rest] = handle.store.trials.listByStudy(study.id);
      assert.equal(first.status, 'failed');
      assert.match(first.error ?? '', /exited with signal SIGKILL during the trial/);
      assert.deepEqual(
        rest.map((trial) => trial.status),
        ['completed', 'completed'],
      );
    } finally {
      await closeService(handle);
    }
  });

  it('two services run a study once', async () => {
    const { handle, study } = irisStudy({ trials: 3, epochs: 30 });
    const other = openService(handle.file, { backend: 'cpu' });
    try {
      handle.service.startStudy(study.id);
      const third = openService(handle.file, { backend: 'cpu' });
      try {
        // A service opened while the run goes on must not take the study for a crashed one.
        assert.equal(third.service.getStudy(study.id).status, 'running');
      } finally {
        third.store.close();
      }
      for (const action of [
        () => other.service.startStudy(study.id),
        () => other.service.pauseStudy(study.id),
        () => other.service.cancelStudy(study.id),
        () => other.service.deleteStudy(study.id),
      ]) {
        assertConflict(action, /another window or service of this Scout/);
      }

      const finished = await handle.service.whenStopped(study.id);
      assert.equal(finished.status, 'completed');
      assert.equal(handle.store.trials.listByStudy(study.id).length, 3);
      assert.equal(other.service.getStudy(study.id).completedTrials, 3);
    } finally {
      await closeService(other);
      await closeService(handle);
    }
  });

  it('quick pause, resume and cancel', async () => {
    const { handle, study } = irisStudy({ trials: 4, epochs: 30 });
    try {
      let started = 0;
      onEvents(handle, (event) => {
        if (event.type === 'trial-started') {
          started += 1;
        }
      });
      handle.service.startStudy(study.id);
      assertConflict(() => handle.service.startStudy(study.id), /running already/);
      handle.service.pauseStudy(study.id);
      handle.service.pauseStudy(study.id);
      // Resume before the pause took effect withdraws it.
      handle.service.startStudy(study.id);
      const completed = await handle.service.whenStopped(study.id);
      assert.equal(completed.status, 'completed');
      assert.equal(completed.completedTrials, 4);
      assert.equal(started, 4);

      const second = irisStudy({ trials: 4, epochs: 30 });
      try {
        second.handle.service.startStudy(second.study.id);
        second.handle.service.pauseStudy(second.study.id);
        second.handle.service.cancelStudy(second.study.id);
        second.handle.service.cancelStudy(second.study.id);
        const cancelled = await second.handle.service.whenStopped(second.study.id);
        assert.equal(cancelled.status, 'cancelled');
        assertConflict(() => second.handle.service.pauseStudy(second.study.id), /is not running/);
      } finally {
        await closeService(second.handle);
      }
    } finally {
      await closeService(handle);
    }
  });

  it('two processes run a study once', async () => {
    const { handle, study } = irisStudy({ trials: 6, epochs: 40 });
    await closeService(handle);

    const args = ['--db', handle.file, '--backend', 'cpu', '--keep-models', '0', 'resume'];
    const results = await Promise.all([
      collectOutput(spawnCli([...args, String(study.id)])),
      collectOutput(spawnCli([...args, String(study.id)])),
    ]);
    const winners = results.filter((result) => result.code === 0);
    const losers = results.filter((result) => result.code !== 0);
    assert.equal(winners.length, 1, results.map((result) => result.stderr).join('\n'));
    assert.equal(losers.length, 1);
    assert.match(losers[0].stderr, /is being run by another Scout process \(pid \d+\)/);

    const check = openService(handle.file, { backend: 'cpu' });
    try {
      const trials = check.store.trials.listByStudy(study.id);
      assert.equal(trials.length, 6);
      assert.ok(trials.every((trial) => trial.status === 'completed'));
      assert.equal(check.service.getStudy(study.id).status, 'completed');
    } finally {
      check.store.close();
    }
  });
});
