/**
 * WebRTC caller (`POST /webrtc/offer`): one browser peer connection answered by node-datachannel
 * (libdatachannel), Opus in both directions through @evan/opus, and a data channel carrying the
 * browser protocol's JSON messages (`browser/protocol.ts`). Follows webrtc.md §1.1 and §5:
 * the audio track is added before the remote description so it matches the offer's `mid`; Opus is
 * declared mono (`minptime=10;useinbandfec=1`, not libdatachannel's 96 kbit/s stereo default);
 * RTCP is filtered from the track's packets; the answer is sent once ICE gathering completes
 * (non-trickle, WHIP-like). The call paces audio at 20 ms, so "sent" ≈ "heard" (no marks). A
 * browser that vanishes without closing the connection is noticed by its inbound RTP stopping
 * (`InboundWatchdog`), not ≈27 s later when ICE fails.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { Decoder, Encoder } from '@evan/opus';
import nodeDataChannel from 'node-datachannel';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { errorMessage, VoiceBridgeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { EventRelay } from '../../core/relay.js';
import { parseBrowserMessage, sessionControl, type BrowserServerMessage } from '../browser/protocol.js';
import type { CallerEvent, CallerNotice, CallerStartInfo, CallerTransport, InboundAudioLimiter } from '../transport.js';
import { INBOUND_TIMEOUT_MS, InboundWatchdog } from './inbound-watchdog.js';
import { buildRtp, offerAudio, parseRtp } from './rtp.js';

const { Audio, PeerConnection, RtcpReceivingSession } = nodeDataChannel;
type PeerConnection = InstanceType<typeof PeerConnection>;
type Track = ReturnType<PeerConnection['addTrack']>;
type DataChannel = Parameters<Parameters<PeerConnection['onDataChannel']>[0]>[0];

/** Opus runs at 48 kHz; one 20 ms frame is 960 samples (RTP timestamp step). */
export const WEBRTC_RATE_HZ = 48000;
const FRAME_SAMPLES = 960;
/** Notices held until the data channel opens. */
const MAX_PENDING_NOTICES = 100;

/** Network settings for peer connections. */
export interface WebRtcNetwork {
  /** Local address ICE binds to (e.g. 127.0.0.1 in tests); all interfaces when absent. */
  bindAddress?: string;
  /** STUN/TURN server URLs, e.g. `stun:stun.example.org:3478`. */
  iceServers: string[];
  /** UDP port range for ICE, inclusive. */
  portRange?: [number, number];
  /** Longest wait for ICE gathering before answering with what was gathered, ms. */
  gatherTimeoutMs: number;
  /**
   * A peer that has not connected this long after its offer was answered is released at once
   * (connection closed, UDP port returned), ms.
   */
  connectTimeoutMs: number;
}

/** Notifications about one peer's lifetime (e.g. to return its call slot). */
export interface WebRtcLifecycleHooks {
  /** The peer connection was closed and its ports released (called once). */
  onReleased?(): void;
  /** The peer did not connect within `connectTimeoutMs`. */
  onConnectTimeout?(): void;
}

const live = new Set<WebRtcTransport>();

/** Peer connections open now (each holds a UDP port until it is released). */
export function openPeerConnections(): number {
  return live.size;
}

/**
 * Closes every WebRTC peer connection still open (server shutdown). An open connection keeps the
 * process alive; once all are closed it exits by itself. `nodeDataChannel.cleanup()` is not
 * called: it deadlocks while a connection is open and crashed the process (SIGSEGV) at exit after
 * browser sessions in our end-to-end test.
 */
export function shutdownWebRtc(): void {
  for (const t of [...live]) t.destroy();
}

/** A rejected offer (HTTP 400), code `bad_offer`. */
export class BadOfferError extends VoiceBridgeError {
  /** @param message why the offer cannot be answered. */
  constructor(message: string) {
    super('bad_offer', message);
  }
}

