/**
 * Pure speech segmenter: turns per-window speech probabilities into speech start / end events with
 * hysteresis (Silero's recommended scheme: start above `threshold`, end below `threshold − 0.15`)
 * and minimum durations.
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
}

/** An event from `VadSegmenter.update`. */
export type SegmenterEvent =
  | { type: 'start'; atMs: number }
  | { type: 'end'; atMs: number; speechMs: number };

/** Speech/non-speech state machine over probability windows. */
export class VadSegmenter {
  private readonly threshold: number;
  private readonly negativeThreshold: number;
  private readonly minSpeechMs: number;
  private readonly minSilenceMs: number;
  private inSpeech = false;
  private candidateMs = 0;
  private silenceMs = 0;
  private speechStartMs = 0;
  private positionMs = 0;

  constructor(options: SegmenterOptions = {}) {
    this.threshold = options.threshold ?? 0.5;
    this.negativeThreshold = options.negativeThreshold ?? Math.max(0.01, this.threshold - 0.15);
    this.minSpeechMs = options.minSpeechMs ?? 64;
    this.minSilenceMs = options.minSilenceMs ?? 400;
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
        return { type: 'end', atMs: endMs, speechMs: endMs - this.speechStartMs };
      }
    } else {
      this.silenceMs = 0;
    }
    return null;
  }

  /** Forgets any segment in progress (stream time keeps counting). */
  reset(): void {
    this.inSpeech = false;
    this.candidateMs = 0;
    this.silenceMs = 0;
  }
}
