import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type {
  ExperimentArm,
  ExperimentResult,
  ExperimentSeedResult,
} from '../../../shared/api/contract';
import { sampleRandom } from '../../../shared/space/sample';
import type { SearchSpace } from '../../../shared/space/types';
import type { DatasetRecord, StudyRecord, TrialRecord } from '../../../shared/study';
import {
  ExperimentManager,
  experimentDirectory,
  runStrategyExperiment,
  summariseExperiment,
} from '../../../main/core/experiment';
import { createApiHandler } from '../../../main/core/api';
import { repeatSeed, trialSeed } from '../../../main/core/planning';
import { FIXTURES, deadPid, makeTempDir, openService, type ServiceHandle } from './helpers';

/** Three continuous axes, so a grid of 2 points per axis fills a budget of 8. */
const IRIS_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-3, max: 1e-1, scale: 'log' },
  { name: 'dropout', type: 'float', min: 0, max: 0.5 },
  { name: 'l2', type: 'float', min: 1e-6, max: 1e-2, scale: 'log' },
  { name: 'units', type: 'fixed', value: 16 },
];

const BUDGET = 8;
const COARSE = 4;
const SEEDS = [0, 1];
const REPEATS = 2;

const temp = makeTempDir('scout-experiment-');
let handle: ServiceHandle;
let iris: DatasetRecord;
let result: ExperimentResult;

function studyNamed(name: string): StudyRecord {
  return handle.service.getStudy(name);
}

function trialsOf(study: StudyRecord): TrialRecord[] {
  return handle.store.trials.listByStudy(study.id);
}

before(async () => {
  handle = openService(path.join(temp.dir, 'scout.sqlite'));
  iris = handle.service.datasets.add('iris', {
    format: 'csv',
    path: path.join(FIXTURES, 'iris.csv'),
    target: 'species',
    task: 'classification',
  });
  result = await runStrategyExperiment(handle.service, {
    datasetId: iris.id,
    space: IRIS_SPACE,
    budget: BUDGET,
    seeds: SEEDS,
    retrainRepeats: REPEATS,
    epochs: 2,
  });
});

after(async () => {
  await handle.service.close();
  handle.store.close();
  temp.remove();
});

