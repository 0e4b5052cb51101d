import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isBetter, rankTrials } from '../../../shared/space';

interface Row {
  id: string;
  objective: number | null;
}

const rows: Row[] = [
  { id: 'a', objective: 0.8 },
  { id: 'nan', objective: NaN },
  { id: 'b', objective: 0.95 },
  { id: 'null', objective: null },
  { id: 'c', objective: 0.8 },
  { id: 'inf', objective: Infinity },
  { id: 'd', objective: 0.1 },
];

describe('rankTrials', () => {
  it('maximize puts largest first', () => {
    const ids = rankTrials(rows, 'maximize').map((row) => row.id);

    assert.deepEqual(ids, ['b', 'a', 'c', 'd', 'nan', 'null', 'inf']);
  });

  it('minimize puts smallest first', () => {
    const ids = rankTrials(rows, 'minimize').map((row) => row.id);

    assert.deepEqual(ids, ['d', 'a', 'c', 'b', 'nan', 'null', 'inf']);
  });

  it('keeps ties in input order', () => {
    const ties = [
      { id: 'x', objective: 1 },
      { id: 'y', objective: 1 },
      { id: 'z', objective: 1 },
    ];

    assert.deepEqual(
      rankTrials(ties, 'minimize').map((row) => row.id),
      ['x', 'y', 'z'],
    );
  });

  it('leaves input unchanged', () => {
    const copy = [...rows];
    rankTrials(rows, 'maximize');

    assert.deepEqual(rows, copy);
  });

  it('handles empty list', () => {
    assert.deepEqual(rankTrials([], 'maximize'), []);
  });
});

describe('isBetter', () => {
  it('follows direction', () => {
    assert.equal(isBetter(2, 1, 'maximize'), true);
    assert.equal(isBetter(2, 1, 'minimize'), false);
    assert.equal(isBetter(1, 2, 'minimize'), true);
  });

  it('equal is not better', () => {
    assert.equal(isBetter(1, 1, 'maximize'), false);
    assert.equal(isBetter(1, 1, 'minimize'), false);
  });

  it('finite beats missing', () => {
    assert.equal(isBetter(-1e9, null, 'maximize'), true);
    assert.equal(isBetter(1e9, NaN, 'minimize'), true);
    assert.equal(isBetter(null, 0, 'maximize'), false);
    assert.equal(isBetter(Infinity, 0, 'maximize'), false);
    assert.equal(isBetter(-Infinity, 0, 'minimize'), false);
  });

  it('two missing are equal', () => {
    assert.equal(isBetter(null, NaN, 'maximize'), false);
    assert.equal(isBetter(NaN, null, 'maximize'), false);
  });
});
