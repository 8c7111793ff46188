/**
 * Vonage Voice WebSocket transport: L16 PCM at 8/16/24 kHz both ways in exact 20 ms binary
 * messages, `clear` on barge-in, `notify` as playback marks, DTMF events.
 */
import { bytesOfPcm16, corkedOn, pcm16FromBytes, socketTransportCore } from '../core/socket-transport.js';
import { CloseCode, type CallerSocket } from '../core/socket.js';
import { hangupCloseCode, type TransportCore, type TransportDeps } from '../core/transport-core.js';
import type { CallerEvent, CallerNotice, CallerStartInfo, CallerTransport, HangupOptions, InboundAudioLimiter } from '../transport.js';
import { encodeVonageNotify, parseVonageMessage, VONAGE_CLEAR } from './codec.js';

/** Largest inbound binary message accepted: 10 frames (200 ms) at 24 kHz. */
const MAX_BINARY_BYTES = 9600;

/** Options of the Vonage transport. */
export interface VonageTransportDeps extends TransportDeps {
  /**
   * Checks the stream's call (`websocket:connected`'s `uuid` and headers) before it counts as
   * started, e.g. against the call the stream URL was issued for; returns the reason to refuse it
   * (closed with 1008), or null to admit it. Absent: every call is admitted.
   */
  admit?: (call: { uuid?: string; headers: Record<string, string> }) => string | null;
}

/** One Vonage WebSocket leg. */
export class VonageTransport implements CallerTransport {
  readonly kind = 'vonage' as const;
  readonly supportsMarks = true;
  /** The rate `websocket:connected` chose, Hz (16 kHz until then); the same both ways. */
  private rateHz = 16000;
  private readonly core: TransportCore;

  /**
   * @param socket the accepted socket.
   * @param deps clock, logger and the optional call admission.
   */
  constructor(private readonly socket: CallerSocket, private readonly deps: VonageTransportDeps) {
    this.core = socketTransportCore(socket, deps, (data, isBinary, at) => this.onMessage(data, isBinary, at));
  }

  get inputRateHz(): number {
    return this.rateHz;
  }

  get outputRateHz(): number {
    return this.rateHz;
  }

  get started(): Promise<CallerStartInfo> {
    return this.core.started;
  }

  /** Inbound messages rejected as invalid. */
  get badMessages(): number {
    return this.core.badMessages;
  }

  private onMessage(data: Buffer, isBinary: boolean, receivedAtMs: number): void {
    const core = this.core;
    if (isBinary) {
      if (!core.isStarted) return core.protocolError(CloseCode.policyViolation, 'audio before websocket:connected');
      const frameBytes = this.rateHz / 25; // 20 ms of PCM16
      if (data.length === 0 || data.length % 2 !== 0 || data.length > MAX_BINARY_BYTES) {
        return core.protocolError(CloseCode.invalidPayload, `bad audio frame of ${data.length} bytes (expected ${frameBytes})`);
      }
      if (data.length !== frameBytes) this.deps.logger.debug({ bytes: data.length, frameBytes }, 'audio frame is not 20 ms');
      if (!core.admitAudio((data.length / 2 / this.rateHz) * 1000, receivedAtMs)) return;
      core.emit({ type: 'audio', pcm: pcm16FromBytes(data), receivedAtMs });
      return;
    }
    const parsed = parseVonageMessage(data.toString('utf8'));
    if (!parsed.ok) return core.protocolError(CloseCode.invalidPayload, parsed.error);
    const m = parsed.message;
    if (m.event !== 'connected' && !core.isStarted) return core.protocolError(CloseCode.policyViolation, `${m.event} before websocket:connected`);
    switch (m.event) {
      case 'connected': {
        if (core.isStarted) return core.protocolError(CloseCode.policyViolation, 'duplicate websocket:connected');
        const uuid = m.headers.uuid ?? m.headers.call_uuid;
        const refused = this.deps.admit?.({ uuid, headers: m.headers }) ?? null;
        if (refused) return core.protocolError(CloseCode.policyViolation, refused);
        this.rateHz = m.sampleRateHz;
        // `model`: the answer webhook's `?model=` (our NCCO header), the operator's choice of model for this number.
        core.start({ carrierCallId: uuid, parameters: m.headers, model: m.headers.model });
        return;
      }
      case 'dtmf':
        core.emit({ type: 'dtmf', digit: m.digit, durationMs: m.durationMs });
        return;
      case 'notify':
        if (typeof m.payload.markId === 'string') core.emit({ type: 'played', markId: m.payload.markId });
        return;
      case 'cleared':
        return;
      case 'unknown':
        core.badMessage({ event: m.name }, 'ignoring unknown Vonage event');
        return;
    }
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

  mark(markId: string): void {
    this.socket.sendText(encodeVonageNotify(markId));
  }

  clearPlayback(): void {
    this.socket.sendText(VONAGE_CLEAR);
  }

  notify(_notice: CallerNotice): void {}

  /** Closing the socket ends the WebSocket leg (Vonage then reports `disconnected`). */
  hangup(reason: string, options?: HangupOptions): void {
    this.socket.close(hangupCloseCode(options), reason);
  }
}
