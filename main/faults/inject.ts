/**
 * Fault injection: runs a real study on the iris dataset in a child `scout
 * resume` process and kills that process with SIGKILL at seeded random
 * moments: while it starts, in the middle of a trial, while it writes, or
 * right after a trial completes. After each kill it recovers the file and
 * resumes, many times over. Then it finishes the study and checks that
 * nothing recorded was lost.
 *
 *   node --import tsx main/faults/inject.ts --cycles 20 [--seed 1] [--json]
 *
 * Exits with code 1 when an invariant fails: the database passes
 * `PRAGMA integrity_check` after every kill, every completed trial stays
 * as it was, the trial a kill stopped becomes `interrupted`, and the
 * finished study has each planned trial once, with its own seed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { Command } from 'commander';
import { defaultSettings } from '../../shared/defaults';
import { createRng, type Rng } from '../../shared/space/random';
import type { SearchSpace } from '../../shared/space/types';
import { StudyService } from '../core/service';
import { logger } from '../log';
import { Store, isProcessAlive } from '../store';

/** Moments at which a cycle kills the process that runs the study. */
export const KILL_MODES = ['startup', 'mid-trial', 'mid-write', 'after-complete'] as const;

/** A moment at which a cycle kills the runner. */
export type KillMode = (typeof KILL_MODES)[number];

/** Settings of a fault-injection run. */
export interface InjectOptions {
  cycles: number;
  seed: number;
  /** Trials of the study; enough that it does not finish before the last kill. */
  trials: number;
  epochs: number;
  /** Worker processes of the study: with 2 or more, a kill stops several trials at once. */
  workers: number;
  /** Folder for the database; a temporary one (removed afterwards) when undefined. */
  directory?: string;
  /** Called with a line of progress. */
  log?: (line: string) => void;
}

/** Findings of a fault-injection run. */
export interface InjectReport {
  cycles: number;
  seed: number;
  database: string;
  planned: number;
  kills: Record<KillMode, number>;
  /** Kills that found a trial running (it must end up interrupted, then rerun). */
  killsDuringTrial: number;
  /** Cycles in which the study finished before the kill came. */
  finishedBeforeKill: number;
  recorded: number;
  completed: number;
  failed: number;
  lost: number;
  duplicates: number;
  repeatedSeeds: number;
  changedSeeds: number;
  /** Trials left running after recovery, or not marked interrupted when a kill stopped them. */
  recoveryErrors: number;
  /** Completed trials whose stored epochs do not match their epoch count. */
  epochMismatches: number;
  /** Worker processes still alive 10 s after their runner was killed. */
  orphanedWorkers: number;
  integrityPassed: number;
  integrityChecks: number;
  finalStatus: string;
  largestWalBytes: number;
  seconds: number;
  problems: string[];
  passed: boolean;
}

/** The iris fixture, from the sources (main/faults) or from the build (dist/main/faults). */
const IRIS = [2, 3]
  .map((up) =>
    path.join(__dirname, ...Array<string>(up).fill('..'), 'test', 'fixtures', 'iris.csv'),
  )
  .find((candidate) => fs.existsSync(candidate))!;

const SPACE: SearchSpace = [
  { name: 'learning_rate', type: 'float', min: 1e-3, max: 3e-2, scale: 'log' },
  { name: 'units', type: 'int', min: 4, max: 32, scale: 'log' },
  { name: 'activation', type: 'choice', values: ['relu', 'tanh'] },
];

interface TrialRow {
  id: number;
  number: number;
  seed: number;
  status: string;
  objective: number | null;
  finished_at: string | null;
  epochs_run: number | null;
}

