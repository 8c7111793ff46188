/**
 * A voice session from the browser: WebRTC (audio track + `events` data channel, signalled with
 * `POST /webrtc/offer`) or WebSocket (`/client`, 16 kHz PCM16 binary frames through AudioWorklets).
 * Both carry the same JSON messages (src/callers/browser/protocol.ts). Exposes input and output
 * levels from WebAudio analysers.
 */
import type { BrowserServerMessage } from '../../src/callers/browser/protocol.js';

export type TransportKind = 'webrtc' | 'websocket';

/** What the page hears from a session. */
export interface SessionEvents {
  message(m: BrowserServerMessage): void;
  closed(reason: string): void;
}

/** Options to start a session. */
export interface StartOptions {
  transport: TransportKind;
  token?: string;
  voice?: string;
  /** Model id; the server's default when absent. */
  model?: string;
  /** Browser echo cancellation on the microphone (on by default). */
  echoCancellation: boolean;
}

const WS_RATE_HZ = 16000;
/** How long WebRTC playback stays muted after a barge-in, s. */
const WEBRTC_CLEAR_MUTE_S = 0.4;

/** Explains a getUserMedia failure in words a person can act on. */
export function micErrorText(err: unknown): string {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'Microphone access was denied. Allow the microphone for this site and try again.';
  if (name === 'NotFoundError') return 'No microphone was found. Connect one and try again.';
  if (!window.isSecureContext) return 'The microphone needs a secure page (https:// or localhost).';
  return `The microphone could not be opened: ${err instanceof Error ? err.message : String(err)}`;
}

function rmsDbfs(analyser: AnalyserNode, buf: Float32Array<ArrayBuffer>): number {
  analyser.getFloatTimeDomainData(buf);
  let sum = 0;
  for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
  const rms = Math.sqrt(sum / buf.length);
  return rms > 0 ? Math.max(-100, 20 * Math.log10(rms)) : -100;
}

/** One live session. */
export class VoiceSession {
  private ctx: AudioContext | undefined;
  private mic: MediaStream | undefined;
  private pc: RTCPeerConnection | undefined;
  private dc: RTCDataChannel | undefined;
  private ws: WebSocket | undefined;
  private player: AudioWorkletNode | undefined;
  private audioEl: HTMLAudioElement | undefined;
  private inAnalyser: AnalyserNode | undefined;
  private outAnalyser: AnalyserNode | undefined;
  /** WebRTC playback gain: muted briefly on barge-in to drop what the jitter buffer still holds. */
  private outGain: GainNode | undefined;
  private readonly levelBuf = new Float32Array(1024);
  private closed = false;

  constructor(private readonly events: SessionEvents) {}

  /** Input (microphone) level, dBFS. */
  inputDbfs(): number {
    return this.inAnalyser ? rmsDbfs(this.inAnalyser, this.levelBuf) : -100;
  }

  /** Output (what the page plays) level, dBFS. */
  outputDbfs(): number {
    return this.outAnalyser ? rmsDbfs(this.outAnalyser, this.levelBuf) : -100;
  }

