import type { ScoutEvent } from '../../shared/api/contract';
import type { StudyRecord, TrialRecord } from '../../shared/study';
import { getLogger } from '../log';
import type { BackendPreference } from '../runner/backend';
import { type TrialResult, WorkerPool } from '../runner/pool';
import type { Store } from '../store';
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

type RunState = 'running' | 'pausing' | 'cancelling' | 'interrupting';

/**
 * One run of a study, from `start` until its queue is empty or the user
 * pauses or cancels it. Trials train in worker processes; this object
 * writes each state change to the store before it emits the event.
 */
export class StudyRun {
  private state: RunState = 'running';
  private readonly active = new Set<number>();
  private pool: WorkerPool | undefined;
  private timeLimitReached = false;

  constructor(
    private readonly context: RunContext,
    readonly studyId: number,
  ) {}

  /** Stops taking new trials; running trials finish, then the study is `paused`. */
  pause(): void {
    if (this.state === 'running') {
      this.state = 'pausing';
    }
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

  /** Runs the queued trials; resolves when the study has stopped, with its final record. */
  async execute(): Promise<StudyRecord> {
    const { store } = this.context;
    const study = this.begin();
    const dataset = store.datasets.get(study.datasetId)!;
    const queue = store.trials.listQueued(study.id);
    const size = Math.max(1, Math.min(study.settings.workers, queue.length));

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
    const { store } = this.context;

    store.transaction(() => {
      // Resuming runs what an earlier run left: interrupted trials, and those
      // cancelled by the user or by a time limit. Finished trials never rerun.
      store.trials.requeue(this.studyId, true);
      store.studies.setStatus(this.studyId, 'running');
      store.studies.setRunner(this.studyId, process.pid);
    });

    const study = store.studies.get(this.studyId)!;
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
      store.transaction(() => {
        store.studies.setStatus(study.id, 'interrupted');
        store.studies.setRunner(study.id, null);
      });
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
      await this.runTrial(study, trial);
    }
  }

  private async runTrial(study: StudyRecord, trial: TrialRecord): Promise<void> {
    const { store, emit } = this.context;
    const epochs =
      typeof trial.values.epochs === 'number' ? trial.values.epochs : study.settings.epochs;

    store.trials.markRunning(trial.id);
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
          store.trials.insertEpoch(trial.id, epoch, metrics);
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
    this.recordOutcome(study, trial, outcome, epochsRun);

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
    const stopping = this.state === 'interrupting' || this.state === 'cancelling';

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
    const { store } = this.context;

    store.transaction(() => {
      switch (this.state) {
        case 'cancelling':
          store.trials.cancelQueued(study.id, 'the study was cancelled before this trial ran');
          store.studies.setStatus(study.id, 'cancelled');
          break;
        case 'pausing':
          store.studies.setStatus(study.id, 'paused');
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
            const note =
              `time limit of ${limit} s reached; ${cancelled} queued trials were cancelled ` +
              '(resume the study to run them)';
            store.studies.setNote(study.id, [study.note, note].filter(Boolean).join('; '));
          }
          store.studies.setStatus(study.id, 'completed');
          break;
      }
      store.studies.setRunner(study.id, null);
    });

    const finished = store.studies.get(study.id)!;
    log.info({ studyId: study.id, status: finished.status }, 'study stopped');
    this.emitStatus(finished);
    return finished;
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
    });
  }
}
