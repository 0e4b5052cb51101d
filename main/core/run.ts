import type { ScoutEvent } from '../../shared/api/contract';
import { DEFAULT_MAX_CONSECUTIVE_FAILURES } from '../../shared/defaults';
import type { FailureSummary, StudyRecord, TrialRecord } from '../../shared/study';
import { getLogger } from '../log';
import type { BackendPreference } from '../runner/backend';
import { type TrialResult, WorkerPool } from '../runner/pool';
import { planWorkers } from '../runner/workers';
import type { Store } from '../store';
import { storeFailure } from '../store/database';
import { ScoutError } from './errors';

const log = getLogger('core');

/** Dependencies of a study run, supplied by its service. */
export interface RunContext {
  store: Store;
  emit(event: ScoutEvent): void;
  backend: BackendPreference;
  /** Folder for a trial's trained model, or undefined to keep none. */
  modelPathFor(study: StudyRecord, trial: TrialRecord): string | undefined;
  /** Called after each completed trial, to prune kept models. */
  onTrialCompleted(study: StudyRecord): void;
  /** Extra environment variables for the worker processes. */
  workerEnv?: Record<string, string>;
}

/**
 * State of a run. In `storeFailed` a write to the database failed (a full
 * disk, a read-only file), so the run stops at once and reports that error.
 */
type RunState = 'running' | 'pausing' | 'cancelling' | 'interrupting' | 'storeFailed';

/**
 * Returns the distinct reasons of `reasons` with their counts, most
 * frequent first (ties in order of first appearance).
 */
