import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {
  CreateStudyRequest,
  ExportedFile,
  RefinementProposal,
  ScoutEvent,
  StudyDetail,
} from '../../shared/api/contract';
import { rankConfigs, repeatsOf } from '../../shared/configs';
import { proposeRefinement, type RefineOptions } from '../../shared/space/refine';
import { validateSpace } from '../../shared/space/validate';
import type { SearchSpace, SpaceIssue } from '../../shared/space/types';
import type { DatasetRecord, StudyRecord, StudySettings, TrialRecord } from '../../shared/study';
import { checkKnobs } from '../../shared/templates/bind';
import { getLogger } from '../log';
import type { BackendPreference } from '../runner/backend';
import type { Store } from '../store';
import { DatasetCatalog } from './datasets';
import { ScoutError } from './errors';
import { exportBestConfig, exportTrialsCsv } from './export';
import { keepBestModels, readModelFiles } from './models';
import { planTrials } from './planning';
import { StudyRun } from './run';

const log = getLogger('core');

/** Settings of a StudyService. */
export interface ServiceOptions {
  /** Backend the workers use; `auto` picks the best available. */
  backend?: BackendPreference;
  /** Folder for trained models; none are kept when undefined. */
  modelDirectory?: string;
  /** Trained models kept per study, best first (default 3). */
  keepModels?: number;
  /** Extra environment variables for worker processes. */
  workerEnv?: Record<string, string>;
}

const OBJECTIVES_BY_TASK = {
  classification: ['val_accuracy', 'val_loss'],
  regression: ['val_loss', 'val_mae', 'val_mse'],
} as const;

/**
 * Scout's study service: the one place that creates, runs, refines and
 * exports studies. The CLI, web mode and the Electron shell all call it,
 * so they behave alike. It owns the store's writes for the studies it runs.
 */
export class StudyService {
  private readonly runs = new Map<number, { run: StudyRun; done: Promise<StudyRecord> }>();
  private readonly listeners = new Set<(event: ScoutEvent) => void>();
  readonly datasets: DatasetCatalog;

  constructor(
    readonly store: Store,
    private readonly options: ServiceOptions = {},
  ) {
    this.datasets = new DatasetCatalog(store);
    const interrupted = store.recoverInterrupted();
    if (interrupted.length > 0) {
      log.warn({ studies: interrupted }, 'marked studies of a crashed run as interrupted');
    }
  }

