/**
 * WebRTC caller (`POST /webrtc/offer`): one browser peer connection answered by node-datachannel
 * (libdatachannel), Opus in both directions through @evan/opus, and a data channel carrying the
 * browser protocol's JSON messages (`browser/protocol.ts`) or, for a Pipecat client, RTVI
 * (`channel.ts` picks by the client's first frame). Follows webrtc.md §1.1 and §5:
 * the audio track is added before the remote description so it matches the offer's `mid`; Opus is
 * declared mono (`minptime=10;useinbandfec=1`, not libdatachannel's 96 kbit/s stereo default);
 * RTCP is filtered from the track's packets; the answer is sent once ICE gathering completes
 * (our candidates in it, WHIP-like; a SmallWebRTC client trickles its own afterwards,
 * `addRemoteCandidates`). The call paces audio at 20 ms, so "sent" ≈ "heard" (no marks). A
 * browser that vanishes without closing the connection is noticed by its inbound RTP stopping
 * (`InboundWatchdog`), not ≈27 s later when ICE fails.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { Decoder, Encoder } from '@evan/opus';
import nodeDataChannel from 'node-datachannel';
import type { TimerHandle } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { BrowserServerMessage } from '../browser/protocol.js';
import { pcm16FromBytes } from '../core/socket-transport.js';
import { TransportCore, type TransportDeps } from '../core/transport-core.js';
import type { CallerEvent, CallerNotice, CallerStartInfo, CallerTransport, InboundAudioLimiter } from '../transport.js';
import { ChannelProtocol } from './channel.js';
import { INBOUND_TIMEOUT_MS, InboundWatchdog } from './inbound-watchdog.js';
import { BadOfferError, PeerSetupError, remoteDescriptionError, type WebRtcLifecycleHooks, type WebRtcNetwork } from './network.js';
import type { WebRtcPeers } from './peers.js';
import { buildRtp, offerAudio, parseRtp } from './rtp.js';

export { BadOfferError, PeerSetupError, type WebRtcLifecycleHooks, type WebRtcNetwork } from './network.js';

const { Audio, PeerConnection, RtcpReceivingSession } = nodeDataChannel;
type PeerConnection = InstanceType<typeof PeerConnection>;
/** node-datachannel's peer connection settings (`RtcConfig`). */
export type PeerConnectionConfig = ConstructorParameters<typeof PeerConnection>[1];
type Track = ReturnType<PeerConnection['addTrack']>;
type DataChannel = Parameters<Parameters<PeerConnection['onDataChannel']>[0]>[0];

/** Opus runs at 48 kHz; one 20 ms frame is 960 samples (RTP timestamp step). */
export const WEBRTC_RATE_HZ = 48000;
const FRAME_SAMPLES = 960;
/** Frames of silence sent at once after a barge-in clear (see `clearPlayback`). */
const CLEAR_SILENCE_FRAMES = 5;
const SILENT_FRAME = new Int16Array(FRAME_SAMPLES);
/** Notices held until the data channel opens. */
const MAX_PENDING_NOTICES = 100;
/** How long the data channel gets to deliver the last message after the call ended, ms. */
const RELEASE_DELAY_MS = 200;

/** What a WebRTC transport is built with (the shared `TransportDeps` plus its peer's settings). */
export interface WebRtcTransportDeps extends TransportDeps {
  /** ICE and timeout settings. */
  network: WebRtcNetwork;
  /** The server's open peer connections; this one is in it until released. */
  peers: WebRtcPeers;
  /** Voice and model the caller asked for (`?voice=`, `?model=`). */
  requested?: { voice?: string; model?: string };
  /** Lifetime notifications (call slot, counters). */
  hooks?: WebRtcLifecycleHooks;
  /** The time of day as ISO 8601 (RTVI transcript timestamps); `new Date().toISOString()` when absent. */
  nowIso?: () => string;
  /** Makes the peer connection (node-datachannel's `PeerConnection` when absent; tests inject a failing one). */
  createPeerConnection?: (name: string, config: PeerConnectionConfig) => PeerConnection;
}

/** One WebRTC caller. */
export class WebRtcTransport implements CallerTransport {
  readonly kind = 'webrtc' as const;
  readonly inputRateHz = WEBRTC_RATE_HZ;
  readonly outputRateHz = WEBRTC_RATE_HZ;
  readonly supportsMarks = false;
  readonly id = randomUUID();
  private connectDeadline: TimerHandle | undefined;
  private readonly core: TransportCore;
  private readonly channel: ChannelProtocol;
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
  private released = false;
  private readonly watchdog: InboundWatchdog;
  /** Caller packets decoded, packets that failed to decode, frames sent, frames dropped (buffer full). */
  readonly counters = { packetsIn: 0, decodeErrors: 0, framesOut: 0, framesDropped: 0, sendErrors: 0 };

