/**
 * Entry point of a trial worker process, started by WorkerPool with
 * child_process.fork. It loads the dataset once on 'load', then trains one
 * trial per 'train' message; see protocol.ts for the message sequence.
 * Training runs only here, never in the main process.
 *
 * Test hook: when the environment variable SCOUT_TEST_HOOKS=1 is set, a
 * trial whose values contain `__crash: 'exit'` makes the process exit with
 * code 1 after its first epoch, and `__crash: 'throw'` throws from inside the
 * training loop after its first epoch. Without the variable, `__crash` is an
 * unknown knob and the trial fails validation.
 */
import { getLogger } from '../log';
import type { PreparedDataset } from './data/types';
import { loadDataset } from './data';
import { selectBackend, type Tf } from './backend';
import type { LayersModel } from '@tensorflow/tfjs';
import { saveModelTo, savePreprocessing } from './model-files';
import { resolveKnobs } from './templates/mlp';
import { trainTrial, type TrainOptions } from './train';
import type {
  CancelMessage,
  LoadMessage,
  ParentMessage,
  TrainMessage,
  WorkerMessage,
} from './protocol';

const log = getLogger('worker');
const testHooks = process.env.SCOUT_TEST_HOOKS === '1';

interface LoadedState {
  tf: Tf;
  backend: string;
  data: PreparedDataset;
}

let loaded: LoadedState | undefined;
let running: { trialId: number; cancelled: boolean } | undefined;

/** Trials between two full garbage collections; see collectGarbage. */
const TRIALS_PER_COLLECTION = 10;
// The first collection follows the first trial: until then V8 sizes its heap
// for the loading phase, and resident memory grew by about 5 MB per trial.
let trialsSinceCollection = TRIALS_PER_COLLECTION - 1;

/**
 * Runs V8's full garbage collection when the process was started with
 * --expose-gc, as WorkerPool starts it, and does nothing otherwise. A trial's
 * model, gradient tape and batches live long enough to reach V8's old
 * generation, which V8 collects late. Without these collections a worker's
 * resident memory swung by tens of MB between trials 10 and 100, and the
 * dataset files' read buffers stayed until the first full collection. One
 * collection took 20 to 35 ms on a 2-core AMD EPYC, so it runs after loading,
 * after the first trial and then after every 10th, once the trial's result
 * is sent.
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

/** Exits once `message` has been written to the IPC channel, so the parent receives it. */
function sendThenExit(message: WorkerMessage, code: number): void {
  if (process.send === undefined) {
    process.exit(code);
  }
  process.send(message, undefined, {}, () => process.exit(code));
}

async function handleLoad(message: LoadMessage): Promise<void> {
  try {
    const { tf, name } = await selectBackend(message.backend);
    const data = loadDataset(message.source, message.split);
    loaded = { tf, backend: name, data };
    collectGarbage();

    send({
      type: 'ready',
      backend: name,
      rows: {
        train: data.train.rows,
        validation: data.validation.rows,
        test: data.test?.rows ?? 0,
      },
      numTensors: tf.memory().numTensors,
    });
    log.info({ pid: process.pid, backend: name, rows: data.train.rows }, 'worker ready');
  } catch (error) {
    log.error({ pid: process.pid, err: error }, 'worker failed to load the dataset');
    sendThenExit({ type: 'loadFailed', reason: describeError(error) }, 1);
  }
}

async function handleTrain(message: TrainMessage): Promise<void> {
  const { trialId } = message;
  if (loaded === undefined) {
    send({ type: 'failed', trialId, reason: "the worker received 'train' before 'load'" });
    return;
  }
  if (running !== undefined) {
    send({ type: 'failed', trialId, reason: `the worker is busy with trial ${running.trialId}` });
    return;
  }

  running = { trialId, cancelled: false };
  const state = running;
  try {
    await runTrial(loaded, message, state);
  } catch (error) {
    send({ type: 'failed', trialId, reason: describeError(error), stack: stackOf(error) });
    log.error({ trialId, err: error }, 'trial threw an unexpected error');
  } finally {
    running = undefined;
    trialsSinceCollection++;
    if (trialsSinceCollection >= TRIALS_PER_COLLECTION) {
      trialsSinceCollection = 0;
      collectGarbage();
    }
  }
}

