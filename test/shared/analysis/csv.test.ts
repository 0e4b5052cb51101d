import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { compareStudies } from '../../../shared/analysis/compare';
import { comparisonCsv, csvField, toCsv } from '../../../shared/analysis/csv';
import { loadLineage, trialNumber } from './lineage';

describe('csvField', () => {
  it('quotes only when needed', () => {
    assert.equal(csvField('relu'), 'relu');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\r\nlines'), '"two\r\nlines"');
    assert.equal(csvField(null), '');
    assert.equal(csvField(0.30000000000000004), '0.30000000000000004');
    assert.equal(csvField(false), 'false');
  });
});

describe('toCsv', () => {
  it('ends every record with CRLF', () => {
    assert.equal(
      toCsv([
        ['a', 'b'],
        [1, null],
      ]),
      'a,b\r\n1,\r\n',
    );
  });
});

describe('comparisonCsv', () => {
  it('writes one record per study', () => {
    const { coarse, refined } = loadLineage();
    const text = comparisonCsv(compareStudies([coarse, refined]));
    const rows = parse(text, { columns: true }) as Record<string, string>[];

    assert.equal(rows.length, 2);
    assert.deepEqual(
      rows.map((row) => [row.study, row.stage, row.completed, row.failed]),
      [
        ['iris-coarse', 'coarse', '11', '1'],
        ['iris-refined', 'refined', '8', '0'],
      ],
    );
    assert.equal(rows[0].best_val_accuracy, '0.9');
    assert.equal(rows[1].median_top5, '0.8');
    assert.equal(rows[0].trials_to_reach_parent_best, '');
    assert.equal(rows[1].trials_to_reach_parent_best, '8');
    assert.equal(rows[1].parent_best_val_accuracy, '0.9');
    assert.equal(
      Number(rows[0]['best.learning_rate']),
      trialNumber(coarse, 3).values.learning_rate,
    );
    assert.equal(rows[1]['best.activation'], 'tanh');
  });

  it('says when the parent best is not reached', () => {
    const { coarse, refined } = loadLineage();
    refined.trials = refined.trials.filter((trial) => trial.number !== 8);
    const rows = parse(comparisonCsv(compareStudies([coarse, refined])), {
      columns: true,
    }) as Record<string, string>[];

    assert.equal(rows[1].trials_to_reach_parent_best, 'not reached');
  });

  it('quotes names with commas and quotes', () => {
    const { coarse, refined } = loadLineage();
    coarse.study.name = 'iris, "wide"';
    const text = comparisonCsv(compareStudies([coarse, refined]));
    const rows = parse(text, { columns: true }) as Record<string, string>[];

    assert.ok(text.includes('"iris, ""wide"""'));
    assert.equal(rows[0].study, 'iris, "wide"');
  });
});