  private constructor(offerSdp: string, private readonly deps: WebRtcTransportDeps) {
    const audio = offerAudio(offerSdp);
    if (!audio) throw new BadOfferError('the offer has no audio section with Opus');
    const { clock, logger: log, network } = deps;
    this.payloadType = audio.opusPayloadType;
    // An audio flood is hung up like any hang-up: the browser is told why on the data channel.
    this.core = new TransportCore(deps, (_code, _reason, endedReason) => this.send({ type: 'session.ended', reason: endedReason }), () => {
      this.watchdog.stop();
      // The peer is gone or leaving: release the connection whoever ended the call.
      clock.setTimeout(() => this.close(), RELEASE_DELAY_MS);
    });
    this.channel = new ChannelProtocol((frame) => this.sendFrameText(frame), {
      text: (text) => this.core.emit({ type: 'text', text }),
      dtmf: (digit) => this.core.emit({ type: 'dtmf', digit }),
      end: () => {
        this.core.reportEnded('caller-ended');
        this.hangup('caller-ended');
      },
    }, deps.nowIso ?? (() => new Date().toISOString()));
    this.watchdog = new InboundWatchdog(clock, INBOUND_TIMEOUT_MS, (silentMs) => {
      log.info({ silentMs: Math.round(silentMs) }, 'no audio from the browser: ending the call');
      this.hangup('rtp-timeout');
    });
    // The native parts: a failure here is ours (503), and leaves nothing open or counted.
    let pc: PeerConnection | undefined;
    try {
      pc = (deps.createPeerConnection ?? ((name, config) => new PeerConnection(name, config)))(this.id, {
        iceServers: network.iceServers,
        ...(network.bindAddress ? { bindAddress: network.bindAddress } : {}),
        ...(network.portRange ? { portRangeBegin: network.portRange[0], portRangeEnd: network.portRange[1] } : {}),
      });
      const media = new Audio(audio.mid, 'SendRecv');
      media.addOpusCodec(audio.opusPayloadType, 'minptime=10;useinbandfec=1');
      media.addSSRC(this.ssrc, 'voicebridge', 'voicebridge', 'voicebridge-audio');
      // The track must exist before the remote description so libdatachannel matches it by mid.
      this.track = pc.addTrack(media);
      this.track.setMediaHandler(new RtcpReceivingSession());
      this.track.onMessage(this.guard('packet', (buf: Buffer) => this.onPacket(buf)));
      pc.onDataChannel(this.guard('data channel', (dc: DataChannel) => this.attach(dc)));
      pc.onStateChange(this.guard('state', (state: string) => this.onState(state)));
    } catch (err) {
      try {
        pc?.close();
      } catch {
        // already unusable
      }
      throw new PeerSetupError(`could not create the peer connection: ${errorMessage(err)}`);
    }
    this.pc = pc;
    deps.peers.add(this);
  }

  /**
   * Answers `offerSdp`: resolves with the transport and the answer SDP once ICE gathering is
   * complete (or `network.gatherTimeoutMs` passed).
   * @throws BadOfferError when the offer has no Opus audio or libdatachannel rejects it;
   * PeerSetupError when the peer connection cannot be set up (created, a UDP port bound for ICE)
   * or closes before its answer is made. Either way nothing stays open or counted in `peers`.
   */
  static async answer(offerSdp: string, deps: WebRtcTransportDeps): Promise<{ transport: WebRtcTransport; answerSdp: string }> {
    const { clock, network } = deps;
    const t = new WebRtcTransport(offerSdp, deps);
    let gatherTimer: TimerHandle | undefined;
    const gathered = new Promise<void>((resolve) => {
      t.pc.onGatheringStateChange((s) => s === 'complete' && resolve());
      gatherTimer = clock.setTimeout(resolve, network.gatherTimeoutMs);
    });
    try {
      t.pc.setRemoteDescription(offerSdp, 'offer');
    } catch (err) {
      clock.clearTimeout(gatherTimer);
      t.close();
      throw remoteDescriptionError(errorMessage(err));
    }
    if (t.pc.gatheringState() !== 'complete') await gathered;
    clock.clearTimeout(gatherTimer);
    // The peer may have been released while gathering (its state went closed or failed).
    const answer = t.released ? null : t.pc.localDescription();
    if (!answer) {
      t.close();
      throw new PeerSetupError('the peer connection closed before its answer was made');
    }
    t.connectDeadline = clock.setTimeout(() => t.onConnectTimeout(network.connectTimeoutMs), network.connectTimeoutMs);
    return { transport: t, answerSdp: answer.sdp };
  }

  get started(): Promise<CallerStartInfo> {
    return this.core.started;
  }

  /** The peer never connected: release it now, not after a grace period. */
  private onConnectTimeout(timeoutMs: number): void {
    this.connectDeadline = undefined;
    if (this.core.isStarted || this.released) return;
    this.deps.logger.info({ connectTimeoutMs: timeoutMs }, 'WebRTC peer did not connect in time: releasing it');
    this.deps.hooks?.onConnectTimeout?.();
    this.core.fail(new Error(`the peer did not connect within ${timeoutMs} ms`));
    this.core.reportEnded('connect-timeout');
    this.close();
  }

