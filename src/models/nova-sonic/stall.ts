/**
 * A Nova session's recovery pieces: the retry backoff schedule and loop (waiting on the injected
 * clock), the stall watchdog and the session counters. The watchdog is pure: the session feeds it
 * times from its clock.
 */
import { sleep, type Clock } from '../../core/clock.js';
import { isRetryable } from '../../core/errors.js';
import type { ModelSessionStats } from '../model.js';

/** Period of the session's housekeeping tick (stall and renewal checks), ms. */
export const TICK_MS = 200;
/** Caller audio kept while no stream is live (reconnecting), ms. */
export const OUTAGE_BUFFER_MS = 30_000;
/** Wait for the assistant's FINAL text after its audio ended before handing over anyway, ms. */
export const FINAL_TEXT_WAIT_MS = 2000;
/** Wait for a response after the user's recognized turn before handing over anyway, ms. */
export const RESPONSE_WAIT_MS = 4000;
/** Waits before successive retries (attempt 0 is the first try), ms. */
export const RETRY_BACKOFF_MS: readonly number[] = [0, 250, 1000, 2000];
/** A stream live this long before failing resets the retry budget, ms. */
export const HEALTHY_STREAM_MS = 10_000;
/** Caller audio above this RMS counts as speech for the stall watchdog (≈ −30 dBFS). */
export const SPEECH_RMS = 1000;

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

/**
 * Stall watchdog: the caller spoke (loud input) after the stream went live, then nothing at all
 * came back for `stallTimeoutMs`. Times are clock milliseconds.
 */
export class StallWatch {
  private lastLoudInputMs = 0;
  private lastOutputMs = 0;

  constructor(private readonly stallTimeoutMs: number) {}

  /** Caller speech was sent at `nowMs`. */
  input(nowMs: number): void {
    this.lastLoudInputMs = nowMs;
  }

  /** The model sent something at `nowMs`. */
  output(nowMs: number): void {
    this.lastOutputMs = nowMs;
  }

  /** Silence since the caller spoke, ms, when it exceeds the limit; otherwise undefined. */
  stalledForMs(nowMs: number, liveSinceMs: number): number | undefined {
    const since = Math.max(this.lastLoudInputMs, liveSinceMs);
    const stalled = this.lastLoudInputMs > this.lastOutputMs && this.lastLoudInputMs > liveSinceMs && nowMs - since > this.stallTimeoutMs;
    return stalled ? nowMs - since : undefined;
  }
}

/** A Nova session's counters (see `ModelSessionStats`); durations in ms. */
export function newSessionCounters() {
  return {
    streams: 0,
    renewals: 0,
    forcedRenewals: 0,
    retries: 0,
    failures: 0,
    prepareFailures: 0,
    audioEventsSent: 0,
    inputMs: 0,
    deliveredMs: 0,
    replayedMs: 0,
    droppedInputMs: 0,
    maxPrepareMs: 0,
    maxHistoryBytes: 0,
    maxOutageMs: 0,
    stalls: 0,
  };
}

/** The counters as reported: durations rounded to whole ms. */
export function sessionStats(c: ReturnType<typeof newSessionCounters>): ModelSessionStats {
  return { ...c, inputMs: Math.round(c.inputMs), deliveredMs: Math.round(c.deliveredMs), replayedMs: Math.round(c.replayedMs), droppedInputMs: Math.round(c.droppedInputMs) };
}
