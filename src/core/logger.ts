/**
 * Logger contract (a subset of pino's API), so modules take a logger argument without importing
 * pino, and tests can pass `silentLogger`. A pino logger (`createLogger` in `log-output.ts`) is one
 * as it is: pass it where a `Logger` is wanted, no cast.
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  /** A logger whose every line carries `bindings` (e.g. `{ callId }`). */
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that discards everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
