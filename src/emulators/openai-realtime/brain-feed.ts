/**
 * Caller audio on its way to the brain, at most `maxLeadMs` (default 200) ahead of real time: the
 * real API takes appended audio at any rate, but the offline brain expects about real time (its VAD
 * drops windows beyond ~2 s of backlog, and its recognizer starts from a short pre-roll before the
 * VAD's late start), so a burst (a client replaying buffered audio) is queued here and handed over
 * as time passes. Audio at real-time pace goes straight through. Timers go through the injected
 * clock.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';

/** Paced delivery of PCM16 to a brain. */
export class BrainFeed {
  private readonly queue: Int16Array[] = [];
  /** When the audio handed over so far would finish playing, clock ms. */
  private fedUntilMs = 0;
  private timer: TimerHandle | undefined;
  /** Audio handed to the brain, ms. */
  fedMs = 0;

  constructor(
    private readonly clock: Clock,
    private readonly rateHz: number,
    private readonly deliver: (pcm: Int16Array) => void,
    private readonly maxLeadMs = 200,
  ) {}

  /** Queues `pcm` (at `rateHz`) for the brain. */
  push(pcm: Int16Array): void {
    this.queue.push(pcm);
    if (this.timer === undefined) this.pump();
  }

  /** Audio waiting, chunks. */
  get pending(): number {
    return this.queue.length;
  }

  private pump(): void {
    this.timer = undefined;
    while (this.queue.length) {
      const now = this.clock.nowMs();
      if (this.fedUntilMs - now > this.maxLeadMs) {
        this.timer = this.clock.setTimeout(() => this.pump(), this.fedUntilMs - now - this.maxLeadMs);
        return;
      }
      const pcm = this.queue.shift()!;
      const ms = (pcm.length * 1000) / this.rateHz;
      this.fedUntilMs = Math.max(this.fedUntilMs, now) + ms;
      this.fedMs += ms;
      this.deliver(pcm);
    }
  }

  /** Drops what is queued and cancels the timer. */
  close(): void {
    this.queue.length = 0;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
