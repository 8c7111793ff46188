/**
 * Raw PCM WebSocket transport (`/ws`), as the AgentCore-style bridge uses: binary 16 kHz PCM16 LE
 * mono both ways, no control messages. The stream starts on connect. Barge-in simply stops the
 * real-time-paced outbound audio (there is no remote buffer to clear). Text frames are answered
 * with a JSON error and otherwise ignored; `MAX_BAD_MESSAGES` of them close the socket with 1008.
 */
import { bytesOfPcm16, corkedOn, pcm16FromBytes, socketTransportCore } from '../core/socket-transport.js';
import { CloseCode, type CallerSocket } from '../core/socket.js';
import { hangupCloseCode, type TransportCore, type TransportDeps } from '../core/transport-core.js';
import type { CallerEvent, CallerNotice, CallerStartInfo, CallerTransport, HangupOptions, InboundAudioLimiter } from '../transport.js';

/** Largest inbound binary message: 1 s at 16 kHz. */
const MAX_BYTES = 32000;

/** Options of the raw PCM transport. */
export interface PcmTransportDeps extends TransportDeps {
  /** Query-string parameters of the upgrade request (e.g. `?callerId=…`), never credentials. */
  parameters?: Record<string, string>;
}

/** One raw PCM connection. */
export class PcmTransport implements CallerTransport {
  readonly kind = 'pcm' as const;
  readonly inputRateHz = 16000;
  readonly outputRateHz = 16000;
  readonly supportsMarks = false;
  private readonly core: TransportCore;

  /**
   * @param socket the accepted socket.
   * @param deps clock, logger and the upgrade's query parameters.
   */
  constructor(private readonly socket: CallerSocket, deps: PcmTransportDeps) {
    this.core = socketTransportCore(socket, deps, (data, isBinary, at) => this.onMessage(data, isBinary, at));
    this.core.start({ parameters: deps.parameters ?? {} });
  }

  get started(): Promise<CallerStartInfo> {
    return this.core.started;
  }

  /** Inbound messages rejected as invalid. */
  get badMessages(): number {
    return this.core.badMessages;
  }

  private onMessage(data: Buffer, isBinary: boolean, receivedAtMs: number): void {
    if (!isBinary) {
      this.socket.sendText(JSON.stringify({ type: 'error', code: 'binary_only', message: 'send binary 16 kHz PCM16 frames' }));
      this.core.badMessage({ bytes: data.length }, 'ignoring a text frame on the raw PCM route');
      return;
    }
    if (data.length === 0 || data.length % 2 !== 0 || data.length > MAX_BYTES) {
      return this.core.protocolError(CloseCode.invalidPayload, `bad PCM16 chunk of ${data.length} bytes`);
    }
    if (!this.core.admitAudio((data.length / 2 / this.inputRateHz) * 1000, receivedAtMs)) return;
    this.core.emit({ type: 'audio', pcm: pcm16FromBytes(data), receivedAtMs });
  }

  setHandler(handler: (event: CallerEvent) => void): void {
    this.core.setHandler(handler);
  }

  limitInboundAudio(limiter: InboundAudioLimiter): void {
    this.core.limitInboundAudio(limiter);
  }

  corked(send: () => void): void {
    corkedOn(this.socket, send);
  }

  sendAudio(frame: Int16Array): void {
    this.socket.sendBinary(bytesOfPcm16(frame));
  }

  mark(_markId: string): void {}
  clearPlayback(): void {}
  notify(_notice: CallerNotice): void {}

  hangup(reason: string, options?: HangupOptions): void {
    this.socket.close(hangupCloseCode(options), reason);
  }
}
