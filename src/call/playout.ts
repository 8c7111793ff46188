/**
 * The playout side of a call: model audio → out-resampler → 20 ms framer → playout pacer → the
 * caller, with a playback ledger (what was sent and heard), playback marks every
 * `markIntervalMs`, the set of cancelled responses whose audio must never play, and the audio side
 * of barge-in (clear what is queued here and at the carrier, report the heard position). All timing
 * goes through the injected clock; the caller side is reached only through a `PlayoutSink`.
 */
import { Framer } from '../audio/framer.js';
import { PlayoutPacer } from '../audio/pacer.js';
import type { Resampler } from '../audio/resample.js';
import type { Clock } from '../core/clock.js';
import { PlaybackLedger } from './ledger.js';
import type { PlaybackStartSource } from './reply-latency.js';

/** Duration of one frame sent to the caller, ms (every carrier we support uses 20 ms). */
export const FRAME_MS = 20;
/** Most assistant audio queued for playout per call, ms (a model that sends more is cut short there). */
export const MAX_PLAYOUT_QUEUE_MS = 120_000;
/** Cancelled response ids remembered, count (oldest forgotten first). */
const MAX_CANCELLED_RESPONSES = 64;

/** One queued frame: `FRAME_MS` of PCM16 at the caller's output rate, and the response it belongs to. */
export interface PlayoutFrame {
  pcm: Int16Array;
  responseId: string;
}

/**
 * Where playout audio goes (a `CallerTransport` is one): `sendAudio` takes exactly one 20 ms frame
 * of PCM16 at the caller's output rate, `mark` asks for a `played` report, `clearPlayback` drops
 * audio buffered at the carrier, `corked` (optional) makes the sends inside it one socket write.
 */
export interface PlayoutSink {
  sendAudio(frame: Int16Array): void;
  mark(markId: string): void;
  clearPlayback(): void;
  corked?(send: () => void): void;
}

/** Dependencies and settings of `Playout`. */
export interface PlayoutDeps {
  /** Time source and timers (pacing). */
  clock: Clock;
  /** Where frames, marks and clears go. */
  sink: PlayoutSink;
  /** Sample rate of PCM16 the sink takes, Hz (must hold a whole number of samples per 20 ms). */
  outputRateHz: number;
  /** Resamples model audio to `outputRateHz` (null when the model already speaks at it); `destroy()` frees it. */
  resampler: Resampler | null;
  /** Whether the sink confirms playback with marks (else sent ≈ heard). */
  supportsMarks: boolean;
  /** How far ahead of real time audio may be sent, ms. */
  leadMs: number;
  /** Audio leaves in batches covering this much, ms (default 20: frame by frame). */
  batchMs?: number;
  /** One mark per this much audio sent, ms (multiple of 20; only when `supportsMarks`). */
  markIntervalMs: number;
  /**
   * Called after each frame went to the sink: its response, the response's sent position after it
   * (ms; 20 for a response's first frame) and the clock time it was sent (ms).
   */
  onFrameSent?: (responseId: string, positionMs: number, sentAtMs: number) => void;
}

/** What a barge-in did to playout (see `Playout.interrupt`). */
export interface PlayoutCut {
  /** The response cut off (now cancelled), or undefined when none had played. */
  responseId: string | undefined;
  /** Audio of it the caller had heard when the carrier was told to clear, ms (whole). */
  heardMs: number;
  /** Audio of it sent to the carrier, ms. */
  sentMs: number;
  /** Audio dropped from the pacer's queue, ms. */
  droppedMs: number;
  /** Interrupt began → carrier clear sent, ms. */
  reactionMs: number;
  /**
   * A later response cut before the caller heard any of it (its audio queued behind the one
   * playing, or still coming from the model), now cancelled too; absent when there is none.
   */
  queuedResponseId?: string;
}

/** Plays model audio out to one caller. */
export class Playout implements PlaybackStartSource {
  private readonly framer: Framer;
  private readonly pacer: PlayoutPacer<PlayoutFrame>;
  private readonly ledger: PlaybackLedger;
  private readonly cancelled = new Set<string>();
  private lastFrameSentAtMs = 0;
  private framesSinceMark = 0;
  private markSeq = 0;
  private lastQueued: string | undefined;

  /** @param deps clock, sink, rates and settings; `deps.resampler` becomes this playout's to destroy. */
  constructor(private readonly deps: PlayoutDeps) {
    const { sink, clock } = deps;
    this.framer = new Framer(deps.outputRateHz, FRAME_MS);
    this.ledger = new PlaybackLedger(deps.supportsMarks);
    this.pacer = new PlayoutPacer({
      frameMs: FRAME_MS,
      leadMs: deps.leadMs,
      sendAheadMs: Math.max(0, (deps.batchMs ?? FRAME_MS) - FRAME_MS),
      clock,
      onFrame: (f) => this.sendFrame(f),
      batch: sink.corked ? (sendAll) => sink.corked!(sendAll) : undefined,
      maxQueuedFrames: MAX_PLAYOUT_QUEUE_MS / FRAME_MS,
    });
  }

  /** The pacer (for metrics: frames sent, underruns, jitter, added latency). */
  get pacerStats(): PlayoutPacer<PlayoutFrame> {
    return this.pacer;
  }

  /** The response whose audio was sent last, if any. */
  get lastResponseId(): string | undefined {
    return this.ledger.currentResponseId;
  }

  /** The response whose audio was queued last, if any (a response that carried no audio never is). */
  get lastQueuedResponseId(): string | undefined {
    return this.lastQueued;
  }

