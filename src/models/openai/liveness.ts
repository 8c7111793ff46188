/**
 * Stall detection for an OpenAI Realtime session. The API is quiet when nobody speaks, so silence
 * alone proves nothing; but it answers every `session.update` with `session.updated` ("the client
 * may send this event at any time … it will respond with a `session.updated` event … Only the
 * fields that are present in the `session.update` are updated": OpenAI API reference, Realtime
 * client events, `session.update`), so one with only `type` is a free probe. When nothing
 * has been heard for half of `stallTimeoutMs`, the watchdog asks for a probe (the session sends a
 * `session.update` that changes nothing); when still nothing has been heard `stallTimeoutMs` after
 * the last event, the session has stalled. One timer at a time, on the injected clock; hearing an
 * event only records the time (audio deltas arrive every few ms).
 */
import type { Clock, TimerHandle } from '../../core/clock.js';

/** What the watchdog does when the API has been quiet: ask for a probe, or declare a stall. */
export interface LivenessActions {
  /** Send something the API must answer (e.g. a no-op `session.update`). */
  probe(): void;
  /** Nothing was heard for `quietMs` (≥ `stallTimeoutMs`), a probe notwithstanding. */
  stalled(quietMs: number): void;
}

/** Watches that a live session keeps hearing from the API. */
export class LivenessWatchdog {
  private lastHeardAtMs: number;
  private probedAtMs: number | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;

  /**
   * Starts watching now.
   * @param stallTimeoutMs longest quiet (ms) before `stalled`; the probe goes out after half of it.
   * @throws RangeError when `stallTimeoutMs` is not a positive finite number.
   */
  constructor(private readonly clock: Clock, private readonly stallTimeoutMs: number, private readonly actions: LivenessActions) {
    if (!(stallTimeoutMs > 0) || !Number.isFinite(stallTimeoutMs)) throw new RangeError(`stallTimeoutMs must be a positive number, not ${stallTimeoutMs}`);
    this.lastHeardAtMs = clock.nowMs();
    this.schedule(stallTimeoutMs / 2);
  }

  /** An event arrived from the API. */
  heard(): void {
    this.lastHeardAtMs = this.clock.nowMs();
  }

  /** Stops watching (the session closes); no action runs after this. */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer = this.clock.setTimeout(this.check, Math.max(1, delayMs));
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.clock.nowMs();
    const quietMs = now - this.lastHeardAtMs;
    const probeAfterMs = this.stallTimeoutMs / 2;
    if (quietMs < probeAfterMs) {
      this.probedAtMs = undefined;
      return this.schedule(probeAfterMs - quietMs);
    }
    if (quietMs >= this.stallTimeoutMs) {
      this.stopped = true;
      return this.actions.stalled(quietMs);
    }
    if (this.probedAtMs === undefined || this.probedAtMs <= this.lastHeardAtMs) {
      this.probedAtMs = now;
      this.actions.probe();
    }
    this.schedule(this.stallTimeoutMs - quietMs);
  };
}