export function summarizeFailures(reasons: string[]): FailureSummary {
  const counts = new Map<string, number>();
  for (const reason of reasons) {
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  const distinct = [...counts].map(([reason, count]) => ({ reason, count }));
  distinct.sort((a, b) => b.count - a.count);
  return { consecutiveFailures: reasons.length, reasons: distinct };
}

/** Describes a failure summary in one line, for the study's note and the CLI. */
export function describeFailures(summary: FailureSummary): string {
  const reasons = summary.reasons.map((entry) => `${entry.reason} (${entry.count}x)`).join('; ');
  return (
    `paused after ${summary.consecutiveFailures} failed trials in a row: ${reasons}. ` +
    'If the space causes them (a learning rate too high, say), run a new study with a narrower ' +
    'range; otherwise fix the cause and resume this one'
  );
}

/**
 * One run of a study, from `start` until its queue is empty or the user
 * pauses or cancels it. Trials train in worker processes; this object
 * writes each state change to the store before it emits the event. The
 * service claims the study for this run (run `token`) before it starts;
 * the run releases it when it stops, whatever the reason.
 */
export class StudyRun {
  private state: RunState = 'running';
  private readonly active = new Set<number>();
  private pool: WorkerPool | undefined;
  private timeLimitReached = false;
  /** Reasons of the trials that failed since the last completed one. */
  private failureStreak: string[] = [];
  private failureStop: FailureSummary | undefined;
  private storeError: Error | undefined;
  private lanesStopped = 0;

  constructor(
    private readonly context: RunContext,
    readonly studyId: number,
    readonly token: string,
  ) {}

  /** Stops taking new trials; running trials finish, then the study is `paused`. */
  pause(): void {
    if (this.state === 'running') {
      this.state = 'pausing';
    }
  }

  /** Whether the run has been asked to stop (pause, cancel, exit) or stops after a failure. */
  get stopping(): boolean {
    return this.state !== 'running';
  }

  /**
   * Withdraws a pause that has not yet taken effect, as when the user
   * clicks resume right after pause. Returns false when a lane has already
   * stopped, because the run must then end and be started again.
   */
  unpause(): boolean {
    if (this.state === 'pausing' && this.lanesStopped === 0 && this.failureStop === undefined) {
      this.state = 'running';
      return true;
    }
    return false;
  }

  /** Stops running trials now and cancels the queued ones; the study ends `cancelled`. */
  cancel(): void {
    this.state = 'cancelling';
    this.stopActiveTrials();
  }

  /**
   * Stops running trials now and leaves them `interrupted` with the study,
   * so `resume` runs them again: used when the process is asked to exit.
   */
  interrupt(): void {
    this.state = 'interrupting';
    this.stopActiveTrials();
  }

  /**
   * Runs the queued trials; resolves when the study has stopped, with its
   * final record. Rejects with a StoreError when the database could not be
   * written. The study is then paused if the database accepts that write,
   * and it can be resumed once the cause is fixed.
   */
  async execute(): Promise<StudyRecord> {
    try {
      return await this.executeClaimed();
    } finally {
      // Whatever happened, this run no longer owns the study, so another service may claim it.
      this.context.store.forgetRun(this.token);
    }
  }

  private async executeClaimed(): Promise<StudyRecord> {
    const { store } = this.context;
    const study = this.begin();
    const dataset = store.datasets.get(study.datasetId)!;
    const queue = store.trials.listQueued(study.id);
    const plan = planWorkers(this.context.backend, study.settings.workers);
    const size = Math.max(1, Math.min(plan.workers, queue.length));
    log.info({ studyId: study.id, workers: size, reason: plan.reason }, 'starting workers');

    this.pool = new WorkerPool({
      size,
      source: dataset.source,
      split: {
        validationFraction: study.settings.validationFraction,
        seed: study.settings.seed,
        limit: study.settings.trainLimit,
        testLimit: study.settings.testLimit,
      },
      backend: this.context.backend,
      trialTimeoutMs: study.settings.trialTimeoutSeconds
        ? study.settings.trialTimeoutSeconds * 1000
        : undefined,
      env: this.context.workerEnv,
      gpuDevices: plan.gpuDevices,
    });

    try {
      await this.startPool(study);
      const deadline = this.deadline(study);
      const lanes = Array.from({ length: size }, () => this.runLane(study, queue, deadline));
      await Promise.all(lanes);
    } finally {
      await this.pool.close();
    }
    return this.finish(study);
  }

  private begin(): StudyRecord {
    const study = this.context.store.studies.get(this.studyId)!;
    log.info({ studyId: study.id, name: study.name }, 'study started');
    this.emitStatus(study);
    return study;
  }

  private async startPool(study: StudyRecord): Promise<void> {
    try {
      await this.pool!.start();
    } catch (error) {
      // The dataset or backend failed to load before any trial started, so
      // the study keeps its whole queue and is marked interrupted, ready to
      // resume once the data loads again.
      const { store } = this.context;
      this.write(() =>
        store.transaction(() => {
          store.studies.setStatus(study.id, 'interrupted');
          store.releaseStudy(study.id, this.token);
        }),
      );
      this.emitStatus(store.studies.get(study.id)!);
      throw new ScoutError('dataset', `study ${study.name}: ${(error as Error).message}`);
    }
  }

  /** Returns when this run stops starting trials; a resumed study gets its time limit anew. */
  private deadline(study: StudyRecord): number {
    const limit = study.settings.timeLimitSeconds;
    return limit === undefined ? Infinity : Date.now() + limit * 1000;
  }

  private async runLane(study: StudyRecord, queue: TrialRecord[], deadline: number): Promise<void> {
    try {
      for (;;) {
        if (this.state !== 'running') {
          return;
        }
        if (Date.now() >= deadline) {
          this.timeLimitReached = true;
          return;
        }

        const trial = queue.shift();
        if (trial === undefined) {
          return;
        }
        try {
          await this.runTrial(study, trial);
        } catch (error) {
          this.storeFailed(error);
        }
      }
    } finally {
      this.lanesStopped += 1;
    }
  }

  private async runTrial(study: StudyRecord, trial: TrialRecord): Promise<void> {
    const { store, emit } = this.context;
    const epochs =
      typeof trial.values.epochs === 'number' ? trial.values.epochs : study.settings.epochs;

    if (!this.write(() => store.trials.markRunning(trial.id))) {
      return;
    }
    this.active.add(trial.id);
    emit({
      type: 'trial-started',
      studyId: study.id,
      trialId: trial.id,
      number: trial.number,
      values: trial.values,
    });

    let epochsRun = 0;
    const outcome = await this.pool!.run(
      {
        trialId: trial.id,
        values: trial.values,
        seed: trial.seed,
        epochs: study.settings.epochs,
        patience: study.settings.patience,
        objective: study.settings.objective,
        modelPath: this.context.modelPathFor(study, trial),
      },
      {
        onEpoch: (epoch, metrics) => {
          epochsRun = epoch;
          if (!this.write(() => store.trials.insertEpoch(trial.id, epoch, metrics))) {
            return;
          }
          emit({
            type: 'trial-epoch',
            studyId: study.id,
            trialId: trial.id,
            number: trial.number,
            epoch,
            epochs,
            metrics,
          });
        },
      },
    );
    this.active.delete(trial.id);
    if (!this.write(() => this.recordOutcome(study, trial, outcome, epochsRun))) {
      return;
    }

    const ended = store.trials.get(trial.id)!;
    emit({
      type: 'trial-ended',
      studyId: study.id,
      trialId: trial.id,
      number: trial.number,
      status: ended.status,
      objective: ended.objective,
      error: ended.error,
      backend: ended.backend,
    });
    this.countFailure(study, ended);
    // The log is copied into the file between trials, so it stays small over a long study.
    this.context.store.checkpoint();
  }

  /**
   * Runs a store write; on failure (a full disk, a read-only file) stops
   * the run and returns false. The error is reported when the run ends.
   */
  private write(work: () => void): boolean {
    try {
      work();
      return true;
    } catch (error) {
      this.storeFailed(error);
      return false;
    }
  }

  private storeFailed(error: unknown): void {
    if (this.storeError === undefined) {
      this.storeError = storeFailure(error, this.context.store.file, 'write to database');
      log.error({ studyId: this.studyId, err: error }, 'cannot write the study; stopping it');
    }
    if (this.state !== 'storeFailed') {
      this.state = 'storeFailed';
      this.stopActiveTrials();
    }
  }

  /**
   * Counts failed trials in a row; at the study's limit the run stops
   * starting trials, and the study pauses with a summary of the errors.
   */
  private countFailure(study: StudyRecord, trial: TrialRecord): void {
    if (trial.status === 'completed') {
      this.failureStreak = [];
      return;
    }
    if (trial.status !== 'failed') {
      return;
    }

    this.failureStreak.push(trial.error ?? 'no reason recorded');
    const limit = study.settings.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES;
    if (limit > 0 && this.failureStreak.length >= limit && this.failureStop === undefined) {
      this.failureStop = summarizeFailures(this.failureStreak);
      log.warn(
        { studyId: study.id, failures: this.failureStop },
        'too many failed trials in a row; pausing the study',
      );
      if (this.state === 'running') {
        this.state = 'pausing';
      }
    }
  }

  private recordOutcome(
    study: StudyRecord,
    trial: TrialRecord,
    outcome: TrialResult,
    epochsRun: number,
  ): void {
    const { store } = this.context;

    // A trial that ends while the run is stopping counts as stopped, not failed, because Ctrl-C
    // in a terminal signals the whole process group and a worker may exit before it replies.
    const stopping =
      this.state === 'interrupting' || this.state === 'cancelling' || this.state === 'storeFailed';

    if (outcome.type === 'completed') {
      if (outcome.numTensorsAfter !== outcome.numTensorsBefore) {
        log.warn(
          {
            studyId: study.id,
            trial: trial.number,
            before: outcome.numTensorsBefore,
            after: outcome.numTensorsAfter,
          },
          'trial leaked tensors in its worker',
        );
      }
      store.trials.markCompleted(trial.id, outcome);
      this.context.onTrialCompleted(study);
    } else if (outcome.type === 'failed' && !stopping) {
      log.warn({ studyId: study.id, trial: trial.number, reason: outcome.reason }, 'trial failed');
      store.trials.markEnded(trial.id, 'failed', outcome.reason, {
        backend: outcome.backend,
        durationMs: outcome.durationMs,
        epochsRun,
      });
    } else if (this.state === 'storeFailed') {
      store.trials.markEnded(
        trial.id,
        'interrupted',
        'stopped because the database could not be written; resume the study to run it again',
        { epochsRun },
      );
    } else {
      const interrupted = this.state === 'interrupting';
      store.trials.markEnded(
        trial.id,
        interrupted ? 'interrupted' : 'cancelled',
        interrupted
          ? 'stopped when Scout exited; resume the study to run it again'
          : 'cancelled by the user',
        { epochsRun },
      );
    }
  }

  private finish(study: StudyRecord): StudyRecord {
    if (this.state === 'storeFailed') {
      return this.finishAfterStoreFailure(study);
    }
    const { store } = this.context;

    const written = this.write(() =>
      store.transaction(() => {
        switch (this.state) {
          case 'cancelling':
            store.trials.cancelQueued(study.id, 'the study was cancelled before this trial ran');
            store.studies.setStatus(study.id, 'cancelled');
            break;
          case 'pausing':
            store.studies.setStatus(study.id, 'paused');
            if (this.failureStop !== undefined) {
              store.studies.setFailureSummary(study.id, this.failureStop);
              this.addNote(study, describeFailures(this.failureStop));
            }
            break;
          case 'interrupting':
            store.studies.setStatus(study.id, 'interrupted');
            break;
          case 'running':
            if (this.timeLimitReached) {
              const limit = study.settings.timeLimitSeconds;
              const cancelled = store.trials.cancelQueued(
                study.id,
                `the study's time limit of ${limit} s was reached before this trial ran`,
              );
              this.addNote(
                study,
                `time limit of ${limit} s reached; ${cancelled} queued trials were cancelled ` +
                  '(resume the study to run them)',
              );
            }
            store.studies.setStatus(study.id, 'completed');
            break;
        }
        store.releaseStudy(study.id, this.token);
      }),
    );
    if (!written) {
      return this.finishAfterStoreFailure(study);
    }

    const finished = store.studies.get(study.id)!;
    log.info({ studyId: study.id, status: finished.status }, 'study stopped');
    this.emitStatus(finished);
    return finished;
  }

  /**
   * Ends a run whose database write failed: marks the trials it left
   * running interrupted and the study paused with the error in its note,
   * if the database takes even that, then throws the error. If it does
   * not, the study stays `running` in the file until the next start of
   * Scout marks it interrupted; nothing recorded before is touched.
   */
  private finishAfterStoreFailure(study: StudyRecord): never {
    const { store } = this.context;
    const error = this.storeError!;
    try {
      store.transaction(() => {
        store.trials.markRunningInterrupted(study.id);
        store.studies.setStatus(study.id, 'paused');
        this.addNote(study, `paused: ${error.message}`);
        store.releaseStudy(study.id, this.token);
      });
    } catch (second) {
      log.error({ studyId: study.id, err: second }, 'cannot mark the study paused either');
    }

    let status: StudyRecord['status'] = 'running';
    try {
      status = store.studies.get(study.id)?.status ?? status;
    } catch {
      // A file that cannot be read either keeps the last known status.
    }
    log.warn({ studyId: study.id, status }, 'study stopped after a database failure');
    this.context.emit({ type: 'study-status', studyId: study.id, status, note: error.message });
    throw error;
  }

  /** Appends `text` to the note of `study` as stored now. */
  private addNote(study: StudyRecord, text: string): void {
    const { store } = this.context;
    const current = store.studies.get(study.id)?.note ?? study.note;
    store.studies.setNote(study.id, [current, text].filter(Boolean).join('; '));
  }

  private stopActiveTrials(): void {
    for (const trialId of this.active) {
      this.pool?.cancel(trialId);
    }
  }

  private emitStatus(study: StudyRecord): void {
    this.context.emit({
      type: 'study-status',
      studyId: study.id,
      status: study.status,
      note: study.note,
      failures: study.failureSummary ?? null,
    });
  }
}