  /** Whether response `responseId` was cut off by a barge-in (its audio is dropped). */
  isCancelled(responseId: string): boolean {
    return this.cancelled.has(responseId);
  }

  /** When the caller started hearing response `responseId`, clock ms (see `PlaybackLedger.playbackStartedAtMs`). */
  playbackStartedAtMs(responseId: string): number | undefined {
    return this.ledger.playbackStartedAtMs(responseId);
  }

  /**
   * Queues model audio of response `responseId` (PCM16 at the model's output rate) as 20 ms frames;
   * a partial frame waits for more audio or `responseDone`. Audio of a cancelled response is dropped.
   */
  push(pcm: Int16Array, responseId: string): void {
    if (this.cancelled.has(responseId)) return;
    this.lastQueued = responseId;
    const out = this.deps.resampler ? this.deps.resampler.process(pcm) : pcm;
    for (const frame of this.framer.push(out)) this.pacer.enqueue({ pcm: frame, responseId });
    // Active only after the first frames are queued: the start of a reply is not an underrun.
    this.pacer.setStreamActive(true);
  }

  /** Response `responseId` has no more audio: its last partial frame is padded with silence and queued. */
  responseDone(responseId: string): void {
    if (this.cancelled.has(responseId)) return;
    const tail = this.framer.flush();
    if (tail) this.pacer.enqueue({ pcm: tail, responseId });
    this.pacer.setStreamActive(false);
  }

  /**
   * The carrier confirmed mark `markId` at `nowMs` (clock ms).
   * @returns false for an unknown mark (already confirmed, cleared, or never sent).
   */
  markPlayed(markId: string, nowMs: number): boolean {
    return this.ledger.markPlayed(markId, nowMs);
  }

  /**
   * Whether everything queued has played out by `nowMs` (clock ms): nothing is queued and either
   * all sent audio has been heard or the last frame left more than `leadMs` + 1 s ago (a carrier
   * that stopped confirming marks).
   */
  isDrained(nowMs: number): boolean {
    if (this.pacer.queuedFrames !== 0) return false;
    return this.ledger.unplayedMs(nowMs) <= 0 || nowMs - this.lastFrameSentAtMs > this.deps.leadMs + 1000;
  }

  /**
   * The audio side of barge-in: drops queued audio (pacer, framer, resampler history), tells the
   * sink to clear, measures what the caller heard of the response cut off, forgets pending marks
   * and cancels that response so its late audio never plays.
   * The response cut is the one the caller is hearing (sent and not all heard yet); when none is,
   * the one streaming now. A streaming response other than the one heard (a reply queued behind a
   * spoken preamble, e.g. after a tool call) is cancelled as well (`queuedResponseId`).
   * @param activeResponseId the response streaming now, if known.
   */
  interrupt(activeResponseId: string | undefined): PlayoutCut {
    const { clock, sink, resampler } = this.deps;
    const signalAtMs = clock.nowMs();
    const playing = this.ledger.currentResponseId;
    const responseId = playing !== undefined && this.ledger.unplayedMs(signalAtMs) > 0 ? playing : (activeResponseId ?? playing);
    const queuedResponseId = activeResponseId !== undefined && activeResponseId !== responseId ? activeResponseId : undefined;
    const dropped = this.pacer.clear();
    this.framer.reset();
    resampler?.reset();
    sink.clearPlayback();
    const clearedAtMs = clock.nowMs();
    this.pacer.setStreamActive(false);
    const heardMs = responseId ? Math.round(this.ledger.heardMs(responseId, clearedAtMs)) : 0;
    const sentMs = responseId ? this.ledger.sentMs(responseId) : 0;
    this.ledger.clearMarks();
    this.framesSinceMark = 0;
    for (const id of [responseId, queuedResponseId]) {
      if (id === undefined) continue;
      this.cancelled.add(id);
      if (this.cancelled.size > MAX_CANCELLED_RESPONSES) this.cancelled.delete(this.cancelled.values().next().value!);
    }
    const cut: PlayoutCut = { responseId, heardMs, sentMs, droppedMs: dropped.droppedMs, reactionMs: clearedAtMs - signalAtMs };
    if (queuedResponseId !== undefined) cut.queuedResponseId = queuedResponseId;
    return cut;
  }

  /** Holds playout while a possible barge-in is confirmed: nothing more is sent until `release()`. */
  hold(): void {
    this.pacer.pause();
  }

  /** Goes on from where `hold()` stopped (a false interruption: a cough, a door). */
  release(): void {
    this.pacer.resume();
  }

  /** Stops sending (queued frames are never sent); idempotent. */
  stop(): void {
    this.pacer.stop();
  }

  /** Frees the resampler; call once after `stop()`. */
  destroy(): void {
    this.deps.resampler?.destroy();
  }

  private sendFrame(f: PlayoutFrame): void {
    const { sink, clock } = this.deps;
    if (this.cancelled.has(f.responseId)) return;
    const now = clock.nowMs();
    sink.sendAudio(f.pcm);
    this.lastFrameSentAtMs = now;
    const position = this.ledger.frameSent(f.responseId, FRAME_MS, now);
    this.deps.onFrameSent?.(f.responseId, position, now);
    if (this.deps.supportsMarks && ++this.framesSinceMark * FRAME_MS >= this.deps.markIntervalMs) {
      this.framesSinceMark = 0;
      const markId = `${f.responseId}:${++this.markSeq}`;
      this.ledger.markSent(markId, f.responseId, position);
      sink.mark(markId);
    }
  }
}
