/**
 * The model's side of a call record: its token usage over the whole call and its events worth
 * reviewing (session renewals, model errors), each timed from the call's start. Pure: fed the
 * call's model events (every one but audio) with their time.
 */
import type { ModelEvent } from '../models/model.js';
import type { TokenUsage } from './cost.js';
import type { CallEvent } from './types.js';

/** Events kept per call, count (a call stuck in an error loop keeps the first ones and counts the rest). */
export const MAX_CALL_EVENTS = 200;

/** One call's usage and model events. */
export class CallEventLog {
  /** Renewals and model errors, oldest first (at most `MAX_CALL_EVENTS`). */
  readonly events: CallEvent[] = [];
  /** Events not kept past `MAX_CALL_EVENTS`. */
  dropped = 0;
  private latestUsage: TokenUsage | undefined;

  /** Token usage over the whole call (the model's last cumulative `usage`), or undefined when it reported none. */
  get usage(): TokenUsage | undefined {
    return this.latestUsage;
  }

  /**
   * Takes one model event at `atMs` (ms since the call started): `usage` replaces the usage (the
   * model reports it cumulatively), `renewed` and `error` are kept as events; others are ignored.
   */
  add(e: ModelEvent, atMs: number): void {
    if (e.type === 'usage') this.latestUsage = { inputTokens: e.inputTokens, outputTokens: e.outputTokens };
    else if (e.type === 'renewed') this.keep({ kind: 'renewal', atMs: Math.round(atMs), code: e.cause, ...(e.code ? { message: `${e.code}: ${e.message ?? ''}` } : {}) });
    else if (e.type === 'error') this.keep({ kind: 'model-error', atMs: Math.round(atMs), code: e.code, message: e.message });
  }

  private keep(event: CallEvent): void {
    if (this.events.length < MAX_CALL_EVENTS) this.events.push(event);
    else this.dropped++;
  }
}
