import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { getLogger } from '../../log';
import { ScoutError } from '../../core/errors';
import { defaultStaticDirectory, startServer, type RunningServer } from '../../server';
import { type GlobalOptions, openContext } from '../context';
import { parseInteger } from '../settings';

const log = getLogger('cli');

/** Host names that accept connections from this machine only. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

interface ServeOptions {
  port: number;
  host: string;
}

/** Adds `scout serve`: the app in a browser, on this machine only by default. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run Scout in your browser: prints a URL with an access token, stops on Ctrl-C')
    .option('--port <n>', 'TCP port to listen on (0 picks a free one)', parseInteger, 0)
    .option(
      '--host <address>',
      'address to listen on; the default 127.0.0.1 accepts connections from this machine only',
      '127.0.0.1',
    )
    .action(async (options: ServeOptions, command: Command) => {
      const staticDir = defaultStaticDirectory();
      if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
        process.stderr.write(
          `scout: the web app is not built (no ${path.join(staticDir, 'index.html')}); ` +
            'run `npm run build:renderer` first, then `scout serve` again\n',
        );
        process.exitCode = 1;
        return;
      }

      const context = openContext(command.optsWithGlobals<GlobalOptions>());
      let server: RunningServer;
      try {
        server = await startServer({
          service: context.service,
          host: options.host,
          port: options.port,
          staticDir,
        });
      } catch (error) {
        context.store.close();
        throw listenError(error, options);
      }

      if (!LOOPBACK_HOSTS.has(options.host)) {
        process.stderr.write(
          `warning: listening on ${options.host} lets other machines reach Scout over plain ` +
            'HTTP, where the token in the URL can be read on the network\n',
        );
      }
      console.log(`database: ${context.databasePath}`);
      console.log(`Scout is running at ${server.url}`);
      console.log('Open that URL in your browser; the token in it is your access key.');
      console.log('Press Ctrl-C to stop.');

      await waitForStopSignal();
      process.stderr.write(
        '\nstopping; running studies are interrupted and resume with scout resume\n',
      );

      try {
        await server.close();
        await context.service.interruptAll();
      } finally {
        context.store.close();
        log.info('serve stopped');
      }
    });
}

/** Turns a failed listen into a message that names the address and the fix. */
function listenError(error: unknown, options: ServeOptions): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const address = `${options.host}:${options.port}`;

  if (code === 'EADDRINUSE') {
    return new ScoutError(
      'conflict',
      `port ${options.port} on ${options.host} is in use; pick another with --port, or --port 0 for any free one`,
    );
  }
  if (code === 'EACCES') {
    return new ScoutError(
      'conflict',
      `no permission to listen on ${address}; use a port above 1023 or --port 0`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new ScoutError(
      'invalid',
      `cannot listen on ${options.host}: no such address on this machine; use --host 127.0.0.1`,
    );
  }
  return error;
}

/** Resolves on the first SIGINT or SIGTERM. */
function waitForStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
