/**
 * A per-connection budget for warn and error lines: one socket (one call) may write at most
 * `maxLines` of them per `windowMs`; the rest are counted, not written, and one
 * "suppressed K lines" summary follows when the window ends. Debug and info lines pass as they
 * are (they are per-event lines already bounded by the protocol, or filtered by the level).
 * Timers go through the injected clock.
 */
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './logger.js';

/** Warn/error lines one connection may write per window. */
export const MAX_WARN_LINES_PER_WINDOW = 10;
/** The window of that budget, ms. */
export const LOG_WINDOW_MS = 10_000;

/** Options for `rateLimitedLogger`. */
export interface LogLimitOptions {
  clock: Clock;
  /** Warn/error lines per window (default `MAX_WARN_LINES_PER_WINDOW`). */
  maxLines?: number;
  /** Window length, ms (default `LOG_WINDOW_MS`). */
  windowMs?: number;
}

/** The budget one connection's loggers share (the logger and all its children). */
class LineBudget {
  private windowStartMs = -Infinity;
  private lines = 0;
  private suppressed = 0;
  private timer: TimerHandle | undefined;

  constructor(private readonly clock: Clock, private readonly maxLines: number, private readonly windowMs: number, private readonly summary: Logger) {}

  /** Whether one more warn/error line may be written now. */
  admit(): boolean {
    const now = this.clock.nowMs();
    if (now - this.windowStartMs >= this.windowMs) {
      this.flush();
      this.windowStartMs = now;
      this.lines = 0;
    }
    if (this.lines < this.maxLines) {
      this.lines++;
      return true;
    }
    this.suppressed++;
    this.timer ??= this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.windowStartMs + this.windowMs - now);
    return false;
  }

  /** Writes the summary of the lines suppressed so far, if any. */
  private flush(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed === 0) return;
    this.summary.warn({ suppressedLines: this.suppressed, windowMs: this.windowMs }, `suppressed ${this.suppressed} warn/error lines from this connection`);
    this.suppressed = 0;
  }
}

/**
 * `inner` with warn and error lines limited per `options` (shared with every child logger made
 * from it). The summary line is written through `inner`, so it carries the connection's bindings.
 */
export function rateLimitedLogger(inner: Logger, options: LogLimitOptions): Logger {
  const budget = new LineBudget(options.clock, options.maxLines ?? MAX_WARN_LINES_PER_WINDOW, options.windowMs ?? LOG_WINDOW_MS, inner);
  return limited(inner, budget);
}

function limited(inner: Logger, budget: LineBudget): Logger {
  // Arguments pass through as given (pino reads a missing message differently from `undefined`).
  type Args = Parameters<Logger['warn']>;
  return {
    debug: (...args: Args) => inner.debug(...args),
    info: (...args: Args) => inner.info(...args),
    warn: (...args: Args) => {
      if (budget.admit()) inner.warn(...args);
    },
    error: (...args: Args) => {
      if (budget.admit()) inner.error(...args);
    },
    child: (bindings) => limited(inner.child(bindings), budget),
  };
}
