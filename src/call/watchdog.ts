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
export type WatchdogVerdict = 'maxLength' | 'inactive' | 'keepAlive' | 'ok';

/** The limits a watchdog enforces (from `CallOptions`, all ms). */
export type WatchdogLimits = Pick<CallOptions, 'maxCallMs' | 'inactivityTimeoutMs' | 'keepAliveAfterMs'>;

/** Liveness bookkeeping of one call. */
export class CallWatchdog {
  private lastActivityAtMs: number;
  private lastInboundAtMs: number;

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

  /** Time since the last activity at `nowMs`, ms. */
  idleMs(nowMs: number): number {
    return nowMs - this.lastActivityAtMs;
  }

  /** The verdict at `nowMs`, most important first: `maxLength`, then `inactive`, then `keepAlive`. */
  check(nowMs: number): WatchdogVerdict {
    const { maxCallMs, inactivityTimeoutMs, keepAliveAfterMs } = this.limits;
    if (maxCallMs !== undefined && nowMs - this.startedAtMs >= maxCallMs) return 'maxLength';
    if (nowMs - this.lastActivityAtMs > inactivityTimeoutMs) return 'inactive';
    if (nowMs - this.lastInboundAtMs > keepAliveAfterMs) return 'keepAlive';
    return 'ok';
  }
}
