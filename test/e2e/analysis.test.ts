import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Download, Locator, Page } from 'playwright-core';
import type { Comparison, StudyAnalysis } from '../../shared/analysis/types';
import type { Channel, RequestOf, ResponseOf, Result } from '../../shared/api/contract';
import type { FloatParam, IntParam, SearchSpace } from '../../shared/space/types';
import type { StudyRecord } from '../../shared/study';
import { FIXTURES, quickSettings, registerMnist } from '../main/core/helpers';
import { openAppSession, openScreen, type AppSession, type TestApp } from './helpers';

/** A log float, a log int and a choice, so slices show log and category axes. */
const COARSE_SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
  { name: 'units', type: 'int', min: 16, max: 128, step: 2, scale: 'log' },
  { name: 'activation', type: 'choice', values: ['relu', 'tanh'] },
];

/** Trials of the coarse study: enough for the importance fit, which needs 8 completed trials. */
const COARSE_TRIALS = 10;

let session: AppSession;
let app: TestApp;
let page: Page;
let pageErrors: string[] = [];
let coarse: StudyRecord;
let refined: StudyRecord;
let iris: StudyRecord;

/**
 * Runs a coarse study on 400 MNIST training rows and a refined study around
 * its best 3 trials, one epoch per trial, and creates (without running) a
 * study on iris, which the comparison must refuse.
 */
async function prepareStudies(): Promise<void> {
  const mnist = registerMnist(app.service, 'mnist');
  const settings = quickSettings({
    trials: COARSE_TRIALS,
    trainLimit: 400,
    testLimit: 100,
    seed: 5,
  });

  coarse = app.service.createStudy({
    name: 'coarse',
    datasetId: mnist.id,
    template: 'mlp',
    space: COARSE_SPACE,
    settings,
  }).study;
  coarse = await app.service.runStudy(coarse.id);
  assert.equal(coarse.status, 'completed', `the coarse study ended ${coarse.status}`);

  const proposal = app.service.proposeRefinement(coarse.id, { topK: 3 });
  refined = app.service.createStudy({
    name: 'refined',
    datasetId: mnist.id,
    template: 'mlp',
    space: proposal.space,
    settings: { ...settings, trials: 4, seed: 6 },
    parentId: coarse.id,
  }).study;
  refined = await app.service.runStudy(refined.id);
  assert.equal(refined.status, 'completed', `the refined study ended ${refined.status}`);

  const irisData = app.service.datasets.add('iris', {
    format: 'csv',
    path: path.join(FIXTURES, 'iris.csv'),
    target: 'species',
    task: 'classification',
  });
  iris = app.service.createStudy({
    name: 'iris',
    datasetId: irisData.id,
    template: 'mlp',
    space: [{ name: 'learning_rate', type: 'float', min: 1e-3, max: 1e-1, scale: 'log' }],
    settings: quickSettings({ trials: 2 }),
  }).study;
}

