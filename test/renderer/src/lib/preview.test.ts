import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LISTED_VALUES, histogram, previewParam } from '../../../../renderer/src/lib/preview';

describe('previewParam', () => {
  it('lists a small log grid exactly', () => {
    const preview = previewParam({
      name: 'units',
      type: 'int',
      min: 32,
      max: 512,
      step: 2,
      scale: 'log',
    });
    assert.deepEqual(preview, { kind: 'values', values: [32, 64, 128, 256, 512] });
  });

  it('lists choices in their order', () => {
    const preview = previewParam({ name: 'optimizer', type: 'choice', values: ['sgd', 'adam'] });
    assert.deepEqual(preview, { kind: 'values', values: ['sgd', 'adam'] });
  });

  it('draws a histogram for a continuous float', () => {
    const preview = previewParam({ name: 'dropout', type: 'float', min: 0, max: 0.5 });
    assert.equal(preview.kind, 'histogram');
    if (preview.kind === 'histogram') {
      assert.equal(preview.candidates, Infinity);
      assert.equal(
        preview.bins.reduce((sum, bin) => sum + bin.count, 0),
        preview.draws,
      );
    }
  });

  it('draws a histogram for a large int range', () => {
    const preview = previewParam({
      name: 'units',
      type: 'int',
      min: 1,
      max: MAX_LISTED_VALUES + 1,
    });
    assert.equal(preview.kind, 'histogram');
    if (preview.kind === 'histogram') {
      assert.equal(preview.candidates, MAX_LISTED_VALUES + 1);
    }
  });
});

describe('histogram', () => {
  it('has log-spaced edges on a log scale', () => {
    const bins = histogram(
      { name: 'lr', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
      1000,
      3,
    );
    assert.ok(Math.abs(bins[0].from - 1e-4) < 1e-12);
    assert.ok(Math.abs(bins[1].from - 1e-3) < 1e-12);
    assert.ok(Math.abs(bins[2].from - 1e-2) < 1e-12);
    assert.ok(Math.abs(bins[2].to - 1e-1) < 1e-12);
  });

  it('fills log bins evenly for log-uniform draws', () => {
    const bins = histogram(
      { name: 'lr', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
      3000,
      3,
    );
    for (const bin of bins) {
      // Each decade expects 1000 draws; 850 is about 7 standard deviations below that.
      assert.ok(bin.count > 850, `bin from ${bin.from} has ${bin.count} draws`);
    }
  });

  it('counts the maximum in the last bin', () => {
    const bins = histogram({ name: 'layers', type: 'int', min: 1, max: 2 }, 200, 2);
    assert.equal(bins[0].count + bins[1].count, 200);
    assert.ok(bins[1].count > 0);
  });
});
