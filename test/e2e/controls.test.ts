import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { DatasetRecord } from '../../shared/study';
import { SMALL_SPACE, quickSettings, registerMnist } from '../main/core/helpers';
import { openAppSession, openScreen, type AppSession, type TestApp } from './helpers';

/** Maximum wait for a study of four short trials to reach a status. */
const STUDY_TIMEOUT_MS = 45_000;

let session: AppSession;
let app: TestApp;
let page: Page;
let pageErrors: string[] = [];
let mnist: DatasetRecord;
let unused: DatasetRecord;

before(async () => {
  session = await openAppSession('scout-e2e-controls-');
  ({ app, page, pageErrors } = session);
  mnist = registerMnist(app.service, 'mnist');
  unused = registerMnist(app.service, 'mnist spare');
});

after(async () => {
  await session?.close();
});

/**
 * Creates a study of 4 trials of 8 epochs on 8000 MNIST rows through the
 * service, so each trial takes about a second, and returns its id.
 */
function createStudy(name: string): number {
  return app.service.createStudy({
    name,
    datasetId: mnist.id,
    template: 'mlp',
    space: SMALL_SPACE,
    settings: quickSettings({ trials: 4, epochs: 8, trainLimit: 8000, testLimit: 100, seed: 5 }),
  }).study.id;
}

/** Describes the trials of study `id` in the database, for failure messages. */
function describeTrials(id: number): string {
  return app.store.trials
    .listByStudy(id)
    .map((trial) => `#${trial.number} ${trial.status}${trial.error ? `: ${trial.error}` : ''}`)
    .join('; ');
}

/** Returns the statuses of the trial rows the study view shows, in row order. */
async function rowStatuses(): Promise<string[]> {
  return page
    .getByTestId('trial-row')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status') ?? ''));
}

/** Waits until the study view shows `status`; the error names the trials in the database. */
async function waitForStatus(id: number, status: string): Promise<void> {
  try {
    await page.waitForFunction(
      (expected) =>
        document.querySelector('[data-testid="study-status"]')?.textContent?.trim() === expected,
      status,
      { timeout: STUDY_TIMEOUT_MS, polling: 50 },
    );
  } catch (error) {
    const study = app.service.getStudy(id);
    throw new Error(
      `study ${id} did not show ${status}: the database says ${study.status}, trials ${describeTrials(id)}`,
      { cause: error },
    );
  }
}

/** Waits until the study view lists a running trial; the error names the trials in the database. */
async function waitForRunningTrial(id: number): Promise<void> {
  try {
    await page
      .locator('[data-testid="trial-row"][data-status="running"]')
      .first()
      .waitFor({ timeout: STUDY_TIMEOUT_MS });
  } catch (error) {
    const study = app.service.getStudy(id);
    const tableStatuses = await rowStatuses();
    throw new Error(
      `study ${id} showed no running trial (rows: ${tableStatuses.join(', ')}): the database says ` +
        `${study.status}, trials ${describeTrials(id)}`,
      { cause: error },
    );
  }
}

/**
 * Script that records in `window.pausePendingSeen` whether the pause button
 * ever shows the pending state. A MutationObserver sees it even when the
 * trial ends quickly. It is a string because tsx wraps named functions in a
 * `__name` helper that the page does not have.
 */
const WATCH_PAUSE_PENDING = `
  window.pausePendingSeen = false;
  new MutationObserver(() => {
    const button = document.querySelector('[data-testid="study-pause"]');
    if (button && button.disabled && /Pausing/.test(button.textContent)) {
      window.pausePendingSeen = true;
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
`;

