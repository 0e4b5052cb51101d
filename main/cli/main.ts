import { Command, Option } from 'commander';
import { version } from '../../package.json';
import { toApiError } from '../core/errors';
import { configureLogging, getLogger } from '../log';
import { StoreError } from '../store';
import { registerDatasetCommands } from './commands/dataset';
import { registerDemoCommand } from './commands/demo';
import { registerExperimentCommand } from './commands/experiment';
import { registerServeCommand } from './commands/serve';
import { registerStudyCommands } from './commands/study';
import { parseInteger } from './settings';

const log = getLogger('cli');

/** Builds the `scout` command with every subcommand. */
export function createProgram(): Command {
  const program = new Command('scout')
    .description('Scout: hyperparameter tuning by random search, coarse to fine')
    .version(version)
    .option('--db <path>', 'SQLite database file (default: scout.sqlite in the user-data folder)')
    .addOption(
      new Option('--backend <name>', 'TensorFlow.js backend for training')
        .choices(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'])
        .default('auto'),
    )
    .option('--keep-models <n>', 'trained models kept per study, best first', parseInteger, 3)
    .showHelpAfterError('(run scout --help, or scout COMMAND --help, for usage)')
    .hook('preAction', (_program, action) => {
      // Commands report trial failures and other problems in their own lines, so only errors
      // are logged beside them. The server prints no such lines, so it keeps its warnings.
      const level = action.name() === 'serve' ? 'warn' : 'error';
      configureLogging({ level, format: 'text' });
    });

  registerDatasetCommands(program);
  registerStudyCommands(program);
  registerDemoCommand(program);
  registerExperimentCommand(program);
  registerServeCommand(program);
  return program;
}

/** Runs the CLI; errors print as one message and set exit code 1. */
export async function main(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    const apiError = toApiError(error);
    // A StoreError's message already names the fix, so its stack would only add noise.
    if (apiError.code === 'internal' && !(error instanceof StoreError)) {
      log.error({ err: error }, 'command failed');
    }
    process.stderr.write(`scout: ${apiError.message}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  void main(process.argv);
}
