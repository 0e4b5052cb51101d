import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { createApiHandler, type ApiHandler } from '../../../main/core/api';
import type { ExportedFile, StudyDetail } from '../../../shared/api/contract';
import type {
  Comparison,
  ConfigSnippets,
  Slice,
  StudyAnalysis,
} from '../../../shared/analysis/types';
import type { FloatParam, Hyperparameter } from '../../../shared/space/types';
import type { StudyRecord } from '../../../shared/study';
import { FIXTURES, makeTempDir } from '../core/helpers';
import { IRIS_SPACE, irisSettings, runIrisLineage, type IrisLineage } from './studies';

const temp = makeTempDir('scout-analysis-api-');
let lineage: IrisLineage;
let call: ApiHandler;

before(async () => {
  lineage = await runIrisLineage(temp.dir);
  call = createApiHandler(lineage.handle.service);
});

after(async () => {
  await lineage.handle.service.close();
  lineage.handle.store.close();
  temp.remove();
});

/** Returns the value of a successful call, failing the test with the error otherwise. */
async function value<T>(channel: string, request: unknown): Promise<T> {
  const result = await call(channel, request);
  if (!result.ok) {
    assert.fail(`${channel} failed: ${result.error.code}: ${result.error.message}`);
  }
  return result.value as T;
}

/** Returns the error of a failed call, failing the test when it succeeds. */
async function failure(
  channel: string,
  request: unknown,
): Promise<{ code: string; message: string }> {
  const result = await call(channel, request);
  if (result.ok) {
    assert.fail(`${channel} succeeded, but an error was expected`);
  }
  return result.error;
}

function slice(analysis: StudyAnalysis, name: string): Slice {
  const found = analysis.slices.slices.find((item) => item.name === name);
  assert.ok(found, `no slice '${name}'`);
  return found;
}

function param(detail: StudyDetail, name: string): Hyperparameter {
  const found = detail.study.space.find((p) => p.name === name);
  assert.ok(found, `no hyperparameter '${name}'`);
  return found;
}

function createEmptyStudy(name: string, datasetId: number): StudyRecord {
  return lineage.handle.service.createStudy({
    name,
    datasetId,
    template: 'mlp',
    space: IRIS_SPACE,
    settings: irisSettings({ trials: 2 }),
  }).study;
}

describe('analysis.study', () => {
  it('shades the refined band in the parent', async () => {
    const { coarse, refined } = lineage;
    const analysis = await value<StudyAnalysis>('analysis.study', { id: refined.study.id });
    const lr = slice(analysis, 'learning_rate');
    const own = param(refined, 'learning_rate') as FloatParam;
    const parent = param(coarse, 'learning_rate') as FloatParam;

    assert.equal(lr.scale, 'log');
    assert.equal(slice(analysis, 'dropout').scale, 'linear');
    assert.deepEqual(
      lr.bands.map((band) => [band.kind, band.min, band.max]),
      [
        ['parent', parent.min, parent.max],
        ['refined', own.min, own.max],
      ],
    );
  });

  it('returns every view of a study', async () => {
    const { coarse } = lineage;
    const analysis = await value<StudyAnalysis>('analysis.study', { id: coarse.study.id });
    const ended = coarse.trials.filter((t) => t.status === 'completed' || t.status === 'failed');

    assert.equal(analysis.studyId, coarse.study.id);
    assert.equal(analysis.slices.failed.length, coarse.study.failedTrials);
    assert.equal(analysis.coverage.trials, coarse.study.completedTrials);
    assert.equal(analysis.parallel.lines.length, ended.length);
    assert.equal(analysis.parallel.axes.length, IRIS_SPACE.length + 1);
    assert.ok(Array.isArray(analysis.boundary));
  });

  it('computes importance on the real trials', async () => {
    const { coarse } = lineage;
    const { importance } = await value<StudyAnalysis>('analysis.study', { id: coarse.study.id });

    assert.equal(importance.status, 'ok');
    assert.match(importance.method, /permutation importance on a random forest/);
    if (importance.status === 'ok') {
      const sum = importance.params.reduce((total, item) => total + item.importance, 0);
      assert.deepEqual(
        importance.params.map((item) => item.name),
        IRIS_SPACE.map((p) => p.name),
      );
      assert.ok(Math.abs(sum - 1) < 1e-9, `importances sum to ${sum}`);
      assert.equal(importance.params.find((item) => item.name === 'optimizer')?.importance, 0);
    }
  });

  it('lists objectives a log axis cannot show', async () => {
    const { coarse } = lineage;
    const analysis = await value<StudyAnalysis>('analysis.study', {
      id: coarse.study.id,
      objectiveScale: 'log',
    });
    const zero = coarse.trials.filter((t) => t.status === 'completed' && (t.objective ?? 1) <= 0);

    assert.equal(analysis.slices.axis.scale, 'log');
    assert.deepEqual(
      analysis.slices.axis.notShown.map((item) => item.number),
      zero.map((t) => t.number),
    );
  });

  it('refreshes when a refined study is added', async () => {
    const { coarse } = lineage;
    const before = await value<StudyAnalysis>('analysis.study', { id: coarse.study.id });
    const proposal = lineage.handle.service.proposeRefinement(coarse.study.id, { topK: 2 });
    const child = lineage.handle.service.createStudy({
      name: 'iris-refined-top2',
      datasetId: coarse.study.datasetId,
      template: 'mlp',
      space: proposal.space,
      settings: irisSettings({ trials: 2 }),
      parentId: coarse.study.id,
    }).study;
    const after = await value<StudyAnalysis>('analysis.study', { id: coarse.study.id });
    const bands = (analysis: StudyAnalysis) =>
      slice(analysis, 'l2').bands.map((band) => [band.kind, band.studyName]);

    assert.deepEqual(bands(before), [
      ['parent', 'iris-coarse'],
      ['refined', 'iris-refined'],
    ]);
    assert.deepEqual(bands(after), [
      ['parent', 'iris-coarse'],
      ['refined', 'iris-refined'],
      ['refined', 'iris-refined-top2'],
    ]);
    lineage.handle.service.deleteStudy(child.id);
  });

  it('reports an unknown study', async () => {
    const error = await failure('analysis.study', { id: 999 });

    assert.equal(error.code, 'not-found');
  });

  it('rejects an unknown scale', async () => {
    const error = await failure('analysis.study', { id: 1, objectiveScale: 'sqrt' });

    assert.equal(error.code, 'invalid');
  });
});

