import fs from 'node:fs';
import path from 'node:path';
import { version } from '../../package.json';
import type { Channel, RequestOf, ResponseOf, Result, ScoutEvent } from '../../shared/api/contract';
import { formatZodError, requestSchemas } from '../../shared/api/schemas';
import { stringifyJson } from '../../shared/json';
import { getLogger } from '../log';
import { AnalysisService } from './analysis';
import { ScoutError, toApiError } from './errors';
import { ExperimentManager } from './experiment';
import { writeExportFiles, type ExportEntry, type ExportFolders } from './export';
import type { StudyService } from './service';

const log = getLogger('ipc');

/** Dispatches one API call and resolves with its Result envelope; it never rejects. */
export type ApiHandler = (channel: string, request: unknown) => Promise<Result<unknown>>;

/** Settings of createApiHandler. */
export interface ApiOptions {
  /**
   * Folders the user chose in the desktop app's folder dialog, for
   * `studies.saveExport`. Without it (web mode, where no dialog runs in the
   * main process) saving into a folder is rejected and the browser downloads
   * the export instead.
   */
  exportFolders?: ExportFolders;
}

type ChannelHandlers = {
  [C in Channel]: (request: RequestOf<C>) => ResponseOf<C> | Promise<ResponseOf<C>>;
};

/**
 * Creates the dispatcher that web mode and the Electron shell both use. It
 * rejects an unknown channel and a request that fails its schema with code
 * `invalid`, runs the matching StudyService method, and turns a thrown error
 * into an ApiError. Values come back as plain JSON data, with non-finite
 * numbers written as "NaN", "Infinity" or "-Infinity" (see `toWireValue`), so
 * the renderer receives the same values over HTTP and over Electron IPC.
 */
export function createApiHandler(service: StudyService, options: ApiOptions = {}): ApiHandler {
  const handlers = createChannelHandlers(service, options);

  return async (channel, request) => {
    if (!isChannel(channel)) {
      return {
        ok: false,
        error: { code: 'invalid', message: `unknown API channel '${channel}'` },
      };
    }

    const parsed = requestSchemas[channel].safeParse(request ?? {});
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          code: 'invalid',
          message: `invalid request for ${channel}:\n${formatZodError(parsed.error)}`,
        },
      };
    }

    try {
      const handler = handlers[channel] as (request: unknown) => unknown;
      const value = await handler(parsed.data);
      return { ok: true, value: toWireValue(value) };
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.code === 'internal') {
        log.error({ err: error, channel }, 'API call failed');
      }
      return { ok: false, error: stripUndefined(apiError) };
    }
  };
}

/**
 * Returns `value` as the renderer receives it after JSON: non-finite numbers
 * become strings, `undefined` fields disappear, dates become ISO strings.
 * Electron IPC would keep NaN as a number, so both transports go through this.
 */
export function toWireValue<T>(value: T): unknown {
  if (value === undefined) {
    return null;
  }
  return JSON.parse(stringifyJson(value)) as unknown;
}

/** Returns `event` in its JSON form, as `toWireValue` does for call results. */
export function toWireEvent(event: ScoutEvent): unknown {
  return toWireValue(event);
}

