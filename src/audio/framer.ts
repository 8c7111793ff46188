/**
 * Framer: turns PCM16 chunks of any size into exact fixed-duration frames (20 ms by default).
 * Pure and stateful; one instance per stream direction.
 */
export class Framer {
  /** Samples per output frame. */
  readonly frameSamples: number;
  private pending: Int16Array;
  private pendingLength = 0;

  /**
   * @param sampleRateHz sample rate of the stream.
   * @param frameMs frame duration; `sampleRateHz * frameMs / 1000` must be a whole number.
   * @throws RangeError when the frame would not hold a whole number of samples.
   */
  constructor(readonly sampleRateHz: number, readonly frameMs = 20) {
    const exact = (sampleRateHz * frameMs) / 1000;
    if (!Number.isInteger(exact) || exact <= 0) {
      throw new RangeError(`${frameMs} ms at ${sampleRateHz} Hz is not a whole number of samples`);
    }
    this.frameSamples = exact;
    this.pending = new Int16Array(exact);
  }

  /** Samples buffered that do not yet fill a frame. */
  get bufferedSamples(): number {
    return this.pendingLength;
  }

  /**
   * Adds a chunk and returns every complete frame it finishes (each a new array of exactly
   * `frameSamples` samples; possibly none).
   */
  push(chunk: Int16Array): Int16Array[] {
    const frames: Int16Array[] = [];
    let offset = 0;
    const n = this.frameSamples;
    if (this.pendingLength > 0) {
      const take = Math.min(n - this.pendingLength, chunk.length);
      this.pending.set(chunk.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      offset = take;
      if (this.pendingLength < n) return frames;
      frames.push(this.pending);
      this.pending = new Int16Array(n);
      this.pendingLength = 0;
    }
    while (chunk.length - offset >= n) {
      frames.push(chunk.slice(offset, offset + n));
      offset += n;
    }
    if (offset < chunk.length) {
      this.pending.set(chunk.subarray(offset), 0);
      this.pendingLength = chunk.length - offset;
    }
    return frames;
  }

  /** Returns the partial frame padded with silence to a full frame (or null when empty), and resets. */
  flush(): Int16Array | null {
    if (this.pendingLength === 0) return null;
    const frame = this.pending;
    frame.fill(0, this.pendingLength);
    this.pending = new Int16Array(this.frameSamples);
    this.pendingLength = 0;
    return frame;
  }

  /** Drops any buffered partial frame (e.g. on barge-in). */
  reset(): void {
    this.pendingLength = 0;
  }
}
