/**
 * The restart plan of a dead MCP server: exponential backoff, doubling from `initialDelayMs` up to
 * `maxDelayMs`, with no jitter (one process restarts one server). Pure.
 */

/** Backoff settings, ms. */
export interface BackoffPlan {
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before restart attempt `attempt` (1 = the first after the server died), ms:
 * `min(maxDelayMs, initialDelayMs · 2^(attempt-1))`.
 * @throws RangeError for an attempt below 1.
 */
export function restartDelayMs(plan: BackoffPlan, attempt: number): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  return Math.min(plan.maxDelayMs, plan.initialDelayMs * 2 ** Math.min(attempt - 1, 40));
}