  /**
   * Opens the microphone and connects.
   * @throws Error with a readable message (microphone denied, server unreachable, 401…).
   */
  async start(o: StartOptions): Promise<void> {
    try {
      this.mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: o.echoCancellation, noiseSuppression: o.echoCancellation, autoGainControl: o.echoCancellation } });
    } catch (err) {
      throw new Error(micErrorText(err));
    }
    if (o.transport === 'webrtc') await this.startWebRtc(o);
    else await this.startWebSocket(o);
  }

  private analysers(ctx: AudioContext): void {
    this.inAnalyser = ctx.createAnalyser();
    this.inAnalyser.fftSize = 1024;
    ctx.createMediaStreamSource(this.mic!).connect(this.inAnalyser);
    this.outAnalyser = ctx.createAnalyser();
    this.outAnalyser.fftSize = 1024;
    this.outAnalyser.connect(ctx.destination);
  }

  private onJson(text: string): void {
    try {
      this.events.message(JSON.parse(text) as BrowserServerMessage);
    } catch {
      // not ours
    }
  }

  private async startWebRtc(o: StartOptions): Promise<void> {
    const ctx = (this.ctx = new AudioContext());
    this.analysers(ctx);
    const pc = (this.pc = new RTCPeerConnection({ iceServers: [] }));
    pc.addTransceiver(this.mic!.getAudioTracks()[0], { direction: 'sendrecv', streams: [this.mic!] });
    const dc = (this.dc = pc.createDataChannel('events'));
    dc.onmessage = (e) => this.onJson(String(e.data));
    dc.onclose = () => this.finish('data channel closed');
    pc.ontrack = (e) => {
      const stream = e.streams[0] ?? new MediaStream([e.track]);
      // Chrome decodes remote audio only for a media element; it stays muted and WebAudio plays it.
      const el = (this.audioEl = new Audio());
      el.muted = true;
      el.srcObject = stream;
      void el.play().catch(() => {});
      this.outGain = ctx.createGain();
      ctx.createMediaStreamSource(stream).connect(this.outGain).connect(this.outAnalyser!);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.finish('connection failed');
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
      setTimeout(resolve, 2000);
    });
    let res: Response;
    try {
      const query = new URLSearchParams({ ...(o.voice ? { voice: o.voice } : {}), ...(o.model ? { model: o.model } : {}) }).toString();
      res = await fetch(`/webrtc/offer${query ? `?${query}` : ''}`, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
        body: pc.localDescription!.sdp,
      });
    } catch {
      this.stop();
      throw new Error('The server is unreachable. Check that voicebridge is running.');
    }
    if (!res.ok) {
      this.stop();
      throw new Error(res.status === 401 ? 'The server needs a valid access token.' : `The server refused the call (${res.status}): ${await res.text()}`);
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    await ctx.resume();
  }

  private async startWebSocket(o: StartOptions): Promise<void> {
    const ctx = (this.ctx = new AudioContext({ sampleRate: WS_RATE_HZ }));
    await ctx.audioWorklet.addModule('/worklets.js');
    this.analysers(ctx);
    const capture = new AudioWorkletNode(ctx, 'capture');
    ctx.createMediaStreamSource(this.mic!).connect(capture);
    const player = (this.player = new AudioWorkletNode(ctx, 'player'));
    player.connect(this.outAnalyser!);
    const url = new URL('/client', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    if (o.token) url.searchParams.set('token', o.token);
    const ws = (this.ws = new WebSocket(url));
    ws.binaryType = 'arraybuffer';
    let live = false;
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => {
        ws.send(JSON.stringify({ type: 'session.start', sampleRateHz: WS_RATE_HZ, audioTransport: 'binary', ...(o.voice ? { voice: o.voice } : {}), ...(o.model ? { model: o.model } : {}) }));
        resolve();
      };
      ws.onerror = () => reject(new Error('The server is unreachable, or it refused the connection (a missing or invalid access token is refused).'));
    }).catch((err) => {
      this.stop();
      throw err;
    });
    capture.port.onmessage = (e) => {
      if (live && ws.readyState === WebSocket.OPEN) ws.send(e.data as ArrayBuffer);
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') {
        const buf = e.data as ArrayBuffer;
        player.port.postMessage(buf, [buf]);
        return;
      }
      const m = JSON.parse(e.data) as BrowserServerMessage;
      if (m.type === 'session.started') live = true;
      this.events.message(m);
    };
    ws.onclose = (e) => this.finish(e.reason || `connection closed (${e.code})`);
    await ctx.resume();
  }

  private send(message: object): void {
    const text = JSON.stringify(message);
    if (this.dc?.readyState === 'open') this.dc.send(text);
    else if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /**
   * Barge-in: stop what the caller hears now. WebSocket: drop the player's queue. WebRTC: the
   * server has stopped sending, but Chrome's jitter buffer and loss concealment would play on for
   * a few hundred ms, so the output is muted for `WEBRTC_CLEAR_MUTE_S` (the next reply cannot
   * start sooner: the caller is talking).
   */
  clearPlayback(): void {
    this.player?.port.postMessage('clear');
    if (this.outGain && this.ctx) {
      const now = this.ctx.currentTime;
      this.outGain.gain.cancelScheduledValues(now);
      this.outGain.gain.setValueAtTime(0, now);
      this.outGain.gain.setValueAtTime(1, now + WEBRTC_CLEAR_MUTE_S);
    }
  }

  sendText(text: string): void {
    this.send({ type: 'text', text });
  }

  pause(): void {
    this.send({ type: 'session.pause' });
  }

  resume(): void {
    this.send({ type: 'session.resume' });
  }

  /** Ends the session (says goodbye to the server first). */
  stop(): void {
    this.send({ type: 'session.end' });
    this.finish('you hung up');
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.mic?.getTracks().forEach((t) => t.stop());
    this.dc?.close();
    this.pc?.close();
    this.ws?.close();
    if (this.audioEl) this.audioEl.srcObject = null;
    void this.ctx?.close().catch(() => {});
    this.events.closed(reason);
  }
}
