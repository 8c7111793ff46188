/**
 * Silence for gaps in a Twilio stream's inbound timestamps (pure). Twilio stamps each `media`
 * message with its position in the stream (ms since the stream started); a jump means audio was
 * lost on the way, and the call fills it with silence so the model's timeline stays true. The
 * fill is bounded twice: one gap fills at most `MAX_GAP_FILL_MS`, and the stream's timeline
 * (audio received plus silence filled) never runs more than `MAX_TIMELINE_LEAD_MS` ahead of the
 * wall clock since its first message, so timestamps that leap ahead faster than time passes (a
 * sender claiming hours of loss in a moment) fill nothing beyond real time.
 */

/** Longest single gap filled with silence, ms. */
export const MAX_GAP_FILL_MS = 1000;
/** How far the stream's timeline may run ahead of the wall clock through filling, ms. */
export const MAX_TIMELINE_LEAD_MS = 1000;

/** Tracks one stream's timestamps and says how much silence each message's gap needs. */
export class GapFiller {
  private nextExpectedTsMs: number | null = null;
  private firstArrivalMs: number | null = null;
  private timelineMs = 0;
  /** Silence filled so far, ms. */
  filledMs = 0;

  /**
   * A message with `chunkMs` of audio stamped `timestampMs` arrived at `arrivedAtMs` (clock ms).
   * @returns silence to insert before it, ms: a multiple of 20 (0 when none).
   */
  onMedia(timestampMs: number, chunkMs: number, arrivedAtMs: number): number {
    this.firstArrivalMs ??= arrivedAtMs;
    let fillMs = 0;
    if (this.nextExpectedTsMs !== null && Number.isFinite(timestampMs)) {
      const leadMs = this.timelineMs - (arrivedAtMs - this.firstArrivalMs);
      const gapMs = Math.min(MAX_GAP_FILL_MS, timestampMs - this.nextExpectedTsMs, MAX_TIMELINE_LEAD_MS - leadMs);
      if (gapMs >= 20) fillMs = Math.floor(gapMs / 20) * 20;
    }
    if (Number.isFinite(timestampMs)) this.nextExpectedTsMs = timestampMs + chunkMs;
    this.timelineMs += fillMs + chunkMs;
    this.filledMs += fillMs;
    return fillMs;
  }
}
