import fs from 'node:fs';
import path from 'node:path';
import type {
  ExperimentArm,
  ExperimentDifference,
  ExperimentRequest,
  ExperimentResult,
  ExperimentSeedResult,
  ExperimentStrategy,
} from '../../shared/api/contract';
import { rankConfigs } from '../../shared/configs';
import { defaultSettings } from '../../shared/defaults';
import { isBetter, isFiniteObjective } from '../../shared/space/rank';
import { proposeRefinement } from '../../shared/space/refine';
import { enumerateGrid } from '../../shared/space/sample';
import type { Direction, SearchSpace, TrialValues } from '../../shared/space/types';
import type { StudyRecord, StudySettings, TrialRecord } from '../../shared/study';
import { getLogger } from '../log';
import { ScoutError } from './errors';
import type { StudyService } from './service';

const log = getLogger('core');

/**
 * The MNIST MLP space of the strategy experiment, with three numeric
 * hyperparameters. Learning rate and dropout are cut into 3 grid points and
 * units has the 3 values 64, 128 and 256, so a 3 x 3 x 3 grid fills a budget of 27.
 */
export const EXPERIMENT_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
  { name: 'units', type: 'int', min: 64, max: 256, step: 2, scale: 'log' },
  { name: 'dropout', type: 'float', min: 0, max: 0.5 },
  { name: 'layers', type: 'fixed', value: 1 },
  { name: 'activation', type: 'fixed', value: 'relu' },
];

/**
 * Added to an experiment seed s to give the training-seed stream of its
 * retrainings: retraining r trains with repeatSeed(RETRAIN_SEED_BASE + s, 1, r),
 * a stream apart from every search training seed trialSeed(s, i) of seeds
 * below this base.
 */
const RETRAIN_SEED_BASE = 1_000_000;

/** Settings of a strategy experiment. */
export interface ExperimentOptions extends ExperimentRequest {
  /** Search space; EXPERIMENT_SPACE by default. */
  space?: SearchSpace;
  /** Points per continuous grid axis; by default the most whose grid fits the budget. */
  gridPoints?: number;
  /** Called with the stored result after each step. */
  onProgress?: (result: ExperimentResult) => void;
}

/** An experiment's settings with every default filled in. */
interface ResolvedOptions {
  datasetId: number;
  space: SearchSpace;
  budget: number;
  seeds: number[];
  coarseTrials: number;
  retrainRepeats: number;
  epochs: number;
  trainLimit?: number;
  testLimit?: number;
  /** Trainings that run at once; unset, the count follows the backend and the cores. */
  workers?: number;
  gridPoints: number;
  gridSize: number;
}

/**
 * Runs grid, random and coarse-plus-refined search with the same budget on
 * the same dataset, once per seed, as real studies of `service` named
 * `exp-<id>-...`, then retrains each strategy's chosen config on fresh
 * training seeds. Random and coarse-plus-refined are paired: the coarse stage
 * is the first `coarseTrials` trials of the random study, and the refined
 * study's training seeds continue the random study's training-seed stream.
 * The result is kept as JSON beside the database (see `experimentDirectory`).
 */
export async function runStrategyExperiment(
  service: StudyService,
  options: ExperimentOptions,
): Promise<ExperimentResult> {
  const resolved = resolveOptions(service, options);
  const result = newResult(service, resolved, allocateExperimentId(service));
  saveExperiment(service, result);
  return executeExperiment(service, resolved, result, options.onProgress);
}

/**
 * Starts and tracks strategy experiments for the API: `start` returns at once
 * with the experiment `running`, and `get` and `list` read the stored results.
 */
export class ExperimentManager {
  private readonly running = new Map<number, Promise<ExperimentResult>>();

  constructor(private readonly service: StudyService) {}

