import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getLogger } from '../log';
import type { BackendPreference } from './backend';
import type { DatasetSource, SplitOptions } from './data/types';
import type {
  CancelledMessage,
  CompletedMessage,
  DatasetRows,
  EpochMessage,
  FailedMessage,
  TrainMessage,
  WorkerMessage,
} from './protocol';
import type { EpochMetrics } from './train';

const log = getLogger('runner');

/** How long a cancelled trial may take to reply before its worker is killed, in ms. */
const CANCEL_GRACE_MS = 10_000;

/** How long close() waits for workers to exit before killing them, in ms. */
const CLOSE_GRACE_MS = 5_000;

/** Settings of a WorkerPool. */
export interface PoolOptions {
  /** Number of worker processes, at least 1. */
  size: number;
  source: DatasetSource;
  split: SplitOptions;
  backend?: BackendPreference;
  /** Wall-clock limit of one trial in ms; the worker is killed and replaced when it passes. */
  trialTimeoutMs?: number;
  /** Extra environment variables of the worker processes. */
  env?: Record<string, string>;
  /**
   * CUDA device ids, as listCudaDevices in workers.ts returns them. Worker i
   * gets only device i modulo their number, through CUDA_VISIBLE_DEVICES, so
   * a tensorflow-gpu pool runs one worker per GPU. A replacement worker takes
   * the device of the worker it replaces.
   * NOTE: not run on a machine with a GPU yet.
   */
  gpuDevices?: string[];
}

/** One trial to run: the 'train' message without its type, plus an optional per-trial timeout. */
export interface TrialRequest extends Omit<TrainMessage, 'type'> {
  /** Overrides the pool's trialTimeoutMs for this trial. */
  timeoutMs?: number;
}

/** Outcome of a trial in the pool, discriminated by `type`; run() always resolves with one. */
export type TrialResult = CompletedMessage | FailedMessage | CancelledMessage;

/** Callbacks of one run() call. */
export interface TrialCallbacks {
  /** Called after each epoch of this trial; epochs count from 1. */
  onEpoch?(epoch: number, metrics: EpochMetrics): void;
}

/** A worker that loaded the dataset. */
export interface WorkerReadyInfo {
  workerId: number;
  pid: number;
  backend: string;
  rows: DatasetRows;
  numTensors: number;
}

/** A worker process that ended. */
export interface WorkerExitInfo {
  workerId: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The trial it was running, if any. */
  trialId?: number;
}

/** Events of a WorkerPool and their listeners. */
export interface PoolEvents {
  workerReady: (info: WorkerReadyInfo) => void;
  workerExit: (info: WorkerExitInfo) => void;
  trialStarted: (trialId: number, workerId: number) => void;
  epoch: (message: Omit<EpochMessage, 'type'>) => void;
  trialEnded: (result: TrialResult) => void;
}

interface Job {
  request: TrialRequest;
  callbacks: TrialCallbacks;
  resolve: (result: TrialResult) => void;
  /** Set when the pool itself ends the worker, to explain the exit. */
  endReason?: { type: 'failed' | 'cancelled'; reason: string };
  startedAt?: number;
}

interface WorkerHandle {
  id: number;
  /** Position of the worker in the pool, 0 to size - 1; a replacement keeps it. */
  slot: number;
  child: ChildProcess;
  state: 'loading' | 'idle' | 'busy' | 'exited';
  job?: Job;
  timer?: NodeJS.Timeout;
  backend?: string;
}

/**
 * Runs trials in forked worker processes (worker.ts), so training never
 * blocks the main process and a crashed or runaway trial takes only its
 * worker down. Each worker loads the dataset once. A worker that exits
 * during a trial fails that trial with the exit code or signal and is
 * replaced by a fresh one. run() queues trials while all workers are busy
 * and resolves (never rejects) with the trial's result.
 */