/** Runs the kill and resume cycles and returns the report; never throws for a failed invariant. */
export async function injectFaults(options: InjectOptions): Promise<InjectReport> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const temporary = options.directory === undefined;
  const directory = options.directory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'scout-faults-'));
  const file = path.join(directory, 'faults.sqlite');
  const rng = createRng(`faults/${options.seed}`);

  const report: InjectReport = {
    cycles: options.cycles,
    seed: options.seed,
    database: file,
    planned: options.trials,
    kills: { startup: 0, 'mid-trial': 0, 'mid-write': 0, 'after-complete': 0 },
    killsDuringTrial: 0,
    finishedBeforeKill: 0,
    recorded: 0,
    completed: 0,
    failed: 0,
    lost: 0,
    duplicates: 0,
    repeatedSeeds: 0,
    changedSeeds: 0,
    recoveryErrors: 0,
    epochMismatches: 0,
    orphanedWorkers: 0,
    integrityPassed: 0,
    integrityChecks: 0,
    finalStatus: 'unknown',
    largestWalBytes: 0,
    seconds: 0,
    problems: [],
    passed: false,
  };
  const problem = (text: string) => {
    report.problems.push(text);
    log(`PROBLEM: ${text}`);
  };

  try {
    const studyId = createStudy(file, options);
    const plannedSeeds = readTrials(file, studyId).map((trial) => trial.seed);
    /** Completed trials as first seen: they must never change afterwards. */
    const seen = new Map<number, TrialRow>();

    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const mode = KILL_MODES[rng.int(KILL_MODES.length)];
      const child = startRunner(file, studyId);
      const outcome = await killAt(child, mode, file, studyId, rng.fork(cycle), report);
      report.kills[mode] += 1;
      if (outcome === 'finished') {
        report.finishedBeforeKill += 1;
      }

      const check = integrityCheck(file);
      report.integrityChecks += 1;
      if (check === 'ok') {
        report.integrityPassed += 1;
      } else {
        problem(`cycle ${cycle}: integrity_check said ${check}`);
      }

      const afterKill = readTrials(file, studyId);
      const running = afterKill.filter((trial) => trial.status === 'running');
      if (running.length > 0) {
        report.killsDuringTrial += 1;
      }
      report.lost += countLost(seen, afterKill, `cycle ${cycle}`, problem);

      // Opening a service is what the next start of Scout does: it recovers the dead run.
      const recovered = recover(file, studyId);
      for (const trial of running) {
        const now = recovered.find((candidate) => candidate.id === trial.id);
        if (now?.status !== 'interrupted') {
          report.recoveryErrors += 1;
          problem(`cycle ${cycle}: trial ${trial.number} was running and is now ${now?.status}`);
        }
      }
      if (recovered.some((trial) => trial.status === 'running')) {
        report.recoveryErrors += 1;
        problem(`cycle ${cycle}: a trial is still running after recovery`);
      }

      const done = recovered.filter((trial) => trial.status === 'completed').length;
      log(
        `cycle ${String(cycle).padStart(2)}: killed ${mode.padEnd(14)} ` +
          `${running.length > 0 ? `during trial ${running.map((t) => t.number).join(',')}` : 'between trials'}` +
          `; ${done}/${options.trials} completed`,
      );
    }

    // A kill that came too late may have let a run finish the whole study already.
    if (readStudyStatus(file, studyId) === 'completed') {
      log('the study completed during the cycles');
    } else {
      log('finishing the study without kills');
      const final = startRunner(file, studyId);
      const exit = await waitForExit(final, 600_000);
      if (exit.code !== 0) {
        problem(`the final resume exited with ${exit.signal ?? exit.code}: ${exit.stderr.trim()}`);
      }
    }

    const check = integrityCheck(file);
    report.integrityChecks += 1;
    if (check === 'ok') {
      report.integrityPassed += 1;
    } else {
      problem(`final integrity_check said ${check}`);
    }

    const trials = readTrials(file, studyId);
    report.lost += countLost(seen, trials, 'at the end', problem);
    checkFinal(file, studyId, trials, plannedSeeds, report, problem);
    report.largestWalBytes = Math.max(report.largestWalBytes, walSize(file));
  } catch (error) {
    problem(`the run stopped: ${(error as Error).stack ?? String(error)}`);
  } finally {
    if (temporary) {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  }

  report.seconds = Math.round((Date.now() - started) / 100) / 10;
  report.passed =
    report.problems.length === 0 &&
    report.lost === 0 &&
    report.duplicates === 0 &&
    report.repeatedSeeds === 0 &&
    report.integrityPassed === report.integrityChecks &&
    report.orphanedWorkers === 0 &&
    report.finalStatus === 'completed';
  return report;
}