  /** Checks the options, stores the new experiment and runs it in the background. */
  start(options: ExperimentOptions): ExperimentResult {
    const resolved = resolveOptions(this.service, options);
    const result = newResult(this.service, resolved, allocateExperimentId(this.service));
    saveExperiment(this.service, result);

    const done = executeExperiment(this.service, resolved, result, options.onProgress).finally(() =>
      this.running.delete(result.id),
    );
    this.running.set(result.id, done);
    return structuredClone(result);
  }

  /** Resolves when experiment `id` has finished; at once when it is not running here. */
  async whenFinished(id: number): Promise<ExperimentResult> {
    return (await this.running.get(id)) ?? this.get(id);
  }

  /** Returns stored experiment `id`; one left `running` by an ended process reads `interrupted`. */
  get(id: number): ExperimentResult {
    const file = path.join(experimentDirectory(this.service), `${id}.json`);
    if (!fs.existsSync(file)) {
      throw new ScoutError(
        'not-found',
        `no strategy experiment ${id} in ${experimentDirectory(this.service)}; check the id`,
      );
    }
    const { result, runnerPid } = readExperiment(file);
    return this.markStale(result, runnerPid);
  }

  /** Returns every stored experiment, newest first. */
  list(): ExperimentResult[] {
    return listExperimentIds(this.service)
      .sort((a, b) => b - a)
      .map((id) => this.get(id));
  }

  private markStale(result: ExperimentResult, runnerPid: number | undefined): ExperimentResult {
    if (result.status !== 'running' || this.running.has(result.id)) {
      return result;
    }
    // Another process (the CLI beside the app) may be running it, so the file keeps its pid.
    if (runnerPid !== undefined && runnerPid !== process.pid && isProcessAlive(runnerPid)) {
      return result;
    }
    return { ...result, status: 'interrupted' };
  }
}

/** Returns the folder beside the database that keeps experiment results, `<db>-experiments`. */
export function experimentDirectory(service: StudyService): string {
  const parsed = path.parse(path.resolve(service.store.file));
  return path.join(parsed.dir, `${parsed.name}-experiments`);
}

// Options

function resolveOptions(service: StudyService, options: ExperimentOptions): ResolvedOptions {
  const dataset = service.datasets.get(options.datasetId);
  const space = options.space ?? EXPERIMENT_SPACE;
  const budget = options.budget ?? 27;
  const seeds = options.seeds ?? [0, 1, 2];
  const coarseTrials = options.coarseTrials ?? Math.ceil(budget / 2);
  const retrainRepeats = options.retrainRepeats ?? 3;

  if (!Number.isInteger(budget) || budget < 2) {
    throw new ScoutError('invalid', `budget ${budget} is too small; give at least 2 trials`);
  }
  if (!Number.isInteger(coarseTrials) || coarseTrials < 1 || coarseTrials >= budget) {
    throw new ScoutError(
      'invalid',
      `coarse trials ${coarseTrials} must be from 1 to ${budget - 1}, so the refined stage ` +
        'keeps at least one trial of the budget',
    );
  }
  if (seeds.length === 0 || new Set(seeds).size !== seeds.length) {
    throw new ScoutError('invalid', `seeds ${seeds.join(', ')} must be one or more distinct seeds`);
  }
  if (seeds.some((seed) => !Number.isInteger(seed) || seed < 0 || seed >= RETRAIN_SEED_BASE)) {
    throw new ScoutError(
      'invalid',
      `seeds must be whole numbers from 0 to ${RETRAIN_SEED_BASE - 1}`,
    );
  }
  if (!Number.isInteger(retrainRepeats) || retrainRepeats < 1) {
    throw new ScoutError('invalid', `retrain repeats ${retrainRepeats} must be at least 1`);
  }
  if (dataset.task !== 'classification' && dataset.task !== 'regression') {
    throw new ScoutError('invalid', `dataset '${dataset.name}' has no task to train for`);
  }

  const grid = chooseGrid(space, budget, options.gridPoints);
  return {
    datasetId: dataset.id,
    space,
    budget,
    seeds,
    coarseTrials,
    retrainRepeats,
    epochs: options.epochs ?? 3,
    trainLimit: options.trainLimit,
    testLimit: options.testLimit,
    workers: options.workers,
    gridPoints: grid.pointsPerAxis,
    gridSize: grid.points,
  };
}

