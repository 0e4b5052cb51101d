import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  bestConfigSnippets,
  pythonIdentifier,
  pythonLiteral,
  pythonString,
  templateDefaults,
} from '../../../shared/analysis/snippets';
import { loadLineage, trialNumber } from './lineage';

const python = spawnSync('python3', ['--version']).status === 0 ? 'python3' : null;

/** Runs `code` with Python and returns its standard output. */
function runPython(code: string): string {
  const result = spawnSync(python as string, ['-c', code], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('pythonLiteral', () => {
  it('writes Python constants', () => {
    assert.equal(pythonLiteral(true), 'True');
    assert.equal(pythonLiteral(false), 'False');
    assert.equal(pythonLiteral(null), 'None');
  });

  it('keeps full precision', () => {
    assert.equal(pythonLiteral(0.2609359411305651), '0.2609359411305651');
    assert.equal(pythonLiteral(0.1 + 0.2), '0.30000000000000004');
    assert.equal(pythonLiteral(1e-7), '1e-7');
    assert.equal(pythonLiteral(64), '64');
  });

  it('marks whole floats as floats', () => {
    assert.equal(pythonLiteral(1, true), '1.0');
    assert.equal(pythonLiteral(-3, true), '-3.0');
    assert.equal(pythonLiteral(1e21, true), '1e+21');
    assert.equal(pythonLiteral(0.5, true), '0.5');
  });

  it('writes non-finite numbers as float calls', () => {
    assert.equal(pythonLiteral(NaN), 'float("nan")');
    assert.equal(pythonLiteral(Infinity), 'float("inf")');
    assert.equal(pythonLiteral(-Infinity), '-float("inf")');
  });

  it('escapes strings', () => {
    assert.equal(pythonString('relu'), '"relu"');
    assert.equal(pythonString('say "hi"\\now\n'), '"say \\"hi\\"\\\\now\\n"');
    assert.equal(pythonString('tab\there\u0001'), '"tab\\there\\x01"');
    assert.equal(pythonString('größe'), '"größe"');
  });
});

describe('pythonIdentifier', () => {
  it('makes names valid identifiers', () => {
    assert.equal(pythonIdentifier('learning_rate'), 'learning_rate');
    assert.equal(pythonIdentifier('dense-1 units'), 'dense_1_units');
    assert.equal(pythonIdentifier('2nd_layer'), '_2nd_layer');
    assert.equal(pythonIdentifier('lambda'), 'lambda_');
  });
});

describe('bestConfigSnippets', () => {
  it('fixes the best trial in Keras Tuner', () => {
    const { coarse } = loadLineage();
    const best = trialNumber(coarse, 3);
    const snippets = bestConfigSnippets(coarse.study, coarse.trials);

    assert.equal(snippets.trialNumber, 3);
    assert.equal(snippets.objective, 0.9);
    assert.match(snippets.kerasTuner, /^def build_model\(hp\):$/m);
    assert.ok(
      snippets.kerasTuner.includes(
        `    learning_rate = hp.Fixed("learning_rate", ${String(best.values.learning_rate)})`,
      ),
    );
    assert.ok(snippets.kerasTuner.includes('    units = hp.Fixed("units", 4)'));
    assert.ok(snippets.kerasTuner.includes('    activation = hp.Fixed("activation", "tanh")'));
    assert.ok(snippets.kerasTuner.includes('    optimizer = hp.Fixed("optimizer", "sgd")'));
    // Knobs the space leaves out keep the values the trial trained with.
    assert.ok(snippets.kerasTuner.includes('    layers_value = hp.Fixed("layers", 2)'));
    assert.ok(snippets.kerasTuner.includes('    batch_size = hp.Fixed("batch_size", 64)'));
    assert.ok(snippets.kerasTuner.includes('    epochs = hp.Fixed("epochs", 4)'));
    assert.ok(
      snippets.kerasTuner.includes(
        'objective = keras_tuner.Objective("val_accuracy", direction="max")',
      ),
    );
    assert.match(
      snippets.kerasTuner,
      /^# Best trial #3 of study 'iris-coarse' on 'iris': val_accuracy 0.9 \(maximize\)$/m,
    );
  });

  it('queues the best trial in Optuna', () => {
    const { coarse } = loadLineage();
    const snippets = bestConfigSnippets(coarse.study, coarse.trials);

    assert.match(snippets.optuna, /^study = optuna.create_study\(direction="maximize"\)$/m);
    assert.match(snippets.optuna, /^study.enqueue_trial\($/m);
    assert.ok(snippets.optuna.includes('        "units": 4,'));
    assert.ok(snippets.optuna.includes('        "optimizer": "sgd",'));
    assert.match(snippets.optuna, /^fixed_params = \($/m);
    assert.ok(snippets.optuna.includes('        "batch_size": 64,'));
  });

  it(
    'writes Python that reads back the values',
    { skip: python === null && 'python3 is not installed' },
    () => {
      const { coarse } = loadLineage();
      const best = trialNumber(coarse, 3);
      const { kerasTuner, optuna } = bestConfigSnippets(coarse.study, coarse.trials);

      // The Optuna dictionaries, evaluated by Python, print back as JSON with the same values.
      const readBack = (dictionary: string): unknown =>
        JSON.parse(
          runPython(`import ast, json\nprint(json.dumps(ast.literal_eval('''${dictionary}''')))`),
        );
      const queued = optuna.slice(optuna.indexOf('{'), optuna.indexOf('}') + 1);
      const fixed = optuna.slice(optuna.lastIndexOf('{'), optuna.lastIndexOf('}') + 1);
      assert.deepEqual(readBack(queued), best.values);
      assert.deepEqual(readBack(fixed), templateDefaults(coarse.study, best.values));

      // The Keras Tuner function compiles (keras_tuner itself need not be installed).
      runPython(`import ast\nast.parse(${pythonString(kerasTuner)})`);
      runPython(`import ast\nast.parse(${pythonString(optuna)})`);
    },
  );

  it('rejects a study without completed trials', () => {
    const { coarse } = loadLineage();

    assert.throws(
      () => bestConfigSnippets(coarse.study, [trialNumber(coarse, 1)]),
      /study 'iris-coarse' has no completed trial with a finite objective/,
    );
  });
});
