/**
 * Vonage Voice WebSocket transport: L16 PCM at 8/16/24 kHz both ways in exact 20 ms binary
 * messages, `clear` on barge-in, `notify` as playback marks, DTMF events.
 */
import type { WebSocket } from 'ws';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { CallerNotice, CallerTransport, HangupOptions } from '../transport.js';
import { CloseCode, NegotiatedRateTransport } from '../ws-base.js';
import { encodeVonageNotify, parseVonageMessage, VONAGE_CLEAR } from './codec.js';

/** Largest inbound binary message accepted: 10 frames (200 ms) at 24 kHz. */
const MAX_BINARY_BYTES = 9600;

/** One Vonage WebSocket leg. */
export class VonageTransport extends NegotiatedRateTransport implements CallerTransport {
  readonly kind = 'vonage' as const;
  readonly supportsMarks = true;

  /**
   * @param admit checks the stream's call (`websocket:connected`'s `uuid` and headers) before it
   *   counts as started, e.g. against the call the stream URL was issued for; returns the reason
   *   to refuse it (closed with 1008), or null to admit it. Absent: every call is admitted.
   */
  constructor(ws: WebSocket, clock: Clock, logger: Logger, private readonly admit?: (call: { uuid?: string; headers: Record<string, string> }) => string | null) {
    super(ws, clock, logger);
  }

  protected onMessage(data: Buffer, isBinary: boolean, receivedAtMs: number): void {
    if (isBinary) {
      if (!this.isStarted) return this.protocolError(CloseCode.policyViolation, 'audio before websocket:connected');
      const frameBytes = this.rateHz / 25; // 20 ms of PCM16
      if (data.length === 0 || data.length % 2 !== 0 || data.length > MAX_BINARY_BYTES) {
        return this.protocolError(CloseCode.invalidPayload, `bad audio frame of ${data.length} bytes (expected ${frameBytes})`);
      }
      if (data.length !== frameBytes) this.log.debug({ bytes: data.length, frameBytes }, 'audio frame is not 20 ms');
      if (!this.admitAudio((data.length / 2 / this.rateHz) * 1000, receivedAtMs)) return;
      const pcm = new Int16Array(data.length / 2);
      Buffer.from(pcm.buffer).set(data);
      this.relay.emit({ type: 'audio', pcm, receivedAtMs });
      return;
    }
    const parsed = parseVonageMessage(data.toString('utf8'));
    if (!parsed.ok) return this.protocolError(CloseCode.invalidPayload, parsed.error);
    const m = parsed.message;
    if (m.event !== 'connected' && !this.isStarted) return this.protocolError(CloseCode.policyViolation, `${m.event} before websocket:connected`);
    switch (m.event) {
      case 'connected':
        if (this.isStarted) return this.protocolError(CloseCode.policyViolation, 'duplicate websocket:connected');
        const uuid = m.headers.uuid ?? m.headers.call_uuid;
        const refused = this.admit?.({ uuid, headers: m.headers }) ?? null;
        if (refused) return this.protocolError(CloseCode.policyViolation, refused);
        this.rateHz = m.sampleRateHz;
        this.resolveStarted({ carrierCallId: uuid, parameters: m.headers });
        return;
      case 'dtmf':
        this.relay.emit({ type: 'dtmf', digit: m.digit, durationMs: m.durationMs });
        return;
      case 'notify':
        if (typeof m.payload.markId === 'string') this.relay.emit({ type: 'played', markId: m.payload.markId });
        return;
      case 'cleared':
        return;
      case 'unknown':
        this.badMessage({ event: m.name }, 'ignoring unknown Vonage event');
        return;
    }
  }

  sendAudio(frame: Int16Array): void {
    this.sendRaw(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength));
  }

  mark(markId: string): void {
    this.sendRaw(encodeVonageNotify(markId));
  }

  clearPlayback(): void {
    this.sendRaw(VONAGE_CLEAR);
  }

  notify(_notice: CallerNotice): void {}

  /** Closing the socket ends the WebSocket leg (Vonage then reports `disconnected`). */
  hangup(reason: string, options?: HangupOptions): void {
    this.close(this.hangupCode(options), reason);
  }
}
