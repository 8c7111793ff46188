/**
 * The emulator's load-test "model": it ignores what the caller says and answers on a timer, the way
 * a busy cloud model looks from a server's point of view. Every `replyEveryMs` it speaks
 * `replyMs` of speech-like audio, streamed in `chunkMs` chunks either at real-time pace (chunk `c`
 * leaves `c · chunkMs` after the reply starts) or in one burst (every chunk at once, faster than
 * real time). Streams start their first reply at staggered offsets so calls do not answer in
 * lockstep. The schedule (`replyChunkOffsetsMs`, `firstReplyAtMs`) is pure; timers go through an
 * injected clock.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { EventRelay } from '../../core/relay.js';
import type { ModelEvent, ModelSession, SpeechModel } from '../../models/model.js';

/** Rate of the (ignored) caller audio the brain accepts. */
const INPUT_RATE_HZ = 16000;

/** How a timed reply is streamed: `realtime` (chunk by chunk at playback pace) or `burst` (all at once). */
export type ReplyPace = 'realtime' | 'burst';

/** Settings of the timed brain. */
export interface TimedBrainOptions {
  /** Time from the start of one reply to the start of the next, ms (default 6000). */
  replyEveryMs?: number;
  /** Audio per reply, ms (default 2000). */
  replyMs?: number;
  /** Audio per streamed chunk, ms (default 100). */
  chunkMs?: number;
  /** `realtime` (default) or `burst`. */
  pace?: ReplyPace;
  /** Timers (default the system clock). */
  clock?: Clock;
  /** Observer: called as each chunk is sent (benchmarks time the server against it). */
  onChunk?: (chunk: TimedChunk) => void;
}

/** A chunk the timed brain sent, for `TimedBrainOptions.onChunk`. */
export interface TimedChunk {
  /** `SessionInit.callId` of the stream (the emulator passes its stream's session id). */
  sessionId: string;
  /** 1-based reply number within the stream. */
  reply: number;
  /** 0-based chunk index within the reply, and the reply's chunk count. */
  chunk: number;
  chunks: number;
  /** Clock time it was sent, and the time it was due (the difference is timer lateness), ms. */
  atMs: number;
  dueAtMs: number;
}

/**
 * When each chunk of one reply is sent, ms after the reply starts: `c · chunkMs` at real-time
 * pace, 0 for every chunk in a burst.
 * @throws RangeError unless `replyMs` and `chunkMs` are positive.
 */
export function replyChunkOffsetsMs(replyMs: number, chunkMs: number, pace: ReplyPace): number[] {
  if (!(replyMs > 0) || !(chunkMs > 0)) throw new RangeError(`replyMs (${replyMs}) and chunkMs (${chunkMs}) must be positive`);
  const chunks = Math.ceil(replyMs / chunkMs);
  return Array.from({ length: chunks }, (_, c) => (pace === 'realtime' ? c * chunkMs : 0));
}

/**
 * When stream `n` (0-based, in opening order) starts its first reply, ms after it opened: a
 * low-discrepancy spread over one period (golden-ratio steps), plus one second so the caller's
 * stream is live first.
 */
export function firstReplyAtMs(n: number, replyEveryMs: number): number {
  const phase = (n * 0.6180339887498949) % 1;
  return 1000 + Math.floor(phase * replyEveryMs);
}

/** `samples` of a speech-like test signal: 200 Hz + 900 Hz with a 4 Hz syllable envelope. */
function speechLike(samples: number, rateHz: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => {
    const t = i / rateHz;
    const env = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t);
    return Math.round(5000 * env * (Math.sin(2 * Math.PI * 200 * t) + 0.6 * Math.sin(2 * Math.PI * 900 * t)));
  });
}

class TimedSession implements ModelSession {
  private readonly relay = new EventRelay<ModelEvent>();
  private readonly timers = new Set<TimerHandle>();
  private readonly offsets: number[];
  private readonly chunkSamples: number;
  private seq = 0;
  private current: string | undefined;
  private closed = false;

  constructor(
    private readonly sessionId: string,
    private readonly clock: Clock,
    private readonly audio: Int16Array,
    rateHz: number,
    private readonly everyMs: number,
    chunkMs: number,
    pace: ReplyPace,
    firstAtMs: number,
    private readonly onChunk: ((chunk: TimedChunk) => void) | undefined,
  ) {
    this.offsets = replyChunkOffsetsMs((audio.length * 1000) / rateHz, chunkMs, pace);
    this.chunkSamples = (chunkMs * rateHz) / 1000;
    this.at(clock.nowMs() + firstAtMs, () => this.startReply(this.clock.nowMs()));
  }

