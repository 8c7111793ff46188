/**
 * Raw PCM WebSocket transport (`/ws`), as the AgentCore-style bridge uses: binary 16 kHz PCM16 LE
 * mono both ways, no control messages. The stream starts on connect. Barge-in simply stops the
 * real-time-paced outbound audio (there is no remote buffer to clear). Text frames are answered
 * with a JSON error and otherwise ignored; `MAX_BAD_MESSAGES` of them close the socket with 1008.
 */
import type { WebSocket } from 'ws';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { CallerNotice, CallerTransport, HangupOptions } from '../transport.js';
import { CloseCode, WsTransportBase } from '../ws-base.js';

/** Largest inbound binary message: 1 s at 16 kHz. */
const MAX_BYTES = 32000;

/** One raw PCM connection. */
export class PcmTransport extends WsTransportBase implements CallerTransport {
  readonly kind = 'pcm' as const;
  readonly inputRateHz = 16000;
  readonly outputRateHz = 16000;
  readonly supportsMarks = false;

  /**
   * @param parameters query-string parameters of the upgrade request (e.g. `?callerId=…`).
   */
  constructor(ws: WebSocket, clock: Clock, logger: Logger, parameters: Record<string, string> = {}) {
    super(ws, clock, logger);
    this.resolveStarted({ parameters });
  }

  protected onMessage(data: Buffer, isBinary: boolean, receivedAtMs: number): void {
    if (!isBinary) {
      this.sendRaw(JSON.stringify({ type: 'error', code: 'binary_only', message: 'send binary 16 kHz PCM16 frames' }));
      this.badMessage({ bytes: data.length }, 'ignoring a text frame on the raw PCM route');
      return;
    }
    if (data.length === 0 || data.length % 2 !== 0 || data.length > MAX_BYTES) {
      return this.protocolError(CloseCode.invalidPayload, `bad PCM16 chunk of ${data.length} bytes`);
    }
    if (!this.admitAudio((data.length / 2 / this.inputRateHz) * 1000, receivedAtMs)) return;
    const pcm = new Int16Array(data.length / 2);
    Buffer.from(pcm.buffer).set(data);
    this.relay.emit({ type: 'audio', pcm, receivedAtMs });
  }

  sendAudio(frame: Int16Array): void {
    this.sendRaw(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength));
  }

  mark(_markId: string): void {}
  clearPlayback(): void {}
  notify(_notice: CallerNotice): void {}

  hangup(reason: string, options?: HangupOptions): void {
    this.close(this.hangupCode(options), reason);
  }
}
