/**
 * Twilio Media Streams transport (bidirectional `<Connect><Stream>`): mu-law 8 kHz in and out,
 * marks for playback tracking, `clear` for barge-in, silence filled into gaps in the inbound
 * timestamps (bounded: `gap-filler.ts`). Message order: `connected`, `start`, then media/mark/dtmf, then `stop`.
 */
import { mulawDecode, mulawEncode } from '../../audio/g711.js';
import { corkedOn, socketTransportCore } from '../core/socket-transport.js';
import { CloseCode, type CallerSocket } from '../core/socket.js';
import { hangupCloseCode, type TransportCore, type TransportDeps } from '../core/transport-core.js';
import type { CallerEvent, CallerNotice, CallerStartInfo, CallerTransport, HangupOptions, InboundAudioLimiter } from '../transport.js';
import { encodeTwilioClear, encodeTwilioMark, encodeTwilioMedia, parseTwilioMessage } from './codec.js';
import { GapFiller } from './gap-filler.js';

/** Messages held while a `start` is being admitted (Twilio sends media right after it). */
const MAX_HELD_MESSAGES = 100;

/** What an admission check decides about a stream's `start`. */
export type TwilioAdmission =
  /** Admitted; `parameters` are the custom parameters the call keeps (e.g. without the admit token). */
  | { ok: true; parameters: Record<string, string> }
  /** Refused: the stream is closed with 1008 and this reason. */
  | { ok: false; reason: string };

/** Options for the Twilio transport. */
export interface TwilioTransportDeps extends TransportDeps {
  /**
   * Checks a stream's `start` (its CallSid and custom parameters, e.g. a one-time admit token)
   * before the stream counts as started; messages that arrive meanwhile are held, then handled in
   * order. Absent: every well-formed `start` is admitted with its parameters.
   */
  admit?: (start: { callSid: string; parameters: Record<string, string> }) => Promise<TwilioAdmission>;
}

/** One Twilio media stream. */
export class TwilioTransport implements CallerTransport {
  readonly kind = 'twilio' as const;
  readonly inputRateHz = 8000;
  readonly outputRateHz = 8000;
  readonly supportsMarks = true;
  private streamSid = '';
  private readonly gaps = new GapFiller();
  private readonly muBuf = new Uint8Array(160);
  /** Messages that arrived while `start` was being admitted; null when not admitting. */
  private held: Array<[Buffer, boolean, number]> | null = null;
  private readonly core: TransportCore;

  /**
   * @param socket the accepted socket.
   * @param opts clock, logger and the optional `start` admission.
   */
  constructor(private readonly socket: CallerSocket, private readonly opts: TwilioTransportDeps) {
    this.core = socketTransportCore(socket, opts, (data, isBinary, at) => this.onMessage(data, isBinary, at));
  }

  get started(): Promise<CallerStartInfo> {
    return this.core.started;
  }

