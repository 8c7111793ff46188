/**
 * The order and pace in which a session's response events leave: strictly in the order queued;
 * events that carry audio (`durationMs > 0`) leave at real-time pace (`realtime`: each chunk when
 * the previous one has had time to play; the first at once) or as soon as they are queued
 * (`burst`: faster than real time). Events without audio leave right after the event before them.
 * Timers go through the injected clock.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';

/** How replies are streamed: `realtime` (chunk by chunk at playback pace) or `burst` (all at once). */
export type ReplyPace = 'realtime' | 'burst';

interface Entry {
  event: Record<string, unknown> | undefined;
  durationMs: number;
  onSent?: () => void;
}

/** A paced queue of outgoing events. */
export class PacedOutput {
  private readonly queue: Entry[] = [];
  /** When the audio sent so far has finished playing, clock ms. */
  private untilMs = 0;
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly pace: ReplyPace,
    private readonly send: (event: Record<string, unknown>) => void,
  ) {}

  /** Queues `event`; `durationMs` of audio it carries (0: none); `onSent` runs once it left. */
  push(event: Record<string, unknown>, durationMs = 0, onSent?: () => void): void {
    if (this.closed) return;
    this.queue.push({ event, durationMs, onSent });
    if (this.timer === undefined) this.pump();
  }

  /** Runs `fn` once everything queued before it has been sent (dropped by `clear`). */
  then(fn: () => void): void {
    if (this.closed) return;
    this.queue.push({ event: undefined, durationMs: 0, onSent: fn });
    if (this.timer === undefined) this.pump();
  }

  /** When the audio sent so far will have finished playing at real-time pace, clock ms. */
  get playedUntilMs(): number {
    return this.untilMs;
  }

  /** Entries not yet sent. */
  get pending(): number {
    return this.queue.length;
  }

  /** Drops every event not yet sent (a cancelled response). */
  clear(): void {
    this.queue.length = 0;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Clears and refuses further events. */
  close(): void {
    this.clear();
    this.closed = true;
  }

  private pump(): void {
    this.timer = undefined;
    while (this.queue.length) {
      const head = this.queue[0];
      const now = this.clock.nowMs();
      if (head.durationMs > 0 && this.pace === 'realtime' && this.untilMs > now) {
        // Chunk n leaves when chunk n-1 has had time to play.
        this.timer = this.clock.setTimeout(() => this.pump(), this.untilMs - now);
        return;
      }
      this.queue.shift();
      if (head.durationMs > 0) this.untilMs = Math.max(this.untilMs, now) + head.durationMs;
      if (head.event) this.send(head.event);
      head.onSent?.();
    }
  }
}
