import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setRefineSeed, takeRefineSeed } from '../../../../renderer/src/lib/refineSeed';

const seed = {
  studyId: 4,
  space: [{ name: 'units', type: 'int' as const, min: 32, max: 64 }],
  warnings: [],
  top: 3,
  source: 'the 3 trials selected in parallel coordinates',
};

describe('takeRefineSeed', () => {
  it('returns the seed once', () => {
    setRefineSeed(seed);

    assert.deepEqual(takeRefineSeed(4), seed);
    assert.equal(takeRefineSeed(4), null);
  });

  it('keeps the seed from another study', () => {
    setRefineSeed(seed);

    assert.equal(takeRefineSeed(5), null);
    assert.deepEqual(takeRefineSeed(4), seed);
  });
});
