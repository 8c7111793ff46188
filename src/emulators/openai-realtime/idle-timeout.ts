/**
 * Server VAD's `idle_timeout_ms` (GA `RealtimeAudioInputTurnDetection.ServerVad` docstring in the
 * `openai` package): when the caller stays silent that long after the last response's audio
 * has finished playing (the `response.done` time plus the playback still due), the server sends
 * `input_audio_buffer.timeout_triggered` and a response that prompts the caller to go on. One
 * timer on the injected clock, re-armed by every finished response and disarmed by speech or a
 * new response.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';

/** The idle timer of one conversation. */
export class IdleTimeout {
  private timer: TimerHandle | undefined;

  /** `fire(audioStartMs)` runs when the timeout is reached. */
  constructor(private readonly clock: Clock, private readonly fire: (audioStartMs: number) => void) {}

  /**
   * Fires after `delayMs` unless disarmed or re-armed first, passing `audioStartMs` (the input
   * audio position where the last response's playback ended).
   */
  arm(delayMs: number, audioStartMs: number): void {
    this.disarm();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.fire(audioStartMs);
    }, Math.max(0, delayMs));
  }

  /** Cancels the timer, if armed. */
  disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
