/**
 * Creates the pino logger the server and the emulator write to: human-readable, colourised lines
 * (pino's own pretty printer, pino-pretty) when stdout is a terminal, one JSON object per line
 * otherwise (log collectors, pipes, files). Every line is bounded: credential query parameters in
 * URLs are redacted and long strings cut (`redact.ts`), whatever a caller sent.
 */
import pino, { type LoggerOptions as PinoOptions, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import { MAX_LOG_MESSAGE_CHARS, redactingSerializers, redactText, truncateFields, truncateText } from './redact.js';

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
 * A pino logger per `options` (also a `Logger` of `logger.ts`, without a cast). Pretty lines are formatted synchronously on the calling thread
 * (log volume is a few lines per call), so nothing is lost when the process exits right after.
 */
export function createLogger(options: LoggerOptions): PinoLogger {
  const isTty = options.isTty ?? Boolean(process.stdout.isTTY);
  const base: PinoOptions = { level: options.level, base: { service: options.service }, serializers: redactingSerializers, hooks: { logMethod: boundedLogMethod } };
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

/**
 * pino `logMethod` hook: redacts credentials in URLs quoted anywhere in a line and cuts long
 * strings in its fields (plain objects, a few levels deep) and its message before pino writes
 * them, so no input can make one line large or put a token in it.
 */
function boundedLogMethod(this: PinoLogger, args: Parameters<PinoLogger['info']>, method: (...args: unknown[]) => void): void {
  const [first, ...rest] = args as unknown[];
  const text = (a: string) => truncateText(redactText(a), MAX_LOG_MESSAGE_CHARS);
  const bounded = rest.map((a) => (typeof a === 'string' ? text(a) : a));
  if (typeof first === 'string') return method.apply(this, [text(first), ...bounded]);
  return method.apply(this, [truncateFields(first), ...bounded]);
}
