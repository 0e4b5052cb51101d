import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { SearchSpace } from '../../shared/space/types';
import { REPO_ROOT, quickSettings, registerMnist } from '../main/core/helpers';
import {
  VIEWPORT,
  assertRendererBuilt,
  collectPageErrors,
  launchBrowser,
  newLoopbackContext,
  openScreen,
  startTestApp,
  type TestApp,
} from './helpers';

/**
 * Folder the screenshots go to: test-results/screenshots on a plain test
 * run, and docs/screenshots (committed, linked from the README) when
 * SCOUT_UPDATE_SCREENSHOTS=1, as `npm run screenshots` sets it. Timings on
 * screen differ on every run, so a plain run must not rewrite the committed
 * files.
 */
const SCREENSHOT_DIR =
  process.env.SCOUT_UPDATE_SCREENSHOTS === '1'
    ? path.join(REPO_ROOT, 'docs', 'screenshots')
    : path.join(REPO_ROOT, 'test-results', 'screenshots');

/**
 * Smallest size of a screenshot that shows a screen. A blank 1280x800 page
 * is about 5 KB as a PNG from Chromium 156, and the navigation alone about 8 KB.
 */
const MIN_SCREENSHOT_BYTES = 15_000;

/** The coarse space of the screenshots: a log float, a log int and a choice. */
const COARSE_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
  { name: 'units', type: 'int', min: 16, max: 128, step: 2, scale: 'log' },
  { name: 'activation', type: 'choice', values: ['relu', 'tanh'] },
];

let app: TestApp;
let browser: Browser;
let coarseId = 0;
let refinedId = 0;

/**
 * Runs a coarse study of 10 trials and a refined study of 4 around its best
 * 3 trials, through the service, on 500 MNIST training rows. Three epochs
 * rather than one, so the learning curves are lines, not single points, and
 * 10 trials because the importance view needs at least 8.
 */
async function prepareStudies(): Promise<void> {
  const dataset = registerMnist(app.service, 'mnist');
  const settings = quickSettings({
    trials: 10,
    epochs: 3,
    trainLimit: 500,
    testLimit: 200,
    seed: 7,
  });

  const coarse = app.service.createStudy({
    name: 'mnist coarse',
    datasetId: dataset.id,
    template: 'mlp',
    space: COARSE_SPACE,
    settings,
  }).study;
  const finished = await app.service.runStudy(coarse.id);
  assert.equal(finished.status, 'completed', `the coarse study ended ${finished.status}`);
  coarseId = coarse.id;

  const proposal = app.service.proposeRefinement(coarse.id, { topK: 3 });
  const refined = app.service.createStudy({
    name: 'mnist refined',
    datasetId: dataset.id,
    template: 'mlp',
    space: proposal.space,
    settings: { ...settings, trials: 4, seed: 8 },
    parentId: coarse.id,
  }).study;
  const refinedEnd = await app.service.runStudy(refined.id);
  assert.equal(refinedEnd.status, 'completed', `the refined study ended ${refinedEnd.status}`);
  refinedId = refined.id;
}

/** Waits two frames, so charts and canvases that draw after a layout change have drawn. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(
    'new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))',
  );
}

/** Saves the viewport as `name` in SCREENSHOT_DIR and returns the path. */
async function capture(page: Page, name: string): Promise<string> {
  await settle(page);
  const file = path.join(SCREENSHOT_DIR, name);
  await page.screenshot({ path: file, type: 'png' });
  return file;
}

/** Asserts that `file` is a PNG of the viewport's size and larger than a blank page. */
function assertScreenshot(file: string): void {
  const bytes = fs.readFileSync(file);
  const signature = bytes.subarray(0, 8).toString('hex');

  assert.equal(signature, '89504e470d0a1a0a', `${file} is not a PNG`);
  assert.equal(bytes.readUInt32BE(16), VIEWPORT.width, `${file} width`);
  assert.equal(bytes.readUInt32BE(20), VIEWPORT.height, `${file} height`);
  assert.ok(bytes.length > MIN_SCREENSHOT_BYTES, `${file} has only ${bytes.length} bytes`);
}

before(async () => {
  assertRendererBuilt();
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  app = await startTestApp('scout-e2e-screenshots-');
  await prepareStudies();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.close();
});

