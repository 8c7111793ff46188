/**
 * Browser WebSocket transport (`/client`): the JSON protocol in `protocol.ts`. Bad messages get an
 * `error` message and the session continues; after `MAX_BAD_MESSAGES` the socket is closed with
 * 1008. Audio is paced in real time by the call, so "sent" ≈ "heard" (no marks).
 */
import type { WebSocket } from 'ws';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { CallerNotice, CallerTransport, HangupOptions } from '../transport.js';
import { CloseCode, isBase64, NegotiatedRateTransport } from '../ws-base.js';
import { parseBrowserMessage, sessionControl, type BrowserServerMessage } from './protocol.js';

/** Invalid messages tolerated before the socket is closed (the same for every WebSocket caller). */
export { MAX_BAD_MESSAGES } from '../ws-base.js';
/** Largest audio chunk accepted, ms. */
const MAX_AUDIO_CHUNK_MS = 1000;

/** One browser session over WebSocket. */
export class BrowserTransport extends NegotiatedRateTransport implements CallerTransport {
  readonly kind = 'browser' as const;
  readonly supportsMarks = false;
  private binaryAudio = false;
  private paused = false;

  constructor(ws: WebSocket, clock: Clock, logger: Logger) {
    super(ws, clock, logger);
  }

  /** Sends a protocol message. */
  send(message: BrowserServerMessage): void {
    this.sendRaw(JSON.stringify(message));
  }

  private reject(code: string, message: string): void {
    this.send({ type: 'error', code, message });
    this.badMessage({ code }, `invalid browser message: ${message}`);
  }

  protected onMessage(data: Buffer, isBinary: boolean, receivedAtMs: number): void {
    if (isBinary) return this.onAudioBytes(data, receivedAtMs);
    const parsed = parseBrowserMessage(data.toString('utf8'));
    if (!parsed.ok) return this.reject(parsed.code, parsed.error);
    const m = parsed.message;
    const control = sessionControl(m, this.paused);
    if (control) {
      this.paused = control.paused;
      return this.send(control.reply);
    }
    switch (m.type) {
      case 'session.start':
        if (this.isStarted) return this.reject('bad_order', 'session already started');
        this.rateHz = m.sampleRateHz ?? 16000;
        this.binaryAudio = m.audioTransport === 'binary';
        this.resolveStarted({ parameters: {}, systemPrompt: m.systemPrompt, voice: m.voice, model: m.model });
        return;
      case 'audio':
        if (!isBase64(m.audio)) return this.reject('bad_audio', 'audio is not valid base64');
        return this.onAudioBytes(Buffer.from(m.audio, 'base64'), receivedAtMs);
      case 'text':
        if (!this.isStarted) return this.reject('bad_order', 'send session.start first');
        this.relay.emit({ type: 'text', text: m.text });
        return;
      case 'session.end':
        this.reportEnded('caller-ended');
        this.send({ type: 'session.ended', reason: 'caller-ended' });
        this.close(CloseCode.normal, 'session ended');
        return;
    }
  }

  private onAudioBytes(bytes: Buffer, receivedAtMs: number): void {
    if (!this.isStarted) return this.reject('bad_order', 'send session.start before audio');
    const maxBytes = (this.rateHz * 2 * MAX_AUDIO_CHUNK_MS) / 1000;
    if (bytes.length === 0 || bytes.length % 2 !== 0 || bytes.length > maxBytes) {
      return this.reject('bad_audio', `audio chunk of ${bytes.length} bytes: PCM16 needs an even length of at most ${maxBytes}`);
    }
    if (!this.admitAudio((bytes.length / 2 / this.rateHz) * 1000, receivedAtMs)) return;
    const pcm = new Int16Array(bytes.length / 2);
    Buffer.from(pcm.buffer).set(bytes);
    if (!this.paused) this.relay.emit({ type: 'audio', pcm, receivedAtMs });
  }

  /** Announces the session once the call exists. */
  announce(callId: string, model: string): void {
    this.send({ type: 'session.started', callId, sampleRateHz: this.rateHz, model, audioTransport: this.binaryAudio ? 'binary' : 'base64' });
  }

  sendAudio(frame: Int16Array): void {
    const bytes = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
    if (this.binaryAudio) this.sendRaw(bytes);
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
    this.close(this.hangupCode(options), reason);
  }
}
