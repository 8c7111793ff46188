/**
 * The WebRTC data channel's two protocols: our browser protocol (`browser/protocol.ts`) and
 * Pipecat's RTVI (`rtvi.ts`), chosen by the first frame the client sends. A Pipecat client sends a
 * keep-alive, signalling or RTVI frame as soon as its channel opens; our own clients wait for
 * `session.started`, so until a Pipecat frame arrives the channel speaks our protocol (a Pipecat
 * client drops those frames unread: they lack the `rtvi-ai` label). Pure apart from the callbacks
 * it is given.
 */
import { BrowserControl } from '../browser/control.js';
import type { BrowserServerMessage } from '../browser/protocol.js';
import { botReady, errorResponse, readChannelFrame, RtviEncoder, signalling, type RtviClientMessage } from './rtvi.js';

/** Which protocol a channel speaks: ours until the client's first frame says otherwise. */
export type ChannelProtocolName = 'voicebridge' | 'rtvi';

/** What the caller asked for on the channel, for the transport to act on. */
export interface ChannelEvents {
  /** Typed text for the model (`text`, RTVI `send-text`). */
  text(text: string): void;
  /** A key press (RTVI `dtmf`, one call per key). */
  dtmf(digit: string): void;
  /** The caller ends the call (`session.end`, RTVI `disconnect-bot`). */
  end(): void;
}

/** One data channel's protocol state. */
export class ChannelProtocol {
  private mode: ChannelProtocolName | undefined;
  private readonly control: BrowserControl;
  private readonly encoder: RtviEncoder;
  private micEnabled = true;
  private sessionStarted: BrowserServerMessage | undefined;

  /**
   * @param send sends one text frame on the channel.
   * @param events what the caller asked for.
   * @param nowIso the time of day, ISO 8601 (RTVI transcript timestamps).
   */
  constructor(
    private readonly send: (frame: string) => void,
    private readonly events: ChannelEvents,
    nowIso: () => string,
  ) {
    this.control = new BrowserControl(
      (m) => this.deliver(m),
      (code, message) => this.deliver({ type: 'error', code, message }),
    );
    this.encoder = new RtviEncoder(nowIso);
  }

  /** The protocol chosen (`voicebridge` until the client's first frame, if it never sends one). */
  get protocol(): ChannelProtocolName {
    return this.mode ?? 'voicebridge';
  }

  /** Whether the caller muted its microphone (`session.pause`, or RTVI `trackStatus` of track 0 disabled). */
  get paused(): boolean {
    return this.protocol === 'rtvi' ? !this.micEnabled : this.control.paused;
  }

  /** Sends one of our server messages in the channel's protocol. */
  deliver(message: BrowserServerMessage): void {
    if (message.type === 'session.started') this.sessionStarted = message;
    if (this.protocol === 'voicebridge') {
      this.send(JSON.stringify(message));
      return;
    }
    for (const m of this.encoder.encode(message)) this.send(JSON.stringify(m));
    // Pipecat's bot says it is leaving before it closes: the client then disconnects by itself.
    if (message.type === 'session.ended') this.send(JSON.stringify(signalling({ type: 'peerLeft' })));
  }

  /** Reads one text frame from the client (bad ones are answered on the channel; never throws). */
  read(text: string): void {
    const frame = readChannelFrame(text);
    if (this.mode === undefined) this.mode = frame.kind === 'other' ? 'voicebridge' : 'rtvi';
    if (this.mode === 'voicebridge') return this.readOurs(text);
    switch (frame.kind) {
      case 'ping':
        return;
      case 'signalling':
        if (frame.message.type === 'trackStatus' && frame.message.receiverIndex === 0) this.micEnabled = frame.message.enabled;
        return;
      case 'rtvi':
        return this.readRtvi(frame.message);
      case 'rtvi-invalid':
        return this.send(JSON.stringify(errorResponse(frame.id, frame.error)));
      case 'other':
        return this.send(JSON.stringify(errorResponse(undefined, 'expected an RTVI message (label "rtvi-ai"), a signalling frame or a ping')));
    }
  }

  private readRtvi(m: RtviClientMessage): void {
    switch (m.type) {
      case 'client-ready':
        this.send(JSON.stringify(botReady(m.id)));
        // The call may have started before the client was ready: tell it the call id now.
        if (this.sessionStarted) this.deliver(this.sessionStarted);
        return;
      case 'send-text':
        return this.events.text(m.content);
      case 'dtmf':
        for (const b of m.buttons) this.events.dtmf(b);
        return;
      case 'disconnect-bot':
        return this.events.end();
      case 'unsupported':
        return this.send(JSON.stringify(errorResponse(m.id, `Unsupported type ${m.name}`)));
    }
  }

  private readOurs(text: string): void {
    const m = this.control.read(text);
    if (!m) return;
    switch (m.type) {
      case 'text':
        return this.events.text(m.text);
      case 'session.end':
        return this.events.end();
      case 'session.start':
        // The call starts when the peer connects; a session.start on the channel changes nothing.
        return;
      default:
        this.deliver({ type: 'error', code: 'bad_message', message: 'audio travels on the WebRTC audio track, not the data channel' });
        return;
    }
  }
}