  /** Runs `fn` at absolute clock time `atMs` (so lateness never accumulates). */
  private at(atMs: number, fn: () => void): void {
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      if (!this.closed) fn();
    }, Math.max(0, atMs - this.clock.nowMs()));
    this.timers.add(handle);
  }

  private startReply(startMs: number): void {
    const reply = ++this.seq;
    const id = `timed-${reply}`;
    const text = `reply ${reply}`;
    this.current = id;
    this.relay.emit({ type: 'responseStarted', responseId: id });
    // Chunks go out strictly in order, each at its due time (a chunk that is already due goes now).
    const sendFrom = (c: number): void => {
      for (; c < this.offsets.length; c++) {
        const dueAtMs = startMs + this.offsets[c];
        if (c > 0 && dueAtMs > this.clock.nowMs()) {
          const next = c;
          this.at(dueAtMs, () => sendFrom(next));
          return;
        }
        if (!this.sendChunk(id, reply, text, c, dueAtMs)) return;
      }
    };
    sendFrom(0);
    this.at(startMs + this.everyMs, () => this.startReply(startMs + this.everyMs));
  }

  /** Sends chunk `c` of reply `id`; false when the reply was cancelled. */
  private sendChunk(id: string, reply: number, text: string, c: number, dueAtMs: number): boolean {
    if (this.current !== id) return false; // cancelled
    const pcm = this.audio.subarray(c * this.chunkSamples, Math.min(this.audio.length, (c + 1) * this.chunkSamples));
    this.onChunk?.({ sessionId: this.sessionId, reply, chunk: c, chunks: this.offsets.length, atMs: this.clock.nowMs(), dueAtMs });
    this.relay.emit({ type: 'audio', pcm, responseId: id });
    this.relay.emit({ type: 'transcript', role: 'assistant', text, final: false, responseId: id });
    if (c === this.offsets.length - 1) {
      this.current = undefined;
      this.relay.emit({ type: 'transcript', role: 'assistant', text, final: true, responseId: id });
      this.relay.emit({ type: 'responseDone', responseId: id, cancelled: false });
    }
    return true;
  }

  setHandler(handler: (event: ModelEvent) => void): void {
    this.relay.setHandler(handler);
  }

  sendAudio(): void {}
  sendText(): void {}
  sendToolResult(): void {}
  truncate(): void {}

  cancelResponse(): void {
    const id = this.current;
    if (!id) return;
    this.current = undefined;
    this.relay.emit({ type: 'responseDone', responseId: id, cancelled: true });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
  }
}

/**
 * The timed brain: `modelAt(outputRateHz)` is a `SpeechModel` speaking at that rate (so chunks
 * last exactly `chunkMs` at the stream's rate, with no resampler delay). Streams are numbered in
 * opening order across rates (which staggers their first replies, see `firstReplyAtMs`).
 * @throws RangeError for non-positive durations.
 */
export function timedBrain(options: TimedBrainOptions = {}): { modelAt(outputRateHz: number): SpeechModel } {
  const everyMs = options.replyEveryMs ?? 6000;
  const replyMs = options.replyMs ?? 2000;
  const chunkMs = options.chunkMs ?? 100;
  const pace = options.pace ?? 'realtime';
  const clock = options.clock ?? systemClock;
  replyChunkOffsetsMs(replyMs, chunkMs, pace); // validates
  if (!(everyMs > 0)) throw new RangeError(`replyEveryMs (${everyMs}) must be positive`);
  let opened = 0;
  const models = new Map<number, SpeechModel>();
  return {
    modelAt(rateHz: number): SpeechModel {
      let model = models.get(rateHz);
      if (model) return model;
      const audio = speechLike(Math.round((replyMs * rateHz) / 1000), rateHz);
      model = {
        id: 'timed',
        capabilities: { truncation: false, serverTurnDetection: true, userTranscripts: false, textInput: false, needsContinuousAudio: false },
        inputRateHz: INPUT_RATE_HZ,
        outputRateHz: rateHz,
        maxSessionMs: Infinity,
        open: async (init) => new TimedSession(init.callId, clock, audio, rateHz, everyMs, chunkMs, pace, firstReplyAtMs(opened++, everyMs), options.onChunk),
      };
      models.set(rateHz, model);
      return model;
    },
  };
}