describe('analysis.compare', () => {
  it('answers whether refining helped', async () => {
    const { coarse, refined } = lineage;
    const comparison = await value<Comparison>('analysis.compare', {
      ids: [coarse.study.id, refined.study.id],
    });

    assert.deepEqual(
      comparison.series.map((series) => series.name),
      ['iris-coarse', 'iris-refined'],
    );
    assert.equal(comparison.lineage.length, 1);
    assert.equal(comparison.lineage[0].parentBest, coarse.study.bestObjective);
    assert.equal(comparison.lineage[0].best, refined.study.bestObjective);
  });

  it('loads a parent that is not compared', async () => {
    const { coarse, refined } = lineage;
    const other = createEmptyStudy('iris-unrun', coarse.study.datasetId);
    const comparison = await value<Comparison>('analysis.compare', {
      ids: [refined.study.id, other.id],
    });

    assert.equal(comparison.series.length, 2);
    assert.equal(comparison.series[1].best, null);
    assert.equal(comparison.lineage[0].parentName, 'iris-coarse');
  });

  it('rejects studies on other datasets', async () => {
    const { coarse } = lineage;
    const wine = lineage.handle.service.datasets.add('wine', {
      format: 'csv',
      path: path.join(FIXTURES, 'wine.csv'),
      target: 'class',
      task: 'classification',
    });
    const other = createEmptyStudy('wine-study', wine.id);
    const error = await failure('analysis.compare', { ids: [coarse.study.id, other.id] });

    assert.equal(error.code, 'invalid');
    assert.match(error.message, /uses dataset 'wine', but 'iris-coarse' uses 'iris'/);
  });

  it('rejects a single study', async () => {
    const error = await failure('analysis.compare', { ids: [lineage.coarse.study.id] });

    assert.equal(error.code, 'invalid');
    assert.match(error.message, /pick at least two studies to compare/);
  });
});

describe('analysis.compareCsv', () => {
  it('exports the comparison', async () => {
    const { coarse, refined } = lineage;
    const file = await value<ExportedFile>('analysis.compareCsv', {
      ids: [coarse.study.id, refined.study.id],
    });
    const rows = parse(file.content, { columns: true }) as Record<string, string>[];

    assert.equal(file.fileName, 'comparison-iris-coarse-vs-iris-refined.csv');
    assert.equal(file.mediaType, 'text/csv');
    assert.deepEqual(
      rows.map((row) => row.study),
      ['iris-coarse', 'iris-refined'],
    );
  });
});

describe('analysis.snippets', () => {
  it('exports the best config as Python', async () => {
    const { coarse } = lineage;
    const snippets = await value<ConfigSnippets>('analysis.snippets', { id: coarse.study.id });
    const best = coarse.trials.find((t) => t.objective === coarse.study.bestObjective);

    assert.equal(snippets.objective, coarse.study.bestObjective);
    assert.equal(snippets.trialNumber, best?.number);
    assert.match(snippets.kerasTuner, /hp\.Fixed\("units", \d+\)/);
    assert.match(snippets.optuna, /study\.enqueue_trial\(/);
  });

  it('reports a study without results', async () => {
    const other = createEmptyStudy('iris-empty', lineage.coarse.study.datasetId);
    const error = await failure('analysis.snippets', { id: other.id });

    assert.equal(error.code, 'conflict');
    assert.match(error.message, /'iris-empty' has no completed trial with an objective yet/);
  });
});
