import pino from 'pino';

/**
 * Root logger. Logs go to stderr, so command output on stdout stays clean
 * for scripts. The level comes from SCOUT_LOG_LEVEL, with `warn` as the
 * default because the CLI prints its own progress lines.
 */
export const logger = pino(
  { name: 'scout', level: process.env.SCOUT_LOG_LEVEL ?? 'warn' },
  pino.destination(2),
);

/** Subsystems that log under their own name. */
export type Subsystem = 'store' | 'runner' | 'worker' | 'core' | 'cli' | 'server' | 'ipc' | 'app';

/** Returns a child logger whose lines carry `subsystem`. */
export function getLogger(subsystem: Subsystem): pino.Logger {
  return logger.child({ subsystem });
}