/**
 * Picks the points per continuous axis: `requested`, or the most (at least 2)
 * whose grid still fits in `budget`. Throws when even that grid is too large.
 */
function chooseGrid(
  space: SearchSpace,
  budget: number,
  requested: number | undefined,
): { pointsPerAxis: number; points: number } {
  const sizeOf = (points: number) => enumerateGrid(space, points).length;

  if (requested !== undefined) {
    const points = sizeOf(requested);
    if (points > budget) {
      throw new ScoutError(
        'invalid',
        `a grid of ${requested} points per axis has ${points} points, more than the budget ` +
          `of ${budget}; raise the budget or lower the points per axis`,
      );
    }
    return { pointsPerAxis: requested, points };
  }

  if (sizeOf(2) > budget) {
    throw new ScoutError(
      'invalid',
      `the smallest grid of this space has ${sizeOf(2)} points, more than the budget of ` +
        `${budget}; raise the budget to at least ${sizeOf(2)}`,
    );
  }
  let pointsPerAxis = 2;
  // A space whose only continuous axes are few grows slowly, so the loop is capped.
  while (pointsPerAxis < 100 && sizeOf(pointsPerAxis + 1) <= budget) {
    if (sizeOf(pointsPerAxis + 1) === sizeOf(pointsPerAxis)) {
      break;
    }
    pointsPerAxis++;
  }
  return { pointsPerAxis, points: sizeOf(pointsPerAxis) };
}

/** Describes the grid: its points per axis, with the bounds included. */
export function describeGrid(space: SearchSpace, pointsPerAxis: number): string {
  const grid = enumerateGrid(space, pointsPerAxis);
  const axes = space
    .filter((p) => p.type !== 'fixed')
    .map((p) => {
      const values = [...new Set(grid.map((trial) => trial[p.name]))];
      return `${p.name} {${values.map(formatValue).join(', ')}}`;
    });
  return (
    `${grid.length}-point grid, ${pointsPerAxis} points per continuous axis spaced evenly ` +
    `in its scale with both bounds included (not cell centres): ${axes.join(' x ')}`
  );
}

function formatValue(value: unknown): string {
  return typeof value === 'number' ? String(Number(value.toPrecision(4))) : String(value);
}

// Storage

function allocateExperimentId(service: StudyService): number {
  const usedIds = new Set(listExperimentIds(service));
  const names = service.listStudies().map((study) => study.name);
  let id = 1;
  while (usedIds.has(id) || names.some((name) => name.startsWith(`exp-${id}-`))) {
    id++;
  }
  return id;
}

function listExperimentIds(service: StudyService): number[] {
  const directory = experimentDirectory(service);
  if (!fs.existsSync(directory)) {
    return [];
  }
  return fs
    .readdirSync(directory)
    .map((file) => /^(\d+)\.json$/.exec(file))
    .filter((match) => match !== null)
    .map((match) => Number(match[1]));
}