  /** Inbound messages rejected as invalid. */
  get badMessages(): number {
    return this.core.badMessages;
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

  private onMessage(data: Buffer, isBinary: boolean, receivedAtMs: number): void {
    const core = this.core;
    if (this.held) {
      if (this.held.length >= MAX_HELD_MESSAGES) return core.protocolError(CloseCode.policyViolation, 'too many messages before the stream was admitted');
      this.held.push([data, isBinary, receivedAtMs]);
      return;
    }
    if (isBinary) return core.protocolError(CloseCode.unsupportedData, 'binary frames are not part of the Twilio protocol');
    const parsed = parseTwilioMessage(data.toString('utf8'));
    if (!parsed.ok) return core.protocolError(CloseCode.invalidPayload, parsed.error);
    const m = parsed.message;
    switch (m.event) {
      case 'connected':
        return;
      case 'start': {
        if (core.isStarted) return core.protocolError(CloseCode.policyViolation, 'duplicate start');
        if (m.encoding !== 'audio/x-mulaw' || m.sampleRateHz !== 8000 || m.channels !== 1) {
          return core.protocolError(CloseCode.policyViolation, `unsupported media format ${m.encoding}/${m.sampleRateHz}/${m.channels}`);
        }
        const begin = (parameters: Record<string, string>) => {
          this.streamSid = m.streamSid;
          // `model`: the answer webhook's `?model=` or a TwiML `<Parameter name="model">`, the operator's choice for this number.
          this.core.start({ carrierCallId: m.callSid, streamId: m.streamSid, parameters, model: parameters.model });
        };
        if (!this.opts.admit) return begin(m.customParameters);
        this.held = [];
        this.opts.admit({ callSid: m.callSid, parameters: m.customParameters }).then(
          (admission) => this.admitted(admission, begin),
          () => this.admitted({ ok: false, reason: 'stream admission failed' }, begin),
        );
        return;
      }
      case 'media': {
        if (!core.isStarted) return core.protocolError(CloseCode.policyViolation, 'media before start');
        if (m.track !== 'inbound' && m.track !== 'inbound_track') return;
        const mu = Buffer.from(m.payload, 'base64');
        if (mu.length === 0 || mu.length > 8000) return core.protocolError(CloseCode.invalidPayload, `media payload of ${mu.length} bytes`);
        const chunkMs = mu.length / 8;
        const fillMs = this.gaps.onMedia(m.timestampMs, chunkMs, receivedAtMs);
        // Not charged to the admission: the filler keeps its silence within 1 s of the wall clock
        // (gap-filler.ts), and a fill past the burst would put the bucket in debt for the audio after it.
        if (fillMs > 0) core.emit({ type: 'audio', pcm: new Int16Array(fillMs * 8), receivedAtMs });
        if (core.hasEnded || !core.admitAudio(chunkMs, receivedAtMs)) return;
        core.emit({ type: 'audio', pcm: mulawDecode(mu), receivedAtMs });
        return;
      }
      case 'mark':
        core.emit({ type: 'played', markId: m.name });
        return;
      case 'dtmf':
        core.emit({ type: 'dtmf', digit: m.digit });
        return;
      case 'stop':
        core.reportEnded('stop');
        this.socket.close(CloseCode.normal, 'stream stopped');
        return;
      case 'unknown':
        core.badMessage({ event: m.name }, 'ignoring unknown Twilio event');
        return;
    }
  }

  /** Silence inserted for gaps in inbound timestamps, ms. */
  get gapFilledMs(): number {
    return this.gaps.filledMs;
  }

  /** Ends an admission: starts the stream and handles the held messages, or refuses it. */
  private admitted(admission: TwilioAdmission, begin: (parameters: Record<string, string>) => void): void {
    const core = this.core;
    const held = this.held ?? [];
    this.held = null;
    if (core.hasEnded) return;
    if (!admission.ok) return core.protocolError(CloseCode.policyViolation, admission.reason);
    begin(admission.parameters);
    for (const [data, isBinary, receivedAtMs] of held) if (!core.hasEnded) this.onMessage(data, isBinary, receivedAtMs);
  }

  sendAudio(frame: Int16Array): void {
    if (!this.streamSid) return;
    const mu = frame.length === 160 ? mulawEncode(frame, this.muBuf) : mulawEncode(frame);
    this.socket.sendText(encodeTwilioMedia(this.streamSid, Buffer.from(mu.buffer, mu.byteOffset, mu.length).toString('base64')));
  }

  mark(markId: string): void {
    if (this.streamSid) this.socket.sendText(encodeTwilioMark(this.streamSid, markId));
  }

  clearPlayback(): void {
    if (this.streamSid) this.socket.sendText(encodeTwilioClear(this.streamSid));
  }

  notify(_notice: CallerNotice): void {}

  /** Closing the socket makes Twilio continue with the TwiML after `</Connect>` (or hang up). */
  hangup(reason: string, options?: HangupOptions): void {
    this.socket.close(hangupCloseCode(options), reason);
  }
}
