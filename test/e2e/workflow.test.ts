import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Download, Page } from 'playwright-core';
import { mnistSource } from '../../main/runner/data';
import type { DatasetSource } from '../../shared/dataset';
import type { TrialRecord } from '../../shared/study';
import { waitFor } from '../main/core/helpers';
import { openAppSession, openScreen, type AppSession, type TestApp } from './helpers';

/** Maximum wait for a study of a few one-epoch trials on 500 MNIST rows to finish. */
const STUDY_TIMEOUT_MS = 120_000;

const MNIST = mnistSource() as Extract<DatasetSource, { format: 'idx' }>;

let session: AppSession;
let app: TestApp;
let page: Page;
let pageErrors: string[] = [];
let coarseId = 0;
let refinedId = 0;

before(async () => {
  session = await openAppSession('scout-e2e-workflow-');
  ({ app, page, pageErrors } = session);
});

after(async () => {
  await session?.close();
});

/** Returns the id in a `#/studies/ID` URL. */
function studyIdOf(url: string): number {
  const match = /#\/studies\/(\d+)$/.exec(url);
  assert.ok(match, `expected a study URL, got ${url}`);
  return Number(match[1]);
}

/** Describes the trials of study `id` in the database, for failure messages. */
function describeTrials(id: number): string {
  return app.store.trials
    .listByStudy(id)
    .map((trial) => `#${trial.number} ${trial.status}${trial.error ? `: ${trial.error}` : ''}`)
    .join('; ');
}

/** Waits until the study view shows status completed and `count` completed trial rows. */
async function waitForCompletedStudy(id: number, count: number): Promise<void> {
  try {
    await page.waitForFunction(
      (expected) => {
        const status = document.querySelector('[data-testid="study-status"]')?.textContent;
        const completed = document.querySelectorAll(
          '[data-testid="trial-row"][data-status="completed"]',
        ).length;
        return status?.trim() === 'completed' && completed === expected;
      },
      count,
      { timeout: STUDY_TIMEOUT_MS, polling: 200 },
    );
  } catch (error) {
    const study = app.service.getStudy(id);
    throw new Error(
      `study ${id} did not show ${count} completed trials: status ${study.status}, ` +
        `trials ${describeTrials(id)} (${(error as Error).message.split('\n')[0]})`,
    );
  }
}

/**
 * Records in the page whether a trial's progress bar appeared, because a
 * one-epoch trial may end between two polls. The script is text because
 * tsx would wrap named functions in a helper that the page does not have.
 */
async function watchLiveProgress(): Promise<void> {
  await page.evaluate(`
    window.sawTrialProgress = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid="trial-progress"]')) {
        window.sawTrialProgress = true;
      }
    }).observe(document.body, { childList: true, subtree: true });
  `);
}

/** Returns the best completed trial of study `id` in the database, for its objective direction. */
function bestTrial(id: number): TrialRecord {
  const direction = app.service.getStudy(id).settings.objective.direction;
  const completed = app.store.trials
    .listByStudy(id)
    .filter((trial) => trial.status === 'completed' && trial.objective !== null);
  assert.ok(completed.length > 0, `study ${id} has no completed trial`);

  return completed.reduce((best, trial) => {
    const better =
      direction === 'maximize'
        ? trial.objective! > best.objective!
        : trial.objective! < best.objective!;
    return better ? trial : best;
  });
}

/** Clicks `testId` and returns the text of the file the page downloads. */
async function downloadText(testId: string): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId(testId).click(),
  ]);
  const file = await download.path();
  return { name: download.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
}