  /** Subscribes to study and trial events; returns a function that unsubscribes. */
  onEvent(listener: (event: ScoutEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Studies

  listStudies(): StudyRecord[] {
    return this.store.studies.list();
  }

  getStudy(idOrName: number | string): StudyRecord {
    const study = this.store.studies.find(String(idOrName));
    if (study === undefined) {
      throw new ScoutError('not-found', `no study '${idOrName}'; list them with 'scout list'`);
    }
    return study;
  }

  getStudyDetail(id: number): StudyDetail {
    const study = this.getStudy(id);
    return {
      study,
      trials: this.store.trials.listByStudy(id),
      parent: study.parentId === null ? null : (this.store.studies.get(study.parentId) ?? null),
      children: this.store.studies.list().filter((other) => other.parentId === id),
    };
  }

  /**
   * Creates a study and its queued trials after checking the space, the
   * settings and the dataset; nothing is written when a check fails.
   * Returns the study with the warnings of its space in `warnings`.
   */
  createStudy(request: CreateStudyRequest): { study: StudyRecord; warnings: SpaceIssue[] } {
    const dataset = this.datasets.get(request.datasetId);
    this.checkNameFree(request.name);
    const warnings = this.checkSpace(request.space);
    this.checkSettings(request.settings, dataset);
    this.datasets.checkUnchanged(dataset);

    const parent = request.parentId === undefined ? undefined : this.getStudy(request.parentId);
    if (parent && parent.datasetId !== dataset.id) {
      throw new ScoutError(
        'invalid',
        `a refined study must use its parent's dataset '${parent.datasetName}', not '${dataset.name}'`,
      );
    }

    const plan = planTrials(request.space, request.settings);
    const id = this.store.guard('write to database', () =>
      this.store.transaction(() => {
        const studyId = this.store.studies.insert({
          name: request.name,
          datasetId: dataset.id,
          parentId: parent?.id ?? null,
          stage: parent ? 'refined' : 'coarse',
          template: request.template,
          space: request.space,
          settings: request.settings,
          plannedTrials: plan.trials.length,
          note: plan.note,
        });
        this.store.trials.insertQueued(studyId, plan.trials);
        return studyId;
      }),
    );

    const study = this.getStudy(id);
    log.info(
      { studyId: id, name: study.name, configs: plan.configs, trials: plan.trials.length },
      'study created',
    );
    this.emit({ type: 'study-status', studyId: id, status: study.status, note: study.note });
    return { study, warnings };
  }

  /** Creates a copy of a study's space and settings as a new study with fresh trials. */
  duplicateStudy(id: number, name?: string): StudyRecord {
    const study = this.getStudy(id);
    return this.createStudy({
      name: name ?? this.uniqueStudyName(`${study.name} (copy)`),
      datasetId: study.datasetId,
      template: 'mlp',
      space: study.space,
      settings: study.settings,
      parentId: study.parentId ?? undefined,
    }).study;
  }

  /** Deletes a study, its trials and kept models; a running study must be cancelled first. */
  deleteStudy(id: number): void {
    const study = this.getStudy(id);
    if (this.runs.has(id)) {
      throw new ScoutError('conflict', `study '${study.name}' is running; cancel it first`);
    }

    this.whileNotRunElsewhere(study, () => this.store.studies.delete(id));
    if (this.options.modelDirectory) {
      fs.rmSync(this.studyModelDirectory(id), { recursive: true, force: true });
    }
  }

  /**
   * Starts (or resumes) a study in the background and returns at once;
   * `whenStopped` resolves when it stops. Interrupted trials run again,
   * finished ones never do. The study is claimed in the database first, so
   * a second start (another click, window, service or process) is refused
   * while this run owns it; a start right after a pause withdraws the pause.
   */
  startStudy(id: number): StudyRecord {
    const study = this.getStudy(id);
    const entry = this.runs.get(id);
    if (entry !== undefined) {
      if (entry.run.unpause()) {
        log.info({ studyId: id }, 'pause withdrawn');
        return this.getStudy(id);
      }
      throw new ScoutError(
        'conflict',
        !entry.run.stopping
          ? `study '${study.name}' is running already`
          : `study '${study.name}' is still stopping; start it again once it has stopped`,
      );
    }
    if (study.status === 'completed' || study.status === 'cancelled') {
      const queued = this.store.trials.listQueued(id).length;
      if (queued === 0 && this.countResumable(id) === 0) {
        throw new ScoutError(
          'conflict',
          `study '${study.name}' is ${study.status} with no trials left to run; ` +
            'refine it or create a new study to run more trials',
        );
      }
    }
    this.datasets.checkUnchanged(this.datasets.get(study.datasetId));

    const token = randomUUID();
    const claim = this.store.claimStudy(id, token);
    if (!claim.claimed) {
      throw this.runElsewhereError(study, claim.pid);
    }

    const run = new StudyRun(this.runContext(), id, token);
    const done = run.execute().finally(() => this.runs.delete(id));
    this.runs.set(id, { run, done });
    done.catch((error: unknown) => log.error({ studyId: id, err: error }, 'study run failed'));
    return this.getStudy(id);
  }

  /** Runs a study to its end (or pause or cancel) and returns its final record. */
  async runStudy(id: number): Promise<StudyRecord> {
    this.startStudy(id);
    return this.whenStopped(id);
  }

  /** Resolves when the run of study `id` has stopped; at once when it is not running. */
  async whenStopped(id: number): Promise<StudyRecord> {
    const entry = this.runs.get(id);
    return entry ? entry.done : this.getStudy(id);
  }

  /** Pauses a running study after its running trials; pausing a paused study changes nothing. */
  pauseStudy(id: number): StudyRecord {
    const entry = this.runs.get(id);
    if (entry === undefined) {
      const study = this.getStudy(id);
      if (study.status === 'paused') {
        return study;
      }
      const runner = this.store.studies.getRunner(id);
      if (runner && study.status === 'running' && this.store.isRunnerAlive(runner)) {
        throw this.runElsewhereError(study, runner.runnerPid!);
      }
      throw new ScoutError('conflict', `study '${study.name}' is not running`);
    }
    entry.run.pause();
    return this.getStudy(id);
  }

  /** Cancels a study: a running one stops its trials; a paused or new one just ends. */
  cancelStudy(id: number): StudyRecord {
    const entry = this.runs.get(id);
    if (entry) {
      entry.run.cancel();
      return this.getStudy(id);
    }

    const study = this.getStudy(id);
    this.whileNotRunElsewhere(study, () => {
      this.store.trials.cancelQueued(id, 'the study was cancelled before this trial ran');
      this.store.studies.setStatus(id, 'cancelled');
    });
    this.emit({ type: 'study-status', studyId: id, status: 'cancelled', note: study.note });
    return this.getStudy(id);
  }

  /** Stops every running study so it can be resumed later; for a clean exit. */
  async interruptAll(): Promise<void> {
    const running = [...this.runs.values()];
    for (const entry of running) {
      entry.run.interrupt();
    }
    await Promise.allSettled(running.map((entry) => entry.done));
  }

  // Refinement

  /**
   * Proposes a refined space around the best completed trials of study `id`.
   * A study that trains each config several times is refined around its
   * best configs by mean objective instead, so one lucky seed does not pick
   * the region.
   */
  proposeRefinement(id: number, options: RefineOptions): RefinementProposal {
    const study = this.getStudy(id);
    const completed = this.store.trials
      .listByStudy(id)
      .filter((trial) => trial.status === 'completed');

    if (completed.length === 0) {
      throw new ScoutError(
        'conflict',
        `study '${study.name}' has no completed trials yet; run it before refining`,
      );
    }

    const repeats = repeatsOf(study.settings);
    const direction = study.settings.objective.direction;
    const basis = repeats > 1 ? 'configs' : 'trials';
    // Each config enters the proposal as one point scored by its mean, because its trainings share their values.
    const scored =
      basis === 'configs'
        ? rankConfigs(completed, direction).map((config) => ({
            values: config.values,
            objective: config.mean,
          }))
        : completed;

    try {
      const refinement = proposeRefinement(study.space, scored, direction, options);
      if (JSON.stringify(refinement.space) === JSON.stringify(study.space)) {
        refinement.warnings.push({
          message:
            `the proposal equals the parent's space because the top ${refinement.top} ${basis} ` +
            `span every range; refine around fewer top ${basis} or with a smaller margin`,
        });
      }
      const summary =
        basis === 'configs'
          ? `refined around the top ${refinement.top} of ${scored.length} configs by mean ` +
            `${study.settings.objective.metric} over up to ${repeats} repeats`
          : `refined around the top ${refinement.top} of ${scored.length} trials by ` +
            study.settings.objective.metric;
      return { parentId: id, parentSpace: study.space, ...refinement, basis, summary };
    } catch (error) {
      throw new ScoutError('invalid', (error as Error).message);
    }
  }

  // Export

  exportStudy(id: number, format: 'json' | 'yaml' | 'csv'): ExportedFile {
    const study = this.getStudy(id);
    const trials = this.store.trials.listByStudy(id);
    const dataset = this.datasets.get(study.datasetId);

    if (format === 'csv') {
      return exportTrialsCsv(study, trials);
    }
    return exportBestConfig(study, dataset, trials, format);
  }

  /** Returns the files of the best trial's kept model, in TensorFlow.js's layers format. */
  exportModel(id: number): { directory: string; trial: TrialRecord; files: string[] } {
    const study = this.getStudy(id);
    if (!this.options.modelDirectory) {
      throw new ScoutError('conflict', 'this Scout keeps no trained models (no model folder set)');
    }
    return readModelFiles(study, this.store.trials.listByStudy(id), this.studyModelDirectory(id));
  }

  /** Waits for running studies to stop after interrupting them; the store stays open. */
  async close(): Promise<void> {
    await this.interruptAll();
  }

  // Helpers

  private emit(event: ScoutEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error({ err: error, event: event.type }, 'event listener failed');
      }
    }
  }

