/**
 * The pieces of `RenewingSession` (renewing-session.ts) that are plain data: what it needs, what a
 * segment is and the turn state it keeps for one, and how counters of successive segments combine.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { HistoryMessage, ModelEvent, ModelSession, ModelSessionStats } from '../model.js';
import type { RenewalTiming } from './renewal.js';

/**
 * A segment: one provider session. With `goLive`, it opens without the conversation and is handed
 * it (trimmed, oldest first) once, when it becomes the current segment, before any caller audio.
 */
export type SegmentSession = ModelSession & { goLive?(history: HistoryMessage[]): void };

/** Replacing failed segments (see `RenewingSession`). */
export interface SegmentRecovery {
  /** Retries of a refused open or a failed segment before the session ends. */
  maxRetries: number;
  /** Caller audio kept while no segment is live, ms. */
  outageBufferMs: number;
  /** A segment current this long before it failed earns a fresh retry budget, ms. */
  healthyAfterMs: number;
}

/** What a renewing session needs. */
export interface RenewingSessionOptions {
  /**
   * Opens one segment with this history (oldest first); the first segment gets the call's own
   * history, later ones the conversation so far. `n` counts every open, retries included.
   * Rejects when the provider refuses (`isRetryable` tells whether to retry, with `recovery`).
   */
  openSegment(history: HistoryMessage[], n: number): Promise<SegmentSession>;
  clock: Clock;
  logger: Logger;
  /** When to prepare and when to force the handover (`renewalTimingFor`). */
  timing: RenewalTiming;
  /** Rate of the caller audio sent (`sendAudio`), Hz. */
  inputRateHz: number;
  /** The call's history before this session, oldest first. */
  history: readonly HistoryMessage[];
  /** Most caller audio replayed to the next segment, ms (default 10 000). */
  replayMs?: number;
  /** Most UTF-8 bytes of history given to a next segment (default 32 KiB). */
  maxHistoryBytes?: number;
  /** Retry refused opens and replace failed segments; absent: a failed segment ends the session. */
  recovery?: SegmentRecovery;
  /** Aborts the first open (and its retries). */
  signal?: AbortSignal;
  /** The provider's view of `stats()` (e.g. its own names for counters); default as is. */
  mapStats?(stats: ModelSessionStats): ModelSessionStats;
}

/** A segment and its turn state (`RenewingSession`'s own bookkeeping). */
export interface Segment {
  n: number;
  session: SegmentSession;
  openedAtMs: number;
  /** Its last usage event (cumulative within the segment). */
  usage: { inputTokens: number; outputTokens: number };
  /** Its last error was retryable (a `closed` after it is a failure to recover from). */
  failedRetryable: Extract<ModelEvent, { type: 'error' }> | undefined;
  /** Provider response ids still open. */
  openResponses: Set<string>;
  /** Tool call ids awaiting a result. */
  pendingTools: Set<string>;
  /** Provider response id → its final assistant text arrived. */
  awaitingFinal: Map<string, number>;
  /** Clock time of the caller's speech start, while their turn is open (no response since). */
  userTurnSinceMs: number | undefined;
  userSpeaking: boolean;
  /** Clock time the last caller audio was sent to it, ms. */
  lastAudioAtMs: number;
}

/** A fresh segment's turn state for `session`, opened (current since) at `nowMs`. */
export function newSegment(session: SegmentSession, n: number, nowMs: number): Segment {
  return { n, session, openedAtMs: nowMs, usage: { inputTokens: 0, outputTokens: 0 }, failedRetryable: undefined, openResponses: new Set(), pendingTools: new Set(), awaitingFinal: new Map(), userTurnSinceMs: undefined, userSpeaking: false, lastAudioAtMs: nowMs };
}

/**
 * Adds `stats` into `into` (mutated, returned): counters are summed, `max*` ones take the larger
 * value (a maximum over segments, not a sum).
 */
export function foldStats(into: Record<string, number>, stats: ModelSessionStats): Record<string, number> {
  for (const [k, v] of Object.entries(stats)) into[k] = k.startsWith('max') ? Math.max(into[k] ?? 0, v) : (into[k] ?? 0) + v;
  return into;
}