export class WorkerPool {
  private readonly workers = new Set<WorkerHandle>();
  private readonly queue: Job[] = [];
  private readonly listeners = new Map<keyof PoolEvents, Set<(...args: never[]) => void>>();
  private nextWorkerId = 1;
  private started = false;
  private closing = false;
  private loadFailure?: string;
  private whenStarted?: {
    resolve: (infos: WorkerReadyInfo[]) => void;
    reject: (error: Error) => void;
  };
  private readonly readyInfos: WorkerReadyInfo[] = [];

  constructor(private readonly options: PoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new Error(`pool size must be an integer of at least 1, got ${options.size}`);
    }
  }

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof PoolEvents>(event: E, listener: PoolEvents[E]): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Forks the workers and resolves when all of them loaded the dataset; rejects with the reason when one could not. */
  start(): Promise<WorkerReadyInfo[]> {
    if (this.started) {
      throw new Error('the worker pool was already started');
    }
    this.started = true;

    const whenReady = new Promise<WorkerReadyInfo[]>((resolve, reject) => {
      this.whenStarted = { resolve, reject };
    });
    for (let slot = 0; slot < this.options.size; slot++) {
      this.spawnWorker(slot);
    }
    return whenReady;
  }

  /** Runs a trial on the next free worker; resolves with how it ended. */
  run(request: TrialRequest, callbacks: TrialCallbacks = {}): Promise<TrialResult> {
    return new Promise((resolve) => {
      if (this.closing) {
        resolve({
          type: 'cancelled',
          trialId: request.trialId,
          reason: 'the worker pool is closed',
        });
        return;
      }
      if (!this.started) {
        const reason = 'the worker pool was not started; call start() before run()';
        resolve({ type: 'failed', trialId: request.trialId, reason });
        return;
      }
      if (this.loadFailure !== undefined) {
        resolve({ type: 'failed', trialId: request.trialId, reason: this.loadFailure });
        return;
      }

      this.queue.push({ request, callbacks, resolve });
      this.dispatch();
    });
  }

  /**
   * Cancels a queued or running trial; returns false when the pool has no
   * such trial. A running trial stops at its next training step, and its
   * worker is killed if it does not reply within CANCEL_GRACE_MS.
   */
  cancel(trialId: number): boolean {
    const queued = this.queue.findIndex((job) => job.request.trialId === trialId);
    if (queued >= 0) {
      const [job] = this.queue.splice(queued, 1);
      this.settle(job!, { type: 'cancelled', trialId, reason: 'cancelled before it started' });
      return true;
    }

    const worker = [...this.workers].find((handle) => handle.job?.request.trialId === trialId);
    if (worker === undefined) {
      return false;
    }

    worker.child.send({ type: 'cancel', trialId });
    clearTimeout(worker.timer);
    worker.timer = setTimeout(() => {
      this.killWorker(
        worker,
        'cancelled',
        `the trial did not stop within ${CANCEL_GRACE_MS} ms of being cancelled; its worker was killed`,
      );
    }, CANCEL_GRACE_MS);
    return true;
  }

  /** Stops all workers; queued and running trials resolve as cancelled. */
  async close(): Promise<void> {
    this.closing = true;
    for (const job of this.queue.splice(0)) {
      this.settle(job, {
        type: 'cancelled',
        trialId: job.request.trialId,
        reason: 'the worker pool was closed',
      });
    }
    this.whenStarted?.reject(new Error('the worker pool was closed before its workers were ready'));
    this.whenStarted = undefined;

    const exits = [...this.workers].map((worker) => this.stopWorker(worker));
    await Promise.all(exits);
  }

  /** Number of trials waiting for a free worker. */
  get queuedCount(): number {
    return this.queue.length;
  }

  private emit<E extends keyof PoolEvents>(event: E, ...args: Parameters<PoolEvents[E]>): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as unknown as (...values: Parameters<PoolEvents[E]>) => void)(...args);
      } catch (error) {
        log.error({ event, err: error }, 'worker pool listener threw');
      }
    }
  }

  private spawnWorker(slot: number): WorkerHandle {
    const { file, execArgv } = workerEntry();
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.options.env };
    const devices = this.options.gpuDevices ?? [];
    if (devices.length > 0) {
      env.CUDA_VISIBLE_DEVICES = devices[slot % devices.length];
    }
    const child = fork(file, [], { execArgv, env, serialization: 'json' });
    const handle: WorkerHandle = { id: this.nextWorkerId++, slot, child, state: 'loading' };
    this.workers.add(handle);

    child.on('message', (message: WorkerMessage) => this.onMessage(handle, message));
    child.on('exit', (code, signal) => this.onExit(handle, code, signal));
    child.on('error', (error) =>
      log.error({ workerId: handle.id, err: error }, 'worker process error'),
    );

    child.send({
      type: 'load',
      source: this.options.source,
      split: this.options.split,
      backend: this.options.backend ?? 'auto',
    });
    log.info({ workerId: handle.id, pid: child.pid, file }, 'worker started');
    return handle;
  }

  private onMessage(worker: WorkerHandle, message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        this.onReady(worker, { workerId: worker.id, pid: worker.child.pid!, ...message });
        break;
      case 'loadFailed':
        this.onLoadFailed(message.reason);
        break;
      case 'epoch':
        this.onEpoch(worker, message);
        break;
      case 'completed':
      case 'failed':
      case 'cancelled':
        this.finishJob(worker, message);
        break;
    }
  }

  private onReady(worker: WorkerHandle, info: WorkerReadyInfo & { type?: string }): void {
    const { type: _type, ...ready } = info;
    worker.state = 'idle';
    worker.backend = ready.backend;
    this.emit('workerReady', ready);
    log.info({ workerId: worker.id, backend: ready.backend }, 'worker ready');

    if (this.whenStarted !== undefined) {
      this.readyInfos.push(ready);
      if (this.readyInfos.length === this.options.size) {
        this.whenStarted.resolve([...this.readyInfos]);
        this.whenStarted = undefined;
      }
    }
    this.dispatch();
  }

  /**
   * A worker that cannot load the dataset or its backend will not do better
   * on retry, so the pool stops taking trials.
   */
  private onLoadFailed(reason: string): void {
    this.loadFailure = `the worker could not start: ${reason}`;
    log.error({ reason }, 'worker could not load its backend or dataset');

    this.whenStarted?.reject(new Error(this.loadFailure));
    this.whenStarted = undefined;
    for (const job of this.queue.splice(0)) {
      this.settle(job, { type: 'failed', trialId: job.request.trialId, reason: this.loadFailure });
    }
  }

  private dispatch(): void {
    for (const worker of this.workers) {
      if (this.queue.length === 0) {
        return;
      }
      if (worker.state !== 'idle') {
        continue;
      }

      const job = this.queue.shift()!;
      const { timeoutMs, ...train } = job.request;
      worker.state = 'busy';
      worker.job = job;
      job.startedAt = Date.now();
      worker.child.send({ type: 'train', ...train });

      const limit = timeoutMs ?? this.options.trialTimeoutMs;
      if (limit !== undefined) {
        worker.timer = setTimeout(() => {
          this.killWorker(
            worker,
            'failed',
            `the trial timed out after ${limit} ms and its worker was killed; raise the trial timeout or lower the epochs`,
          );
        }, limit);
      }
      this.emit('trialStarted', train.trialId, worker.id);
      log.debug({ trialId: train.trialId, workerId: worker.id }, 'trial started');
    }
  }

  private onEpoch(worker: WorkerHandle, message: EpochMessage): void {
    const { trialId, epoch, metrics } = message;
    if (worker.job?.request.trialId !== trialId) {
      log.warn(
        { workerId: worker.id, trialId },
        'worker sent an epoch of a trial it was not running',
      );
      return;
    }

    try {
      worker.job.callbacks.onEpoch?.(epoch, metrics);
    } catch (error) {
      log.error({ trialId, err: error }, 'onEpoch callback threw');
    }
    this.emit('epoch', { trialId, epoch, metrics });
  }

  private finishJob(worker: WorkerHandle, result: TrialResult): void {
    const job = worker.job;
    if (job === undefined || job.request.trialId !== result.trialId) {
      log.warn(
        { workerId: worker.id, trialId: result.trialId },
        'worker replied for a trial it was not running',
      );
      return;
    }

    clearTimeout(worker.timer);
    worker.job = undefined;
    worker.state = 'idle';
    this.settle(job, result);
    this.dispatch();
  }

  private killWorker(worker: WorkerHandle, type: 'failed' | 'cancelled', reason: string): void {
    if (worker.job !== undefined) {
      worker.job.endReason = { type, reason };
    }
    log.warn({ workerId: worker.id, pid: worker.child.pid, reason }, 'killing worker');
    worker.child.kill('SIGKILL');
  }

  private onExit(worker: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void {
    clearTimeout(worker.timer);
    const wasLoading = worker.state === 'loading';
    worker.state = 'exited';
    this.workers.delete(worker);

    const job = worker.job;
    worker.job = undefined;
    const trialId = job?.request.trialId;
    this.emit('workerExit', { workerId: worker.id, pid: worker.child.pid!, code, signal, trialId });
    log.info({ workerId: worker.id, code, signal, trialId }, 'worker exited');

    if (job !== undefined) {
      this.settle(job, exitResult(job, worker.backend, code, signal));
    }
    // A worker that dies before 'ready' would die again when replaced, so the pool stops instead of looping.
    if (wasLoading && !this.closing && this.loadFailure === undefined) {
      const how = signal !== null ? `signal ${signal}` : `code ${code}`;
      this.onLoadFailed(`the worker process exited with ${how} before it was ready`);
    }
    if (this.closing || this.loadFailure !== undefined) {
      return;
    }
    this.spawnWorker(worker.slot);
  }

  private settle(job: Job, result: TrialResult): void {
    job.resolve(result);
    this.emit('trialEnded', result);
  }

  private stopWorker(worker: WorkerHandle): Promise<void> {
    if (worker.state === 'exited') {
      return Promise.resolve();
    }

    if (worker.job !== undefined) {
      worker.job.endReason = { type: 'cancelled', reason: 'the worker pool was closed' };
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => worker.child.kill('SIGKILL'), CLOSE_GRACE_MS);
      worker.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      // The worker exits when its IPC channel closes; a trial in progress is abandoned.
      if (worker.child.connected) {
        worker.child.disconnect();
      } else {
        worker.child.kill('SIGKILL');
      }
    });
  }
}