  private runContext() {
    const keep = this.options.keepModels ?? 3;
    return {
      store: this.store,
      emit: (event: ScoutEvent) => this.emit(event),
      backend: this.options.backend ?? 'auto',
      workerEnv: this.options.workerEnv,
      modelPathFor: (study: StudyRecord, trial: TrialRecord) =>
        this.options.modelDirectory && keep > 0
          ? path.join(this.studyModelDirectory(study.id), `trial-${trial.number}`)
          : undefined,
      onTrialCompleted: (study: StudyRecord) => {
        if (this.options.modelDirectory) {
          keepBestModels(
            study,
            this.store.trials.listByStudy(study.id),
            this.studyModelDirectory(study.id),
            keep,
          );
        }
      },
    };
  }

  private studyModelDirectory(id: number): string {
    return path.join(this.options.modelDirectory!, `study-${id}`);
  }

  /**
   * Runs `work` in one write transaction unless a live run elsewhere (another
   * process, or another service in this one) owns the study, because two
   * runners would train the same queued trials. A `running` study whose
   * runner has died is marked `interrupted` first.
   */
  private whileNotRunElsewhere(study: StudyRecord, work: () => void): void {
    // NOTE: a crashed runner's pid that the OS has given to another process keeps the study
    // blocked until that process ends, because only the pid is stored.
    const result = this.store.whileUnclaimed(study.id, work);
    if (!result.done) {
      throw this.runElsewhereError(study, result.pid);
    }
  }

