import type { Database } from 'better-sqlite3';
import type { DatasetSource } from '../../shared/dataset';
import type { DatasetRecord } from '../../shared/study';

interface DatasetRow {
  id: number;
  name: string;
  source: string;
  task: DatasetRecord['task'];
  rows: number;
  features: number;
  classes: number;
  test_rows: number | null;
  content_hash: string;
  created_at: string;
}

/** Fields of a dataset that a caller supplies when registering it. */
export type NewDataset = Omit<DatasetRecord, 'id' | 'createdAt' | 'format'>;

function toRecord(row: DatasetRow): DatasetRecord {
  const source = JSON.parse(row.source) as DatasetSource;
  return {
    id: row.id,
    name: row.name,
    format: source.format,
    source,
    task: row.task,
    rows: row.rows,
    features: row.features,
    classes: row.classes,
    testRows: row.test_rows,
    contentHash: row.content_hash,
    createdAt: row.created_at,
  };
}

/** Registered datasets. */
export class DatasetTable {
  constructor(private readonly db: Database) {}

  /** Inserts a dataset; a name already taken raises SQLite's UNIQUE error. */
  insert(dataset: NewDataset): DatasetRecord {
    const result = this.db
      .prepare(
        `INSERT INTO datasets (name, source, task, rows, features, classes, test_rows,
           content_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        dataset.name,
        JSON.stringify(dataset.source),
        dataset.task,
        dataset.rows,
        dataset.features,
        dataset.classes,
        dataset.testRows,
        dataset.contentHash,
        new Date().toISOString(),
      );
    return this.get(Number(result.lastInsertRowid))!;
  }

  get(id: number): DatasetRecord | undefined {
    const row = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as
      DatasetRow | undefined;
    return row && toRecord(row);
  }

  findByName(name: string): DatasetRecord | undefined {
    const row = this.db.prepare('SELECT * FROM datasets WHERE name = ?').get(name) as
      DatasetRow | undefined;
    return row && toRecord(row);
  }

  list(): DatasetRecord[] {
    const rows = this.db.prepare('SELECT * FROM datasets ORDER BY id').all() as DatasetRow[];
    return rows.map(toRecord);
  }

  /** Deletes a dataset; SQLite rejects it while a study still uses it. */
  delete(id: number): void {
    this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
  }
}
