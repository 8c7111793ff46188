/**
 * `RETENTION_DAYS`: calls that ended longer ago than that are deleted, at start-up and then every
 * `intervalMs` on the injected clock. A failed purge (the database down) is logged and tried again
 * at the next tick.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CallStore } from './types.js';

/** One day, ms. */
export const DAY_MS = 86_400_000;

/** What the purge needs. */
export interface RetentionDeps {
  store: Pick<CallStore, 'deleteEndedBefore'>;
  clock: Clock;
  /** Wall-clock time, ms since the Unix epoch. */
  wallClockMs: () => number;
  logger: Logger;
}

/** A running purge timer. */
export interface Retention {
  /** Runs one purge now; resolves how many calls were deleted (0 when it failed). */
  purgeNow(): Promise<number>;
  /** Stops the timer and waits for a purge in progress. */
  stop(): Promise<void>;
}

/**
 * Starts purging calls older than `retentionDays` (> 0) every `intervalMs` (default one hour),
 * the first purge at once.
 */
export function startRetention(retentionDays: number, deps: RetentionDeps, intervalMs = 3_600_000): Retention {
  let timer: TimerHandle | undefined;
  let running: Promise<number> = Promise.resolve(0);
  let stopped = false;
  const purgeNow = (): Promise<number> => {
    running = running.then(async () => {
      const before = new Date(deps.wallClockMs() - retentionDays * DAY_MS);
      try {
        const n = await deps.store.deleteEndedBefore(before);
        if (n > 0) deps.logger.info({ deleted: n, before: before.toISOString(), retentionDays }, 'call store: deleted calls past RETENTION_DAYS');
        return n;
      } catch (err) {
        deps.logger.warn({ err: errorMessage(err) }, 'call store: retention purge failed; trying again later');
        return 0;
      }
    });
    return running;
  };
  const tick = () => {
    timer = undefined;
    void purgeNow().then(() => {
      if (!stopped) timer = deps.clock.setTimeout(tick, intervalMs);
    });
  };
  tick();
  return {
    purgeNow,
    async stop() {
      stopped = true;
      deps.clock.clearTimeout(timer);
      await running;
    },
  };
}
