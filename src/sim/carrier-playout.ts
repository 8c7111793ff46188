/**
 * A carrier's playout buffer as a strict clock (pure; times are passed in): from the first frame of
 * a reply it plays one frame every `frameMs`, with no jitter buffer of its own. An underrun is a
 * playout tick that finds the buffer empty while the reply is not over (fewer than `replyFrames`
 * frames of it have arrived); one stretch of empty ticks counts once. A reply is over once all its
 * frames have played, or at a `clear`. Used by the benchmarks to count underruns the way a caller
 * would hear them, independently of the server's own counters.
 */

/** Options for `CarrierPlayout`. */
export interface CarrierPlayoutOptions {
  /** Frame duration, ms (20 on Twilio and Vonage). */
  frameMs?: number;
  /** Frames in a complete reply (e.g. 100 for 2 s of audio in 20 ms frames). */
  replyFrames: number;
  /**
   * The carrier's jitter buffer: a reply starts playing this long after its first frame arrived
   * (default 0: at once, the strictest carrier; real ones buffer at least a packet).
   */
  jitterBufferMs?: number;
}

/** One call's playout at the carrier. */
export class CarrierPlayout {
  private readonly frameMs: number;
  private readonly replyFrames: number;
  private readonly jitterBufferMs: number;
  private inReply = false;
  private nextTickMs = 0;
  private buffered = 0;
  private received = 0;
  private starved = false;
  private replyStartMs = 0;
  /** Underruns so far (stretches of empty ticks inside a reply). */
  underruns = 0;
  /** Replies started so far. */
  replies = 0;
  /** Playout ticks that played silence inside a reply, in total (each is `frameMs` of gap). */
  silentTicks = 0;

  constructor(options: CarrierPlayoutOptions) {
    this.frameMs = options.frameMs ?? 20;
    this.replyFrames = options.replyFrames;
    this.jitterBufferMs = options.jitterBufferMs ?? 0;
  }

  /** Frames received in the current reply (0 when none is playing). */
  get framesInReply(): number {
    return this.inReply ? this.received : 0;
  }

  /** When the current reply's first frame arrived, ms. */
  get currentReplyStartMs(): number {
    return this.replyStartMs;
  }

  /**
   * A frame arrived at `atMs`.
   * @returns its index in the reply (0 for the first frame of a new reply).
   */
  frame(atMs: number): number {
    this.advance(atMs);
    if (!this.inReply) {
      this.inReply = true;
      this.received = 0;
      this.buffered = 0;
      this.starved = false;
      this.nextTickMs = atMs + this.jitterBufferMs;
      this.replyStartMs = atMs;
      this.replies++;
    }
    this.buffered++;
    this.starved = false;
    return this.received++;
  }

  /** The server told the carrier to drop its buffer (barge-in) at `atMs`: the reply is over. */
  clear(atMs: number): void {
    this.advance(atMs);
    this.inReply = false;
    this.buffered = 0;
  }

  /** Plays every tick strictly before `atMs`. */
  advance(atMs: number): void {
    while (this.inReply && this.nextTickMs < atMs) {
      if (this.buffered > 0) this.buffered--;
      else if (this.received >= this.replyFrames) {
        this.inReply = false;
        return;
      } else {
        this.silentTicks++;
        if (!this.starved) this.underruns++;
        this.starved = true;
      }
      this.nextTickMs += this.frameMs;
    }
  }
}
