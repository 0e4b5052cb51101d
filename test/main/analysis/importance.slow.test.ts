import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { computeImportance } from '../../../main/analysis/importance';
import type { SearchSpace } from '../../../shared/space/types';
import { makeTempDir, openService, quickSettings, registerMnist } from '../core/helpers';

const temp = makeTempDir('scout-importance-');

after(() => temp.remove());

/**
 * Learning rates from 1e-5 (too slow for one epoch) to 1 (Adam diverges)
 * decide the accuracy far more than a few units or a little dropout do.
 */
const SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-5, max: 1, scale: 'log' },
  { name: 'units', type: 'int', min: 32, max: 64 },
  { name: 'dropout', type: 'float', min: 0, max: 0.1 },
];

describe('computeImportance on MNIST', () => {
  it('finds the learning rate matters most', async () => {
    const handle = openService(path.join(temp.dir, 'scout.db'), {
      workerEnv: { SCOUT_LOG_LEVEL: 'silent' },
    });
    try {
      const mnist = registerMnist(handle.service);
      const study = handle.service.createStudy({
        name: 'mnist-importance',
        datasetId: mnist.id,
        template: 'mlp',
        space: SPACE,
        settings: quickSettings({ trials: 16, seed: 5 }),
      }).study;
      await handle.service.runStudy(study.id);

      const trials = handle.store.trials.listByStudy(study.id);
      const result = computeImportance(SPACE, trials);

      assert.equal(result.status, 'ok', result.status === 'insufficient' ? result.message : '');
      if (result.status === 'ok') {
        const shares = Object.fromEntries(
          result.params.map((item) => [item.name, item.importance]),
        );
        assert.ok(result.trials >= 8);
        assert.ok(shares.learning_rate > shares.units, JSON.stringify(shares));
        assert.ok(shares.learning_rate > shares.dropout, JSON.stringify(shares));
        assert.ok(shares.learning_rate > 0.5, JSON.stringify(shares));
      }
    } finally {
      await handle.service.close();
      handle.store.close();
    }
  });
});
