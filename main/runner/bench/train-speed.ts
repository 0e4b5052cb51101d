/**
 * Benchmark: times one training epoch of the default MLP (2 x 128 ReLU,
 * Adam, batch 64) on 10000 MNIST rows with each TF.js backend that loads on
 * this machine, and prints rows per second. Run it with
 * `node --import tsx main/runner/bench/train-speed.ts [rows] [batch_size]`.
 * Not a test: the numbers depend on the machine.
 */
import os from 'node:os';
import { BACKEND_ORDER, selectBackend } from '../backend';
import { loadDataset, mnistSource } from '../data';
import { resolveKnobs } from '../templates/mlp';
import { trainTrial } from '../train';

const VALIDATION_ROWS = 1000;

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 10_000);
  const batchSize = Number(process.argv[3] ?? 64);
  const data = loadDataset(mnistSource(), {
    validationFraction: VALIDATION_ROWS / (rows + VALIDATION_ROWS),
    seed: 1,
    limit: rows + VALIDATION_ROWS,
  });
  const config = resolveKnobs({ batch_size: batchSize }, { epochs: 1 });

  print(
    `MNIST ${data.train.rows} training rows, batch ${batchSize}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
  );
  for (const backend of BACKEND_ORDER) {
    let tf;
    try {
      tf = (await selectBackend(backend)).tf;
    } catch (error) {
      print(
        `${backend.padEnd(15)} unavailable: ${error instanceof Error ? error.message.split('\n')[0] : error}`,
      );
      continue;
    }

    let epochEnd = 0;
    const started = performance.now();
    const outcome = await trainTrial(tf, data, config, {
      seed: 1,
      epochs: 1,
      patience: 0,
      objective: { metric: 'val_accuracy', direction: 'maximize' },
      onEpoch: () => {
        epochEnd = performance.now();
      },
    });
    const seconds = (epochEnd - started) / 1000;
    const accuracy = outcome.status === 'completed' ? outcome.objective.toFixed(3) : outcome.status;
    print(
      `${backend.padEnd(15)} ${(data.train.rows / seconds).toFixed(0).padStart(7)} rows/s  (epoch ${seconds.toFixed(2)} s including validation of ${data.validation.rows} rows, val_accuracy ${accuracy})`,
    );
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

void main();
