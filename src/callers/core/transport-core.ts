/**
 * The state every caller transport shares, WebSocket and WebRTC alike: buffered event delivery,
 * the `started` promise, the one-time `ended` report, bad-message counting, protocol errors and
 * the inbound-audio limiter. Held by each transport (composition); it knows no socket, only an
 * `abort` callback that ends the connection the transport's way.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { EventRelay } from '../../core/relay.js';
import type { CallerEvent, CallerStartInfo, HangupOptions, InboundAudioLimiter } from '../transport.js';
import { CloseCode } from './socket.js';

/**
 * Invalid or unknown messages tolerated on one connection before it is closed with 1008 "too many
 * invalid messages" (one socket streaming unknown events must not turn into a flood of log lines).
 */
export const MAX_BAD_MESSAGES = 20;

/** What every transport is built with (the second argument of every transport constructor). */
export interface TransportDeps {
  /** Stamps inbound audio with its arrival time; runs the transport's timers. */
  clock: Clock;
  /** Logger bound to the connection. */
  logger: Logger;
}

/**
 * Ends a connection the transport's way: `code` is a WebSocket close code (RFC 6455 §7.4.1),
 * `reason` the human-readable reason, `endedReason` what the call was told (`protocol-error`,
 * `audio-flood`).
 */
export type AbortConnection = (code: number, reason: string, endedReason: string) => void;

/** The close code of a hang-up from our side: 1001 "going away" when the server is shutting down, else 1000. */
export function hangupCloseCode(options?: HangupOptions): number {
  return options?.serverShutdown ? CloseCode.goingAway : CloseCode.normal;
}

/** Shared transport state; see the module comment. */
export class TransportCore {
  private readonly relay = new EventRelay<CallerEvent>();
  /** Resolves when the carrier's stream starts; rejects when the connection fails first. */
  readonly started: Promise<CallerStartInfo>;
  private resolveStarted!: (info: CallerStartInfo) => void;
  private rejectStarted!: (err: Error) => void;
  private startedFlag = false;
  private endedFlag = false;
  private inboundLimiter: InboundAudioLimiter | undefined;
  /** Inbound messages rejected as invalid. */
  badMessages = 0;

  /**
   * @param deps clock and logger of the connection.
   * @param abort ends the connection (called for protocol errors and audio floods).
   * @param onEnded called once, right after `ended` was reported (e.g. to stop watchdogs).
   */
  constructor(
    private readonly deps: TransportDeps,
    private readonly abort: AbortConnection,
    private readonly onEnded?: (reason: string) => void,
  ) {
    this.started = new Promise<CallerStartInfo>((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.started.catch(() => {});
  }

  /** Whether the stream has started. */
  get isStarted(): boolean {
    return this.startedFlag;
  }

  /** Whether `ended` has been reported (no more events will follow). */
  get hasEnded(): boolean {
    return this.endedFlag;
  }

  /** Marks the stream started with `info` (once; later calls are ignored). */
  start(info: CallerStartInfo): void {
    if (this.startedFlag || this.endedFlag) return;
    this.startedFlag = true;
    this.resolveStarted(info);
  }

  /** Rejects `started` with `err` when the stream has not started (no effect afterwards). */
  fail(err: Error): void {
    this.rejectStarted(err);
  }

  /** Installs the call's event handler; earlier events are delivered to it first. */
  setHandler(handler: (event: CallerEvent) => void): void {
    this.relay.setHandler(handler);
  }

  /** Delivers one event to the call (not after `ended`). */
  emit(event: CallerEvent): void {
    if (!this.endedFlag) this.relay.emit(event);
  }

  /** Reports `ended` with `reason`, once. */
  reportEnded(reason: string): void {
    if (this.endedFlag) return;
    this.endedFlag = true;
    this.relay.emit({ type: 'ended', reason });
    this.onEnded?.(reason);
  }

  /** Puts `limiter` in front of inbound audio (see `CallerTransport.limitInboundAudio`). */
  limitInboundAudio(limiter: InboundAudioLimiter): void {
    this.inboundLimiter = limiter;
  }

  /**
   * Whether `audioMs` of caller audio that arrived at `receivedAtMs` may pass (ask before decoding
   * it). A caller far beyond real time is aborted with 1008 and reported ended (`audio-flood`).
   */
  admitAudio(audioMs: number, receivedAtMs: number): boolean {
    const verdict = this.inboundLimiter?.admit(audioMs, receivedAtMs) ?? 'admit';
    if (verdict === 'admit') return true;
    if (verdict === 'close') {
      this.deps.logger.warn({ closeCode: CloseCode.policyViolation }, 'caller sends audio far faster than real time: closing');
      this.end(CloseCode.policyViolation, 'audio arrives far faster than real time', 'audio-flood');
    }
    return false;
  }

  /**
   * Counts one message the transport cannot use but that does not end the call by itself (an
   * unknown event, a frame of the wrong type): the first is logged at warn, the rest at debug,
   * and the `MAX_BAD_MESSAGES`-th aborts the connection with 1008 "too many invalid messages".
   * @returns true when this message ended the connection.
   */
  badMessage(detail: Record<string, unknown>, message: string): boolean {
    this.badMessages++;
    if (this.badMessages === 1) this.deps.logger.warn({ ...detail, badMessages: 1, closesAt: MAX_BAD_MESSAGES }, message);
    else this.deps.logger.debug({ ...detail, badMessages: this.badMessages }, message);
    if (this.badMessages < MAX_BAD_MESSAGES) return false;
    this.protocolError(CloseCode.policyViolation, 'too many invalid messages');
    return true;
  }

  /** Rejects the connection for bad input: logs, aborts with `code` and `reason`, reports `protocol-error`. */
  protocolError(code: number, reason: string): void {
    this.badMessages++;
    this.deps.logger.warn({ closeCode: code }, `caller protocol error: ${reason}`);
    this.end(code, reason, 'protocol-error');
  }

  private end(code: number, reason: string, endedReason: string): void {
    this.rejectStarted(new Error(reason));
    this.reportEnded(endedReason);
    this.abort(code, reason, endedReason);
  }
}
