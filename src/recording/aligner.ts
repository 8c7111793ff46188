/**
 * The pure half of a call recording: two channel queues (caller, agent) placed on one timeline from
 * the call's start, taken out as interleaved stereo blocks with the gaps filled with silence.
 * No I/O and no clock: times are passed in (ms since the call started).
 *
 * Placement: each channel has an end (where its audio so far stops). A chunk that arrives no more
 * than `gapToleranceMs` after that end follows on from it (network jitter and a playout that sends
 * a little ahead do not tear the audio); one that arrives later starts where it arrived, and the gap
 * is silence (a pause, a caller stream that stalled). Audio never lands before what was already
 * taken. `cut` drops what a channel holds from a time on: a barge-in clears the audio the carrier
 * had buffered but not yet played, so the recording goes silent there, as the caller's ear did.
 */

/** Channel index in the stereo file: 0 left (the caller), 1 right (the agent). */
export type StereoChannel = 0 | 1;

/** Left channel: the caller, as their audio arrived. */
export const CALLER_CHANNEL: StereoChannel = 0;
/** Right channel: the agent, as playout sent it to the carrier. */
export const AGENT_CHANNEL: StereoChannel = 1;

/** Settings of a `StereoAligner`. */
export interface StereoAlignerOptions {
  /** Sample rate of both channels and of the blocks taken, Hz. */
  rateHz: number;
  /** A chunk arriving at most this long after its channel's end follows on from it; later, it starts where it arrived, ms (default 60). */
  gapToleranceMs?: number;
  /** Most audio one channel may hold beyond what was taken, ms; a chunk that would go past it is dropped and counted (default 10000). */
  maxHeldMs?: number;
}

interface Segment {
  /** First sample's position on the timeline, samples since the call started. */
  start: number;
  pcm: Int16Array;
}

interface Lane {
  segments: Segment[];
  /** Where the channel's audio so far ends, samples. */
  end: number;
}

/** Two mono channels → one interleaved stereo timeline (see the module comment). */
export class StereoAligner {
  private readonly lanes: [Lane, Lane] = [{ segments: [], end: 0 }, { segments: [], end: 0 }];
  /** Samples per channel already taken (the timeline before this is on its way to disk). */
  private taken = 0;
  private readonly toleranceSamples: number;
  private readonly maxHeldSamples: number;
  /** Audio dropped because a channel held too much (`maxHeldMs`), ms per channel. */
  readonly droppedMs: [number, number] = [0, 0];

  constructor(private readonly options: StereoAlignerOptions) {
    if (!(options.rateHz > 0)) throw new RangeError(`bad recording rate ${options.rateHz}`);
    this.toleranceSamples = this.samplesAt(options.gapToleranceMs ?? 60);
    this.maxHeldSamples = this.samplesAt(options.maxHeldMs ?? 10_000);
  }

  /** Samples per channel taken so far (the length of the audio handed out, in samples). */
  get takenSamples(): number {
    return this.taken;
  }

  /** Where `channel`'s audio so far ends, ms since the call started. */
  endMs(channel: StereoChannel): number {
    return (this.lanes[channel].end * 1000) / this.options.rateHz;
  }

  /**
   * Places `pcm` (mono PCM16 at `rateHz`) on `channel`, arriving at `atMs` (ms since the call
   * started; where it starts if it does not follow on). The samples are copied.
   * @returns false when it was dropped (the channel already holds `maxHeldMs` beyond what was taken).
   */
  push(channel: StereoChannel, pcm: Int16Array, atMs: number): boolean {
    if (pcm.length === 0) return true;
    const lane = this.lanes[channel];
    const at = this.samplesAt(atMs);
    let start = at - lane.end > this.toleranceSamples ? at : lane.end;
    start = Math.max(start, this.taken);
    if (start + pcm.length - this.taken > this.maxHeldSamples) {
      this.droppedMs[channel] += (pcm.length * 1000) / this.options.rateHz;
      return false;
    }
    lane.segments.push({ start, pcm: pcm.slice() });
    lane.end = start + pcm.length;
    return true;
  }

  /**
   * Drops what `channel` holds from `atMs` on (ms since the call started; never before what was
   * already taken), and moves its end back there.
   */
  cut(channel: StereoChannel, atMs: number): void {
    const at = Math.max(this.taken, this.samplesAt(atMs));
    const lane = this.lanes[channel];
    if (lane.end <= at) return;
    const kept: Segment[] = [];
    for (const s of lane.segments) {
      if (s.start >= at) continue;
      kept.push(s.start + s.pcm.length > at ? { start: s.start, pcm: s.pcm.subarray(0, at - s.start) } : s);
    }
    lane.segments = kept;
    lane.end = at;
  }

  /**
   * Takes the timeline from where the last take stopped up to `untilMs` (ms since the call
   * started) as interleaved stereo PCM16 (left, right, left, …), silence where a channel has no
   * audio. Empty when `untilMs` is not past the last take.
   */
  take(untilMs: number): Int16Array {
    return this.takeTo(this.samplesAt(untilMs));
  }

  /** Takes everything both channels hold (the end of the call): up to the later channel's end. */
  takeAll(): Int16Array {
    return this.takeTo(Math.max(this.lanes[0].end, this.lanes[1].end));
  }

  private takeTo(until: number): Int16Array {
    const from = this.taken;
    if (until <= from) return new Int16Array(0);
    const out = new Int16Array((until - from) * 2);
    for (const channel of [0, 1] as const) {
      const lane = this.lanes[channel];
      const rest: Segment[] = [];
      for (const s of lane.segments) {
        const end = s.start + s.pcm.length;
        const a = Math.max(s.start, from);
        const b = Math.min(end, until);
        for (let i = a; i < b; i++) out[(i - from) * 2 + channel] = s.pcm[i - s.start];
        if (end > until) rest.push(s.start >= until ? s : { start: until, pcm: s.pcm.subarray(until - s.start) });
      }
      lane.segments = rest;
    }
    this.taken = until;
    return out;
  }

  private samplesAt(ms: number): number {
    return Math.round((ms * this.options.rateHz) / 1000);
  }
}
