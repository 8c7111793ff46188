/**
 * Playback ledger: what assistant audio was sent to the caller and how much of it was heard.
 * With carrier marks (Twilio mark, Vonage notify) the heard position is the last confirmed mark plus
 * the real time elapsed since its confirmation, capped at what was sent. Without marks the audio is
 * paced in real time, so heard ≈ time since the first frame was sent, capped at what was sent.
 * Pure: every method takes the current time.
 */

interface ResponsePlayback {
  sentMs: number;
  firstSentAtMs: number;
  confirmedMs: number;
  confirmedAtMs: number;
  /** When the caller started hearing it, from the first confirmed mark (mark carriers only). */
  heardFromAtMs?: number;
}

/** Per-call playback bookkeeping. */
export class PlaybackLedger {
  private responses = new Map<string, ResponsePlayback>();
  private marks = new Map<string, { responseId: string; positionMs: number }>();
  private current: string | undefined;

  /** @param usesMarks whether the carrier confirms playback with marks. */
  constructor(private readonly usesMarks: boolean) {}

  /** The response whose audio was sent last. */
  get currentResponseId(): string | undefined {
    return this.current;
  }

  /** Marks pending confirmation. */
  get pendingMarks(): number {
    return this.marks.size;
  }

  /** Records one frame of `frameMs` of response `responseId` sent at `nowMs`; returns its end position. */
  frameSent(responseId: string, frameMs: number, nowMs: number): number {
    let r = this.responses.get(responseId);
    if (!r) {
      r = { sentMs: 0, firstSentAtMs: nowMs, confirmedMs: 0, confirmedAtMs: nowMs };
      this.responses.set(responseId, r);
      if (this.responses.size > 16) this.responses.delete(this.responses.keys().next().value!);
    }
    this.current = responseId;
    r.sentMs += frameMs;
    return r.sentMs;
  }

  /** Records that mark `markId` was sent after `positionMs` of response `responseId`. */
  markSent(markId: string, responseId: string, positionMs: number): void {
    this.marks.set(markId, { responseId, positionMs });
  }

  /**
   * Records a carrier's confirmation of `markId`.
   * @returns false for an unknown mark (already confirmed, cleared, or never sent).
   */
  markPlayed(markId: string, nowMs: number): boolean {
    const m = this.marks.get(markId);
    if (!m) return false;
    this.marks.delete(markId);
    const r = this.responses.get(m.responseId);
    if (r && m.positionMs >= r.confirmedMs) {
      r.confirmedMs = m.positionMs;
      r.confirmedAtMs = nowMs;
      r.heardFromAtMs ??= nowMs - m.positionMs;
    }
    return true;
  }

  /**
   * When the caller started hearing response `responseId` (clock ms). With marks: the first
   * confirmed mark's confirmation time minus its position (undefined until a mark comes back).
   * Without marks: the first frame's send time (the pacer plays a reply's first frame out as it
   * sends it). Undefined for an unknown response.
   */
  playbackStartedAtMs(responseId: string): number | undefined {
    const r = this.responses.get(responseId);
    if (!r) return undefined;
    return this.usesMarks ? r.heardFromAtMs : r.firstSentAtMs;
  }

  /** Ms of response `responseId` sent so far. */
  sentMs(responseId: string): number {
    return this.responses.get(responseId)?.sentMs ?? 0;
  }

  /** Ms of response `responseId` the caller has heard by `nowMs`. */
  heardMs(responseId: string, nowMs: number): number {
    const r = this.responses.get(responseId);
    if (!r) return 0;
    if (this.usesMarks) {
      if (r.confirmedMs === 0 && this.hasPendingMarkFor(responseId)) return 0;
      return Math.min(r.sentMs, r.confirmedMs + Math.max(0, nowMs - r.confirmedAtMs));
    }
    return Math.min(r.sentMs, Math.max(0, nowMs - r.firstSentAtMs));
  }

  private hasPendingMarkFor(responseId: string): boolean {
    for (const m of this.marks.values()) if (m.responseId === responseId) return true;
    return false;
  }

  /** Ms sent but not yet heard, for the current response. */
  unplayedMs(nowMs: number): number {
    if (!this.current) return 0;
    return this.sentMs(this.current) - this.heardMs(this.current, nowMs);
  }

  /** Forgets pending marks (after a carrier clear they are answered or dropped). */
  clearMarks(): void {
    this.marks.clear();
  }
}
