/**
 * Benchmark of the study view in a browser at scale. It fills a new SQLite
 * file with a coarse study of 10,000 ended trials and a refined child of
 * 2,000, serves web mode on 127.0.0.1 and opens Chromium (headless, the test
 * viewport). Then it times what a user does: open the study view, switch to
 * each analysis tab, brush on parallel coordinates, and open the comparison.
 * Each figure is the median of several runs, with the longest main-thread
 * task seen during the runs, since a task over 50 ms is what a user notices
 * as a stall.
 *
 * The studies are synthetic (see bench-study.ts): real search-space draws
 * with made-up objectives, because this measures drawing speed and 10,000
 * real trainings would take hours.
 *
 * Run after `npm run build:renderer`:
 *   `node --import tsx main/analysis/view-bench.ts [--trials 10000] [--runs 3]`
 * Not a test: the numbers depend on the machine, its load and Chromium's
 * software rendering.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { SearchSpace } from '../../shared/space/types';
import { StudyService } from '../core/service';
import { mnistSource } from '../runner/data';
import { startServer, type RunningServer } from '../server';
import { Store } from '../store';
import { fillLineage, parseBenchOptions } from './bench-study';

/** The MLP space of the README's MNIST example, with every kind of hyperparameter. */
const SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
  { name: 'l2', type: 'float', min: 1e-6, max: 1e-2, scale: 'log' },
  { name: 'units', type: 'int', min: 32, max: 512, step: 2, scale: 'log' },
  { name: 'layers', type: 'int', min: 1, max: 4 },
  { name: 'dropout', type: 'float', min: 0, max: 0.5 },
  { name: 'activation', type: 'choice', values: ['relu', 'tanh', 'elu'] },
];

const REPO_ROOT = path.join(__dirname, '..', '..');
const RENDERER_DIR = path.join(REPO_ROOT, 'dist', 'renderer');
const CHROMIUM_PATH = process.env.SCOUT_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** The end-to-end tests' viewport, so the figures match what the screenshots show. */
const VIEWPORT = { width: 1280, height: 800 };

/** Wait for one figure; a view that takes longer is reported as failed, not waited on. */
const STEP_TIMEOUT_MS = 120_000;

/**
 * Spreads the start and finish times of study `studyId`'s trials over the
 * past, one second per trial, so the wall-clock chart has a span.
 */
function spreadTrialTimes(store: Store, studyId: number, count: number): void {
  const start = Date.now() - count * 1000;
  store.db
    .prepare(
      `UPDATE trials SET started_at = strftime('%Y-%m-%dT%H:%M:%fZ', ? / 1000.0 + number - 1, 'unixepoch'),
         finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', ? / 1000.0 + number, 'unixepoch')
       WHERE study_id = ?`,
    )
    .run(start, start, studyId);
}

/** Median of `values`. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Waits until the page has drawn two more frames, so canvases drawn in a frame callback are on screen. */
async function frames(page: Page): Promise<void> {
  await page.evaluate(
    'new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))',
  );
}

/** Starts recording main-thread tasks over 50 ms in the page (the Long Tasks API). */
async function watchLongTasks(page: Page): Promise<void> {
  await page.evaluate(`
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.longTasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: false });
  `);
}

/** Returns and clears the long tasks recorded since the last call. */
async function takeLongTasks(page: Page): Promise<number[]> {
  return page.evaluate('window.longTasks.splice(0)') as Promise<number[]>;
}

/** One line of figures: a step's median time and the longest task seen in its runs. */
interface Figure {
  step: string;
  medianMs: number;
  runsMs: number[];
  longestTaskMs: number;
}

