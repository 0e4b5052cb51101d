import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { FIXTURES } from '../main/core/helpers';
import { openAppSession, openScreen, type AppSession, type TestApp } from './helpers';

/** Maximum wait for an experiment of 36 short iris trainings to finish. */
const EXPERIMENT_TIMEOUT_MS = 120_000;

let session: AppSession;
let app: TestApp;
let page: Page;
let pageErrors: string[] = [];

before(async () => {
  session = await openAppSession('scout-e2e-experiment-');
  ({ app, page, pageErrors } = session);
  app.service.datasets.add('iris', {
    format: 'csv',
    path: path.join(FIXTURES, 'iris.csv'),
    target: 'species',
    task: 'classification',
  });
});

after(async () => {
  await session?.close();
});

describe('strategy experiment screen', () => {
  it('runs from the form', async () => {
    await openScreen(page, app, '#/experiments');
    await page.getByTestId('experiment-budget').fill('12');
    await page.getByTestId('experiment-seeds').fill('0');
    await page.getByTestId('experiment-repeats').fill('2');
    await page.getByTestId('experiment-epochs').fill('1');
    await page.getByTestId('experiment-train-limit').fill('120');
    await page.getByTestId('experiment-run').click();

    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="experiment-status"]')?.textContent?.trim() ===
        'completed',
      undefined,
      { timeout: EXPERIMENT_TIMEOUT_MS, polling: 200 },
    );
    assert.match(page.url(), /#\/experiments\/1$/);

    const rows = await page
      .getByTestId('experiment-table')
      .locator('tbody tr')
      .evaluateAll((cells) => cells.map((row) => row.children[1]?.textContent?.trim()));
    assert.deepEqual(rows, ['grid', 'random', 'coarse-refined']);

    const grid = await page.getByTestId('experiment-grid').textContent();
    assert.match(grid ?? '', /12-point grid.*both bounds included/);
    const verdicts = await page.getByTestId('experiment-verdict').allTextContents();
    assert.equal(verdicts.length, 3);

    const names = app.service.listStudies().map((study) => study.name);
    assert.ok(names.includes('exp-1-s0-random'), names.join(', '));
    assert.ok(names.includes('exp-1-s0-refined'), names.join(', '));
    assert.deepEqual(pageErrors, []);
  });
});