function exitResult(
  job: Job,
  backend: string | undefined,
  code: number | null,
  signal: NodeJS.Signals | null,
): TrialResult {
  const trialId = job.request.trialId;
  const durationMs = job.startedAt === undefined ? undefined : Date.now() - job.startedAt;
  if (job.endReason?.type === 'cancelled') {
    return { type: 'cancelled', trialId, reason: job.endReason.reason };
  }
  if (job.endReason !== undefined) {
    return { type: 'failed', trialId, reason: job.endReason.reason, backend, durationMs };
  }

  const how = signal !== null ? `with signal ${signal}` : `with code ${code}`;
  const reason = `the worker process exited ${how} during the trial`;
  return { type: 'failed', trialId, reason, backend, durationMs };
}

/**
 * Locates worker.ts or worker.js next to this file, so the pool works from
 * the sources under tsx and from the compiled dist/. A .ts worker needs the
 * tsx loader, resolved to a file URL so it loads whatever the working
 * directory is. --expose-gc lets the worker run full garbage collections
 * between trials (see collectGarbage in worker.ts).
 */
function workerEntry(): { file: string; execArgv: string[] } {
  const extension = path.extname(__filename);
  const file = path.join(__dirname, `worker${extension}`);
  if (extension !== '.ts') {
    return { file, execArgv: ['--expose-gc'] };
  }
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  return { file, execArgv: ['--expose-gc', '--import', tsx] };
}