describe('runStrategyExperiment', () => {
  it('completes every seed', () => {
    assert.equal(result.status, 'completed', result.error ?? '');
    assert.deepEqual(
      result.perSeed.map((seed) => seed.seed),
      SEEDS,
    );
    assert.equal(result.coarseTrials, COARSE);
    assert.equal(result.refinedTrials, BUDGET - COARSE);
  });

  it('runs a grid with its bounds', () => {
    assert.equal(result.grid.points, 8);
    assert.equal(result.grid.pointsPerAxis, 2);
    assert.match(result.grid.description, /both bounds included/);
    for (const seed of SEEDS) {
      const grid = trialsOf(studyNamed(`exp-1-s${seed}-grid`));
      const rates = new Set(grid.map((trial) => trial.values.learning_rate));
      assert.deepEqual([...rates].sort(), [0.001, 0.1]);
      assert.deepEqual(
        grid.map((trial) => trial.seed),
        grid.map((trial) => trialSeed(seed, trial.number)),
      );
    }
  });

  it('pairs coarse with random', () => {
    for (const seed of SEEDS) {
      const random = studyNamed(`exp-1-s${seed}-random`);
      const randomTrials = trialsOf(random);
      const expected = sampleRandom(IRIS_SPACE, COARSE, seed).trials;
      const coarse = randomTrials.slice(0, COARSE);

      assert.equal(randomTrials.length, BUDGET);
      assert.deepEqual(
        coarse.map((trial) => trial.values),
        expected,
      );
      assert.deepEqual(
        coarse.map((trial) => trial.seed),
        expected.map((_, index) => trialSeed(seed, index + 1)),
      );

      const arm = armOf(result.perSeed, seed, 'coarse-refined');
      const refined = studyNamed(`exp-1-s${seed}-refined`);
      assert.deepEqual(arm.studyIds, [random.id, refined.id]);
      assert.equal(arm.trainings, BUDGET);
    }
  });

  it('continues the training-seed stream', () => {
    for (const seed of SEEDS) {
      const random = studyNamed(`exp-1-s${seed}-random`);
      const refined = studyNamed(`exp-1-s${seed}-refined`);
      const refinedTrials = trialsOf(refined);

      assert.equal(refined.parentId, random.id);
      assert.equal(refined.settings.seed, seed, 'same data split as the random study');
      assert.equal(refined.stage, 'refined');
      assert.equal(refinedTrials.length, BUDGET - COARSE);
      assert.deepEqual(
        refinedTrials.map((trial) => trial.seed),
        trialsOf(random)
          .slice(COARSE)
          .map((trial) => trial.seed),
      );
    }
  });

  it('refines inside the coarse space', () => {
    for (const seed of SEEDS) {
      const refined = studyNamed(`exp-1-s${seed}-refined`);
      for (const trial of trialsOf(refined)) {
        for (const param of IRIS_SPACE) {
          const value = trial.values[param.name];
          if (param.type === 'fixed') {
            assert.equal(value, param.value);
            continue;
          }
          const inner = refined.space.find((p) => p.name === param.name)!;
          assert.ok(inner.type === 'float', `${param.name} stays a float`);
          assert.ok(inner.min >= param.min, `${param.name} min stays inside`);
          assert.ok(inner.max <= param.max, `${param.name} max stays inside`);
          assert.ok(Number(value) >= inner.min, `${param.name} ${String(value)} >= refined min`);
          assert.ok(Number(value) <= inner.max, `${param.name} ${String(value)} <= refined max`);
        }
      }
    }
  });

  it('reports recorded search bests', () => {
    for (const seed of SEEDS) {
      const random = trialsOf(studyNamed(`exp-1-s${seed}-random`));
      const refined = trialsOf(studyNamed(`exp-1-s${seed}-refined`));
      const grid = trialsOf(studyNamed(`exp-1-s${seed}-grid`));
      const best = (trials: TrialRecord[]) => Math.max(...trials.map((t) => t.objective ?? -1));

      assert.equal(armOf(result.perSeed, seed, 'grid').searchBest, best(grid));
      assert.equal(armOf(result.perSeed, seed, 'random').searchBest, best(random));
      assert.equal(
        armOf(result.perSeed, seed, 'coarse-refined').searchBest,
        best([...random.slice(0, COARSE), ...refined]),
      );
    }
  });

  it('retrains on fresh seeds', () => {
    for (const seed of SEEDS) {
      const searchSeeds = new Set(
        ['grid', 'random', 'refined'].flatMap((suffix) =>
          trialsOf(studyNamed(`exp-1-s${seed}-${suffix}`)).map((trial) => trial.seed),
        ),
      );
      for (const arm of armsOf(result.perSeed, seed)) {
        const trials = arm.retrainStudyIds.flatMap((id) => handle.store.trials.listByStudy(id));
        assert.equal(trials.length, REPEATS, `${arm.strategy} retrainings`);
        assert.deepEqual(
          trials.map((trial) => trial.values),
          trials.map(() => arm.chosen),
        );
        assert.deepEqual(
          arm.retrainObjectives,
          trials.map((trial) => trial.objective),
        );
        assert.deepEqual(
          trials.map((trial) => trial.seed),
          trials.map((_, index) => repeatSeed(1_000_000 + seed, 1, index + 1)),
        );
        assert.equal(handle.service.getStudy(arm.retrainStudyIds[0]!).settings.seed, seed);
        for (const trial of trials) {
          assert.ok(!searchSeeds.has(trial.seed), `seed ${trial.seed} is fresh`);
        }
      }
    }
  });

  it('counts wins from recorded numbers', () => {
    const wins = { grid: 0, random: 0, 'coarse-refined': 0 };
    for (const seed of SEEDS) {
      const means = armsOf(result.perSeed, seed).map((arm) => {
        const trials = arm.retrainStudyIds.flatMap((id) => handle.store.trials.listByStudy(id));
        const objectives = trials.map((trial) => trial.objective!);
        return {
          strategy: arm.strategy,
          mean: objectives.reduce((a, b) => a + b, 0) / objectives.length,
        };
      });
      const top = Math.max(...means.map((entry) => entry.mean));
      for (const entry of means) {
        if (Math.abs(entry.mean - top) <= 1e-12) {
          wins[entry.strategy]++;
        }
      }
    }
    assert.deepEqual(result.wins, wins);
  });

  it('gives a verdict per difference', () => {
    for (const difference of result.differences) {
      const expected = SEEDS.map(
        (seed) =>
          armOf(result.perSeed, seed, difference.a).retrainMean! -
          armOf(result.perSeed, seed, difference.b).retrainMean!,
      );
      assert.deepEqual(difference.perSeed, expected);
      if (result.noise === null || result.noise === 0) {
        assert.ok(
          difference.verdict === 'not measured' || difference.noiseThreshold === 0,
          `${difference.a} - ${difference.b}: no noise measured`,
        );
        continue;
      }
      const threshold = (2 * result.noise * Math.sqrt(2 / REPEATS)) / Math.sqrt(SEEDS.length);
      assert.ok(Math.abs(difference.noiseThreshold! - threshold) < 1e-12);
      const within = Math.abs(difference.meanDifference!) <= threshold;
      assert.equal(difference.verdict, within ? 'within the noise' : 'larger than the noise');
    }
  });

  it('stores the result beside the database', () => {
    const file = path.join(experimentDirectory(handle.service), '1.json');
    assert.ok(fs.existsSync(file));
    assert.equal(path.dirname(file), path.join(temp.dir, 'scout-experiments'));
    const manager = new ExperimentManager(handle.service);
    assert.deepEqual(manager.get(1), result);
    assert.deepEqual(
      manager.list().map((entry) => entry.id),
      [1],
    );
    assert.equal(
      result.trainings,
      handle.service
        .listStudies()
        .filter((study) => study.name.startsWith('exp-1-'))
        .reduce((sum, study) => sum + study.completedTrials + study.failedTrials, 0),
    );
  });

  it('marks a dead run interrupted', async () => {
    const directory = experimentDirectory(handle.service);
    const write = (id: number, runnerPid: number) =>
      fs.writeFileSync(
        path.join(directory, `${id}.json`),
        JSON.stringify({ ...result, id, status: 'running', runnerPid }),
      );
    write(90, await deadPid());
    write(91, process.ppid);
    const manager = new ExperimentManager(handle.service);
    try {
      assert.equal(manager.get(90).status, 'interrupted');
      assert.equal(manager.get(91).status, 'running', 'a live process elsewhere still runs it');
    } finally {
      fs.rmSync(path.join(directory, '90.json'));
      fs.rmSync(path.join(directory, '91.json'));
    }
  });

  it('serves results over the API', async () => {
    const call = createApiHandler(handle.service);
    const listed = await call('experiment.list', {});
    assert.ok(listed.ok);
    assert.deepEqual(
      (listed.value as ExperimentResult[]).map((entry) => entry.id),
      [1],
    );
    const missing = await call('experiment.get', { id: 99 });
    assert.equal(!missing.ok && missing.error.code, 'not-found');
    const invalid = await call('experiment.run', { datasetId: iris.id, seeds: [] });
    assert.equal(!invalid.ok && invalid.error.code, 'invalid');
  });

  it('rejects a budget below the grid', () => {
    assert.throws(
      () =>
        new ExperimentManager(handle.service).start({
          datasetId: iris.id,
          space: IRIS_SPACE,
          budget: 6,
        }),
      /smallest grid of this space has 8 points, more than the budget of 6/,
    );
  });
});

