/**
 * Pure speech segmenter: turns per-window speech probabilities into speech start / end events with
 * hysteresis (Silero's recommended scheme: start above `threshold`, end below `threshold − 0.15`)
 * and minimum durations. An utterance that never pauses (a TV in the room, looping audio) is cut at
 * `maxSpeechMs`; the segmenter then waits for a real pause (`minSilenceMs`) before it starts the
 * next one, so the continuing noise does not talk over the answer to what was cut.
 */

/** Segmenter settings. */
export interface SegmenterOptions {
  /** Probability at or above which a window counts as speech (default 0.5). */
  threshold?: number;
  /** Probability below which a window counts as non-speech (default threshold − 0.15). */
  negativeThreshold?: number;
  /** Speech must last this long before `start` fires (default 64 ms). */
  minSpeechMs?: number;
  /** Non-speech must last this long before `end` fires (endpointing hang-over, default 400 ms). */
  minSilenceMs?: number;
  /** Longest utterance: speech that lasts this long ends with a forced `end` (default: no limit), ms. */
  maxSpeechMs?: number;
}

/** An event from `VadSegmenter.update`. */
export type SegmenterEvent =
  | { type: 'start'; atMs: number }
  /**
   * End of an utterance. `silenceMs`: how long before this event the speech ended (the endpointing
   * hang-over; 0 when `forced`). `forced`: cut at `maxSpeechMs` while the speech went on.
   */
  | { type: 'end'; atMs: number; speechMs: number; silenceMs: number; forced?: boolean };

/** Speech/non-speech state machine over probability windows. */
export class VadSegmenter {
  private readonly threshold: number;
  private readonly negativeThreshold: number;
  private readonly minSpeechMs: number;
  private readonly minSilenceMs: number;
  private readonly maxSpeechMs: number;
  private inSpeech = false;
  /** After a forced end: no new start until a pause of `minSilenceMs`. */
  private awaitingPause = false;
  private candidateMs = 0;
  private silenceMs = 0;
  private speechStartMs = 0;
  private positionMs = 0;

  constructor(options: SegmenterOptions = {}) {
    this.threshold = options.threshold ?? 0.5;
    this.negativeThreshold = options.negativeThreshold ?? Math.max(0.01, this.threshold - 0.15);
    this.minSpeechMs = options.minSpeechMs ?? 64;
    this.minSilenceMs = options.minSilenceMs ?? 400;
    this.maxSpeechMs = options.maxSpeechMs ?? Infinity;
  }

  /** Whether the segmenter is inside a speech segment. */
  get speaking(): boolean {
    return this.inSpeech;
  }

  /**
   * Feeds one window.
   * @param probability speech probability 0..1.
   * @param windowMs window duration in ms.
   * @returns the event this window completes, if any. `atMs` is stream time at the event's
   *   detected boundary (start of the first speech window, or end of the last speech window).
   */
  update(probability: number, windowMs: number): SegmenterEvent | null {
    const windowStart = this.positionMs;
    this.positionMs += windowMs;
    if (this.awaitingPause) {
      this.silenceMs = probability < this.negativeThreshold ? this.silenceMs + windowMs : 0;
      if (this.silenceMs >= this.minSilenceMs) {
        this.awaitingPause = false;
        this.silenceMs = 0;
      }
      return null;
    }
    if (!this.inSpeech) {
      if (probability >= this.threshold) {
        if (this.candidateMs === 0) this.speechStartMs = windowStart;
        this.candidateMs += windowMs;
        if (this.candidateMs >= this.minSpeechMs) {
          this.inSpeech = true;
          this.silenceMs = 0;
          return { type: 'start', atMs: this.speechStartMs };
        }
      } else {
        this.candidateMs = 0;
      }
      return null;
    }
    if (probability < this.negativeThreshold) {
      this.silenceMs += windowMs;
      if (this.silenceMs >= this.minSilenceMs) {
        this.inSpeech = false;
        this.candidateMs = 0;
        const endMs = this.positionMs - this.silenceMs;
        return { type: 'end', atMs: endMs, speechMs: endMs - this.speechStartMs, silenceMs: this.silenceMs };
      }
    } else {
      this.silenceMs = 0;
    }
    if (this.positionMs - this.speechStartMs >= this.maxSpeechMs) {
      this.inSpeech = false;
      this.candidateMs = 0;
      this.awaitingPause = true;
      this.silenceMs = 0;
      return { type: 'end', atMs: this.positionMs, speechMs: this.positionMs - this.speechStartMs, silenceMs: 0, forced: true };
    }
    return null;
  }

  /** Forgets any segment in progress (stream time keeps counting). */
  reset(): void {
    this.inSpeech = false;
    this.awaitingPause = false;
    this.candidateMs = 0;
    this.silenceMs = 0;
  }
}
