/**
 * Drift-corrected playout pacer. Frames are released on an absolute schedule
 * (`startMs + k * frameMs − leadMs`), not by a bare `setInterval`, so timer lateness never
 * accumulates: a late tick sends every frame that has fallen due and the next timer aims at the next
 * absolute due time. `leadMs` lets a run start that far ahead of real time, keeping a small buffer at
 * the carrier so network jitter does not starve it. `sendAheadMs` lets frames leave in batches: each
 * timer sends every frame due within that much of now, so at 20 ms frames and 20 ms ahead one timer
 * and one (corked) socket write carry two frames, halving wake-ups and writes per call.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { Histogram } from '../core/histogram.js';

/** Options for `PlayoutPacer`. */
export interface PacerOptions<T> {
  /** Frame duration in ms (20 for every carrier we support). */
  frameMs: number;
  /** How far ahead of real time a run may be sent, in ms (0 = strictly real time). */
  leadMs?: number;
  /** Time source and timers. */
  clock: Clock;
  /** Called for each frame at its due time. Must not throw; errors are caught and counted. */
  onFrame: (item: T) => void;
  /**
   * Frames due within this many ms of a timer also leave on that timer (default 0: each frame at
   * its own due time). A frame never leaves earlier than its due time minus this.
   */
  sendAheadMs?: number;
  /** Wraps each batch of `onFrame` calls (e.g. to cork the socket so the batch is one write). */
  batch?: (sendAll: () => void) => void;
  /** Most frames held at once; frames enqueued beyond it are dropped and counted (default: no bound). */
  maxQueuedFrames?: number;
}

/** Result of `PlayoutPacer.clear()`. */
export interface ClearResult {
  /** Frames that were queued and never sent. */
  droppedFrames: number;
  /** Audio duration dropped, in ms. */
  droppedMs: number;
}

/**
 * Paces queued frames out at real time.
 * @typeParam T the frame payload (already encoded for the carrier, or PCM).
 */
export class PlayoutPacer<T> {
  private queue: T[] = [];
  private head = 0;
  private timer: TimerHandle | undefined;
  private runStartMs = 0;
  private sentInRun = 0;
  private running = false;
  private stopped = false;
  private paused = false;
  private streamActive = false;
  private readonly frameMs: number;
  private readonly leadMs: number;
  private readonly clock: Clock;
  private readonly onFrame: (item: T) => void;
  private readonly sendAheadMs: number;
  private readonly batch: ((sendAll: () => void) => void) | undefined;
  private readonly enqueuedAt: number[] = [];
  private readonly maxQueuedFrames: number;

  /** Frames handed to `onFrame`. */
  framesSent = 0;
  /** Times a still-active stream ran dry and had to restart its schedule. */
  underruns = 0;
  /** Errors thrown by `onFrame`. */
  sendErrors = 0;
  /** Frames refused because `maxQueuedFrames` were already queued. */
  framesOverflowed = 0;
  /** Timer lateness: for frames that were queued before their due time, send time − due time, ms. */
  readonly jitter = new Histogram(200);
  /** Time each frame waited beyond `max(enqueued, due)`, ms: the pacer's own added latency. */
  readonly addedLatency = new Histogram(200);

  constructor(options: PacerOptions<T>) {
    this.frameMs = options.frameMs;
    this.leadMs = options.leadMs ?? 0;
    this.clock = options.clock;
    this.onFrame = options.onFrame;
    this.sendAheadMs = options.sendAheadMs ?? 0;
    this.batch = options.batch;
    this.maxQueuedFrames = options.maxQueuedFrames ?? Infinity;
  }

  /** Frames waiting to be sent. */
  get queuedFrames(): number {
    return this.queue.length - this.head;
  }

  /** Audio waiting to be sent, in ms. */
  get queuedMs(): number {
    return this.queuedFrames * this.frameMs;
  }

  /**
   * Marks whether more audio of the current stream is expected. While active, running dry and then
   * receiving a frame more than one frame late counts as an underrun.
   */
  setStreamActive(active: boolean): void {
    this.streamActive = active;
  }

