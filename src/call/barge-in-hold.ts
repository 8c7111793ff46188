/**
 * False-interruption recovery: when the local VAD hears the caller while the assistant speaks,
 * playout is held at once (the caller stops hearing the reply) but the reply is not cancelled yet.
 * If the sound stops within `confirmMs` with no words recognised (a cough, a door), playback goes
 * on where it stopped; if the caller is still making sound at `confirmMs`, or words arrive, or the
 * model signals the barge-in itself, it is a barge-in as before (clear, cancel, truncate). Timers
 * run on the injected clock.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

/** Default window in which a held barge-in may turn out to be a false interruption, ms. */
export const DEFAULT_BARGE_IN_CONFIRM_MS = 600;

/** What a hold decides. */
export interface BargeInHoldActions {
  /** It is a barge-in: interrupt as usual. */
  confirm(heldMs: number): void;
  /** It was not: go on playing. */
  resume(heldMs: number): void;
}

/** One call's held barge-in, if any. */
export class BargeInHold {
  private startedAtMs: number | undefined;
  private timer: TimerHandle | undefined;
  /** Holds that ended in a resumed reply (false interruptions). */
  resumed = 0;
  /** Holds that ended in a barge-in. */
  confirmed = 0;

  /**
   * @param clock time and the confirmation timer.
   * @param confirmMs how long the caller's sound may last and still count as a false interruption, ms.
   * @param actions what to do when the hold is decided.
   */
  constructor(private readonly clock: Clock, private readonly confirmMs: number, private readonly actions: BargeInHoldActions) {}

  /** Whether a hold is being decided. */
  get active(): boolean {
    return this.startedAtMs !== undefined;
  }

  /** The local VAD heard the caller start (the caller has stopped hearing the reply: playout is held). */
  start(): void {
    if (this.active) return;
    this.startedAtMs = this.clock.nowMs();
    this.timer = this.clock.setTimeout(() => this.decide('confirm'), this.confirmMs);
  }

  /** The caller's sound ended before the window: a false interruption unless words came. */
  speechEnded(): void {
    if (this.active) this.decide('resume');
  }

  /** Words of the caller were recognised, or the model signalled the barge-in: confirm now. */
  confirmNow(): void {
    if (this.active) this.decide('confirm');
  }

  /** Forgets the hold without acting (the barge-in happened another way, or the call ends). */
  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.startedAtMs = undefined;
  }

  private decide(outcome: 'confirm' | 'resume'): void {
    const heldMs = this.clock.nowMs() - (this.startedAtMs ?? this.clock.nowMs());
    this.cancel();
    if (outcome === 'confirm') {
      this.confirmed++;
      this.actions.confirm(heldMs);
    } else {
      this.resumed++;
      this.actions.resume(heldMs);
    }
  }
}