/** Registers iris and creates the study in `file`; returns its id. */
function createStudy(file: string, options: InjectOptions): number {
  const store = Store.open(file);
  try {
    const service = new StudyService(store, { backend: 'cpu' });
    const dataset = service.datasets.add('iris', {
      format: 'csv',
      path: IRIS,
      target: 'species',
      task: 'classification',
    });
    const { study } = service.createStudy({
      name: 'fault injection',
      datasetId: dataset.id,
      template: 'mlp',
      space: SPACE,
      settings: {
        ...defaultSettings('classification'),
        trials: options.trials,
        epochs: options.epochs,
        patience: 0,
        seed: options.seed,
        workers: options.workers,
      },
    });
    return study.id;
  } finally {
    store.close();
  }
}

/** Starts `scout resume` on the study in a child process, as a user would. */
function startRunner(file: string, studyId: number): ChildProcess {
  const typescript = path.extname(__filename) === '.ts';
  const entry = path.join(__dirname, '..', 'cli', typescript ? 'main.ts' : 'main.js');
  const loader = typescript ? ['--import', pathToFileURL(require.resolve('tsx')).href] : [];
  return spawn(
    process.execPath,
    [
      ...loader,
      entry,
      '--db',
      file,
      '--backend',
      'cpu',
      '--keep-models',
      '0',
      'resume',
      String(studyId),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<Exit> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the runner did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for the moment `mode` names, then kills `child` with SIGKILL.
 * Returns 'finished' when the child ended on its own first.
 */
async function killAt(
  child: ChildProcess,
  mode: KillMode,
  file: string,
  studyId: number,
  rng: Rng,
  report: InjectReport,
): Promise<'killed' | 'finished'> {
  const exit = waitForExit(child, 300_000);
  let exited = false;
  void exit.then(() => (exited = true));

  const reader = openReader(file);
  const query = reader?.prepare(
    `SELECT
       (SELECT COUNT(*) FROM trials WHERE study_id = ? AND status = 'completed') AS completed,
       (SELECT COUNT(*) FROM trial_epochs e JOIN trials t ON t.id = e.trial_id
          WHERE t.study_id = ? AND t.status = 'running') AS epochs`,
  );
  const sample = () => query!.get(studyId, studyId) as { completed: number; epochs: number };
  const until = async (condition: () => boolean) => {
    while (!exited && !condition()) {
      report.largestWalBytes = Math.max(report.largestWalBytes, walSize(file));
      await sleep(5);
    }
  };

  try {
    const before = sample();
    switch (mode) {
      case 'startup':
        // From process start to the first trials: loading, claiming the study, starting workers.
        await sleep(rng.int(3000));
        break;
      case 'mid-trial':
        await until(() => sample().epochs > 0);
        await sleep(rng.int(300));
        break;
      case 'mid-write': {
        // Kill at the k-th growth of the write-ahead log seen while a trial writes its epochs.
        await until(() => sample().epochs > 0);
        const growths = 1 + rng.int(20);
        let seen = 0;
        let size = walSize(file);
        const deadline = Date.now() + 5000;
        let yielded = Date.now();
        while (!exited && seen < growths && Date.now() < deadline) {
          const now = walSize(file);
          if (now !== size) {
            seen += 1;
            size = now;
          }
          // A busy loop, because a timer would miss the write; it yields now and then to notice an exit.
          if (Date.now() - yielded > 20) {
            await sleep(0);
            yielded = Date.now();
          }
        }
        break;
      }
      case 'after-complete':
        await until(() => sample().completed > before.completed);
        break;
    }
  } finally {
    reader?.close();
  }

  if (exited) {
    return 'finished';
  }
  const workers = childrenOf(child.pid!);
  child.kill('SIGKILL');
  const result = await exit;

  // A worker notices that its runner is gone when its IPC channel closes, and must then exit.
  const deadline = Date.now() + 10_000;
  while (workers.some(isProcessAlive) && Date.now() < deadline) {
    await sleep(50);
  }
  for (const pid of workers.filter(isProcessAlive)) {
    report.orphanedWorkers += 1;
    process.kill(pid, 'SIGKILL');
  }
  return result.signal === 'SIGKILL' ? 'killed' : 'finished';
}

/** Returns the pids of the child processes of `pid` (Linux only; none elsewhere). */
function childrenOf(pid: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after it start at the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) {
        children.push(Number(entry));
      }
    } catch {
      // The process ended while the folder was read.
    }
  }
  return children;
}

