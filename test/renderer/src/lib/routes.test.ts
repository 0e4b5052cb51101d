import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute, routeHash, type Route } from '../../../../renderer/src/lib/routes';

describe('parseRoute', () => {
  it('reads every screen', () => {
    assert.deepEqual(parseRoute('#/studies'), { name: 'studies' });
    assert.deepEqual(parseRoute('#/studies/12'), { name: 'study', id: 12 });
    assert.deepEqual(parseRoute('#/studies/12/refine'), { name: 'refine', id: 12 });
    assert.deepEqual(parseRoute('#/datasets'), { name: 'datasets' });
    assert.deepEqual(parseRoute('#/new'), { name: 'new' });
  });

  it('reads a comparison', () => {
    assert.deepEqual(parseRoute('#/compare/3,5'), { name: 'compare', ids: [3, 5] });
    assert.deepEqual(parseRoute('#/compare/5,3,5'), { name: 'compare', ids: [5, 3] });
    assert.deepEqual(parseRoute('#/compare'), { name: 'compare', ids: [] });
    assert.equal(parseRoute('#/compare/3,x').name, 'not-found');
    assert.equal(parseRoute('#/compare/3,,5').name, 'not-found');
    assert.equal(parseRoute('#/compare/3/5').name, 'not-found');
  });

  it('treats an empty hash as the studies list', () => {
    assert.deepEqual(parseRoute(''), { name: 'studies' });
    assert.deepEqual(parseRoute('#'), { name: 'studies' });
    assert.deepEqual(parseRoute('#/'), { name: 'studies' });
  });

  it('ignores a trailing slash', () => {
    assert.deepEqual(parseRoute('#/studies/3/'), { name: 'study', id: 3 });
  });

  it('rejects bad ids and unknown paths', () => {
    assert.equal(parseRoute('#/studies/abc').name, 'not-found');
    assert.equal(parseRoute('#/studies/0').name, 'not-found');
    assert.equal(parseRoute('#/studies/012').name, 'not-found');
    assert.equal(parseRoute('#/studies/3/delete').name, 'not-found');
    assert.deepEqual(parseRoute('#/nowhere/1'), { name: 'not-found', path: '/nowhere/1' });
  });
});

describe('routeHash', () => {
  it('round-trips through parseRoute', () => {
    const routes: Route[] = [
      { name: 'studies' },
      { name: 'study', id: 7 },
      { name: 'refine', id: 7 },
      { name: 'compare', ids: [7, 2, 9] },
      { name: 'compare', ids: [] },
      { name: 'datasets' },
      { name: 'new' },
    ];
    for (const route of routes) {
      assert.deepEqual(parseRoute(routeHash(route)), route);
    }
  });
});