  /**
   * Queues one frame; starts a new run if the pacer was idle. No-op after `stop()`; a frame beyond
   * `maxQueuedFrames` is dropped (counted in `framesOverflowed`).
   */
  enqueue(item: T): void {
    if (this.stopped) return;
    if (this.queue.length - this.head >= this.maxQueuedFrames) {
      this.framesOverflowed++;
      return;
    }
    const now = this.clock.nowMs();
    this.queue.push(item);
    this.enqueuedAt.push(now);
    if (this.timer !== undefined || this.paused) return;
    if (this.running) {
      // Everything sent so far has finished playing at the far end by runStart + sent * frameMs.
      const playedOutAt = this.runStartMs + this.sentInRun * this.frameMs;
      if (now > playedOutAt + this.frameMs) {
        // The far end ran dry for more than a frame: restart the schedule from now.
        if (this.streamActive) this.underruns++;
        this.startRun(now);
      }
    } else {
      this.startRun(now);
    }
    this.tick();
  }

  private startRun(now: number): void {
    this.running = true;
    this.runStartMs = now;
    this.sentInRun = 0;
  }

  private dueMs(k: number): number {
    return this.runStartMs + k * this.frameMs - this.leadMs;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.clock.nowMs();
    if (this.batch && this.head < this.queue.length && this.dueMs(this.sentInRun) <= now + 0.5) this.batch(() => this.sendDue(now));
    else this.sendDue(now);
    if (this.stopped || this.timer !== undefined) return;
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.enqueuedAt.length = 0;
      this.head = 0;
      return;
    }
    if (this.head > 256) {
      this.queue = this.queue.slice(this.head);
      this.enqueuedAt.splice(0, this.head);
      this.head = 0;
    }
    this.timer = this.clock.setTimeout(this.tick, Math.max(0, this.dueMs(this.sentInRun) - now));
  };

  /** Sends every queued frame due by `now` (plus `sendAheadMs` once the first is due). */
  private sendDue(now: number): void {
    let horizon = now + 0.5;
    while (this.head < this.queue.length) {
      const due = this.dueMs(this.sentInRun);
      if (due > horizon) break;
      horizon = now + 0.5 + this.sendAheadMs;
      const item = this.queue[this.head];
      const enqueuedAt = this.enqueuedAt[this.head];
      this.head++;
      this.sentInRun++;
      const effectiveDue = Math.max(due, this.runStartMs);
      if (enqueuedAt <= effectiveDue) this.jitter.record(now - effectiveDue);
      this.addedLatency.record(now - Math.max(effectiveDue, enqueuedAt));
      this.framesSent++;
      try {
        this.onFrame(item);
      } catch {
        this.sendErrors++;
      }
      if (this.stopped) return;
    }
  }

  /** Whether `pause()` holds the queue. */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Holds the queue: nothing more is sent until `resume()` (what was sent already plays out at the
   * far end). Frames enqueued meanwhile wait. Used while a possible barge-in is being confirmed.
   */
  pause(): void {
    if (this.paused || this.stopped) return;
    this.paused = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Sends the held queue on from where it stopped, on a new schedule from now (the pause is not an
   * underrun).
   */
  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    this.running = false;
    if (this.queuedFrames === 0) return;
    this.startRun(this.clock.nowMs());
    this.tick();
  }

  /**
   * Drops every queued frame (barge-in) and ends the run (and a pause).
   * @returns how many frames and ms of audio were dropped.
   */
  clear(): ClearResult {
    const droppedFrames = this.queuedFrames;
    this.queue = [];
    this.enqueuedAt.length = 0;
    this.head = 0;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.running = false;
    this.paused = false;
    return { droppedFrames, droppedMs: droppedFrames * this.frameMs };
  }

  /** Clears and stops for good; later `enqueue` calls are ignored. */
  stop(): void {
    this.clear();
    this.stopped = true;
  }
}