function openReader(file: string): Database | undefined {
  try {
    const db = new BetterSqlite3(file, { readonly: true });
    db.pragma('busy_timeout = 5000');
    return db;
  } catch {
    return undefined;
  }
}

function walSize(file: string): number {
  try {
    return fs.statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

/** Runs SQLite's full integrity check on a fresh connection; returns 'ok' or the problems. */
function integrityCheck(file: string): string {
  const db = new BetterSqlite3(file);
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

function readStudyStatus(file: string, studyId: number): string | undefined {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const row = db.prepare('SELECT status FROM studies WHERE id = ?').get(studyId) as
      { status: string } | undefined;
    return row?.status;
  } finally {
    db.close();
  }
}

function readTrials(file: string, studyId: number): TrialRow[] {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return db
      .prepare(
        `SELECT id, number, seed, status, objective, finished_at, epochs_run
         FROM trials WHERE study_id = ? ORDER BY number, id`,
      )
      .all(studyId) as TrialRow[];
  } finally {
    db.close();
  }
}

/** Opens the database as the next start of Scout would (which recovers dead runs); returns the trials. */
function recover(file: string, studyId: number): TrialRow[] {
  const store = Store.open(file);
  try {
    new StudyService(store);
  } finally {
    store.close();
  }
  return readTrials(file, studyId);
}

/** Counts completed trials seen before that are now missing or changed; records new ones. */
function countLost(
  seen: Map<number, TrialRow>,
  trials: TrialRow[],
  when: string,
  problem: (text: string) => void,
): number {
  let lost = 0;
  const now = new Map(trials.map((trial) => [trial.id, trial]));
  for (const [id, before] of seen) {
    const after = now.get(id);
    if (
      after === undefined ||
      after.status !== 'completed' ||
      after.finished_at !== before.finished_at ||
      after.objective !== before.objective
    ) {
      lost += 1;
      problem(`${when}: completed trial ${before.number} is now ${JSON.stringify(after ?? null)}`);
    }
  }
  for (const trial of trials) {
    if (trial.status === 'completed' && !seen.has(trial.id)) {
      seen.set(trial.id, trial);
    }
  }
  return lost;
}

function checkFinal(
  file: string,
  studyId: number,
  trials: TrialRow[],
  plannedSeeds: number[],
  report: InjectReport,
  problem: (text: string) => void,
): void {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const study = db.prepare('SELECT status FROM studies WHERE id = ?').get(studyId) as {
      status: string;
    };
    report.finalStatus = study.status;
    if (study.status !== 'completed') {
      problem(`the study ended ${study.status}, not completed`);
    }

    for (const trial of trials) {
      if (trial.status !== 'completed') {
        continue;
      }
      const { n } = db
        .prepare('SELECT COUNT(*) AS n FROM trial_epochs WHERE trial_id = ?')
        .get(trial.id) as { n: number };
      if (n !== trial.epochs_run) {
        report.epochMismatches += 1;
        problem(`trial ${trial.number} ran ${trial.epochs_run} epochs but stores ${n}`);
      }
    }
  } finally {
    db.close();
  }

  report.recorded = trials.length;
  report.completed = trials.filter((trial) => trial.status === 'completed').length;
  report.failed = trials.filter((trial) => trial.status === 'failed').length;
  const unfinished = trials.filter((t) => t.status !== 'completed' && t.status !== 'failed');
  if (unfinished.length > 0) {
    problem(`${unfinished.length} trials did not finish: ${unfinished.map((t) => t.number)}`);
  }

  const numbers = new Set(trials.map((trial) => trial.number));
  report.duplicates = trials.length - numbers.size + Math.max(0, numbers.size - report.planned);
  if (trials.length !== report.planned) {
    problem(`the study has ${trials.length} trials, planned ${report.planned}`);
  }
  report.repeatedSeeds = trials.length - new Set(trials.map((trial) => trial.seed)).size;
  report.changedSeeds = trials.filter((trial, index) => trial.seed !== plannedSeeds[index]).length;
  if (report.changedSeeds > 0) {
    problem(`${report.changedSeeds} trials have another seed than planned`);
  }
}

