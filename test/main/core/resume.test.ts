import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { ScoutError } from '../../../main/core/errors';
import {
  SMALL_SPACE,
  collectOutput,
  makeTempDir,
  openService,
  quickSettings,
  registerMnist,
  spawnCli,
  waitFor,
} from './helpers';

const temp = makeTempDir('scout-resume-');
after(() => temp.remove());

interface TrialRow {
  id: number;
  number: number;
  status: string;
  objective: number | null;
  started_at: string | null;
  finished_at: string | null;
}

describe('StudyService resume', () => {
  it('resumes after the runner is killed', async () => {
    const EPOCHS = 20;
    const file = path.join(temp.dir, 'crash.sqlite');
    const setup = openService(file);
    registerMnist(setup.service);
    // 20 epochs on 3000 rows keep each trial running for about half a second, so the poll
    // below finds a trial in progress after the first one completed.
    const { study } = setup.service.createStudy({
      name: 'crashing',
      datasetId: 1,
      template: 'mlp',
      space: SMALL_SPACE,
      settings: quickSettings({ trials: 4, epochs: EPOCHS, trainLimit: 3000 }),
    });
    setup.store.close();

    const child = spawnCli(['--db', file, '--keep-models', '0', 'resume', String(study.id)]);
    const output = collectOutput(child);
    const reader = new BetterSqlite3(file, { readonly: true });
    const readTrials = () =>
      reader
        .prepare('SELECT * FROM trials WHERE study_id = ? ORDER BY number')
        .all(study.id) as TrialRow[];

    try {
      await waitFor(() => {
        const statuses = readTrials().map((trial) => trial.status);
        return statuses.includes('completed') && statuses.includes('running');
      }, 'a completed trial and a running one');

      // While the child runs the study, another process must not start it too.
      const bystander = openService(file);
      try {
        assert.equal(bystander.service.getStudy(study.id).status, 'running');
        const actions = {
          start: () => bystander.service.startStudy(study.id),
          cancel: () => bystander.service.cancelStudy(study.id),
          delete: () => bystander.service.deleteStudy(study.id),
        };
        for (const [name, action] of Object.entries(actions)) {
          assert.throws(action, (error: unknown) => {
            assert.ok(error instanceof ScoutError, `${name}: ${String(error)}`);
            assert.equal(error.code, 'conflict');
            assert.match(error.message, new RegExp(`another Scout process \\(pid ${child.pid}\\)`));
            return true;
          });
        }
        assert.equal(bystander.service.getStudy(study.id).status, 'running');
      } finally {
        bystander.store.close();
      }

      // The checks above take a while, so wait again for a running trial right before the kill.
      await waitFor(
        () => readTrials().some((trial) => trial.status === 'running'),
        'a running trial',
      );
      child.kill('SIGKILL');
      const result = await output;
      assert.equal(result.signal, 'SIGKILL');
    } finally {
      child.kill('SIGKILL');
    }

    const beforeCrash = readTrials();
    reader.close();
    const finishedBefore = beforeCrash.filter((trial) => trial.status === 'completed');
    const runningBefore = beforeCrash.filter((trial) => trial.status === 'running');
    assert.ok(finishedBefore.length >= 1);
    assert.equal(runningBefore.length, 1);

    const recovered = openService(file);
    try {
      assert.equal(recovered.service.getStudy(study.id).status, 'interrupted');
      const trials = recovered.store.trials.listByStudy(study.id);
      assert.equal(trials.length, 4);
      for (const trial of trials) {
        const earlier = beforeCrash.find((row) => row.id === trial.id)!;
        const expected = earlier.status === 'running' ? 'interrupted' : earlier.status;
        assert.equal(trial.status, expected, `trial ${trial.number}`);
      }

      const finished = await recovered.service.runStudy(study.id);
      assert.equal(finished.status, 'completed');
      assert.equal(finished.completedTrials, 4);

      const after = recovered.store.trials.listByStudy(study.id);
      assert.equal(after.length, 4);
      assert.ok(after.every((trial) => trial.status === 'completed'));
      for (const earlier of finishedBefore) {
        const trial = after.find((candidate) => candidate.id === earlier.id)!;
        assert.equal(trial.finishedAt, earlier.finished_at, `trial ${trial.number} ran again`);
        assert.equal(trial.startedAt, earlier.started_at, `trial ${trial.number} ran again`);
        assert.equal(trial.objective, earlier.objective);
      }

      const rerun = after.find((trial) => trial.id === runningBefore[0].id)!;
      assert.ok(rerun.finishedAt);
      assert.deepEqual(
        recovered.store.trials.listEpochs(rerun.id).map((epoch) => epoch.epoch),
        Array.from({ length: EPOCHS }, (_, i) => i + 1),
      );
    } finally {
      await recovered.service.close();
      recovered.store.close();
    }
  });
});
