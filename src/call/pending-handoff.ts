/**
 * A hand-off whose carrier is still moving the call (Vonage: the Voice API's transfer PUT). The
 * carrier may close the media stream before its answer arrives, so the call can end while the
 * move is in flight: the call's record then waits for the answer (at most `waitMs`) and says
 * `transferred` only when the carrier did move it.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Handoff } from '../handoff/record.js';
import { endReasonLabel } from './end-reason.js';

/** How a call ended, once a pending hand-off is settled. */
export interface SettledEnd {
  reason: string;
  /** The hand-off, when the carrier moved the call. */
  handoff: Handoff | undefined;
}

/**
 * The longest a call's end waits for its carrier's answer, ms: just over the hand-off HTTP client's
 * own 5 s timeout (`HANDOFF_HTTP_TIMEOUT_MS`), and well inside the 10 s a shutdown allows.
 */
export const PENDING_HANDOFF_WAIT_MS = 6_000;

/** At most one hand-off being moved at the carrier, for one call. */
export class PendingHandOff {
  private pending: { handoff: Handoff; moved: Promise<boolean> } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly waitMs = PENDING_HANDOFF_WAIT_MS,
  ) {}

  /** Whether a hand-off is held: being moved, or moved (a refusal lets it go). */
  get active(): boolean {
    return this.pending !== undefined;
  }

  /**
   * Holds `handoff` until `moved` settles: true when the carrier moved the call, false (or a
   * rejection) when it refused.
   */
  hold(handoff: Handoff, moved: Promise<boolean>): void {
    const entry = { handoff, moved: moved.catch(() => false) };
    this.pending = entry;
    // A refusal lets go; a move stays held, for an end that comes after the carrier's answer.
    void entry.moved.then((ok) => {
      if (!ok && this.pending === entry) this.pending = undefined;
    });
  }

  /**
   * The call's end reason and hand-off. With a move in flight it waits for the carrier's answer (at
   * most `waitMs`): when the call was moved, a close from the caller's side (the carrier ending the
   * stream: "caller hung up", "connection lost") becomes `transferred`, and the hand-off is kept.
   * @param reason the end reason so far; `error`: whether the call ended in error.
   */
  async settle(reason: string, error: boolean): Promise<SettledEnd> {
    const pending = this.pending;
    if (!pending) return { reason, handoff: undefined };
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = this.clock.setTimeout(() => resolve(false), this.waitMs)));
    const moved = await Promise.race([pending.moved, timedOut]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    if (!moved) return { reason, handoff: undefined };
    const closedByCarrier = !error && /^(caller hung up|connection lost)$/.test(endReasonLabel(reason));
    return { reason: closedByCarrier ? 'transferred' : reason, handoff: pending.handoff };
  }
}
