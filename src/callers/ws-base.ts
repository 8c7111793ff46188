/**
 * Shared shell for WebSocket caller transports: buffered event delivery, the `started` promise,
 * protocol-error handling (close with a code and reason, report `ended`), and safe sends.
 */
import type { WebSocket } from 'ws';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { EventRelay } from '../core/relay.js';
import type { CallerEvent, CallerStartInfo, HangupOptions, InboundAudioLimiter } from './transport.js';

/** WebSocket close codes we use (RFC 6455 §7.4.1). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
} as const;

/**
 * Invalid or unknown messages tolerated on one socket before it is closed with 1008 "too many
 * invalid messages" (one socket streaming unknown events must not turn into a flood of log lines).
 */
export const MAX_BAD_MESSAGES = 20;

/** Base class for transports over a `ws` WebSocket. */
export abstract class WsTransportBase {
  protected readonly relay = new EventRelay<CallerEvent>();
  /** Resolves when the carrier's stream starts. */
  readonly started: Promise<CallerStartInfo>;
  protected resolveStarted!: (info: CallerStartInfo) => void;
  private rejectStarted!: (err: Error) => void;
  protected isStarted = false;
  protected endedReported = false;
  /** Inbound messages rejected as invalid. */
  badMessages = 0;
  /** Sends that failed because the socket was gone. */
  sendFailures = 0;
  private inboundLimiter: InboundAudioLimiter | undefined;

  /**
   * @param ws the accepted socket; its messages go to `onMessage`.
   * @param clock stamps inbound audio with its arrival time.
   * @param log logger bound to the connection.
   */
  constructor(protected readonly ws: WebSocket, protected readonly clock: Clock, protected readonly log: Logger) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!this.endedReported) this.onMessage(data, isBinary, this.clock.nowMs());
    });
    this.started = new Promise<CallerStartInfo>((resolve, reject) => {
      this.resolveStarted = (info) => {
        this.isStarted = true;
        resolve(info);
      };
      this.rejectStarted = reject;
    });
    this.started.catch(() => {});
    ws.on('close', (code: number, reason: Buffer) => {
      this.rejectStarted(new Error(`socket closed before the stream started (${code} ${reason.toString()})`));
      // 1005 = closed without a status code (RFC 6455 §7.1.5): a normal hang-up too.
      this.reportEnded(code === CloseCode.normal || code === CloseCode.goingAway || code === 1005 ? 'socket-closed' : `socket-closed-${code}`);
    });
    ws.on('error', (err: Error) => this.log.warn({ err: err.message }, 'caller socket error'));
  }

  /** Handles one inbound message (never called after the transport reported `ended`). */
  protected abstract onMessage(data: Buffer, isBinary: boolean, receivedAtMs: number): void;

  /** Installs the call's event handler. */
  setHandler(handler: (event: CallerEvent) => void): void {
    this.relay.setHandler(handler);
  }

  /** Puts `limiter` in front of inbound audio (see `CallerTransport.limitInboundAudio`). */
  limitInboundAudio(limiter: InboundAudioLimiter): void {
    this.inboundLimiter = limiter;
  }

  /**
   * Whether `audioMs` of caller audio that arrived at `receivedAtMs` may pass (ask before decoding
   * it). A caller far beyond real time is closed with 1008 and reported ended (`audio-flood`).
   */
  protected admitAudio(audioMs: number, receivedAtMs: number): boolean {
    const verdict = this.inboundLimiter?.admit(audioMs, receivedAtMs) ?? 'admit';
    if (verdict === 'admit') return true;
    if (verdict === 'close') {
      this.log.warn({ closeCode: CloseCode.policyViolation }, 'caller sends audio far faster than real time: closing');
      this.rejectStarted(new Error('audio far faster than real time'));
      this.reportEnded('audio-flood');
      this.close(CloseCode.policyViolation, 'audio arrives far faster than real time');
    }
    return false;
  }

  protected reportEnded(reason: string): void {
    if (this.endedReported) return;
    this.endedReported = true;
    this.relay.emit({ type: 'ended', reason });
  }

  /**
   * Counts one message the transport cannot use but that does not end the call by itself (an
   * unknown event, a frame of the wrong type): the first is logged at warn, the rest at debug,
   * and the `MAX_BAD_MESSAGES`-th closes the socket with 1008.
   * @returns true when this message closed the socket.
   */
  protected badMessage(detail: Record<string, unknown>, message: string): boolean {
    this.badMessages++;
    if (this.badMessages === 1) this.log.warn({ ...detail, badMessages: 1, closesAt: MAX_BAD_MESSAGES }, message);
    else this.log.debug({ ...detail, badMessages: this.badMessages }, message);
    if (this.badMessages < MAX_BAD_MESSAGES) return false;
    this.protocolError(CloseCode.policyViolation, 'too many invalid messages');
    return true;
  }

  /**
   * Rejects the connection for bad input: logs, closes with `code` and `reason` (truncated to the
   * 123 bytes a close frame allows), and reports the call ended.
   */
  protected protocolError(code: number, reason: string): void {
    this.badMessages++;
    this.log.warn({ closeCode: code }, `caller protocol error: ${reason}`);
    this.rejectStarted(new Error(reason));
    this.reportEnded('protocol-error');
    this.close(code, reason);
  }

  /** Sends text or binary; failures are counted, never thrown. */
  /**
   * Runs `send` with the socket corked, so the frames it sends leave in one write (one syscall
   * and one write request instead of one per message). Uses `ws`'s underlying `net.Socket`
   * (`_socket`, present on every server-side `ws` socket); without it, just runs `send`.
   */
  corked(send: () => void): void {
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!socket) return send();
    socket.cork();
    try {
      send();
    } finally {
      socket.uncork();
    }
  }

  protected sendRaw(data: string | Uint8Array): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      this.sendFailures++;
      return;
    }
    this.ws.send(data, (err) => {
      if (err) this.sendFailures++;
    });
  }

  /** The close code of a hang-up from our side: 1001 when the server is shutting down, else 1000. */
  protected hangupCode(options?: HangupOptions): number {
    return options?.serverShutdown ? CloseCode.goingAway : CloseCode.normal;
  }

  protected close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.CLOSED || this.ws.readyState === this.ws.CLOSING) return;
    this.ws.close(code, Buffer.from(reason).subarray(0, 123).toString());
  }
}

/**
 * Base for transports whose sample rate is chosen by the caller when the stream starts (Vonage
 * `content-type`, browser `session.start`): the same rate both ways, 16 kHz until negotiated.
 */
export abstract class NegotiatedRateTransport extends WsTransportBase {
  /** The negotiated rate in Hz. */
  protected rateHz = 16000;

  get inputRateHz(): number {
    return this.rateHz;
  }

  get outputRateHz(): number {
    return this.rateHz;
  }
}

/** True when `text` is canonical padded base64 (what carriers send). */
export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}
