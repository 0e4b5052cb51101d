/**
 * Benchmark of the analysis views at scale. It fills a new SQLite file with
 * a coarse study of 10,000 trials and a refined child of 2,000. Then it
 * times each database query behind the views, with its query plan to show
 * which index it uses, and each analysis function and API call, as the
 * median of several runs.
 *
 * The studies are synthetic (see bench-study.ts): real search-space draws
 * with made-up objectives, because this measures speed only and 10,000 real
 * trainings would take hours without changing what is timed.
 *
 * Run: `node --import tsx main/analysis/bench.ts [--trials 10000] [--runs 5]`.
 * Not a test: the numbers depend on the machine and its load.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findBoundaryWarnings } from '../../shared/analysis/boundary';
import { compareStudies } from '../../shared/analysis/compare';
import { computeCoverage } from '../../shared/analysis/coverage';
import { comparisonCsv } from '../../shared/analysis/csv';
import {
  brushSelect,
  buildParallel,
  filterTop,
  proposeFromSelection,
} from '../../shared/analysis/parallel';
import { buildSlices } from '../../shared/analysis/slice';
import { bestConfigSnippets } from '../../shared/analysis/snippets';
import type { SearchSpace } from '../../shared/space/types';
import { createApiHandler } from '../core/api';
import { StudyService } from '../core/service';
import { Store } from '../store';
import { fillLineage, parseBenchOptions } from './bench-study';
import { computeImportance } from './importance';

/** The space file of the README's MNIST example plus an L2 factor: every kind of hyperparameter. */
const SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-4, max: 1e-1, scale: 'log' },
  { name: 'l2', type: 'float', min: 1e-6, max: 1e-2, scale: 'log' },
  { name: 'units', type: 'int', min: 32, max: 512, step: 2, scale: 'log' },
  { name: 'layers', type: 'int', min: 1, max: 3 },
  { name: 'dropout', type: 'float', min: 0, max: 0.5 },
  { name: 'activation', type: 'choice', values: ['relu', 'tanh', 'elu'] },
  { name: 'optimizer', type: 'fixed', value: 'adam' },
];