function isChannel(channel: string): channel is Channel {
  return Object.prototype.hasOwnProperty.call(requestSchemas, channel);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

function createChannelHandlers(service: StudyService, options: ApiOptions): ChannelHandlers {
  const analysis = new AnalysisService(service);
  const experiments = new ExperimentManager(service);

  return {
    'system.info': () => ({
      version,
      backend: latestBackend(service),
      databasePath: service.store.db.name,
    }),
    'datasets.list': () => service.datasets.list(),
    'datasets.add': ({ name, source }) => service.datasets.add(name, source),
    'datasets.preview': ({ id, rows, validationFraction, seed }) =>
      service.datasets.preview(id, rows, validationFraction, seed),
    'datasets.delete': ({ id }) => {
      service.datasets.delete(id);
      return null;
    },
    'studies.list': () => service.listStudies(),
    'studies.get': ({ id }) => service.getStudyDetail(id),
    // NOTE: the contract returns the bare study, so the space's warnings from
    // service.createStudy are dropped here. The form shows them before it sends.
    'studies.create': (request) => service.createStudy(request).study,
    // startStudy resumes a paused or interrupted study: finished trials stay,
    // interrupted ones run again.
    'studies.start': ({ id }) => service.startStudy(id),
    'studies.pause': ({ id }) => service.pauseStudy(id),
    'studies.cancel': ({ id }) => service.cancelStudy(id),
    'studies.delete': ({ id }) => {
      service.deleteStudy(id);
      return null;
    },
    'studies.duplicate': ({ id, name }) => service.duplicateStudy(id, name),
    'studies.proposeRefinement': ({ id, ...options }) => service.proposeRefinement(id, options),
    'studies.export': ({ id, format }) => service.exportStudy(id, format),
    'studies.exportModel': ({ id }) => readExportedModel(service, id),
    'studies.saveExport': (request) => saveExport(service, options.exportFolders, request),
    'trials.epochs': ({ trialId }) => {
      if (service.store.trials.get(trialId) === undefined) {
        throw new ScoutError('not-found', `no trial with id ${trialId}; reload the study`);
      }
      return service.store.trials.listEpochs(trialId);
    },
    'analysis.study': ({ id, objectiveScale }) => analysis.analyseStudy(id, objectiveScale),
    'analysis.compare': ({ ids }) => analysis.compare(ids),
    'analysis.snippets': ({ id }) => analysis.snippets(id),
    'analysis.compareCsv': ({ ids }) => analysis.compareCsv(ids),
    'experiment.run': (request) => experiments.start(request),
    'experiment.get': ({ id }) => experiments.get(id),
    'experiment.list': () => experiments.list(),
  };
}

/** Reads the best trial's kept model files (model.json and weight shards) as base64. */
function readExportedModel(service: StudyService, id: number): ResponseOf<'studies.exportModel'> {
  const study = service.getStudy(id);
  const model = service.exportModel(id);
  const files = model.files.map((name) => ({
    name,
    base64: fs.readFileSync(path.join(model.directory, name)).toString('base64'),
  }));
  return { fileName: `${safeFileName(study.name)}-trial-${model.trial.number}-model`, files };
}

/**
 * Writes a study's export into a folder the user chose; a model goes into a
 * subfolder named like the download of `studies.exportModel`.
 */
function saveExport(
  service: StudyService,
  folders: ExportFolders | undefined,
  { id, format, directory, overwrite }: RequestOf<'studies.saveExport'>,
): ResponseOf<'studies.saveExport'> {
  if (folders === undefined) {
    throw new ScoutError(
      'invalid',
      'saving into a folder works in the desktop app only; in the browser, use the download buttons',
    );
  }
  const folder = folders.resolve(directory);

  let entries: ExportEntry[];
  if (format === 'model') {
    const study = service.getStudy(id);
    const model = service.exportModel(id);
    const subfolder = `${safeFileName(study.name)}-trial-${model.trial.number}-model`;
    entries = model.files.map((name) => ({
      name: `${subfolder}/${name}`,
      content: fs.readFileSync(path.join(model.directory, name)),
    }));
  } else {
    const file = service.exportStudy(id, format);
    entries = [{ name: file.fileName, content: file.content }];
  }
  return { paths: writeExportFiles(folder, entries, overwrite ?? false) };
}

function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'study';
}

/**
 * Returns the backends that trained the newest study's trials, for
 * `system.info`, or null before any trial has run. A backend is chosen per
 * worker when a study starts, so no backend is known before that.
 */
function latestBackend(service: StudyService): string | null {
  const studies = service.listStudies();
  for (let index = studies.length - 1; index >= 0; index--) {
    const backends = studies[index]!.backends;
    if (backends !== null) {
      return backends;
    }
  }
  return null;
}