  private runElsewhereError(study: StudyRecord, pid: number): ScoutError {
    if (pid === process.pid) {
      return new ScoutError(
        'conflict',
        `study '${study.name}' is being run by another window or service of this Scout ` +
          `(pid ${pid}); pause or cancel it there first`,
      );
    }
    return new ScoutError(
      'conflict',
      `study '${study.name}' is being run by another Scout process (pid ${pid}); ` +
        'wait for it to finish or stop that process first',
    );
  }

  /** Returns `base`, or `base 2`, `base 3` and so on: the first name no study has. */
  uniqueStudyName(base: string): string {
    const taken = new Set(this.store.studies.list().map((study) => study.name));
    let name = base;
    for (let suffix = 2; taken.has(name); suffix++) {
      name = `${base} ${suffix}`;
    }
    return name;
  }

  private checkNameFree(name: string): void {
    const existing = this.store.studies.list().find((study) => study.name === name);
    if (existing !== undefined) {
      throw new ScoutError(
        'conflict',
        `a study named '${name}' exists already (id ${existing.id}); give this one another name`,
      );
    }
  }

  /** Counts trials that a resume runs again: interrupted and cancelled ones. */
  private countResumable(id: number): number {
    const resumable = this.store.trials
      .listByStudy(id)
      .filter((trial) => trial.status === 'interrupted' || trial.status === 'cancelled');
    return resumable.length;
  }

  private checkSpace(space: SearchSpace): SpaceIssue[] {
    const report = validateSpace(space);
    const errors = [...report.errors, ...checkKnobs(space)];

    if (errors.length > 0) {
      const lines = errors.map((issue) => `- ${issue.message}`).join('\n');
      throw new ScoutError('invalid', `invalid search space:\n${lines}`, errors);
    }
    return report.warnings;
  }

  private checkSettings(settings: StudySettings, dataset: DatasetRecord): void {
    const allowed: readonly string[] = OBJECTIVES_BY_TASK[dataset.task];
    if (!allowed.includes(settings.objective.metric)) {
      throw new ScoutError(
        'invalid',
        `objective ${settings.objective.metric} does not fit the ${dataset.task} dataset ` +
          `'${dataset.name}'; use one of ${allowed.join(', ')}`,
      );
    }

    const rows = Math.min(dataset.rows, settings.trainLimit ?? Infinity);
    if (Math.floor(rows * settings.validationFraction) < 1) {
      throw new ScoutError(
        'invalid',
        `validation fraction ${settings.validationFraction} of ${rows} rows leaves no ` +
          'validation rows; raise the fraction or use more rows',
      );
    }
  }
}