/** Formats the report as the lines the script prints. */
export function formatReport(report: InjectReport): string {
  const kills = KILL_MODES.map((mode) => `${mode} ${report.kills[mode]}`).join(', ');
  return [
    `fault injection: ${report.cycles} kill cycles, seed ${report.seed}, ` +
      `a study of ${report.planned} trials on iris.csv`,
    `kills (SIGKILL): ${kills}; ${report.killsDuringTrial} found a trial running` +
      (report.finishedBeforeKill > 0 ? `; ${report.finishedBeforeKill} came too late` : ''),
    `trials recorded: ${report.recorded}/${report.planned} ` +
      `(${report.completed} completed, ${report.failed} failed); study ${report.finalStatus}`,
    `trials lost: ${report.lost}`,
    `duplicates: ${report.duplicates}`,
    `repeated seeds: ${report.repeatedSeeds} (changed seeds: ${report.changedSeeds})`,
    `recovery errors: ${report.recoveryErrors}; epoch mismatches: ${report.epochMismatches}; ` +
      `workers left running: ${report.orphanedWorkers}`,
    `integrity checks passed: ${report.integrityPassed}/${report.integrityChecks}`,
    `largest write-ahead log seen: ${(report.largestWalBytes / 1024).toFixed(0)} KiB`,
    `time: ${report.seconds} s`,
    ...report.problems.map((text) => `problem: ${text}`),
    report.passed ? 'result: PASS' : 'result: FAIL',
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  // Recovering a killed run logs a warning each cycle, and the report already counts them.
  logger.level = process.env.SCOUT_LOG_LEVEL ?? 'error';
  const program = new Command('inject')
    .description('kill a running study many times and check that nothing recorded is lost')
    .option('--cycles <n>', 'kill and resume cycles', (value) => Number(value), 20)
    .option('--seed <n>', 'seed of the kill moments and of the study', (value) => Number(value), 1)
    .option('--trials <n>', 'trials of the study (default: cycles plus 6)', Number)
    .option('--epochs <n>', 'epochs per trial', (value) => Number(value), 300)
    .option('--workers <n>', 'trials that train at once', (value) => Number(value), 1)
    .option('--dir <folder>', 'keep the database in this folder instead of a temporary one')
    .option('--json', 'print the report as JSON')
    .parse(argv);
  const options = program.opts<{
    cycles: number;
    seed: number;
    trials?: number;
    epochs: number;
    workers: number;
    dir?: string;
    json?: boolean;
  }>();

  const counts = { cycles: options.cycles, epochs: options.epochs, workers: options.workers };
  for (const [flag, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 1) {
      program.error(`--${flag} ${value} is not a whole number of at least 1`);
    }
  }

  const report = await injectFaults({
    cycles: options.cycles,
    seed: options.seed,
    trials: options.trials ?? options.cycles + 6,
    epochs: options.epochs,
    workers: options.workers,
    directory: options.dir,
    log: options.json ? undefined : (line) => console.log(line),
  });
  console.log(options.json ? JSON.stringify(report, null, 2) : `\n${formatReport(report)}`);
  process.exitCode = report.passed ? 0 : 1;
}

if (require.main === module) {
  void main(process.argv);
}