describe('study controls', () => {
  let pausedId = 0;

  it('pause shows pending, then paused', async () => {
    pausedId = createStudy('pause me');
    await openScreen(page, app, `#/studies/${pausedId}`);
    await page.getByTestId('study-start').click();
    await waitForRunningTrial(pausedId);

    await page.evaluate(WATCH_PAUSE_PENDING);
    await page.getByTestId('study-pause').click();
    await waitForStatus(pausedId, 'paused');

    const tableStatuses = await rowStatuses();
    assert.ok(
      !tableStatuses.includes('running'),
      `a row is still running after pause: ${tableStatuses.join(', ')}`,
    );
    const seen = await page.evaluate('window.pausePendingSeen');
    assert.equal(seen, true, 'the pause button never showed "Pausing..." disabled');

    const stored = app.store.trials.listByStudy(pausedId).map((trial) => trial.status);
    assert.equal(app.service.getStudy(pausedId).status, 'paused');
    assert.ok(
      !stored.includes('running'),
      `the database has a running trial: ${stored.join(', ')}`,
    );
    assert.deepEqual(tableStatuses, stored, 'the table differs from the database');
    assert.equal(await page.getByTestId('study-resume').isVisible(), true);
  });

  it('resume runs to completed', async () => {
    await page.getByTestId('study-resume').click();
    await waitForStatus(pausedId, 'completed');
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid="trial-row"][data-status="completed"]').length ===
        4,
      undefined,
      { timeout: 5_000 },
    );

    const stored = app.store.trials.listByStudy(pausedId).map((trial) => trial.status);
    assert.deepEqual(stored, ['completed', 'completed', 'completed', 'completed']);
  });

  it('duplicate and delete a study', async () => {
    await openScreen(page, app, '#/studies');
    const before = app.service.listStudies().length;
    await page.locator(`[data-testid="study-row"][data-id="${pausedId}"]`).waitFor();
    await page
      .locator(`[data-testid="study-row"][data-id="${pausedId}"] [data-testid="study-duplicate"]`)
      .click();
    await page.getByTestId('studies-notice').waitFor();

    const studies = app.service.listStudies();
    assert.equal(studies.length, before + 1, 'the database has no copy');
    const copy = studies.reduce((newest, study) => (study.id > newest.id ? study : newest));
    const copyRow = page.locator(`[data-testid="study-row"][data-id="${copy.id}"]`);
    await copyRow.waitFor();
    assert.equal(
      (await copyRow.getByTestId('study-link').textContent())?.trim(),
      copy.name,
      'the copy row shows another name',
    );

    await copyRow.getByTestId('study-delete').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-ok').click();
    await copyRow.waitFor({ state: 'detached' });

    assert.equal(app.service.listStudies().length, before, 'the copy is still in the database');
  });

  it('cancel cancels queued trials', async () => {
    const id = createStudy('cancel me');
    await openScreen(page, app, `#/studies/${id}`);
    await page.getByTestId('study-start').click();
    await waitForRunningTrial(id);

    await page.getByTestId('study-cancel').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-ok').click();
    await waitForStatus(id, 'cancelled');
    await app.service.whenStopped(id);

    const stored = app.store.trials.listByStudy(id).map((trial) => trial.status);
    assert.ok(stored.includes('cancelled'), `no trial was cancelled: ${describeTrials(id)}`);
    assert.ok(!stored.includes('queued'), `a trial is still queued: ${describeTrials(id)}`);
    assert.ok(!stored.includes('running'), `a trial is still running: ${describeTrials(id)}`);
    await page.waitForFunction(
      () =>
        document.querySelectorAll(
          '[data-testid="trial-row"][data-status="queued"], [data-testid="trial-row"][data-status="running"]',
        ).length === 0,
      undefined,
      { timeout: 5_000 },
    );
    assert.deepEqual(await rowStatuses(), stored, 'the table differs from the database');
  });
});

describe('datasets screen', () => {
  it('used dataset cannot be deleted', async () => {
    await openScreen(page, app, '#/datasets');
    const used = page.locator(`[data-testid="dataset-row"][data-id="${mnist.id}"]`);
    const spare = page.locator(`[data-testid="dataset-row"][data-id="${unused.id}"]`);
    await used.waitFor();

    const button = used.getByTestId('dataset-delete');
    await page.waitForFunction(
      (id) =>
        document.querySelector<HTMLButtonElement>(
          `[data-testid="dataset-row"][data-id="${id}"] [data-testid="dataset-delete"]`,
        )?.disabled === true,
      mnist.id,
      { timeout: 5_000 },
    );
    assert.match((await button.getAttribute('title')) ?? '', /used by \d+ stud/);
    assert.equal(await spare.getByTestId('dataset-delete').isDisabled(), false);
  });
});

describe('new study screen', () => {
  it('says why Create is disabled', async () => {
    await openScreen(page, app, '#/new');
    const reason = page.getByTestId('study-create-blocked');
    await reason.waitFor();

    assert.match((await reason.textContent()) ?? '', /name/);
    assert.equal(await page.getByTestId('study-create').isDisabled(), true);

    await page.getByTestId('study-name').fill('controls');
    await reason.waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('study-create').isDisabled(), false);
  });

  it('log scale with min 0 shows one error', async () => {
    const row = page.locator('[data-testid="space-row"][data-name="learning_rate"]');
    await row.getByTestId('hp-scale').selectOption('log');
    await row.getByTestId('hp-min').fill('0');
    await row.locator('[data-testid="hp-error"][data-field="min"]').first().waitFor();

    const messages = await row
      .locator('[data-testid="hp-error"][data-field="min"]')
      .allTextContents();
    assert.equal(messages.length, 1, `errors on min: ${messages.join(' | ')}`);
    assert.match(
      (await page.getByTestId('study-create-blocked').textContent()) ?? '',
      /1 field error/,
    );
  });

  it('pages ran without errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
