import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { InjectReport } from '../../../main/faults/inject';
import { REPO_ROOT, collectOutput } from '../core/helpers';
import { spawn } from 'node:child_process';

const SCRIPT = path.join(REPO_ROOT, 'main', 'faults', 'inject.ts');

describe('fault injection', () => {
  it('5 kill cycles lose nothing', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', SCRIPT, '--cycles', '5', '--seed', '7', '--json'],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const result = await collectOutput(child);
    const report = JSON.parse(result.stdout) as InjectReport;

    assert.deepEqual(report.problems, [], result.stderr);
    assert.equal(result.code, 0);
    assert.equal(
      Object.values(report.kills).reduce((sum, n) => sum + n, 0),
      5,
    );
    assert.ok(report.killsDuringTrial >= 1, 'no kill found a trial running');
    // A cycle whose study finished before the kill tests nothing; trials must outlast the kills.
    assert.ok(report.finishedBeforeKill <= 1, `${report.finishedBeforeKill} cycles came too late`);
    assert.equal(report.recorded, report.planned);
    assert.equal(report.completed + report.failed, report.planned);
    assert.equal(report.lost, 0);
    assert.equal(report.duplicates, 0);
    assert.equal(report.repeatedSeeds, 0);
    assert.equal(report.recoveryErrors, 0);
    assert.equal(report.orphanedWorkers, 0);
    assert.equal(report.integrityChecks, 6);
    assert.equal(report.integrityPassed, 6);
    assert.equal(report.finalStatus, 'completed');
    assert.equal(report.passed, true);
  });
});