async function runTrial(
  state: LoadedState,
  message: TrainMessage,
  control: { cancelled: boolean },
): Promise<void> {
  const { tf, data, backend } = state;
  const { trialId } = message;
  const { values, crash } = takeCrashHook(message.values);

  let config;
  try {
    config = resolveKnobs(values, { epochs: message.epochs });
  } catch (error) {
    send({ type: 'failed', trialId, reason: describeError(error) });
    return;
  }

  const options: TrainOptions = {
    seed: message.seed,
    epochs: config.epochs,
    patience: message.patience,
    objective: message.objective,
    shouldStop: () => control.cancelled,
    keepModel: message.modelPath !== undefined,
    onEpoch: (epoch, metrics) => {
      send({ type: 'epoch', trialId, epoch, metrics });
      fireCrashHook(crash, trialId);
    },
  };

  const numTensorsBefore = tf.memory().numTensors;
  const started = Date.now();
  const outcome = await trainTrial(tf, data, config, options);

  let saveProblem: string | undefined;
  if (outcome.status === 'completed' && outcome.model !== undefined) {
    saveProblem = await saveAndDispose(tf, outcome.model, data, message.modelPath!);
  }
  const durationMs = Date.now() - started;
  const numTensorsAfter = tf.memory().numTensors;

  if (saveProblem !== undefined) {
    send({ type: 'failed', trialId, reason: saveProblem, backend, durationMs });
    return;
  }

  switch (outcome.status) {
    case 'completed':
      send({
        type: 'completed',
        trialId,
        objective: outcome.objective,
        bestEpoch: outcome.bestEpoch,
        epochsRun: outcome.epochsRun,
        stoppedEarly: outcome.stoppedEarly,
        metrics: outcome.metrics,
        backend,
        durationMs,
        epochMs: outcome.epochMs,
        numTensorsBefore,
        numTensorsAfter,
        rssBytes: process.memoryUsage.rss(),
        modelPath: message.modelPath,
      });
      break;
    case 'failed':
      send({ type: 'failed', trialId, reason: outcome.reason, backend, durationMs });
      break;
    case 'cancelled':
      send({ type: 'cancelled', trialId, reason: 'cancelled by request' });
      break;
  }
  log.debug({ trialId, status: outcome.status, durationMs }, 'trial ended');
}

/** Saves the best model with its preprocessing and disposes it; returns the reason when saving failed. */
async function saveAndDispose(
  tf: Tf,
  model: LayersModel,
  data: PreparedDataset,
  directory: string,
): Promise<string | undefined> {
  try {
    await saveModelTo(tf, model, directory);
    savePreprocessing(directory, data);
    return undefined;
  } catch (error) {
    log.error({ directory, err: error }, 'could not save the trained model');
    return `the trial trained, but its model could not be saved to ${directory}: ${describeError(error)}`;
  } finally {
    model.dispose();
  }
}

/** Separates the test hook's `__crash` value from the knob values; it is honoured only with SCOUT_TEST_HOOKS=1. */
function takeCrashHook(values: TrainMessage['values']) {
  if (!testHooks || !('__crash' in values)) {
    return { values, crash: undefined };
  }
  const { __crash: crash, ...rest } = values;
  return { values: rest, crash };
}

function fireCrashHook(crash: unknown, trialId: number): void {
  if (crash === 'exit') {
    log.warn({ trialId }, 'test hook: exiting mid-trial');
    process.exit(1);
  }
  if (crash === 'throw') {
    throw new Error(`test hook: thrown inside training of trial ${trialId}`);
  }
}

function handleCancel(message: CancelMessage): void {
  if (running?.trialId === message.trialId) {
    running.cancelled = true;
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'load':
      void handleLoad(message);
      break;
    case 'train':
      void handleTrain(message);
      break;
    case 'cancel':
      handleCancel(message);
      break;
  }
});

// An error outside a trial's promise chain (a bug in a callback) is reported
// for the running trial, then the process exits so the pool replaces it:
// its TF.js state can no longer be trusted.
process.on('uncaughtException', (error) => {
  log.error({ err: error }, 'uncaught exception in worker');
  if (running === undefined) {
    process.exit(1);
  }
  sendThenExit(
    {
      type: 'failed',
      trialId: running.trialId,
      reason: describeError(error),
      stack: stackOf(error),
    },
    1,
  );
});

// The parent closed the IPC channel (it exited or called close()): stop.
process.on('disconnect', () => process.exit());

// Ctrl-C in a terminal signals the whole process group. The parent decides
// what happens to a running trial (it sends 'cancel'), so the worker must not
// die first and turn an interrupted trial into a failed one.
process.on('SIGINT', () => undefined);