/** Calls the web-mode API over HTTP, as the page does, and returns the value. */
async function callApi<C extends Channel>(
  channel: C,
  request: RequestOf<C>,
): Promise<ResponseOf<C>> {
  const origin = new URL(app.url).origin;
  const response = await fetch(`${origin}/api/call/${channel}?token=${app.token}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(request),
  });
  const result = (await response.json()) as Result<ResponseOf<C>>;
  assert.ok(result.ok, `${channel} failed: ${result.ok ? '' : result.error.message}`);
  return result.value;
}

/** Clicks `button` and returns the downloaded file's name and bytes. */
async function download(button: Locator): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return {
    name: (file as Download).suggestedFilename(),
    bytes: fs.readFileSync(await file.path()),
  };
}

/** Opens study `id` on the analysis tab `tab` and waits for the analysis to load. */
async function openTab(id: number, tab: string): Promise<void> {
  await openScreen(page, app, `#/studies/${id}`);
  await page.getByTestId(`tab-${tab}`).click();
  await page.locator(`[data-testid="analysis"][data-tab="${tab}"][aria-busy="false"]`).waitFor();
}

/** Returns the slice canvas of hyperparameter `name`, after chart.js has set its scale types. */
async function sliceCanvas(name: string): Promise<Locator> {
  const canvas = page.locator(
    `[data-testid="slice"][data-name="${name}"] [data-testid="slice-canvas"]`,
  );
  await canvas.and(page.locator('[data-x-scale]:not([data-x-scale=""])')).waitFor();
  return canvas;
}

/**
 * Returns how many pixels of `canvas` between CSS y `from` and `to` (over the
 * whole width) are not transparent, so a test can tell where a chart drew.
 */
async function inkBetween(canvas: Locator, from: number, to: number): Promise<number> {
  return canvas.evaluate(
    (element, rows) => {
      const target = element as HTMLCanvasElement;
      const ratio = target.width / target.clientWidth;
      const top = Math.max(0, Math.floor(rows.from * ratio));
      const height = Math.max(1, Math.floor((rows.to - rows.from) * ratio));
      const pixels = target.getContext('2d')?.getImageData(0, top, target.width, height).data ?? [];
      let count = 0;
      for (let index = 3; index < pixels.length; index += 4) {
        count += pixels[index] > 0 ? 1 : 0;
      }
      return count;
    },
    { from, to },
  );
}

/** Returns the width and height of a PNG file from its IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  assert.equal(bytes.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'PNG signature');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Returns the RGB colour of the one-pixel PNG `bytes`, decoded with Node's zlib. */
function onePixelColour(bytes: Buffer): string {
  const chunks: Buffer[] = [];
  for (let offset = 8; offset < bytes.length;) {
    const length = bytes.readUInt32BE(offset);
    if (bytes.toString('latin1', offset + 4, offset + 8) === 'IDAT') {
      chunks.push(bytes.subarray(offset + 8, offset + 8 + length));
    }
    offset += 12 + length;
  }
  // One row: the filter byte, then R, G, B (and alpha); a single pixel has no neighbour to filter against.
  const row = zlib.inflateSync(Buffer.concat(chunks));
  return [row[1], row[2], row[3]].map((value) => value.toString(16).padStart(2, '0')).join('');
}

function numericParam(space: SearchSpace, name: string): IntParam | FloatParam {
  const param = space.find((p) => p.name === name);
  assert.ok(param && (param.type === 'float' || param.type === 'int'), `${name} is not numeric`);
  return param;
}

before(async () => {
  session = await openAppSession('scout-e2e-analysis-');
  ({ app, page, pageErrors } = session);
  await prepareStudies();
});

after(async () => {
  await session?.close();
});

describe('study analysis', () => {
  it('slices use log axes for log scales', async () => {
    await openTab(coarse.id, 'slices');

    const rate = await sliceCanvas('learning_rate');
    const units = await sliceCanvas('units');
    const activation = await sliceCanvas('activation');

    assert.equal(await rate.getAttribute('data-x-scale'), 'logarithmic');
    assert.equal(await units.getAttribute('data-x-scale'), 'logarithmic');
    assert.equal(await activation.getAttribute('data-x-scale'), 'linear');
    // val_accuracy is not a loss, so the automatic objective axis is linear.
    assert.equal(await rate.getAttribute('data-y-scale'), 'linear');
    assert.deepEqual(pageErrors, []);
  });

  it('slices switch the objective axis to log', async () => {
    await openTab(coarse.id, 'slices');
    await page.getByTestId('slices-scale').selectOption('log');
    await page
      .locator('[data-testid="slice-canvas"][data-y-scale="logarithmic"]')
      .first()
      .waitFor();

    const analysis = await callApi('analysis.study', { id: coarse.id, objectiveScale: 'log' });
    const rate = await sliceCanvas('learning_rate');
    assert.equal(await rate.getAttribute('data-y-scale'), 'logarithmic');
    // Accuracies are above 0, so nothing is hidden; the chart has every completed trial.
    assert.equal(analysis.slices.axis.notShown.length, 0);
    const caption = await page
      .locator('[data-testid="slice"][data-name="learning_rate"] figcaption')
      .textContent();
    assert.match(caption ?? '', new RegExp(`${analysis.slices.trials.length} trials`));
  });

  it('refined band matches refined bounds', async () => {
    await openTab(refined.id, 'slices');

    for (const name of ['learning_rate', 'units']) {
      const canvas = await sliceCanvas(name);
      const bands = JSON.parse((await canvas.getAttribute('data-bands')) ?? '[]') as {
        kind: string;
        from: number;
        to: number;
      }[];
      const own = numericParam(refined.space, name);
      const parent = numericParam(coarse.space, name);

      assert.equal(bands.length, 2, `${name} bands: ${JSON.stringify(bands)}`);
      assert.deepEqual(
        { kind: bands[0].kind, from: bands[0].from, to: bands[0].to },
        { kind: 'bounds', from: parent.min, to: parent.max },
      );
      assert.deepEqual(
        { kind: bands[1].kind, from: bands[1].from, to: bands[1].to },
        { kind: 'refined', from: own.min, to: own.max },
      );
    }
    assert.deepEqual(pageErrors, []);
  });

  it('band labels sit above the plot', async () => {
    await openTab(refined.id, 'slices');
    const canvas = await sliceCanvas('learning_rate');
    const plotTop = Number(await canvas.getAttribute('data-plot-top'));

    // Two label rows of 14 px fit above the chart area, and something is drawn there.
    assert.ok(plotTop >= 2 * 14, `chart area starts at ${plotTop}px`);
    assert.ok(
      (await inkBetween(canvas, 0, plotTop - 8)) > 50,
      'no band labels above the chart area',
    );
  });

  it('empty slice draws no axes', async () => {
    await openTab(iris.id, 'slices');
    const canvas = await sliceCanvas('learning_rate');
    const box = await canvas.boundingBox();
    assert.ok(box);

    await page
      .locator('[data-testid="slice"][data-name="learning_rate"]')
      .getByText('No trial of this study can be drawn here')
      .waitFor();
    assert.equal(await inkBetween(canvas, 0, box.height), 0, 'the empty chart drew ticks or bands');
    assert.equal(await canvas.getAttribute('data-bands'), '[]');
  });

  it('slice exports a PNG', async () => {
    await openTab(coarse.id, 'slices');
    await sliceCanvas('learning_rate');

    const file = await download(
      page.locator('[data-testid="slice"][data-name="learning_rate"] [data-testid="slice-png"]'),
    );

    const canvas = await sliceCanvas('learning_rate');
    const box = await canvas.boundingBox();
    assert.ok(box);
    const size = pngSize(file.bytes);

    assert.equal(file.name, 'slice-learning_rate.png');
    assert.ok(
      size.width >= 2 * Math.floor(box.width),
      `PNG width ${size.width}, chart ${box.width}`,
    );
    // The title line adds to the chart's height.
    assert.ok(size.height > 2 * box.height, `PNG height ${size.height}, chart ${box.height}`);
    // The chart on screen is back at the screen's pixel ratio.
    const screenWidth = await canvas.evaluate((element) => (element as HTMLCanvasElement).width);
    assert.equal(screenWidth, Math.round(box.width));
    assert.deepEqual(pageErrors, []);
  });

  it('curves hint fits a completed study', async () => {
    await openScreen(page, app, `#/studies/${coarse.id}`);
    await page.getByTestId('tab-live').click();
    const curves = page.getByTestId('chart-curves');
    await curves.getByText('Select a trial in the table to see its learning curves').waitFor();

    assert.doesNotMatch((await curves.textContent()) ?? '', /start the study/);
  });

  it('curves hint offers to start', async () => {
    await openScreen(page, app, `#/studies/${iris.id}`);
    await page.getByTestId('tab-live').click();
    await page
      .getByTestId('chart-curves')
      .getByText('Select a trial in the table, or start the study')
      .waitFor();
  });

  it('sidebar runs the full page height', async () => {
    await openTab(coarse.id, 'slices');
    const viewport = page.viewportSize();
    assert.ok(viewport);
    // A short window makes the page longer than the viewport.
    await page.setViewportSize({ width: viewport.width, height: 400 });
    const pageHeight = await page.evaluate(() => document.documentElement.scrollHeight);
    assert.ok(pageHeight > 500, `page of ${pageHeight}px fits the viewport`);

    const bottomPixel = async (): Promise<string> =>
      onePixelColour(
        await page.screenshot({
          fullPage: true,
          clip: { x: 20, y: pageHeight - 5, width: 1, height: 1 },
        }),
      );
    const colourOf = (variable: string): Promise<string> =>
      page.evaluate((name) => {
        const probe = document.createElement('div');
        probe.style.color = `var(${name})`;
        document.body.append(probe);
        const [r, g, b] = (getComputedStyle(probe).color.match(/\d+/g) ?? []).map(Number);
        probe.remove();
        return [r, g, b].map((value) => value.toString(16).padStart(2, '0')).join('');
      }, variable);

    const withSidebar = await bottomPixel();
    // Control: without the layout's column background, the same pixel shows the page colour.
    const style = await page.addStyleTag({ content: '.shell { background: none !important; }' });
    const withoutSidebar = await bottomPixel();
    await style.evaluate((element) => element.remove());
    await page.setViewportSize(viewport);

    assert.equal(withSidebar, await colourOf('--surface'));
    assert.equal(withoutSidebar, await colourOf('--bg'));
  });

  it('parallel brush selects the trials in range', async () => {
    await openTab(coarse.id, 'parallel');
    const analysis: StudyAnalysis = await callApi('analysis.study', { id: coarse.id });
    const canvas = page.getByTestId('pc-canvas');
    await canvas.waitFor();

    // Brush the learning-rate axis around the best trial, so the selection is not empty.
    const axes = JSON.parse((await canvas.getAttribute('data-axes')) ?? '[]') as {
      name: string;
      x: number;
    }[];
    const axisIndex = analysis.parallel.axes.findIndex((axis) => axis.name === 'learning_rate');
    const best = analysis.parallel.lines.find((line) => line.rank === 1);
    assert.ok(best, 'no best line');
    const position = best.positions[axisIndex] as number;
    const top = Number(await canvas.getAttribute('data-plot-top'));
    const bottom = Number(await canvas.getAttribute('data-plot-bottom'));
    const box = await canvas.boundingBox();
    assert.ok(box);
    const x = box.x + axes[axisIndex].x;
    const yAt = (p: number): number =>
      box.y + top + (1 - Math.min(1, Math.max(0, p))) * (bottom - top);

    await page.mouse.move(x, yAt(position + 0.2));
    await page.mouse.down();
    await page.mouse.move(x, yAt(position), { steps: 4 });
    await page.mouse.move(x, yAt(position - 0.2), { steps: 4 });
    await page.mouse.up();

    const brush = page.locator('[data-testid="pc-brush"][data-axis="learning_rate"]');
    await brush.waitFor();
    const low = Number(await brush.getAttribute('data-low'));
    const high = Number(await brush.getAttribute('data-high'));
    const expected = app.store.trials
      .listByStudy(coarse.id)
      .filter((trial) => trial.status === 'completed' && Number.isFinite(trial.objective))
      .filter((trial) => {
        const rate = trial.values.learning_rate as number;
        return rate >= low && rate <= high;
      });
    const count = page.getByTestId('pc-count');

    assert.ok(expected.length >= 1, `no trial between ${low} and ${high}`);
    assert.equal(Number(await count.getAttribute('data-selected')), expected.length);
    assert.match(
      (await count.textContent()) ?? '',
      new RegExp(`${expected.length} of ${COARSE_TRIALS} trials selected`),
    );

    // The selection seeds the Refine screen.
    await page.getByTestId('pc-refine').click();
    await page.getByTestId('refine-seeded').waitFor();
    const heading =
      expected.length === 1 ? '1 selected trial' : `${expected.length} selected trials`;
    await page.getByRole('heading', { name: `Proposed region from ${heading}` }).waitFor();
    assert.deepEqual(pageErrors, []);
  });

  it('parallel top filter keeps the best', async () => {
    await openTab(coarse.id, 'parallel');
    await page.getByTestId('pc-top-percent').fill('30');

    const count = page.getByTestId('pc-count');
    await page.locator('[data-testid="pc-count"][data-shown="3"]').waitFor();
    assert.equal(await count.getAttribute('data-selected'), '3');

    const file = await download(page.getByTestId('pc-png'));
    const box = await page.getByTestId('pc-canvas').boundingBox();
    assert.ok(box);
    const size = pngSize(file.bytes);

    assert.equal(file.name, 'parallel-coordinates.png');
    assert.ok(
      size.width >= 2 * Math.floor(box.width),
      `PNG width ${size.width}, chart ${box.width}`,
    );
    // The title line and the colour legend add to the chart's height.
    assert.ok(size.height > 2 * box.height + 40, `PNG height ${size.height}, chart ${box.height}`);
  });

  it('parallel legend spans the objective', async () => {
    await openTab(coarse.id, 'parallel');
    const analysis = await callApi('analysis.study', { id: coarse.id });
    const objective = analysis.parallel.axes.find((axis) => axis.isObjective);
    assert.ok(objective);
    const legend = page.getByTestId('pc-legend');
    await legend.waitFor();

    // val_accuracy is maximized: the best end of the colour ramp is the axis maximum.
    assert.equal(Number(await legend.getAttribute('data-worst')), objective.min);
    assert.equal(Number(await legend.getAttribute('data-best')), objective.max);
    assert.match((await page.getByTestId('pc-legend-best').textContent()) ?? '', /best \d/);
    // On the light theme the best lines are the darkest end of the ramp (viridis purple).
    assert.equal(await legend.getAttribute('data-best-colour'), '68, 1, 84');
  });

  it('importance names its method', async () => {
    await openTab(coarse.id, 'importance');
    const analysis = await callApi('analysis.study', { id: coarse.id });
    const method = (await page.getByTestId('importance-method').textContent()) ?? '';

    assert.ok(method.includes(analysis.importance.method), `method text: ${method}`);
    if (analysis.importance.status === 'ok') {
      await page.getByTestId('importance-chart').locator('canvas').waitFor();
    } else {
      assert.equal(
        await page.getByTestId('importance-insufficient').textContent(),
        analysis.importance.message,
      );
    }
  });

  it('coverage counts distinct values', async () => {
    await openTab(coarse.id, 'coverage');
    const completed = app.store.trials
      .listByStudy(coarse.id)
      .filter((t) => t.status === 'completed');

    for (const name of ['learning_rate', 'units', 'activation']) {
      const row = page.locator(`[data-testid="coverage-row"][data-name="${name}"]`);
      const distinct = new Set(completed.map((trial) => trial.values[name])).size;
      const cells = await row.locator('td').allTextContents();
      assert.equal(Number(cells[0]), distinct, `${name} distinct values`);
    }
    await page.getByTestId('coverage-chart').locator('canvas').waitFor();
  });

  it('boundary warnings match the API', async () => {
    await openTab(coarse.id, 'slices');
    const analysis = await callApi('analysis.study', { id: coarse.id });

    const shown = await page.getByTestId('boundary-warning').allTextContents();
    assert.deepEqual(
      shown.map((text) => text.trim()),
      analysis.boundary.map((warning) => warning.message),
    );
  });

  it('export panel shows code snippets', async () => {
    await openScreen(page, app, `#/studies/${coarse.id}`);
    await page.getByTestId('study-export').click();
    const snippets = await callApi('analysis.snippets', { id: coarse.id });
    const keras = page.getByTestId('snippet-keras');
    await keras.waitFor();

    assert.equal(await keras.textContent(), snippets.kerasTuner);
    assert.equal(await page.getByTestId('snippet-optuna').textContent(), snippets.optuna);
    assert.match(snippets.kerasTuner, /hp\.Fixed\(/);
    assert.match(snippets.optuna, /enqueue_trial\(/);
  });
});

describe('comparison', () => {
  it('studies list refuses another dataset', async () => {
    await openScreen(page, app, '#/studies');
    const pick = (id: number): Locator =>
      page.locator(`[data-testid="study-row"][data-id="${id}"] [data-testid="study-pick"]`);

    await pick(coarse.id).check();
    assert.equal(await pick(iris.id).isDisabled(), true);
    assert.match((await pick(iris.id).getAttribute('title')) ?? '', /dataset iris, not mnist/);
    assert.equal(await page.getByTestId('studies-compare').isDisabled(), true);

    await pick(refined.id).check();
    await page.getByTestId('studies-compare').click();
    await page.waitForURL(new RegExp(`#/compare/${coarse.id},${refined.id}$`));
    await page.getByTestId('compare-table').waitFor();
  });

  it('table matches the API', async () => {
    await openScreen(page, app, `#/compare/${coarse.id},${refined.id}`);
    const comparison: Comparison = await callApi('analysis.compare', {
      ids: [coarse.id, refined.id],
    });
    await page.getByTestId('compare-table').waitFor();

    const cells = async (name: string): Promise<string[]> =>
      page
        .locator(`[data-testid="compare-row"][data-name="${name}"] td`)
        .evaluateAll((list) => list.map((cell) => cell.getAttribute('data-value') ?? ''));

    assert.deepEqual(
      (await cells('best')).map(Number),
      comparison.series.map((s) => s.best?.objective),
    );
    assert.deepEqual(
      (await cells('medianTop5')).map(Number),
      comparison.series.map((s) => s.medianTop5),
    );
    for (const row of comparison.bestConfigs) {
      assert.deepEqual(
        await cells(`hp:${row.name}`),
        row.values.map((value) => String(value ?? '')),
        `best config row ${row.name}`,
      );
    }

    const lineage = comparison.lineage.find((item) => item.studyId === refined.id);
    assert.ok(lineage, 'no lineage for the refined study');
    const panel = page.locator(`[data-testid="lineage"][data-id="${refined.id}"]`);
    assert.equal(await panel.getByTestId('lineage-summary').textContent(), lineage.summary);
    assert.equal(
      (await panel.getByTestId('lineage-reach').textContent())?.trim(),
      String(lineage.trialsToReachParentBest ?? 'not reached'),
    );
    await page.getByTestId('compare-by-trial').locator('canvas').waitFor();
    await page.getByTestId('compare-by-time').locator('canvas').waitFor();
    await page.getByTestId('compare-distribution').locator('canvas').waitFor();
    assert.deepEqual(pageErrors, []);
  });

  it('CSV export has a row per study', async () => {
    await openScreen(page, app, `#/compare/${coarse.id},${refined.id}`);
    const comparison = await callApi('analysis.compare', { ids: [coarse.id, refined.id] });
    await page.getByTestId('compare-table').waitFor();

    const file = await download(page.getByTestId('compare-csv'));
    const rows = parseCsv(file.bytes.toString('utf8'), { columns: true }) as Record<
      string,
      string
    >[];

    assert.equal(rows.length, 2);
    assert.deepEqual(
      rows.map((row) => Number(row.study_id)),
      [coarse.id, refined.id],
    );
    assert.deepEqual(
      rows.map((row) => Number(row.best_val_accuracy)),
      comparison.series.map((s) => s.best?.objective),
    );
    assert.equal(rows[1].parent_id, String(coarse.id));
  });

  it('refined study links to the comparison', async () => {
    await openScreen(page, app, `#/studies/${refined.id}`);
    await page.getByTestId('study-compare-parent').click();
    await page.waitForURL(new RegExp(`#/compare/${coarse.id},${refined.id}$`));
    await page.locator(`[data-testid="lineage"][data-id="${refined.id}"]`).waitFor();
    assert.deepEqual(pageErrors, []);
  });
});
