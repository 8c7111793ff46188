/**
 * Inbound media watchdog for WebRTC: a browser that vanishes without closing its peer connection
 * (tab killed, laptop lid shut, network gone) leaves the call open until ICE gives up (≈27 s in
 * libdatachannel), holding the model session and delaying shutdown drains. Browsers send RTP every
 * 20 ms while a call is up, muted or not (a disabled track still sends silence; this server never
 * negotiates DTX), so a few seconds without a packet means the caller is gone. Pure apart from the
 * injected clock; one field write per packet on the hot path.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';

/** How long inbound RTP may stop before the call is ended, ms (well inside the 3 s we promise). */
export const INBOUND_TIMEOUT_MS = 2000;

/** Calls `onSilent` once when no packet arrived for `timeoutMs`. */
export class InboundWatchdog {
  private lastPacketAtMs = 0;
  private timer: TimerHandle | undefined;
  private running = false;

  /**
   * @param clock time source and timers.
   * @param timeoutMs silence that counts as gone, ms.
   * @param onSilent called once with how long inbound media had stopped, ms.
   */
  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onSilent: (silentMs: number) => void,
  ) {}

  /** Starts watching (the connection is up); the silence counts from now. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastPacketAtMs = this.clock.nowMs();
    this.timer = this.clock.setTimeout(this.check, this.timeoutMs);
  }

  /** A packet arrived at `atMs` (clock ms). */
  packet(atMs: number): void {
    this.lastPacketAtMs = atMs;
  }

  /** Stops watching; `onSilent` will not be called. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (!this.running) return;
    const silentMs = this.clock.nowMs() - this.lastPacketAtMs;
    if (silentMs >= this.timeoutMs) {
      this.running = false;
      this.onSilent(silentMs);
      return;
    }
    this.timer = this.clock.setTimeout(this.check, this.timeoutMs - silentMs);
  };
}