describe('screenshots', () => {
  it('captures each screen in light mode', async () => {
    const context = await newLoopbackContext(browser);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = collectPageErrors(page);
    const files: string[] = [];

    await openScreen(page, app, '#/studies');
    await page.getByTestId('study-row').nth(1).waitFor();
    files.push(await capture(page, 'studies.png'));

    await openScreen(page, app, '#/datasets');
    await page.getByTestId('dataset-preview').click();
    await page.getByTestId('dataset-images').locator('canvas').nth(11).waitFor();
    files.push(await capture(page, 'datasets.png'));

    await openScreen(page, app, '#/new');
    await page.getByTestId('study-name').fill('mnist coarse 2');
    await page.getByTestId('study-name').blur();
    await page.getByTestId('hp-preview').first().waitFor();
    files.push(await capture(page, 'new-study.png'));

    await openStudy(page);
    files.push(await capture(page, 'study.png'));

    await openScreen(page, app, `#/studies/${coarseId}/refine`);
    await page.getByTestId('refine-compare-row').first().waitFor();
    await page.getByTestId('refine-basis-k').check();
    await page.getByTestId('refine-top-k').fill('3');
    await page.getByTestId('refine-propose').click();
    await page.getByRole('heading', { name: 'Proposed region from the top 3 trials' }).waitFor();
    await page.getByTestId('hp-parent').first().waitFor();
    files.push(await capture(page, 'refine.png'));

    await context.close();

    for (const file of files) {
      assertScreenshot(file);
    }
    assert.deepEqual(errors, []);
  });

  it('captures the analysis views', async () => {
    const context = await newLoopbackContext(browser);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = collectPageErrors(page);
    const files: string[] = [];

    // The refined study's slices show the parent's bounds and the refined region.
    await openAnalysisTab(page, 'slices', refinedId);
    await page.locator('[data-testid="slice-canvas"]:not([data-x-scale=""])').nth(2).waitFor();
    await scrollToTabs(page);
    files.push(await capture(page, 'study-slices.png'));

    await openAnalysisTab(page, 'parallel');
    await brushParallel(page, 'learning_rate', 0.35, 0.75);
    await scrollToTabs(page);
    files.push(await capture(page, 'study-parallel.png'));

    await openAnalysisTab(page, 'importance');
    await page.getByTestId('importance-method').waitFor();
    await scrollToTabs(page);
    files.push(await capture(page, 'study-importance.png'));

    await openAnalysisTab(page, 'coverage');
    await page.getByTestId('coverage-chart').locator('canvas').waitFor();
    await scrollToTabs(page);
    files.push(await capture(page, 'study-coverage.png'));

    await openScreen(page, app, `#/studies/${coarseId}`);
    await page.getByTestId('tab-live').click();
    await page.getByTestId('study-export').click();
    await page.getByTestId('snippet-keras').waitFor();
    await page.getByTestId('export-panel').scrollIntoViewIfNeeded();
    files.push(await capture(page, 'study-snippets.png'));

    await openScreen(page, app, `#/compare/${coarseId},${refinedId}`);
    await page.getByTestId('compare-distribution').locator('canvas').waitFor();
    files.push(await capture(page, 'compare.png'));

    await context.close();

    for (const file of files) {
      assertScreenshot(file);
    }
    assert.deepEqual(errors, []);
  });

  it('captures the study in dark mode', async () => {
    const context = await newLoopbackContext(browser, { colorScheme: 'dark' });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors = collectPageErrors(page);

    await openStudy(page);
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    const file = await capture(page, 'study-dark.png');
    await openAnalysisTab(page, 'parallel');
    await page.getByTestId('pc-legend').waitFor();
    await scrollToTabs(page);
    const parallelFile = await capture(page, 'study-parallel-dark.png');
    await context.close();

    assertScreenshot(file);
    assertScreenshot(parallelFile);
    assert.notEqual(background, 'rgb(255, 255, 255)', 'the dark page has a white background');
    assert.deepEqual(errors, []);
  });
});

/** Opens study `id` (the coarse study by default) on analysis tab `tab` and waits for its data. */
async function openAnalysisTab(page: Page, tab: string, id = coarseId): Promise<void> {
  await openScreen(page, app, `#/studies/${id}`);
  await page.getByTestId(`tab-${tab}`).click();
  await page.locator(`[data-testid="analysis"][data-tab="${tab}"][aria-busy="false"]`).waitFor();
}

/** Scrolls the study view so the tabs are at the top and the analysis fills the screenshot. */
async function scrollToTabs(page: Page): Promise<void> {
  await page.evaluate(
    `document.querySelector('[role="tablist"]').scrollIntoView({ block: 'start' })`,
  );
}

/** Drags along the parallel-coordinates axis `name` from position `from` to `to` (0 bottom, 1 top). */
async function brushParallel(page: Page, name: string, from: number, to: number): Promise<void> {
  const canvas = page.getByTestId('pc-canvas');
  await canvas.waitFor();
  const axes = JSON.parse((await canvas.getAttribute('data-axes')) ?? '[]') as {
    name: string;
    x: number;
  }[];
  const axis = axes.find((entry) => entry.name === name);
  const top = Number(await canvas.getAttribute('data-plot-top'));
  const bottom = Number(await canvas.getAttribute('data-plot-bottom'));
  const box = await canvas.boundingBox();
  assert.ok(axis, `no parallel-coordinates axis ${name}`);
  assert.ok(box, 'the parallel-coordinates canvas has no box');

  const yAt = (position: number): number => box.y + top + (1 - position) * (bottom - top);
  await page.mouse.move(box.x + axis.x, yAt(from));
  await page.mouse.down();
  await page.mouse.move(box.x + axis.x, yAt(to), { steps: 5 });
  await page.mouse.up();
  await page.getByTestId('pc-brush').waitFor();
}

/** Opens the coarse study with the best trial selected, so both charts have lines. */
async function openStudy(page: Page): Promise<void> {
  await openScreen(page, app, `#/studies/${coarseId}`);
  await page.locator('[data-testid="trial-row"][data-status="completed"]').nth(3).waitFor();
  await page.getByTestId('trial-sort-objective').click();
  await page.getByTestId('trial-select').first().click();
  await page.locator('[data-testid="trial-row"][aria-selected="true"]').waitFor();
  // The curves chart shows its empty-state text until the selected trial's epochs arrive.
  await page.getByTestId('chart-curves').locator('.empty').waitFor({ state: 'detached' });
}