  private onState(state: string): void {
    this.deps.logger.debug({ state }, 'peer connection state');
    if (state === 'connected' && !this.core.isStarted) {
      if (this.connectDeadline !== undefined) this.deps.clock.clearTimeout(this.connectDeadline);
      this.connectDeadline = undefined;
      this.watchdog.start();
      this.core.start({ parameters: { transport: 'webrtc' }, voice: this.deps.requested?.voice, model: this.deps.requested?.model });
    } else if (state === 'failed' || state === 'closed' || state === 'disconnected') this.peerGone(`peer-${state}`);
  }

  /** The peer or its data channel went away: before it connected, the call waiting for it is told at once. */
  private peerGone(reason: string): void {
    if (!this.core.isStarted) this.core.fail(new Error(`the peer went away before it connected (${reason})`));
    this.core.reportEnded(reason);
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
        this.deps.logger.warn({ err: errorMessage(err), callback: what }, 'WebRTC callback failed');
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
    dc.onClosed(this.guard('data channel closed', () => this.peerGone('datachannel-closed')));
    if (dc.isOpen()) this.flushNotices();
  }

  private onControl(text: string): void {
    this.channel.read(text);
  }

  /**
   * Applies the browser's trickled ICE candidates (`PATCH` of a SmallWebRTC client): each
   * `candidate` line (`candidate:…`, with or without `a=`) for the m-section `mid`. An empty line
   * is the end-of-candidates marker and is skipped.
   * @returns how many were applied; a candidate libdatachannel refuses is logged and skipped.
   */
  addRemoteCandidates(candidates: readonly { candidate: string; mid: string }[]): number {
    let applied = 0;
    for (const c of candidates) {
      if (!c.candidate.trim() || this.released) continue;
      try {
        this.pc.addRemoteCandidate(c.candidate, c.mid);
        applied++;
      } catch (err) {
        this.deps.logger.debug({ err: errorMessage(err), mid: c.mid }, 'remote candidate refused');
      }
    }
    return applied;
  }

  private onPacket(buf: Buffer): void {
    if (this.core.hasEnded) return;
    const rtp = parseRtp(buf);
    if (!rtp || rtp.payloadType !== this.payloadType) return;
    this.counters.packetsIn++;
    const receivedAtMs = this.deps.clock.nowMs();
    this.watchdog.packet(receivedAtMs);
    let bytes: Uint8Array;
    try {
      bytes = this.decoder.decode(rtp.payload);
    } catch {
      this.counters.decodeErrors++;
      return;
    }
    if (!this.core.admitAudio(((bytes.length >> 1) * 1000) / WEBRTC_RATE_HZ, receivedAtMs)) return;
    if (!this.channel.paused) this.core.emit({ type: 'audio', pcm: pcm16FromBytes(bytes), receivedAtMs });
  }

  /** Puts `limiter` in front of inbound audio (see `CallerTransport.limitInboundAudio`). */
  limitInboundAudio(limiter: InboundAudioLimiter): void {
    this.core.limitInboundAudio(limiter);
  }

  private send(message: BrowserServerMessage): void {
    this.channel.deliver(message);
  }

  private sendFrameText(text: string): void {
    try {
      if (this.dc?.isOpen()) this.dc.sendMessage(text);
      else if (this.pendingNotices.length < MAX_PENDING_NOTICES && !this.released) this.pendingNotices.push(text);
    } catch (err) {
      // The channel closed between the check and the send: the caller is gone.
      this.deps.logger.debug({ err: errorMessage(err) }, 'data channel send failed');
    }
  }

  setHandler(handler: (event: CallerEvent) => void): void {
    this.core.setHandler(handler);
  }

  /** Sends one 20 ms frame (960 samples at 48 kHz) as one Opus RTP packet. */
  sendAudio(frame: Int16Array): void {
    try {
      this.sendFrame(frame);
    } catch (err) {
      if (this.counters.sendErrors++ === 0) this.deps.logger.warn({ err: errorMessage(err) }, 'sending a frame failed');
    }
  }

  private sendFrame(frame: Int16Array): void {
    if (this.core.hasEnded) return;
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
    this.send({ type: 'playback.clear' });
    // With no packet after the dropped reply, the browser conceals the "loss": it stretches the
    // last audio and fades it out over about 300 ms (seen in Chromium at -14 → -60 dBFS). Silence
    // right behind the reply's last frame makes it play silence once its jitter buffer is empty.
    for (let i = 0; i < CLEAR_SILENCE_FRAMES; i++) this.sendAudio(SILENT_FRAME);
    this.markerNext = true;
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
    this.core.reportEnded(reason);
  }

  /** Releases the peer connection at once (server shutdown). */
  destroy(): void {
    this.core.reportEnded('server-shutdown');
    this.close();
  }

  private close(): void {
    if (this.released) return;
    this.released = true;
    this.deps.peers.delete(this);
    if (this.connectDeadline !== undefined) this.deps.clock.clearTimeout(this.connectDeadline);
    this.connectDeadline = undefined;
    this.deps.logger.info({ ...this.counters, protocol: this.channel.protocol }, 'WebRTC session closed');
    try {
      this.dc?.close();
      this.track.close();
      this.pc.close();
    } catch (err) {
      this.deps.logger.debug({ err: errorMessage(err) }, 'closing the peer connection');
    }
    this.deps.hooks?.onReleased?.();
  }
}
