/**
 * The far end's playback buffer, simulated: audio received from the server is played in order at
 * real time; a carrier `clear` drops what has not played yet. Records what was actually heard, on
 * a timeline relative to the call start. Used by the simulated callers (CLI, tests, benchmarks).
 */

interface Chunk {
  pcm: Int16Array;
  playAtMs: number;
  durationMs: number;
}

/** A simulated listener's playback buffer at one sample rate. */
export class SimulatedPlayout {
  private chunks: Chunk[] = [];
  private queueEndMs = 0;
  /** Audio dropped by clears, ms. */
  droppedMs = 0;

  /** @param sampleRateHz rate of the received PCM16. */
  constructor(readonly sampleRateHz: number) {}

  /** When everything received so far will have played (clock ms). */
  get endMs(): number {
    return this.queueEndMs;
  }

  /** Queues received audio at `nowMs`; returns when it starts playing. */
  enqueue(pcm: Int16Array, nowMs: number): number {
    const playAtMs = Math.max(nowMs, this.queueEndMs);
    const durationMs = (pcm.length * 1000) / this.sampleRateHz;
    this.chunks.push({ pcm, playAtMs, durationMs });
    this.queueEndMs = playAtMs + durationMs;
    return playAtMs;
  }

  /** Drops audio that has not started playing by `nowMs` (a chunk playing now is cut there). */
  clear(nowMs: number): void {
    const kept: Chunk[] = [];
    for (const c of this.chunks) {
      if (c.playAtMs >= nowMs) {
        this.droppedMs += c.durationMs;
        continue;
      }
      const playedMs = nowMs - c.playAtMs;
      if (playedMs < c.durationMs) {
        const keep = Math.floor((playedMs * this.sampleRateHz) / 1000);
        this.droppedMs += c.durationMs - playedMs;
        kept.push({ pcm: c.pcm.subarray(0, keep), playAtMs: c.playAtMs, durationMs: playedMs });
      } else kept.push(c);
    }
    this.chunks = kept;
    this.queueEndMs = Math.min(this.queueEndMs, nowMs);
  }

  /** Heard audio on a timeline starting at `startMs` (silence where nothing played). */
  render(startMs: number): Int16Array {
    const totalMs = Math.max(0, this.queueEndMs - startMs);
    const out = new Int16Array(Math.ceil((totalMs * this.sampleRateHz) / 1000));
    for (const c of this.chunks) {
      const offset = Math.round(((c.playAtMs - startMs) * this.sampleRateHz) / 1000);
      if (offset >= 0) out.set(c.pcm.subarray(0, Math.max(0, out.length - offset)), offset);
    }
    return out;
  }

  /** Start times (clock ms) of heard chunks, with durations. */
  timeline(): Array<{ playAtMs: number; durationMs: number }> {
    return this.chunks.map((c) => ({ playAtMs: c.playAtMs, durationMs: c.durationMs }));
  }
}
