import pino from 'pino';

/**
 * Format of log lines: `json`, one pino record a line for log collectors,
 * or `text`, one readable line a record for a person at a terminal.
 */
export type LogFormat = 'json' | 'text';

/** Level used when neither SCOUT_LOG_LEVEL nor `configureLogging` sets one. */
const DEFAULT_LEVEL = 'warn';

const sink = pino.destination(2);
let format: LogFormat = process.env.SCOUT_LOG_FORMAT === 'text' ? 'text' : 'json';

/**
 * Root logger. Logs go to stderr, so command output on stdout stays clean
 * for scripts. The level comes from SCOUT_LOG_LEVEL (default `warn`), the
 * format from SCOUT_LOG_FORMAT (`json`, the default, or `text`); the CLI
 * changes both defaults with `configureLogging`.
 */
export const logger = pino(
  { name: 'scout', level: process.env.SCOUT_LOG_LEVEL ?? DEFAULT_LEVEL },
  {
    write(line: string): void {
      sink.write(format === 'text' ? formatLogLine(line) : line);
    },
  },
);

/**
 * Sets the log level and format of this process where SCOUT_LOG_LEVEL and
 * SCOUT_LOG_FORMAT leave them unset, and stores them in those variables, so
 * worker processes forked afterwards log the same way.
 */
export function configureLogging(defaults: { level: pino.LevelWithSilent; format: LogFormat }) {
  if (process.env.SCOUT_LOG_LEVEL === undefined) {
    logger.level = defaults.level;
    process.env.SCOUT_LOG_LEVEL = defaults.level;
  }
  if (process.env.SCOUT_LOG_FORMAT === undefined) {
    format = defaults.format;
    process.env.SCOUT_LOG_FORMAT = defaults.format;
  }
}

/** Fields of a pino record that the text format shows in its own way or leaves out. */
const RECORD_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'subsystem', 'msg']);

/**
 * Formats one JSON record as `TIME LEVEL subsystem: message key=value ...`,
 * ending in a newline. An `err` field shows as its type and message; its
 * stack is left out (SCOUT_LOG_FORMAT=json keeps it). A line that is not
 * JSON passes through unchanged.
 */
export function formatLogLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }

  const level = pino.levels.labels[Number(record.level)] ?? String(record.level);
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString() : '-';
  const subsystem = typeof record.subsystem === 'string' ? `${record.subsystem}: ` : '';
  const fields = Object.entries(record)
    .filter(([key]) => !RECORD_FIELDS.has(key))
    .map(([key, value]) => `${key}=${formatField(value)}`);
  return [`${time} ${level.toUpperCase()} ${subsystem}${String(record.msg ?? '')}`, ...fields]
    .join(' ')
    .concat('\n');
}

function formatField(value: unknown): string {
  if (isSerializedError(value)) {
    return JSON.stringify(`${value.type}: ${value.message}`);
  }
  if (typeof value === 'string') {
    return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  }
  return JSON.stringify(value) ?? String(value);
}

function isSerializedError(value: unknown): value is { type: string; message: string } {
  const candidate = value as { type?: unknown; message?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.type === 'string' &&
    typeof candidate.message === 'string'
  );
}

/** Subsystems that log under their own name. */
export type Subsystem = 'store' | 'runner' | 'worker' | 'core' | 'cli' | 'server' | 'ipc' | 'app';

/** Returns a child logger whose lines carry `subsystem`. */
export function getLogger(subsystem: Subsystem): pino.Logger {
  return logger.child({ subsystem });
}
