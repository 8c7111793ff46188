/**
 * The stall watchdog of one Nova Sonic stream: the caller spoke (loud input) after the stream went
 * live, then nothing at all came back for `stallTimeoutMs`. Pure: the stream session feeds it
 * times from its injected clock.
 */

/** Period of a stream's stall check, ms. */
export const STALL_CHECK_MS = 200;
/** Caller audio above this RMS counts as speech for the stall watchdog (≈ −30 dBFS). */
export const SPEECH_RMS = 1000;

/** Stall watchdog; times are clock milliseconds. */
export class StallWatch {
  private lastLoudInputMs = 0;
  private lastOutputMs = 0;

  constructor(private readonly stallTimeoutMs: number) {}

  /** Caller speech was sent at `nowMs`. */
  input(nowMs: number): void {
    this.lastLoudInputMs = nowMs;
  }

  /** The model sent something at `nowMs`. */
  output(nowMs: number): void {
    this.lastOutputMs = nowMs;
  }

  /** Silence since the caller spoke, ms, when it exceeds the limit; otherwise undefined. */
  stalledForMs(nowMs: number, liveSinceMs: number): number | undefined {
    const since = Math.max(this.lastLoudInputMs, liveSinceMs);
    const stalled = this.lastLoudInputMs > this.lastOutputMs && this.lastLoudInputMs > liveSinceMs && nowMs - since > this.stallTimeoutMs;
    return stalled ? nowMs - since : undefined;
  }
}