/** Runs `work` `runs` times and returns the median time in milliseconds. */
function time(runs: number, work: () => unknown): number {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function timeAsync(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function report(label: string, ms: number, detail = ''): void {
  console.log(`${label.padEnd(44)} ${ms.toFixed(1).padStart(9)} ms${detail ? `  ${detail}` : ''}`);
}

function queryPlan(store: Store, sql: string, ...parameters: unknown[]): string {
  const rows = store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as {
    detail: string;
  }[];
  return rows.map((row) => row.detail).join('; ');
}

/**
 * The index schema version 3 replaced, restored on the temporary file to show
 * what the covering (study_id, status, objective, backend) index saves.
 */
const FORMER_INDEX =
  'DROP INDEX trials_study_status_objective; CREATE INDEX trials_status ON trials (study_id, status)';

function timeStudySubqueries(store: Store, studyId: number, runs: number, index: string): void {
  const subqueries = {
    'COUNT completed': `SELECT COUNT(*) FROM trials t WHERE t.study_id = ? AND t.status = 'completed'`,
    'MAX objective': `SELECT MAX(objective) FROM trials t WHERE t.study_id = ? AND t.status = 'completed'`,
    'GROUP_CONCAT backends': `SELECT GROUP_CONCAT(DISTINCT backend) FROM trials t
       WHERE t.study_id = ? AND t.backend IS NOT NULL`,
  };

  for (const [label, sql] of Object.entries(subqueries)) {
    const statement = store.db.prepare(sql);
    report(
      `  ${label}, ${index} index`,
      time(runs, () => statement.get(studyId)),
    );
  }
}

async function main(): Promise<void> {
  const { count, runs } = parseBenchOptions(5);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scout-analysis-bench-'));
  const store = Store.open(path.join(dir, 'scout.db'));

  try {
    await run(store, count, runs);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function run(store: Store, count: number, runs: number): Promise<void> {
  console.log(
    `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}`,
  );

  const started = performance.now();
  const dataset = store.datasets.insert({
    name: 'mnist',
    source: { format: 'idx', images: 'train-images', labels: 'train-labels' },
    task: 'classification',
    rows: 60000,
    features: 784,
    classes: 10,
    testRows: 10000,
    contentHash: 'bench',
  });
  const { coarseId, refinedId, refinedCount } = fillLineage(store, dataset.id, SPACE, count);
  report(`fill ${count} + ${refinedCount} trials`, performance.now() - started);

  // Database queries behind the views.
  console.log('\nqueries (median of runs):');
  const service = new StudyService(store);
  report(
    'studies.get (counts, best)',
    time(runs, () => store.studies.get(coarseId)),
  );
  report(
    'studies.list',
    time(runs, () => store.studies.list()),
  );
  report(
    'trials.listByStudy (10,000 rows, parsed)',
    time(runs, () => store.trials.listByStudy(coarseId)),
  );
  report(
    'trials.listByStudy without metrics (what the analysis views read)',
    time(runs, () => store.trials.listByStudy(coarseId, { metrics: false })),
  );
  report(
    'service.getStudyDetail',
    time(runs, () => service.getStudyDetail(coarseId)),
  );

  report(
    '  of which the SQL alone (rows, no JSON parse)',
    time(runs, () =>
      store.db.prepare('SELECT * FROM trials WHERE study_id = ? ORDER BY number').all(coarseId),
    ),
  );
  report(
    '  SQL without the metrics column',
    time(runs, () =>
      store.db
        .prepare(
          `SELECT id, number, params, status, objective, error, started_at, finished_at
           FROM trials WHERE study_id = ? ORDER BY number`,
        )
        .all(coarseId),
    ),
  );
  timeStudySubqueries(store, coarseId, runs, 'covering');

  console.log('\nquery plans:');
  console.log(
    `  listByStudy: ${queryPlan(store, 'SELECT * FROM trials WHERE study_id = ? ORDER BY number', coarseId)}`,
  );
  console.log(
    `  best/count subqueries: ${queryPlan(
      store,
      `SELECT MAX(objective) FROM trials t WHERE t.study_id = ? AND t.status = 'completed'`,
      coarseId,
    )}`,
  );
  console.log(
    `  backends subquery: ${queryPlan(
      store,
      'SELECT GROUP_CONCAT(DISTINCT backend) FROM trials t WHERE t.study_id = ? AND t.backend IS NOT NULL',
      coarseId,
    )}`,
  );
  console.log(
    `  children: ${queryPlan(store, 'SELECT id FROM studies WHERE parent_id = ?', coarseId)}`,
  );

  // The former (study_id, status) index, on this temporary file only.
  store.db.exec(FORMER_INDEX);
  store.db.exec('ANALYZE');
  timeStudySubqueries(store, coarseId, runs, 'former');
  report(
    'studies.get (counts, best), former index',
    time(runs, () => store.studies.get(coarseId)),
  );
  report(
    'studies.list, former index',
    time(runs, () => store.studies.list()),
  );

  // Analysis functions on the loaded study.
  console.log('\nanalysis functions (median of runs):');
  const coarse = service.getStudyDetail(coarseId);
  const refined = service.getStudyDetail(refinedId);
  const direction = coarse.study.settings.objective.direction;
  const parallel = buildParallel(coarse);
  const selected = brushSelect(parallel, [{ axis: 'val_accuracy', from: 0.8, to: 1 }]);

  report(
    'buildSlices',
    time(runs, () => buildSlices(coarse)),
  );
  report(
    'buildParallel',
    time(runs, () => buildParallel(coarse)),
  );
  report(
    'filterTop 10 %',
    time(runs, () => filterTop(parallel, 10)),
  );
  report(
    'brushSelect (2 axes)',
    time(runs, () =>
      brushSelect(parallel, [
        { axis: 'val_accuracy', from: 0.8, to: 1 },
        { axis: 'learning_rate', from: 0.3, to: 0.7 },
      ]),
    ),
  );
  report(
    `proposeFromSelection (${selected.length} trials)`,
    time(runs, () => proposeFromSelection(coarse, selected)),
  );
  report(
    'computeCoverage',
    time(runs, () => computeCoverage(coarse.study.space, coarse.trials)),
  );
  report(
    'findBoundaryWarnings',
    time(runs, () => findBoundaryWarnings(coarse.study.space, coarse.trials, direction)),
  );
  const importance = computeImportance(coarse.study.space, coarse.trials);
  report(
    'computeImportance',
    time(Math.min(runs, 3), () => computeImportance(coarse.study.space, coarse.trials)),
    importance.status === 'ok' ? `on ${importance.trials} sampled trials` : '',
  );
  report(
    'compareStudies (10,000 vs 2,000)',
    time(runs, () => compareStudies([coarse, refined])),
  );
  report(
    'comparisonCsv',
    time(runs, () => comparisonCsv(compareStudies([coarse, refined]))),
  );
  report(
    'bestConfigSnippets',
    time(runs, () => bestConfigSnippets(coarse.study, coarse.trials)),
  );

  // The API calls the views make, including validation and the JSON round trip.
  console.log('\nAPI calls (median of runs):');
  const call = createApiHandler(service);
  const first = performance.now();
  await call('analysis.study', { id: coarseId });
  report('analysis.study, first call', performance.now() - first, 'loads, computes, fits forests');
  report(
    'analysis.study, repeated (cached)',
    await timeAsync(runs, () => call('analysis.study', { id: coarseId })),
  );
  const response = await call('analysis.study', { id: coarseId });
  console.log(`  response: ${(JSON.stringify(response).length / 1e6).toFixed(2)} MB of JSON`);
  report(
    'analysis.compare',
    await timeAsync(runs, () => call('analysis.compare', { ids: [coarseId, refinedId] })),
  );
  report(
    'analysis.compareCsv',
    await timeAsync(runs, () => call('analysis.compareCsv', { ids: [coarseId, refinedId] })),
  );
  report(
    'analysis.snippets',
    await timeAsync(runs, () => call('analysis.snippets', { id: coarseId })),
  );
  report('studies.get', await timeAsync(runs, () => call('studies.get', { id: coarseId })));
}

void main();