/** Times `step` `runs` times after `prepare`, with the longest task seen during the steps. */
async function measure(
  page: Page,
  label: string,
  runs: number,
  prepare: () => Promise<void>,
  step: () => Promise<void>,
): Promise<Figure> {
  const times: number[] = [];
  let longest = 0;

  for (let run = 0; run < runs; run++) {
    await prepare();
    await takeLongTasks(page);
    const started = performance.now();
    await step();
    times.push(performance.now() - started);
    longest = Math.max(longest, ...(await takeLongTasks(page)), 0);
  }

  const figure = {
    step: label,
    medianMs: median(times),
    runsMs: times,
    longestTaskMs: longest,
  };
  console.log(
    `${label.padEnd(46)} ${figure.medianMs.toFixed(0).padStart(7)} ms median` +
      `   longest task ${longest.toFixed(0).padStart(5)} ms   runs ${times.map((t) => t.toFixed(0)).join(', ')}`,
  );
  return figure;
}

/** Opens the study view of `id` and waits for its header and the first trial row. */
async function openStudy(page: Page, url: string, id: number): Promise<void> {
  await page.goto(`${url}#/studies/${id}`);
  await page.locator('[data-testid="study-title"]').waitFor();
  await page.locator('[data-testid="trial-row"]').first().waitFor();
  await frames(page);
}

/** Clicks the tab `tab` and waits until its content is drawn. */
async function openTab(page: Page, tab: string): Promise<void> {
  await page.getByTestId(`tab-${tab}`).click();
  await page.locator(`[data-testid="analysis"][data-tab="${tab}"][aria-busy="false"]`).waitFor();

  switch (tab) {
    case 'slices':
      await page.waitForFunction(
        `[...document.querySelectorAll('[data-testid="slice-canvas"]')].length === ${SPACE.length} &&
         [...document.querySelectorAll('[data-testid="slice-canvas"]')].every((c) => c.dataset.xScale)`,
      );
      break;
    case 'parallel':
      await page.getByTestId('pc-canvas').waitFor();
      break;
    case 'importance':
      await page.getByTestId('importance-method').waitFor();
      break;
    case 'coverage':
      await page.getByTestId('coverage-chart').locator('canvas').waitFor();
      break;
  }
  await frames(page);
}

/**
 * Drags along the first parallel-coordinates axis in `steps` moves and
 * returns the time of each move until the redraw is on screen.
 */
async function brush(page: Page, steps: number): Promise<number[]> {
  const canvas = page.getByTestId('pc-canvas');
  const axes = JSON.parse((await canvas.getAttribute('data-axes')) ?? '[]') as { x: number }[];
  const top = Number(await canvas.getAttribute('data-plot-top'));
  const bottom = Number(await canvas.getAttribute('data-plot-bottom'));
  const box = await canvas.boundingBox();
  if (!box || axes.length === 0) {
    throw new Error('the parallel-coordinates canvas has no axes to brush');
  }

  const x = box.x + axes[0].x;
  const yAt = (position: number): number => box.y + top + (1 - position) * (bottom - top);
  const times: number[] = [];

  await page.mouse.move(x, yAt(0.9));
  await page.mouse.down();
  for (let step = 1; step <= steps; step++) {
    const started = performance.now();
    await page.mouse.move(x, yAt(0.9 - (0.6 * step) / steps));
    await frames(page);
    times.push(performance.now() - started);
  }
  await page.mouse.up();
  await frames(page);
  return times;
}

