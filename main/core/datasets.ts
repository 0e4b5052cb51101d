import type { DatasetPreview } from '../../shared/api/contract';
import type { DatasetSource } from '../../shared/dataset';
import type { DatasetRecord } from '../../shared/study';
import { getLogger } from '../log';
import { describeDataset, hashDatasetFiles, loadDataset } from '../runner/data';
import type { Store } from '../store';
import { ScoutError } from './errors';

const log = getLogger('core');

/**
 * Registered datasets: registration reads and checks every file and stores
 * a content hash, so a study never trains on files that changed since.
 */
export class DatasetCatalog {
  constructor(private readonly store: Store) {}

  /** Registers a dataset after reading and checking all of its files. */
  add(name: string, source: DatasetSource): DatasetRecord {
    if (this.store.datasets.findByName(name)) {
      throw new ScoutError(
        'conflict',
        `a dataset named '${name}' exists already (id ${this.store.datasets.findByName(name)!.id}); ` +
          'register this one under another name',
      );
    }

    const description = describeDataset(source);
    const record = this.store.datasets.insert({
      name,
      source,
      task: description.task,
      rows: description.rows,
      features: description.features,
      classes: description.classes,
      testRows: description.testRows ?? null,
      contentHash: hashDatasetFiles(source),
    });
    log.info({ datasetId: record.id, name, rows: record.rows }, 'dataset registered');
    return record;
  }

  list(): DatasetRecord[] {
    return this.store.datasets.list();
  }

  get(idOrName: number | string): DatasetRecord {
    const dataset =
      typeof idOrName === 'number' || /^\d+$/.test(idOrName)
        ? this.store.datasets.get(Number(idOrName))
        : this.store.datasets.findByName(idOrName);

    if (dataset === undefined) {
      throw new ScoutError(
        'not-found',
        `no dataset '${idOrName}'; list them with 'scout dataset list' or add one`,
      );
    }
    return dataset;
  }

  /** Loads a dataset as a study would and returns its first rows and split sizes. */
  preview(id: number, rows: number, validationFraction: number, seed: number): DatasetPreview {
    const dataset = this.get(id);
    const prepared = loadDataset(dataset.source, { validationFraction, seed });
    const shown = Math.min(rows, prepared.train.rows);
    const side = Math.sqrt(prepared.features);

    return {
      datasetId: id,
      featureNames: prepared.featureNames ?? null,
      classNames: prepared.classNames ?? null,
      rows: Array.from({ length: shown }, (_, row) => ({
        features: Array.from(
          prepared.train.x.subarray(row * prepared.features, (row + 1) * prepared.features),
        ),
        target: prepared.train.y[row],
      })),
      imageSize: dataset.format === 'idx' && Number.isInteger(side) ? side : null,
      split: {
        train: prepared.train.rows,
        validation: prepared.validation.rows,
        test: prepared.test?.rows ?? 0,
      },
    };
  }

  delete(id: number): void {
    const dataset = this.get(id);
    const users = this.store.studies.list().filter((study) => study.datasetId === id);

    if (users.length > 0) {
      throw new ScoutError(
        'conflict',
        `dataset '${dataset.name}' is used by ${users.length} studies; delete them first`,
      );
    }
    this.store.datasets.delete(id);
  }

  /** Rejects a dataset whose files changed since it was registered, or can no longer be read. */
  checkUnchanged(dataset: DatasetRecord): void {
    let hash: string;
    try {
      hash = hashDatasetFiles(dataset.source);
    } catch (error) {
      throw new ScoutError('dataset', `dataset '${dataset.name}': ${(error as Error).message}`);
    }

    if (hash !== dataset.contentHash) {
      throw new ScoutError(
        'dataset',
        `the files of dataset '${dataset.name}' changed since it was registered, so its ` +
          'studies would not be comparable; register the new files under another name',
      );
    }
  }
}
