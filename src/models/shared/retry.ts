/**
 * Retrying a provider session that failed to open, on the injected clock: the backoff schedule
 * and the retry loop, shared by `RenewingSession`'s first open and its replacement of a failed
 * segment.
 */
import { sleep, type Clock } from '../../core/clock.js';
import { isRetryable } from '../../core/errors.js';

/** Waits before successive retries (attempt 0 is the first try), ms. */
export const RETRY_BACKOFF_MS: readonly number[] = [0, 250, 1000, 2000];

/** Wait before retry `attempt` (0-based; past the table the last value repeats), ms. */
export function retryDelayMs(attempt: number): number {
  return RETRY_BACKOFF_MS[Math.max(0, Math.min(attempt, RETRY_BACKOFF_MS.length - 1))];
}

/**
 * Runs `attempt` until it resolves, up to `maxRetries` retries of failures that `isRetryable`
 * accepts, waiting `retryDelayMs(n)` on `clock` before retry n. `onFailure` sees every failure.
 * @throws the last failure (not retryable, or retries used up), or Error when `signal` aborted
 *   before any attempt failed.
 */
export async function withRetries<T>(clock: Clock, maxRetries: number, attempt: () => Promise<T>, onFailure: (err: unknown, attempt: number, retryable: boolean) => void, signal?: AbortSignal): Promise<T> {
  let lastError: unknown = new Error('opening was aborted');
  for (let n = 0; n <= maxRetries && !signal?.aborted; n++) {
    if (n > 0) await sleep(clock, retryDelayMs(n), signal);
    if (signal?.aborted) break;
    try {
      return await attempt();
    } catch (err) {
      lastError = err;
      const retryable = isRetryable(err);
      onFailure(err, n, retryable);
      if (!retryable) break;
    }
  }
  throw lastError;
}
