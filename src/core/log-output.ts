/**
 * Creates the pino logger the server and the emulator write to: human-readable, colourised lines
 * (pino's own pretty printer, pino-pretty) when stdout is a terminal, one JSON object per line
 * otherwise (log collectors, pipes, files).
 */
import pino, { type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

/** `LOG_FORMAT`: `auto` picks pretty on a terminal and JSON elsewhere. */
export type LogFormat = 'auto' | 'pretty' | 'json';

/** Options for `createLogger`. */
export interface LoggerOptions {
  /** pino level name (`info`, `debug`, …, `silent`). */
  level: string;
  format: LogFormat;
  /** Value of the `service` field on every JSON line (not shown in pretty lines). */
  service: string;
  /** Whether stdout is a terminal (default: `process.stdout.isTTY`). */
  isTty?: boolean;
  /** Where lines go (default: stdout); tests pass a stream. */
  destination?: NodeJS.WritableStream;
}

/** Whether `format` means pretty lines when stdout is (or is not) a terminal. */
export function isPrettyFormat(format: LogFormat, isTty: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && isTty);
}

/**
 * A pino logger per `options`. Pretty lines are formatted synchronously on the calling thread
 * (log volume is a few lines per call), so nothing is lost when the process exits right after.
 */
export function createLogger(options: LoggerOptions): PinoLogger {
  const isTty = options.isTty ?? Boolean(process.stdout.isTTY);
  const base = { level: options.level, base: { service: options.service } };
  if (!isPrettyFormat(options.format, isTty)) return options.destination ? pino(base, options.destination) : pino(base);
  const stream = pretty({
    colorize: isTty,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    singleLine: true,
    destination: options.destination ?? 1,
  });
  return pino(base, stream);
}
