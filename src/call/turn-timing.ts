/**
 * The timing figures of each turn (`TurnRecord.atMs`, `callerSpeechMs`, `endpointingMs`,
 * `firstAudioMs`, `replyMs`, `replyAtMs`; definitions on `TurnRecord` and in the README beside
 * reply latency). Pure: the conversation record feeds it the caller's speech as the model reports
 * it, the caller's turn ends, reply audio arriving and frames sent, with their clock times (ms).
 *
 * The caller's speech belongs to the next turn that begins after it: from the first `speechStarted`
 * since the previous turn began to the last end of speech before this one (pauses included).
 */
import type { PlaybackStartSource } from './reply-latency.js';
import type { TurnRecord } from './types.js';

/** Measures one call's turn timings. */
export class TurnTiming {
  /** The caller's speech since the last turn began, clock ms. */
  private speech: { startMs?: number; endMs?: number; endpointingMs?: number } = {};
  /** The caller's turn end (speech end as detected, or typed text), not yet bound to a turn, clock ms. */
  private turnEndMs: number | undefined;
  /** The current turn and the caller's turn end it answers (origin of `firstAudioMs`). */
  private origin: { turn: TurnRecord; fromMs: number | undefined } | undefined;

  /**
   * @param startedAtMs when the call started (clock ms): `atMs` and `replyAtMs` count from it.
   * @param playback tells when the caller started hearing a response.
   */
  constructor(private readonly startedAtMs: number, private readonly playback: PlaybackStartSource) {}

  /** The model heard the caller start speaking at `atMs`. */
  speechStarted(atMs: number): void {
    this.speech.startMs ??= atMs;
  }

  /**
   * The model decided the caller's turn ended at `atMs`, `endpointingMs` after the speech itself
   * ended (absent: unknown, the speech is taken to end at `atMs`).
   */
  speechStopped(atMs: number, endpointingMs?: number): void {
    const endMs = atMs - (endpointingMs ?? 0);
    this.speech.endMs = endMs;
    this.speech.endpointingMs = endpointingMs;
    this.turnEndMs = endMs;
  }

  /** A typed message (or keypad digit) ended the caller's turn at `atMs`. */
  typedTurn(atMs: number): void {
    this.turnEndMs = atMs;
  }

  /** `turn` began: it takes the caller's speech and turn end since the previous turn. */
  turnBegan(turn: TurnRecord): void {
    const { startMs, endMs, endpointingMs } = this.speech;
    if (startMs !== undefined) turn.atMs = Math.max(0, Math.round(startMs - this.startedAtMs));
    if (startMs !== undefined && endMs !== undefined && endMs >= startMs) turn.callerSpeechMs = Math.round(endMs - startMs);
    if (endMs !== undefined && endpointingMs !== undefined) turn.endpointingMs = Math.round(endpointingMs);
    this.origin = { turn, fromMs: this.turnEndMs };
    this.speech = {};
    this.turnEndMs = undefined;
  }

  /** Audio of `turn`'s response reached the server at `atMs`: its first sets `firstAudioMs`. */
  audio(turn: TurnRecord, atMs: number): void {
    const o = this.origin;
    if (o?.turn !== turn || o.fromMs === undefined || turn.firstAudioMs !== undefined) return;
    turn.firstAudioMs = Math.max(0, Math.round(atMs - o.fromMs));
  }

  /** A frame of `turn`'s reply was sent; `positionMs`: the reply's audio sent so far. */
  frameSent(turn: TurnRecord, positionMs: number): void {
    if (!turn.interrupted) turn.replyMs = positionMs;
    this.playbackKnown(turn);
  }

  /** `turn` was cut by a barge-in after the caller heard `heardMs` of it. */
  interrupted(turn: TurnRecord, heardMs: number): void {
    turn.replyMs = heardMs;
    this.playbackKnown(turn);
  }

  /** Sets `turn.replyAtMs` once the start of its playback is known. */
  playbackKnown(turn: TurnRecord): void {
    if (turn.replyAtMs !== undefined) return;
    const heardAtMs = this.playback.playbackStartedAtMs(turn.responseId);
    if (heardAtMs !== undefined) turn.replyAtMs = Math.max(0, Math.round(heardAtMs - this.startedAtMs));
  }
}