/** One WebRTC caller. */
export class WebRtcTransport implements CallerTransport {
  readonly kind = 'webrtc' as const;
  readonly inputRateHz = WEBRTC_RATE_HZ;
  readonly outputRateHz = WEBRTC_RATE_HZ;
  readonly supportsMarks = false;
  readonly id = randomUUID();
  readonly started: Promise<CallerStartInfo>;
  private resolveStarted!: (info: CallerStartInfo) => void;
  private rejectStarted!: (err: Error) => void;
  private connectDeadline: TimerHandle | undefined;
  private hooks: WebRtcLifecycleHooks = {};
  private readonly relay = new EventRelay<CallerEvent>();
  private readonly pc: PeerConnection;
  private readonly track: Track;
  private dc: DataChannel | undefined;
  private readonly pendingNotices: string[] = [];
  private readonly decoder = new Decoder({ channels: 1, sample_rate: WEBRTC_RATE_HZ });
  private readonly encoder = new Encoder({ channels: 1, sample_rate: WEBRTC_RATE_HZ, application: 'voip' });
  private readonly ssrc = randomInt(1, 0x7fffffff);
  private readonly payloadType: number;
  private seq = randomInt(0, 0xffff);
  private timestamp = randomInt(0, 0x7fffffff);
  private markerNext = true;
  private startedFlag = false;
  private ended = false;
  private paused = false;
  private released = false;
  private readonly watchdog: InboundWatchdog;
  private inboundLimiter: InboundAudioLimiter | undefined;
  /** Caller packets decoded, packets that failed to decode, frames sent, frames dropped (buffer full). */
  readonly counters = { packetsIn: 0, decodeErrors: 0, framesOut: 0, framesDropped: 0, sendErrors: 0 };

  private constructor(offerSdp: string, network: WebRtcNetwork, private readonly clock: Clock, private readonly log: Logger, private readonly requested: { voice?: string; model?: string }) {
    const audio = offerAudio(offerSdp);
    if (!audio) throw new BadOfferError('the offer has no audio section with Opus');
    this.payloadType = audio.opusPayloadType;
    this.started = new Promise((resolve, reject) => {
      this.resolveStarted = resolve;
      this.rejectStarted = reject;
    });
    this.started.catch(() => {});
    this.watchdog = new InboundWatchdog(clock, INBOUND_TIMEOUT_MS, (silentMs) => {
      this.log.info({ silentMs: Math.round(silentMs) }, 'no audio from the browser: ending the call');
      this.hangup('rtp-timeout');
    });
    live.add(this);
    this.pc = new PeerConnection(this.id, {
      iceServers: network.iceServers,
      ...(network.bindAddress ? { bindAddress: network.bindAddress } : {}),
      ...(network.portRange ? { portRangeBegin: network.portRange[0], portRangeEnd: network.portRange[1] } : {}),
    });
    const media = new Audio(audio.mid, 'SendRecv');
    media.addOpusCodec(audio.opusPayloadType, 'minptime=10;useinbandfec=1');
    media.addSSRC(this.ssrc, 'voicebridge', 'voicebridge', 'voicebridge-audio');
    // The track must exist before the remote description so libdatachannel matches it by mid.
    this.track = this.pc.addTrack(media);
    this.track.setMediaHandler(new RtcpReceivingSession());
    this.track.onMessage(this.guard('packet', (buf: Buffer) => this.onPacket(buf)));
    this.pc.onDataChannel(this.guard('data channel', (dc: DataChannel) => this.attach(dc)));
    this.pc.onStateChange(this.guard('state', (state: string) => this.onState(state)));
  }

  /**
   * Answers `offerSdp`: resolves with the transport and the answer SDP once ICE gathering is
   * complete (or `gatherTimeoutMs` passed).
   * @throws BadOfferError when the offer has no Opus audio or libdatachannel rejects it.
   */
  static async answer(offerSdp: string, network: WebRtcNetwork, clock: Clock, logger: Logger, requested: { voice?: string; model?: string } = {}, hooks: WebRtcLifecycleHooks = {}): Promise<{ transport: WebRtcTransport; answerSdp: string }> {
    const t = new WebRtcTransport(offerSdp, network, clock, logger, requested);
    t.hooks = hooks;
    const gathered = new Promise<void>((resolve) => {
      t.pc.onGatheringStateChange((s) => s === 'complete' && resolve());
      setTimeout(resolve, network.gatherTimeoutMs);
    });
    try {
      t.pc.setRemoteDescription(offerSdp, 'offer');
    } catch (err) {
      t.close();
      throw new BadOfferError(`offer rejected: ${errorMessage(err)}`);
    }
    if (t.pc.gatheringState() !== 'complete') await gathered;
    const answer = t.pc.localDescription();
    if (!answer) {
      t.close();
      throw new BadOfferError('no answer could be made for this offer');
    }
    t.connectDeadline = clock.setTimeout(() => t.onConnectTimeout(network.connectTimeoutMs), network.connectTimeoutMs);
    return { transport: t, answerSdp: answer.sdp };
  }