describe('web mode workflow', () => {
  it('rejects API calls without the token', async () => {
    await openScreen(page, app, '#/studies');

    const statuses = await page.evaluate(async (token) => {
      const request = { method: 'POST', headers: { 'Content-Type': 'application/json' } };
      const without = await fetch('/api/call/studies.list', { ...request, body: '{}' });
      const withToken = await fetch(`/api/call/studies.list?token=${token}`, {
        ...request,
        body: '{}',
      });
      return { without: without.status, withToken: withToken.status };
    }, app.token);

    assert.equal(statuses.without, 401);
    assert.equal(statuses.withToken, 200);
  });

  it('shows the server error for a missing file', async () => {
    const missing = path.join(app.dir, 'no-such-images-idx3-ubyte');
    await openScreen(page, app, '#/datasets');
    await page.getByTestId('dataset-name').fill('broken');
    await page.getByTestId('dataset-images').fill(missing);
    await page.getByTestId('dataset-labels').fill(MNIST.labels);
    await page.getByTestId('dataset-add').click();

    const errorText = await page.getByTestId('dataset-add-error').textContent();
    const expected = (() => {
      try {
        app.service.datasets.add('broken', {
          format: 'idx',
          images: missing,
          labels: MNIST.labels,
        });
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    })();

    assert.ok(errorText?.includes(expected), `shown "${errorText}", server error "${expected}"`);
    assert.ok(errorText?.includes(missing), `the error "${errorText}" does not name ${missing}`);
    assert.equal(app.service.datasets.list().length, 0);
  });

  it('adds MNIST through the Datasets form', async () => {
    await openScreen(page, app, '#/datasets');
    await page.getByTestId('dataset-name').fill('mnist');
    await page.getByTestId('dataset-format-idx').check();
    await page.getByTestId('dataset-images').fill(MNIST.images);
    await page.getByTestId('dataset-labels').fill(MNIST.labels);
    await page.getByTestId('dataset-test-images').fill(MNIST.testImages!);
    await page.getByTestId('dataset-test-labels').fill(MNIST.testLabels!);
    await page.getByTestId('dataset-add').click();

    await page.getByTestId('dataset-images').locator('canvas').first().waitFor({ timeout: 30_000 });
    const split = await page.getByTestId('dataset-split').textContent();
    const canvases = await page.getByTestId('dataset-images').locator('canvas').count();
    const inkedPixels = await page
      .getByTestId('dataset-images')
      .locator('canvas')
      .first()
      .evaluate((canvas: HTMLCanvasElement) => {
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
          count += data[i]! > 0 ? 1 : 0;
        }
        return count;
      });

    assert.equal(await page.getByTestId('dataset-row').count(), 1);
    assert.match(split ?? '', /48,000 training, 12,000\s+validation, 10,000 test rows/);
    assert.ok(canvases >= 4, `expected several preview images, got ${canvases}`);
    assert.ok(inkedPixels > 20, `the first preview image has only ${inkedPixels} lit pixels`);
  });

  it('shows min above max beside the field', async () => {
    await openScreen(page, app, '#/new');
    // With a name and a dataset, the space error is the only reason to disable Create.
    await page.getByTestId('study-name').fill('invalid space');
    const row = page.locator('[data-testid="space-row"][data-name="learning_rate"]');
    await row.getByTestId('hp-min').fill('0.5');
    await row.getByTestId('hp-max').fill('0.1');

    const error = row.getByTestId('hp-error');
    await error.first().waitFor();
    const text = await error.first().textContent();
    const field = await error.first().getAttribute('data-field');
    const minInvalid = await row.getByTestId('hp-min').getAttribute('aria-invalid');

    assert.match(text ?? '', /min 0\.5 is greater than max 0\.1/);
    assert.equal(field, 'min');
    assert.equal(minInvalid, 'true');
    assert.equal(await page.getByTestId('study-create-start').isDisabled(), true);

    await row.getByTestId('hp-min').fill('0.001');
    await error.first().waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('study-create-start').isDisabled(), false);
  });

  it('runs a coarse study from the form', async () => {
    await openScreen(page, app, '#/new');
    await page.getByTestId('study-name').fill('mnist coarse');
    const mnist = app.service.datasets.list().find((dataset) => dataset.name === 'mnist');
    assert.ok(mnist, 'the MNIST dataset is not registered');
    await page.getByTestId('study-dataset').selectOption(String(mnist.id));

    for (const knob of ['layers', 'dropout']) {
      await page
        .locator(`[data-testid="space-row"][data-name="${knob}"]`)
        .getByTestId('hp-remove')
        .click();
    }
    const rate = page.locator('[data-testid="space-row"][data-name="learning_rate"]');
    await rate.getByTestId('hp-min').fill('0.001');
    await rate.getByTestId('hp-max').fill('0.1');
    await rate.getByTestId('hp-scale').selectOption('log');
    const units = page.locator('[data-testid="space-row"][data-name="units"]');
    await units.getByTestId('hp-type').selectOption('choice');
    await units.getByTestId('hp-values').fill('16, 32');

    await page.getByTestId('setting-trials').fill('3');
    await page.getByTestId('setting-epochs').fill('1');
    await page.getByTestId('setting-patience').fill('0');
    await page.getByTestId('setting-trainLimit').fill('500');
    await page.getByTestId('setting-workers').fill('1');

    assert.equal(await page.getByTestId('space-row').count(), 2);
    assert.equal(await units.getByTestId('hp-preview-values').locator('li').count(), 2);
    assert.equal(await page.getByTestId('hp-error').count(), 0);

    await watchLiveProgress();
    await page.getByTestId('study-create-start').click();
    await page.waitForURL(/#\/studies\/\d+$/);
    coarseId = studyIdOf(page.url());
    await waitForCompletedStudy(coarseId, 3);

    const study = app.service.getStudy(coarseId);
    const sawProgress = await page.evaluate('window.sawTrialProgress');
    const curves = await page.getByTestId('chart-curves').locator('canvas').count();

    assert.equal(study.settings.trials, 3);
    assert.equal(study.settings.epochs, 1);
    assert.equal(study.settings.trainLimit, 500);
    assert.equal(study.settings.workers, 1);
    assert.deepEqual(study.space, [
      { name: 'learning_rate', type: 'float', min: 0.001, max: 0.1, scale: 'log' },
      { name: 'units', type: 'choice', values: [16, 32] },
    ]);
    assert.equal(sawProgress, true, 'no trial progress bar appeared during the run');
    assert.equal(curves, 1);
    assert.equal(await page.getByTestId('trial-row').count(), 3);
  });

  it('refines the best two trials', async () => {
    await page.getByTestId('study-refine').click();
    await page.waitForURL(/#\/studies\/\d+\/refine$/);
    await page.getByTestId('refine-compare').waitFor();
    await page.getByTestId('refine-basis-k').check();
    await page.getByTestId('refine-top-k').fill('2');
    await page.getByTestId('refine-propose').click();
    await page.getByRole('heading', { name: 'Proposed region from the top 2 trials' }).waitFor();

    const expected = app.service.proposeRefinement(coarseId, { topK: 2, margin: 0.25 });
    const compared = await page
      .getByTestId('refine-compare-row')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-name')));

    assert.deepEqual(compared, ['learning_rate', 'units']);

    await page.getByTestId('refine-trials').fill('2');
    await page.getByTestId('refine-launch').click();
    await page.waitForURL(/#\/studies\/\d+$/);
    refinedId = studyIdOf(page.url());
    await waitForCompletedStudy(refinedId, 2);

    const refined = app.service.getStudy(refinedId);
    assert.notEqual(refinedId, coarseId);
    assert.equal(refined.parentId, coarseId);
    assert.equal(refined.stage, 'refined');
    assert.equal(refined.name, 'mnist coarse refined');
    assert.deepEqual(refined.space, expected.space);
  });

  it('lists both studies with the parent', async () => {
    await page.getByTestId('nav-studies').click();
    await page.getByTestId('study-row').nth(1).waitFor();

    const coarse = page.locator(`[data-testid="study-row"][data-id="${coarseId}"]`);
    const refined = page.locator(`[data-testid="study-row"][data-id="${refinedId}"]`);

    assert.equal(await page.getByTestId('study-row').count(), 2);
    assert.equal((await coarse.getByTestId('study-stage').textContent())?.trim(), 'coarse');
    assert.match(
      (await refined.getByTestId('study-stage').textContent()) ?? '',
      /refined from\s+mnist coarse/,
    );
    assert.equal((await coarse.getByTestId('study-status').textContent())?.trim(), 'completed');
    assert.equal((await refined.getByTestId('study-status').textContent())?.trim(), 'completed');
    assert.match((await refined.getByTestId('study-trials').textContent()) ?? '', /2 \/ 2/);
  });

  it('exports the best config and the trials', async () => {
    await page
      .locator(`[data-testid="study-row"][data-id="${refinedId}"]`)
      .getByTestId('study-open')
      .click();
    await page.getByTestId('study-export').click();

    const json = await downloadText('export-json');
    const csv = await downloadText('export-csv');
    const config = JSON.parse(json.text) as {
      hyperparameters: Record<string, unknown>;
      objective: { metric: string; value: number };
      study: { id: number; parent: number };
    };
    const rows = parseCsv(csv.text, { columns: true }) as Record<string, string>[];
    const best = bestTrial(refinedId);

    assert.equal(json.name, 'mnist-coarse-refined-best.json');
    assert.equal(config.study.id, refinedId);
    assert.equal(config.study.parent, coarseId);
    assert.equal(typeof config.hyperparameters.learning_rate, 'number');
    assert.equal(config.objective.metric, 'val_accuracy');
    assert.equal(config.objective.value, best.objective);
    assert.deepEqual(config.hyperparameters, best.values);

    assert.match(csv.name, /\.csv$/);
    assert.equal(rows.length, 2);
    assert.ok('learning_rate' in rows[0]!, `CSV columns: ${Object.keys(rows[0]!).join(', ')}`);
    assert.deepEqual(
      rows.map((row) => row.status),
      ['completed', 'completed'],
    );
  });

  it('exports the best model files', async () => {
    const downloads: Download[] = [];
    const collect = (download: Download): void => {
      downloads.push(download);
    };
    const expected = app.service.exportModel(refinedId);

    page.on('download', collect);
    await page.getByTestId('export-model').click();
    const saved = page.getByTestId('export-saved').filter({ hasText: 'model.json' });
    await saved.waitFor();
    await waitFor(() => downloads.length >= expected.files.length, 'the model downloads', 10_000);
    page.off('download', collect);

    const names = downloads.map((download) => download.suggestedFilename());
    const modelJson = JSON.parse(fs.readFileSync(await downloads[0]!.path(), 'utf8')) as {
      modelTopology?: unknown;
      weightsManifest?: { paths: string[] }[];
    };
    // Each file is named after the model ("<study>-trial-<n>-"), so two exports do not collide.
    const prefix = /^(.+-trial-\d+-)model\.json$/.exec(names[0]!)?.[1];
    assert.ok(prefix, `first download: ${names[0]}`);

    assert.deepEqual(
      names,
      expected.files.map((name) => `${prefix}${name}`),
    );
    assert.ok(names.includes(`${prefix}preprocessing.json`), `downloads: ${names.join(', ')}`);
    assert.ok(modelJson.modelTopology, 'model.json has no modelTopology');
    for (const name of names) {
      assert.match((await saved.textContent()) ?? '', new RegExp(name.replace(/[.]/g, '\\.')));
    }

    // model.json names the downloaded weight files, so a loader finds them next to it.
    const weightNames = names.filter(
      (name) => name !== `${prefix}model.json` && name !== `${prefix}preprocessing.json`,
    );
    assert.ok(weightNames.length >= 1, `no weight file among the downloads ${names.join(', ')}`);
    assert.deepEqual(
      modelJson.weightsManifest?.flatMap((group) => group.paths.map(path.posix.normalize)),
      weightNames,
    );
    const weights = downloads[names.indexOf(weightNames[0]!)]!;
    assert.deepEqual(
      fs.readFileSync(await weights.path()),
      fs.readFileSync(path.join(expected.directory, weightNames[0]!.slice(prefix.length))),
    );
  });

  it('raises no errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
