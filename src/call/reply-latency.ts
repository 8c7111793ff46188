/**
 * Reply latency, defined once for the whole project: from the end of the caller's speech as the
 * server detected it (the model's end-of-speech, minus the endpointing silence it waited for; for a
 * typed message, when the text arrived) to the moment the caller started hearing the reply (from
 * carrier marks where the carrier has them, else the first frame's playout time; see
 * `PlaybackLedger.playbackStartedAtMs`). Call records (`TurnRecord.replyLatencyMs`), the browser's
 * `turn` event, the web page and `voicebridge call` all show this figure. Pure: times are passed in.
 */
import type { TurnRecord } from './types.js';

/**
 * Knows when the caller started hearing a response (`PlaybackLedger` and `Playout` implement it):
 * `playbackStartedAtMs(responseId)` returns clock ms, or undefined while unknown.
 */
export interface PlaybackStartSource {
  playbackStartedAtMs(responseId: string): number | undefined;
}

/** Measures each turn's reply latency for one call. */
export class ReplyLatencyMeter {
  private userTurnEndAtMs: number | null = null;
  private waiting: { turn: TurnRecord; fromMs: number } | undefined;

  /** @param ledger the call's playback ledger or playout (knows when the caller started hearing a response). */
  constructor(private readonly ledger: PlaybackStartSource) {}

  /** The caller's turn ended at `atMs` (clock ms): speech end as detected, or typed text arrival. */
  userTurnEnded(atMs: number): void {
    this.userTurnEndAtMs = atMs;
  }

  /**
   * The first frame of `turn`'s response was sent. Binds the caller's last turn end to it (a reply
   * with no caller turn before it, such as a greeting, has no latency).
   * @returns true when `turn.replyLatencyMs` is now set (carriers without marks).
   */
  replyStarted(turn: TurnRecord): boolean {
    if (this.userTurnEndAtMs === null) return false;
    this.waiting = { turn, fromMs: this.userTurnEndAtMs };
    this.userTurnEndAtMs = null;
    return this.update() !== undefined;
  }

  /**
   * Checks whether the waiting turn's reply has started playing (call after each confirmed mark).
   * @returns the turn whose `replyLatencyMs` was just set, if any.
   */
  update(): TurnRecord | undefined {
    const w = this.waiting;
    if (!w) return undefined;
    const heardAtMs = this.ledger.playbackStartedAtMs(w.turn.responseId);
    if (heardAtMs === undefined) return undefined;
    this.waiting = undefined;
    w.turn.replyLatencyMs = Math.max(0, Math.round(heardAtMs - w.fromMs));
    return w.turn;
  }
}