function saveExperiment(service: StudyService, result: ExperimentResult): void {
  const directory = experimentDirectory(service);
  fs.mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `${result.id}.json`);
  // Written to a temporary file first, so a reader never sees half a result.
  const stored = { ...result, runnerPid: process.pid };
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(stored, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

/** Reads a stored experiment and the pid of the process that last wrote it. */
function readExperiment(file: string): { result: ExperimentResult; runnerPid?: number } {
  const { runnerPid, ...result } = JSON.parse(fs.readFileSync(file, 'utf8')) as ExperimentResult & {
    runnerPid?: number;
  };
  return { result, runnerPid };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Running

function newResult(service: StudyService, options: ResolvedOptions, id: number): ExperimentResult {
  const dataset = service.datasets.get(options.datasetId);
  const settings = defaultSettings(dataset.task);
  const refinedTrials = options.budget - options.coarseTrials;
  const perSeed = options.gridSize + options.budget + refinedTrials + 3 * options.retrainRepeats;

  return {
    id,
    name: `exp-${id}`,
    status: 'running',
    error: null,
    datasetId: dataset.id,
    datasetName: dataset.name,
    objective: settings.objective,
    space: options.space,
    budget: options.budget,
    coarseTrials: options.coarseTrials,
    refinedTrials,
    retrainRepeats: options.retrainRepeats,
    seeds: options.seeds,
    epochs: options.epochs,
    trainLimit: options.trainLimit ?? null,
    grid: {
      pointsPerAxis: options.gridPoints,
      points: options.gridSize,
      description: describeGrid(options.space, options.gridPoints),
    },
    pairing: describePairing(options.budget, options.coarseTrials),
    progress: { done: 0, planned: perSeed * options.seeds.length, step: 'starting' },
    perSeed: [],
    wins: { grid: 0, random: 0, 'coarse-refined': 0 },
    noise: null,
    differences: [],
    trainings: 0,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    wallSeconds: null,
  };
}

/** Describes exactly which trials and training seeds random and coarse-plus-refined share. */
export function describePairing(budget: number, coarseTrials: number): string {
  const refined = budget - coarseTrials;
  return (
    `For seed s, every study uses study seed s, which fixes the validation split and the ` +
    `training subset, so all objectives of seed s are measured on the same data. The random ` +
    `study samples ${budget} configs and trains config i with training seed trialSeed(s, i). ` +
    `The coarse stage of coarse-plus-refined is the random study's trials 1-${coarseTrials} ` +
    `themselves (same configs, same trainings, not run twice). The refined study proposes its ` +
    `region from those ${coarseTrials} trials (top 25 %, margin 0.25), samples ${refined} ` +
    `configs in it, and trains its trial j with training seed trialSeed(s, ${coarseTrials} + j), ` +
    `the seeds of the random study's trials ${coarseTrials + 1}-${budget}. The grid study ` +
    `trains point i with trialSeed(s, i). Each chosen config is retrained with training seeds ` +
    `repeatSeed(${RETRAIN_SEED_BASE} + s, 1, r), r = 1, 2, ..., the same seeds for every strategy.`
  );
}

async function executeExperiment(
  service: StudyService,
  options: ResolvedOptions,
  result: ExperimentResult,
  onProgress: ((result: ExperimentResult) => void) | undefined,
): Promise<ExperimentResult> {
  const started = Date.now();
  const dataset = service.datasets.get(options.datasetId);
  const base: StudySettings = {
    ...defaultSettings(dataset.task),
    epochs: options.epochs,
    workers: options.workers,
    trainLimit: options.trainLimit,
    testLimit: options.testLimit,
  };
  const report = (step: string) => {
    result.progress.step = step;
    result.trainings = countTrainings(service, result.name);
    result.progress.done = result.trainings;
    saveExperiment(service, result);
    onProgress?.(structuredClone(result));
  };
  const run = new ExperimentRun(service, options, base, result.name, report);

  log.info({ experiment: result.name, seeds: options.seeds }, 'strategy experiment started');
  try {
    for (const seed of options.seeds) {
      result.perSeed.push(await run.runSeed(seed));
      Object.assign(result, summariseExperiment(result.perSeed, result.objective.direction));
      report(`seed ${seed} done`);
    }
    result.status = 'completed';
  } catch (error) {
    result.status = 'failed';
    result.error = (error as Error).message;
    log.error({ err: error, experiment: result.name }, 'strategy experiment failed');
  }

  result.finishedAt = new Date().toISOString();
  result.wallSeconds = (Date.now() - started) / 1000;
  report(result.status);
  log.info(
    { experiment: result.name, trainings: result.trainings, seconds: result.wallSeconds },
    'strategy experiment finished',
  );
  return structuredClone(result);
}

/** Counts the trainings that ran (completed or failed) in the studies named `<name>-...`. */
function countTrainings(service: StudyService, name: string): number {
  return service
    .listStudies()
    .filter((study) => study.name.startsWith(`${name}-`))
    .reduce((sum, study) => sum + study.completedTrials + study.failedTrials, 0);
}

/** The studies of one experiment, run one after another through the service. */
class ExperimentRun {
  /** Retraining studies by chosen config, so a config two strategies chose trains once. */
  private retrained = new Map<string, number[]>();

  constructor(
    private readonly service: StudyService,
    private readonly options: ResolvedOptions,
    private readonly base: StudySettings,
    private readonly name: string,
    private readonly report: (step: string) => void,
  ) {}

  async runSeed(seed: number): Promise<ExperimentSeedResult> {
    const { budget, coarseTrials, space } = this.options;
    const direction = this.base.objective.direction;
    this.retrained = new Map();

    this.report(`seed ${seed}: grid`);
    const grid = await this.runStudy(`s${seed}-grid`, space, {
      strategy: 'grid',
      gridPoints: this.options.gridPoints,
      trials: budget,
      seed,
    });

    this.report(`seed ${seed}: random`);
    const random = await this.runStudy(`s${seed}-random`, space, {
      strategy: 'random',
      trials: budget,
      seed,
    });

    this.report(`seed ${seed}: refined`);
    const coarse = this.trials(random.id).filter((trial) => trial.number <= coarseTrials);
    const refined = await this.runRefined(seed, random, coarse);

    const arms: ExperimentArm[] = [];
    const searches: [ExperimentStrategy, StudyRecord[], TrialRecord[]][] = [
      ['grid', [grid], this.trials(grid.id)],
      ['random', [random], this.trials(random.id)],
      ['coarse-refined', [random, refined], [...coarse, ...this.trials(refined.id)]],
    ];
    for (const [strategy, studies, trials] of searches) {
      this.report(`seed ${seed}: retraining the ${strategy} choice`);
      arms.push(await this.retrainChoice(seed, strategy, studies, trials, direction));
    }

    return { seed, arms, winners: winnersOf(arms, direction) };
  }

  /**
   * Runs the refined stage: a region proposed from the coarse trials, then
   * a random study in it whose training seeds continue the random study's stream.
   */
  private async runRefined(
    seed: number,
    random: StudyRecord,
    coarse: TrialRecord[],
  ): Promise<StudyRecord> {
    const completed = coarse.filter((trial) => trial.status === 'completed');
    if (completed.length === 0) {
      throw new ScoutError(
        'conflict',
        `no coarse trial of study '${random.name}' completed, so there is nothing to refine around`,
      );
    }
    const proposal = proposeRefinement(
      random.space,
      completed,
      random.settings.objective.direction,
    );
    const { study } = this.service.createStudy({
      name: `${this.name}-s${seed}-refined`,
      datasetId: this.options.datasetId,
      template: 'mlp',
      space: proposal.space,
      // The study seed also picks the validation split and the training subset, so the
      // refined study keeps seed s: its objectives must be measured on the random study's data.
      // Trial j trains with the seed of the random study's trial k + j, so the two are paired.
      settings: {
        ...this.base,
        strategy: 'random',
        trials: this.options.budget - this.options.coarseTrials,
        seed,
        trainingSeedOffset: this.options.coarseTrials,
      },
      parentId: random.id,
    });
    return this.runToEnd(study.id);
  }

  private async runStudy(
    suffix: string,
    space: SearchSpace,
    settings: Partial<StudySettings>,
  ): Promise<StudyRecord> {
    const { study } = this.service.createStudy({
      name: `${this.name}-${suffix}`,
      datasetId: this.options.datasetId,
      template: 'mlp',
      space,
      settings: { ...this.base, ...settings },
    });
    return this.runToEnd(study.id);
  }

  /**
   * Runs a study and returns it completed. A study that ends otherwise (the
   * app closing, a pause after failed trials) stops the experiment, because
   * its later steps read the finished trials.
   */
  private async runToEnd(studyId: number): Promise<StudyRecord> {
    const study = await this.service.runStudy(studyId);
    if (study.status !== 'completed') {
      throw new ScoutError(
        'conflict',
        `study '${study.name}' ended ${study.status}, so the experiment stopped; ` +
          'its finished studies stay recorded, start a new experiment to run it again',
      );
    }
    return study;
  }

  private trials(studyId: number): TrialRecord[] {
    return this.service.store.trials.listByStudy(studyId);
  }

  /** Picks the search's best trial and trains its config on fresh seeds. */
  private async retrainChoice(
    seed: number,
    strategy: ExperimentStrategy,
    studies: StudyRecord[],
    trials: TrialRecord[],
    direction: Direction,
  ): Promise<ExperimentArm> {
    let best: TrialRecord | undefined;
    for (const trial of trials) {
      if (
        trial.status === 'completed' &&
        isBetter(trial.objective, best?.objective ?? null, direction)
      ) {
        best = trial;
      }
    }

    const arm: ExperimentArm = {
      strategy,
      studyIds: studies.map((study) => study.id),
      trainings: trials.filter((trial) => trial.status === 'completed' || trial.status === 'failed')
        .length,
      searchBest: best?.objective ?? null,
      chosen: best?.values ?? null,
      chosenFrom: best ? { studyId: best.studyId, trialNumber: best.number } : null,
      retrainStudyIds: [],
      retrainObjectives: [],
      retrainMean: null,
      retrainSd: null,
    };
    if (best === undefined) {
      return arm;
    }

    const key = JSON.stringify(best.values);
    let studyIds = this.retrained.get(key);
    if (studyIds === undefined) {
      studyIds = await this.retrain(seed, strategy, best.values);
      this.retrained.set(key, studyIds);
    }

    const retrainTrials = studyIds.flatMap((id) => this.trials(id));
    const [summary] = rankConfigs(
      retrainTrials.map((trial) => ({ ...trial, config: 1 })),
      direction,
    );
    arm.retrainStudyIds = studyIds;
    arm.retrainObjectives = summary?.objectives ?? [];
    arm.retrainMean = summary?.mean ?? null;
    arm.retrainSd = summary?.sd ?? null;
    return arm;
  }

  /**
   * Trains `values` `retrainRepeats` times on fresh training seeds: one study
   * of the fixed config with repeats, whose seeds are the same for every
   * strategy of an experiment seed, so the strategies' retrained means are paired too.
   */
  private async retrain(
    seed: number,
    strategy: ExperimentStrategy,
    values: TrialValues,
  ): Promise<number[]> {
    const fixed: SearchSpace = this.options.space.map((p) => ({
      name: p.name,
      type: 'fixed',
      value: values[p.name]!,
    }));
    // Seed s keeps the search's validation split and training subset, so the retrained
    // mean sits beside the search's best on the same data; only the training seeds are new.
    const { study } = this.service.createStudy({
      name: `${this.name}-s${seed}-${strategy}-retrain`,
      datasetId: this.options.datasetId,
      template: 'mlp',
      space: fixed,
      settings: {
        ...this.base,
        strategy: 'random',
        trials: 1,
        repeats: this.options.retrainRepeats,
        seed,
        trainingSeed: RETRAIN_SEED_BASE + seed,
      },
    });
    await this.runToEnd(study.id);
    return [study.id];
  }
}

// Summary

/** Returns the strategies with the best retrained mean (ties within 1e-12 all win). */
export function winnersOf(arms: ExperimentArm[], direction: Direction): ExperimentStrategy[] {
  const means = arms.filter((arm) => isFiniteObjective(arm.retrainMean));
  if (means.length === 0) {
    return [];
  }
  const sign = direction === 'maximize' ? 1 : -1;
  const best = Math.max(...means.map((arm) => sign * arm.retrainMean!));
  return means
    .filter((arm) => Math.abs(sign * arm.retrainMean! - best) <= 1e-12)
    .map((arm) => arm.strategy);
}

/**
 * Summarises the seeds' results: wins per strategy, the training noise (the
 * pooled standard deviation of a retrained config's objective across
 * training seeds) and each pair's mean difference with its verdict. A
 * difference is within the noise when it is at most twice the standard error
 * that noise alone gives a mean over n seeds of differences of two means of R
 * retrainings: noise x sqrt(2 / (R n)).
 */
export function summariseExperiment(
  perSeed: ExperimentSeedResult[],
  direction: Direction,
): Pick<ExperimentResult, 'wins' | 'noise' | 'differences'> {
  const wins: Record<ExperimentStrategy, number> = { grid: 0, random: 0, 'coarse-refined': 0 };
  for (const seed of perSeed) {
    for (const strategy of winnersOf(seed.arms, direction)) {
      wins[strategy]++;
    }
  }

  const noise = pooledSd(perSeed);
  const pairs: [ExperimentStrategy, ExperimentStrategy][] = [
    ['coarse-refined', 'random'],
    ['coarse-refined', 'grid'],
    ['random', 'grid'],
  ];
  const differences = pairs.map(([a, b]) => compareArms(perSeed, a, b, noise));
  return { wins, noise, differences };
}

function compareArms(
  perSeed: ExperimentSeedResult[],
  a: ExperimentStrategy,
  b: ExperimentStrategy,
  noise: number | null,
): ExperimentDifference {
  const perSeedDifferences: number[] = [];
  const counts: number[] = [];
  for (const seed of perSeed) {
    const armA = seed.arms.find((arm) => arm.strategy === a);
    const armB = seed.arms.find((arm) => arm.strategy === b);
    if (
      isFiniteObjective(armA?.retrainMean ?? null) &&
      isFiniteObjective(armB?.retrainMean ?? null)
    ) {
      perSeedDifferences.push(armA!.retrainMean! - armB!.retrainMean!);
      counts.push(armA!.retrainObjectives.length, armB!.retrainObjectives.length);
    }
  }

  if (perSeedDifferences.length === 0 || noise === null) {
    return {
      a,
      b,
      meanDifference: perSeedDifferences.length > 0 ? mean(perSeedDifferences) : null,
      perSeed: perSeedDifferences,
      noiseThreshold: null,
      verdict: 'not measured',
    };
  }

  const n = perSeedDifferences.length;
  // Variance of one seed's difference is noise^2 (1/Ra + 1/Rb); the mean over n seeds divides it by n.
  let variance = 0;
  for (let i = 0; i < n; i++) {
    variance += noise ** 2 * (1 / counts[2 * i]! + 1 / counts[2 * i + 1]!);
  }
  const threshold = (2 * Math.sqrt(variance)) / n;
  const meanDifference = mean(perSeedDifferences);
  return {
    a,
    b,
    meanDifference,
    perSeed: perSeedDifferences,
    noiseThreshold: threshold,
    verdict: Math.abs(meanDifference) <= threshold ? 'within the noise' : 'larger than the noise',
  };
}

/** Pooled sample standard deviation of each distinct retrained config's objectives. */
function pooledSd(perSeed: ExperimentSeedResult[]): number | null {
  const seen = new Set<string>();
  let squares = 0;
  let degrees = 0;
  for (const seed of perSeed) {
    for (const arm of seed.arms) {
      const key = arm.retrainStudyIds.join(',');
      if (arm.retrainObjectives.length < 2 || seen.has(key)) {
        continue;
      }
      seen.add(key);
      const average = mean(arm.retrainObjectives);
      squares += arm.retrainObjectives.reduce((sum, x) => sum + (x - average) ** 2, 0);
      degrees += arm.retrainObjectives.length - 1;
    }
  }
  return degrees > 0 ? Math.sqrt(squares / degrees) : null;
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
