import type { Database } from 'better-sqlite3';

/**
 * Groups trials into configs for studies that train each config several
 * times: `config` is the config number and `repeat` the training of it,
 * both from 1. Existing trials were one training per config, so each is
 * its own config (config = number) and repeat 1.
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE trials ADD COLUMN config INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE trials ADD COLUMN repeat INTEGER NOT NULL DEFAULT 1;
    UPDATE trials SET config = number;
  `);
}
