/**
 * A call's liveness watchdog: remembers when the call last saw activity (caller speech above
 * `ACTIVITY_RMS`, DTMF, typed text, model speech events, final transcripts, assistant audio sent,
 * tool results) and last received caller audio, and says on each housekeeping tick whether the
 * call has reached its longest length, has been idle too long, or needs keep-alive silence sent to
 * the model. Pure: every method takes the current clock time in ms.
 */
import { rms } from '../audio/level.js';
import type { CallOptions } from './types.js';

/** Caller audio with an RMS above this counts as activity (≈ −40 dBFS of PCM16 full scale). */
export const ACTIVITY_RMS = 300;

/**
 * What a housekeeping tick should do: `maxLength` (hang up at `maxCallMs`), `inactive` (end at
 * `inactivityTimeoutMs` without activity), `keepAlive` (the caller sent no audio for
 * `keepAliveAfterMs`: models that need continuous audio get silence), or `ok`.
 */
export type WatchdogVerdict = 'maxLength' | 'endRequested' | 'inactive' | 'keepAlive' | 'ok';

/**
 * After the model asked to end the call (`end_call`), longest wait for its goodbye to be said and
 * heard before the call is hung up anyway, ms.
 */
export const END_CALL_GRACE_MS = 10_000;

/** The limits a watchdog enforces (from `CallOptions`, all ms). */
export type WatchdogLimits = Pick<CallOptions, 'maxCallMs' | 'inactivityTimeoutMs' | 'keepAliveAfterMs'>;

/** Liveness bookkeeping of one call. */
export class CallWatchdog {
  private lastActivityAtMs: number;
  private lastInboundAtMs: number;
  /** When the end of the call was asked for, and whether a reply finished since. */
  private endRequest: { atMs: number; replyFinished: boolean } | undefined;

  /** @param startedAtMs when the call started (clock ms): it counts as activity and as inbound audio. */
  constructor(private readonly startedAtMs: number, private readonly limits: WatchdogLimits) {
    this.lastActivityAtMs = startedAtMs;
    this.lastInboundAtMs = startedAtMs;
  }

  /** Something happened at `atMs` that keeps the call alive. */
  activity(atMs: number): void {
    this.lastActivityAtMs = atMs;
  }

  /** Caller audio `pcm` (PCM16) arrived at `atMs`; it is activity only when louder than `ACTIVITY_RMS`. */
  callerAudio(pcm: Int16Array, atMs: number): void {
    this.lastInboundAtMs = atMs;
    if (rms(pcm) > ACTIVITY_RMS) this.lastActivityAtMs = atMs;
  }

  /** The model asked at `atMs` to end the call once its goodbye has been heard (`end_call`). */
  requestEnd(atMs: number): void {
    this.endRequest ??= { atMs, replyFinished: false };
  }

  /** A reply finished at `atMs` (its audio may still be playing). */
  replyFinished(atMs: number): void {
    if (this.endRequest && atMs >= this.endRequest.atMs) this.endRequest.replyFinished = true;
  }

  /** Time since the last activity at `nowMs`, ms. */
  idleMs(nowMs: number): number {
    return nowMs - this.lastActivityAtMs;
  }

  /**
   * The verdict at `nowMs`, most important first: `maxLength`, `endRequested` (a reply finished
   * after the request and `playoutDrained`, or `END_CALL_GRACE_MS` passed), `inactive`, `keepAlive`.
   */
  check(nowMs: number, playoutDrained = true): WatchdogVerdict {
    const { maxCallMs, inactivityTimeoutMs, keepAliveAfterMs } = this.limits;
    if (maxCallMs !== undefined && nowMs - this.startedAtMs >= maxCallMs) return 'maxLength';
    const end = this.endRequest;
    if (end && ((end.replyFinished && playoutDrained) || nowMs - end.atMs >= END_CALL_GRACE_MS)) return 'endRequested';
    if (nowMs - this.lastActivityAtMs > inactivityTimeoutMs) return 'inactive';
    if (nowMs - this.lastInboundAtMs > keepAliveAfterMs) return 'keepAlive';
    return 'ok';
  }
}