async function run(
  page: Page,
  url: string,
  ids: { coarse: number; refined: number },
  runs: number,
): Promise<void> {
  const figures: Figure[] = [];
  await page.goto(`${url}#/studies`);
  await watchLongTasks(page);

  figures.push(
    await measure(
      page,
      'open study view (live tab, trial table)',
      runs,
      () => page.goto(`${url}#/datasets`).then(() => watchLongTasks(page)),
      () => openStudy(page, url, ids.coarse),
    ),
  );

  // The first analysis tab fetches `analysis.study`; the others reuse its data.
  figures.push(
    await measure(
      page,
      'first analysis tab: slices (with analysis.study)',
      runs,
      async () => {
        await page.goto(`${url}#/datasets`);
        await openStudy(page, url, ids.coarse);
        await watchLongTasks(page);
      },
      () => openTab(page, 'slices'),
    ),
  );
  for (const tab of ['parallel', 'importance', 'coverage', 'slices', 'live']) {
    figures.push(
      await measure(
        page,
        `switch to ${tab}`,
        runs,
        () => openTab(page, tab === 'parallel' ? 'coverage' : 'parallel'),
        () =>
          tab === 'live'
            ? page
                .getByTestId('tab-live')
                .click()
                .then(() => page.locator('[data-testid="trial-row"]').first().waitFor())
                .then(() => frames(page))
            : openTab(page, tab),
      ),
    );
  }

  await openTab(page, 'parallel');
  await takeLongTasks(page);
  const moves: number[] = [];
  for (let index = 0; index < runs; index++) {
    await page
      .getByTestId('pc-clear')
      .click({ timeout: 1000 })
      .catch(() => undefined);
    moves.push(...(await brush(page, 20)));
  }
  const brushTasks = await takeLongTasks(page);
  const draws = (await page.evaluate(
    `performance.getEntriesByName('parallel-coordinates draw').map((entry) => entry.duration)`,
  )) as number[];
  const idleFrames: number[] = [];
  for (let index = 0; index < 10; index++) {
    const started = performance.now();
    await frames(page);
    idleFrames.push(performance.now() - started);
  }
  const selected = await page.getByTestId('pc-count').getAttribute('data-selected');
  console.log(
    `${'brush on parallel coordinates, per move'.padEnd(46)} ${median(moves).toFixed(0).padStart(7)} ms median` +
      `   longest task ${Math.max(0, ...brushTasks)
        .toFixed(0)
        .padStart(5)} ms   ` +
      `max ${Math.max(...moves).toFixed(0)} ms over ${moves.length} moves; ${selected} trials selected`,
  );
  console.log(
    `${'  of which the canvas redraw'.padEnd(46)} ${median(draws).toFixed(0).padStart(7)} ms median` +
      `   max ${Math.max(...draws).toFixed(0)} ms over ${draws.length} redraws`,
  );
  console.log(
    `${'  baseline: two idle frames and the round trip'.padEnd(46)} ${median(idleFrames).toFixed(0).padStart(7)} ms median`,
  );

  figures.push(
    await measure(
      page,
      'open comparison (coarse + refined)',
      runs,
      () => page.goto(`${url}#/datasets`).then(() => watchLongTasks(page)),
      async () => {
        await page.goto(`${url}#/compare/${ids.coarse},${ids.refined}`);
        await page.getByTestId('compare-distribution').locator('canvas').waitFor();
        await frames(page);
      },
    ),
  );
}

async function main(): Promise<void> {
  const { count, runs } = parseBenchOptions(3);
  if (!fs.existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    throw new Error(
      `the renderer is not built (no ${RENDERER_DIR}); run \`npm run build:renderer\` first`,
    );
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-view-bench-'));
  const store = Store.open(path.join(dir, 'scout.db'));
  const service = new StudyService(store, {
    backend: 'cpu',
    modelDirectory: path.join(dir, 'models'),
  });
  let server: RunningServer | undefined;
  let browser: Browser | undefined;

  try {
    const fillStarted = performance.now();
    const dataset = service.datasets.add('mnist', mnistSource());
    const {
      coarseId: coarse,
      refinedId: refined,
      refinedCount,
    } = fillLineage(store, dataset.id, SPACE, count);
    spreadTrialTimes(store, coarse, count);
    spreadTrialTimes(store, refined, refinedCount);
    console.log(
      `filled ${count} + ${refinedCount} trials in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s` +
        ` (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version})`,
    );

    server = await startServer({ service, host: '127.0.0.1', port: 0, staticDir: RENDERER_DIR });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      ],
    });
    console.log(
      `Chromium ${browser.version()}, viewport ${VIEWPORT.width}x${VIEWPORT.height}, ${runs} runs each`,
    );
    const page = await browser.newPage({ viewport: VIEWPORT });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);

    await run(page, server.url, { coarse, refined }, runs);
  } catch (error) {
    const pages = browser?.contexts().flatMap((context) => context.pages()) ?? [];
    await pages[0]?.screenshot({ path: path.join(os.tmpdir(), 'scout-view-bench-failure.png') });
    throw error;
  } finally {
    await browser?.close();
    await server?.close();
    await service.close();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