  /** The peer never connected: release it now, not after a grace period. */
  private onConnectTimeout(timeoutMs: number): void {
    this.connectDeadline = undefined;
    if (this.startedFlag || this.released) return;
    this.log.info({ connectTimeoutMs: timeoutMs }, 'WebRTC peer did not connect in time: releasing it');
    this.hooks.onConnectTimeout?.();
    this.rejectStarted(new Error(`the peer did not connect within ${timeoutMs} ms`));
    this.reportEnded('connect-timeout');
    this.close();
  }

  private onState(state: string): void {
    this.log.debug({ state }, 'peer connection state');
    if (state === 'connected' && !this.startedFlag) {
      this.startedFlag = true;
      if (this.connectDeadline !== undefined) this.clock.clearTimeout(this.connectDeadline);
      this.connectDeadline = undefined;
      this.watchdog.start();
      this.resolveStarted({ parameters: { transport: 'webrtc' }, voice: this.requested.voice, model: this.requested.model });
    } else if (state === 'failed' || state === 'closed' || state === 'disconnected') this.reportEnded(`peer-${state}`);
  }

  /**
   * Wraps a callback that libdatachannel invokes from native code: an exception escaping it would
   * abort the whole process (`terminate called after throwing an instance of 'Napi::Error'`, seen
   * once in CI), so it is caught and logged here.
   */
  private guard<A extends unknown[]>(what: string, fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        this.log.warn({ err: errorMessage(err), callback: what }, 'WebRTC callback failed');
      }
    };
  }

  private flushNotices(): void {
    for (const m of this.pendingNotices.splice(0)) this.dc?.sendMessage(m);
  }

  private attach(dc: DataChannel): void {
    this.dc = dc;
    dc.onOpen(this.guard('data channel open', () => this.flushNotices()));
    dc.onMessage(this.guard('data channel message', (msg: string | Buffer | ArrayBuffer) => this.onControl(typeof msg === 'string' ? msg : Buffer.from(msg as ArrayBuffer).toString('utf8'))));
    dc.onClosed(this.guard('data channel closed', () => this.reportEnded('datachannel-closed')));
    if (dc.isOpen()) this.flushNotices();
  }

  private onControl(text: string): void {
    const parsed = parseBrowserMessage(text);
    if (!parsed.ok) return this.send({ type: 'error', code: parsed.code, message: parsed.error });
    const m = parsed.message;
    const control = sessionControl(m, this.paused);
    if (control) {
      this.paused = control.paused;
      return this.send(control.reply);
    }
    switch (m.type) {
      case 'text':
        this.relay.emit({ type: 'text', text: m.text });
        return;
      case 'session.end':
        this.reportEnded('caller-ended');
        this.hangup('caller-ended');
        return;
      case 'session.start':
        // The call starts when the peer connects; a session.start on the channel changes nothing.
        return;
      default:
        this.send({ type: 'error', code: 'bad_message', message: 'audio travels on the WebRTC audio track, not the data channel' });
        return;
    }
  }

  private onPacket(buf: Buffer): void {
    if (this.ended) return;
    const rtp = parseRtp(buf);
    if (!rtp || rtp.payloadType !== this.payloadType) return;
    this.counters.packetsIn++;
    const receivedAtMs = this.clock.nowMs();
    this.watchdog.packet(receivedAtMs);
    let bytes: Uint8Array;
    try {
      bytes = this.decoder.decode(rtp.payload);
    } catch {
      this.counters.decodeErrors++;
      return;
    }
    const pcm = new Int16Array(bytes.length >> 1);
    const verdict = this.inboundLimiter?.admit((pcm.length * 1000) / WEBRTC_RATE_HZ, receivedAtMs) ?? 'admit';
    if (verdict === 'close') {
      this.log.warn('caller sends audio far faster than real time: hanging up');
      return this.hangup('audio-flood');
    }
    if (verdict === 'drop') return;
    new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.length * 2));
    if (!this.paused) this.relay.emit({ type: 'audio', pcm, receivedAtMs });
  }

  /** Puts `limiter` in front of inbound audio (see `CallerTransport.limitInboundAudio`). */
  limitInboundAudio(limiter: InboundAudioLimiter): void {
    this.inboundLimiter = limiter;
  }

  private send(message: BrowserServerMessage): void {
    const text = JSON.stringify(message);
    try {
      if (this.dc?.isOpen()) this.dc.sendMessage(text);
      else if (this.pendingNotices.length < MAX_PENDING_NOTICES && !this.released) this.pendingNotices.push(text);
    } catch (err) {
      // The channel closed between the check and the send: the caller is gone.
      this.log.debug({ err: errorMessage(err) }, 'data channel send failed');
    }
  }

  private reportEnded(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.watchdog.stop();
    this.relay.emit({ type: 'ended', reason });
    // The peer is gone or leaving: release the connection whoever ended the call.
    setTimeout(() => this.close(), 200).unref();
  }

  setHandler(handler: (event: CallerEvent) => void): void {
    this.relay.setHandler(handler);
  }

  /** Sends one 20 ms frame (960 samples at 48 kHz) as one Opus RTP packet. */
  sendAudio(frame: Int16Array): void {
    try {
      this.sendFrame(frame);
    } catch (err) {
      if (this.counters.sendErrors++ === 0) this.log.warn({ err: errorMessage(err) }, 'sending a frame failed');
    }
  }

  private sendFrame(frame: Int16Array): void {
    if (this.ended) return;
    if (!this.track.isOpen()) {
      this.counters.framesDropped++;
      return;
    }
    const opus = this.encoder.encode(frame);
    const packet = buildRtp({ payloadType: this.payloadType, sequenceNumber: this.seq, timestamp: this.timestamp, ssrc: this.ssrc, marker: this.markerNext }, opus);
    this.seq = (this.seq + 1) & 0xffff;
    this.timestamp = (this.timestamp + FRAME_SAMPLES) >>> 0;
    this.markerNext = false;
    // The call's pacer releases one frame per 20 ms, so nothing piles up here; a full send
    // buffer (false) drops the frame rather than queueing it.
    if (this.track.sendMessageBinary(packet)) this.counters.framesOut++;
    else this.counters.framesDropped++;
  }

  mark(_markId: string): void {}

  clearPlayback(): void {
    // Only the browser's jitter buffer (tens of ms) is ahead of the call's pacer; tell the page.
    this.markerNext = true;
    this.send({ type: 'playback.clear' });
  }

  notify(notice: CallerNotice): void {
    this.send(notice);
  }

  /** Announces the session on the data channel once the call exists. */
  announce(callId: string, model: string): void {
    this.send({ type: 'session.started', callId, sampleRateHz: WEBRTC_RATE_HZ, model, audioTransport: 'binary' });
  }

  hangup(reason: string): void {
    this.send({ type: 'session.ended', reason });
    // reportEnded gives the data channel a moment to deliver the last message, then releases the peer.
    this.reportEnded(reason);
  }

  /** Releases the peer connection at once (server shutdown). */
  destroy(): void {
    this.reportEnded('server-shutdown');
    this.close();
  }

  private close(): void {
    if (this.released) return;
    this.released = true;
    live.delete(this);
    if (this.connectDeadline !== undefined) this.clock.clearTimeout(this.connectDeadline);
    this.connectDeadline = undefined;
    this.log.info({ ...this.counters }, 'WebRTC session closed');
    try {
      this.dc?.close();
      this.track.close();
      this.pc.close();
    } catch (err) {
      this.log.debug({ err: errorMessage(err) }, 'closing the peer connection');
    }
    this.hooks.onReleased?.();
  }
}
