/**
 * Browser WebSocket transport (`/client`): the JSON protocol in `protocol.ts`. Bad messages get an
 * `error` message and the session continues; after `MAX_BAD_MESSAGES` the socket is closed with
 * 1008. Audio is paced in real time by the call, so "sent" ≈ "heard" (no marks).
 */
import { bytesOfPcm16, corkedOn, pcm16FromBytes, socketTransportCore } from '../core/socket-transport.js';
import { CloseCode, type CallerSocket } from '../core/socket.js';
import { hangupCloseCode, type TransportCore, type TransportDeps } from '../core/transport-core.js';
import type { CallerEvent, CallerNotice, CallerStartInfo, CallerTransport, HangupOptions, InboundAudioLimiter } from '../transport.js';
import { isBase64 } from '../wire.js';
import { BrowserControl } from './control.js';
import type { BrowserServerMessage } from './protocol.js';

/** Invalid messages tolerated before the socket is closed (the same for every WebSocket caller). */
export { MAX_BAD_MESSAGES } from '../core/transport-core.js';
/** Largest audio chunk accepted, ms. */
const MAX_AUDIO_CHUNK_MS = 1000;

/** One browser session over WebSocket. */
export class BrowserTransport implements CallerTransport {
  readonly kind = 'browser' as const;
  readonly supportsMarks = false;
  /** The rate `session.start` chose, Hz (16 kHz until then); the same both ways. */
  private rateHz = 16000;
  private binaryAudio = false;
  private readonly core: TransportCore;
  private readonly control: BrowserControl;

  /**
   * @param socket the accepted socket.
   * @param deps clock and logger.
   */
  constructor(private readonly socket: CallerSocket, deps: TransportDeps) {
    this.core = socketTransportCore(socket, deps, (data, isBinary, at) => this.onMessage(data, isBinary, at));
    this.control = new BrowserControl(
      (m) => this.send(m),
      (code, message) => this.reject(code, message),
    );
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

  /** Sends a protocol message. */
  send(message: BrowserServerMessage): void {
    this.socket.sendText(JSON.stringify(message));
  }

  private reject(code: string, message: string): void {
    this.send({ type: 'error', code, message });
    this.core.badMessage({ code }, `invalid browser message: ${message}`);
  }

  private onMessage(data: Buffer, isBinary: boolean, receivedAtMs: number): void {
    if (isBinary) return this.onAudioBytes(data, receivedAtMs);
    const m = this.control.read(data.toString('utf8'));
    if (!m) return;
    switch (m.type) {
      case 'session.start':
        if (this.core.isStarted) return this.reject('bad_order', 'session already started');
        this.rateHz = m.sampleRateHz ?? 16000;
        this.binaryAudio = m.audioTransport === 'binary';
        this.core.start({ parameters: {}, systemPrompt: m.systemPrompt, voice: m.voice, model: m.model });
        return;
      case 'audio':
        if (!isBase64(m.audio)) return this.reject('bad_audio', 'audio is not valid base64');
        return this.onAudioBytes(Buffer.from(m.audio, 'base64'), receivedAtMs);
      case 'text':
        if (!this.core.isStarted) return this.reject('bad_order', 'send session.start first');
        this.core.emit({ type: 'text', text: m.text });
        return;
      case 'session.end':
        this.core.reportEnded('caller-ended');
        this.send({ type: 'session.ended', reason: 'caller-ended' });
        this.socket.close(CloseCode.normal, 'session ended');
        return;
    }
  }

  private onAudioBytes(bytes: Buffer, receivedAtMs: number): void {
    if (!this.core.isStarted) return this.reject('bad_order', 'send session.start before audio');
    const maxBytes = (this.rateHz * 2 * MAX_AUDIO_CHUNK_MS) / 1000;
    if (bytes.length === 0 || bytes.length % 2 !== 0 || bytes.length > maxBytes) {
      return this.reject('bad_audio', `audio chunk of ${bytes.length} bytes: PCM16 needs an even length of at most ${maxBytes}`);
    }
    if (!this.core.admitAudio((bytes.length / 2 / this.rateHz) * 1000, receivedAtMs)) return;
    if (!this.control.paused) this.core.emit({ type: 'audio', pcm: pcm16FromBytes(bytes), receivedAtMs });
  }

  /** Announces the session once the call exists. */
  announce(callId: string, model: string): void {
    this.send({ type: 'session.started', callId, sampleRateHz: this.rateHz, model, audioTransport: this.binaryAudio ? 'binary' : 'base64' });
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
    const bytes = bytesOfPcm16(frame);
    if (this.binaryAudio) this.socket.sendBinary(bytes);
    else this.send({ type: 'audio', audio: Buffer.from(bytes).toString('base64') });
  }

  mark(_markId: string): void {}

  clearPlayback(): void {
    this.send({ type: 'playback.clear' });
  }

  notify(notice: CallerNotice): void {
    this.send(notice);
  }

  hangup(reason: string, options?: HangupOptions): void {
    this.send({ type: 'session.ended', reason });
    this.socket.close(hangupCloseCode(options), reason);
  }
}