describe('summariseExperiment', () => {
  let nextStudyId = 1;
  const arm = (strategy: ExperimentArm['strategy'], objectives: number[]): ExperimentArm => ({
    strategy,
    studyIds: [],
    trainings: 8,
    searchBest: Math.max(...objectives),
    chosen: {},
    chosenFrom: null,
    retrainStudyIds: [nextStudyId++],
    retrainObjectives: objectives,
    retrainMean: objectives.reduce((a, b) => a + b, 0) / objectives.length,
    retrainSd: null,
  });

  it('counts ties for each', () => {
    const seeds: ExperimentSeedResult[] = [
      {
        seed: 0,
        arms: [
          arm('grid', [0.8, 0.82]),
          arm('random', [0.9, 0.92]),
          arm('coarse-refined', [0.9, 0.92]),
        ],
        winners: [],
      },
    ];
    assert.deepEqual(summariseExperiment(seeds, 'maximize').wins, {
      grid: 0,
      random: 1,
      'coarse-refined': 1,
    });
  });

  it('flags a difference beyond noise', () => {
    const seeds: ExperimentSeedResult[] = [0, 1, 2].map((seed) => ({
      seed,
      arms: [
        arm('grid', [0.8, 0.81]),
        arm('random', [0.9, 0.91]),
        arm('coarse-refined', [0.9, 0.91]),
      ],
      winners: [],
    }));
    const summary = summariseExperiment(seeds, 'maximize');
    const [refinedVsRandom, refinedVsGrid] = summary.differences;
    assert.equal(refinedVsRandom!.verdict, 'within the noise');
    assert.equal(refinedVsGrid!.verdict, 'larger than the noise');
    assert.ok(Math.abs(summary.noise! - Math.sqrt(0.00005)) < 1e-12);
  });
});

function armsOf(perSeed: ExperimentSeedResult[], seed: number): ExperimentArm[] {
  return perSeed.find((entry) => entry.seed === seed)!.arms;
}

function armOf(
  perSeed: ExperimentSeedResult[],
  seed: number,
  strategy: ExperimentArm['strategy'],
): ExperimentArm {
  return armsOf(perSeed, seed).find((arm) => arm.strategy === strategy)!;
}
