/**
 * Pure codec for Pipecat's data-channel protocol (RTVI 2.1.0 as `@pipecat-ai/client-js` 1.13.1 and
 * `@pipecat-ai/small-webrtc-transport` 1.10.8 speak it; see `../shared/reference/pipecat-rtvi.md`
 * §5–§8, from Pipecat's `rtvi/models.py` and the client's `rtvi/messages.ts`). No I/O: frames in,
 * frames out; the time of day is passed in.
 *
 * Frames a SmallWebRTC client sends on its `chat` channel: `ping: <epoch ms>` keep-alives (not
 * JSON), `{"type":"signalling","message":{…}}` (`trackStatus`), and RTVI messages
 * `{"label":"rtvi-ai","type","id","data"}`. The server answers `client-ready` with `bot-ready`
 * (same `id`) and then reports the call with RTVI events, all labelled `rtvi-ai`.
 */
import { z } from 'zod';
import { MAX_TEXT_CHARS, type BrowserServerMessage } from '../browser/protocol.js';
import { tryParseJson } from '../wire.js';

/** The label every RTVI message carries; the client drops server messages without it. */
export const RTVI_LABEL = 'rtvi-ai';
/** The RTVI protocol version we speak (Pipecat's `PROTOCOL_VERSION`, client-js 1.13.1's `RTVI_PROTOCOL_VERSION`). */
export const RTVI_PROTOCOL_VERSION = '2.1.0';
/** DTMF keys RTVI's `dtmf` message may carry. */
const DTMF_KEYS = /^[0-9*#A-D]$/;

/** One RTVI message as it travels (server → client). */
export interface RtviMessage {
  label: typeof RTVI_LABEL;
  type: string;
  /** The request's id for replies (`bot-ready`, `error-response`); absent on events. */
  id?: string;
  data?: unknown;
}

/** A SmallWebRTC signalling message (the `message` of a `{"type":"signalling"}` frame). */
export type SignallingMessage =
  /** Client → server: a local track (0 microphone, 1 camera, 2 screen) was enabled or disabled. */
  | { type: 'trackStatus'; receiverIndex: number; enabled: boolean }
  /** Server → client: re-offer. */
  | { type: 'renegotiate' }
  /** Server → client: the bot left; the client disconnects. */
  | { type: 'peerLeft' };

/** Client → server RTVI messages we act on. */
export type RtviClientMessage =
  | { type: 'client-ready'; id: string; version: string }
  | { type: 'send-text'; id: string; content: string }
  | { type: 'dtmf'; id: string; buttons: string[] }
  | { type: 'disconnect-bot'; id: string }
  /** Any other RTVI type (`client-message`, `ui-event`, …): answered `error-response`. */
  | { type: 'unsupported'; id: string; name: string };

/** What one data-channel frame from a Pipecat client is. */
export type ChannelFrame =
  | { kind: 'ping'; sentAtMs: number }
  | { kind: 'signalling'; message: SignallingMessage | { type: 'unknown'; name: string } }
  | { kind: 'rtvi'; message: RtviClientMessage }
  /** Labelled RTVI but unusable: answer `error-response` with `error` (to `id` when known). */
  | { kind: 'rtvi-invalid'; id?: string; error: string }
  /** Not a Pipecat frame (our own browser protocol, or garbage). */
  | { kind: 'other' };

const idSchema = z.string().min(1).max(64);
const envelope = z.object({ label: z.literal(RTVI_LABEL), type: z.string().min(1).max(64), id: idSchema.optional(), data: z.unknown().optional() });
const clientReadyData = z.object({ version: z.string().max(32) }).loose();
const sendTextData = z.object({ content: z.string().trim().min(1).max(MAX_TEXT_CHARS) }).loose();
const dtmfData = z.object({ buttons: z.array(z.string().regex(DTMF_KEYS)).min(1).max(32) }).loose();
const trackStatus = z.object({ type: z.literal('trackStatus'), receiver_index: z.number().int().min(0).max(7), enabled: z.boolean() });
const signallingFrame = z.object({ type: z.literal('signalling'), message: z.object({ type: z.string().max(64) }).loose() });

/**
 * Reads one text frame a Pipecat client sent. Never throws.
 * @returns what it is; `other` for anything that is neither a keep-alive, signalling nor RTVI.
 */
export function readChannelFrame(text: string): ChannelFrame {
  const ping = /^ping: (\d{1,16})$/.exec(text);
  if (ping) return { kind: 'ping', sentAtMs: Number(ping[1]) };
  const json = tryParseJson(text);
  const signalling = signallingFrame.safeParse(json);
  if (signalling.success) {
    const track = trackStatus.safeParse(signalling.data.message);
    if (track.success) return { kind: 'signalling', message: { type: 'trackStatus', receiverIndex: track.data.receiver_index, enabled: track.data.enabled } };
    return { kind: 'signalling', message: { type: 'unknown', name: signalling.data.message.type } };
  }
  if (typeof json !== 'object' || json === null || (json as { label?: unknown }).label !== RTVI_LABEL) return { kind: 'other' };
  const parsed = envelope.safeParse(json);
  if (!parsed.success) return { kind: 'rtvi-invalid', error: 'an RTVI message needs a string "type" and "id"' };
  const { type, id, data } = parsed.data;
  if (id === undefined) return { kind: 'rtvi-invalid', error: `RTVI message "${type}" has no "id"` };
  const bad = (what: string): ChannelFrame => ({ kind: 'rtvi-invalid', id, error: `invalid ${type}: ${what}` });
  switch (type) {
    case 'client-ready': {
      const d = clientReadyData.safeParse(data);
      return d.success ? { kind: 'rtvi', message: { type, id, version: d.data.version } } : bad('data.version must be a string');
    }
    case 'send-text': {
      const d = sendTextData.safeParse(data);
      return d.success ? { kind: 'rtvi', message: { type, id, content: d.data.content } } : bad(`data.content must be non-empty text of at most ${MAX_TEXT_CHARS} characters`);
    }
    case 'dtmf': {
      const d = dtmfData.safeParse(data);
      return d.success ? { kind: 'rtvi', message: { type, id, buttons: d.data.buttons } } : bad('data.buttons must list 1 to 32 keys (0-9, *, #, A-D)');
    }
    case 'disconnect-bot':
      return { kind: 'rtvi', message: { type, id } };
    default:
      return { kind: 'rtvi', message: { type: 'unsupported', id, name: type } };
  }
}

/** An RTVI message with our label. */
export function rtvi(type: string, data?: unknown, id?: string): RtviMessage {
  return { label: RTVI_LABEL, type, ...(id !== undefined ? { id } : {}), ...(data !== undefined ? { data } : {}) };
}

/** `bot-ready` answering the `client-ready` with `id` (Pipecat's `RTVIBotReady`). */
export function botReady(id: string): RtviMessage {
  return rtvi('bot-ready', { version: RTVI_PROTOCOL_VERSION, about: { library: 'voicebridge' } }, id);
}

/** `error-response` to the request `id` (the client rejects that request; harmless otherwise). */
export function errorResponse(id: string | undefined, error: string): RtviMessage {
  return rtvi('error-response', { error }, id);
}

/** A signalling frame (server → client), e.g. `peerLeft` before we close. */
export function signalling(message: SignallingMessage): { type: 'signalling'; message: SignallingMessage } {
  return { type: 'signalling', message };
}

/**
 * Turns our browser protocol's server messages (`browser/protocol.ts`) into RTVI events, keeping
 * what RTVI needs that our messages leave implicit: whether the user and the bot are speaking (so
 * each `*-started/stopped-speaking` pair is sent once) and the assistant's text so far in this reply (our
 * partial transcripts are cumulative, `bot-llm-text` carries only the new part).
 *
 * Mapping: `speech` (the model heard the caller start or stop) → `user-started-speaking` /
 * `user-stopped-speaking`, once each way; user transcripts → `user-transcription`
 * `{text, final, timestamp, user_id}`; assistant partials →
 * `bot-llm-started` (once) and `bot-llm-text {text: new part}`; an assistant final → `bot-output`
 * (`aggregated_by: "sentence"`, spoken, `completed`) and the deprecated `bot-transcription`, then
 * `bot-llm-stopped`; state `responding` → `bot-started-speaking`, leaving it →
 * `bot-stopped-speaking`; `playback.clear` (barge-in) → `bot-stopped-speaking`,
 * `user-started-speaking`, `bot-interrupted` and `server-message {type: "playback.clear"}`; `error` → `error {error, fatal: false}`; `session.started`, `turn`,
 * `tool`, `transfer`, `session.ended` → `server-message` with our message as `data`; `pong` and
 * `audio` have no RTVI form.
 */
export class RtviEncoder {
  private userSpeaking = false;
  private botSpeaking = false;
  private llmText: string | undefined;

  /** @param nowIso the time of day as ISO 8601 (`new Date().toISOString()` in production), for transcript timestamps. */
  constructor(private readonly nowIso: () => string) {}

  /** Whether the bot is speaking (between `bot-started-speaking` and `bot-stopped-speaking`). */
  get isBotSpeaking(): boolean {
    return this.botSpeaking;
  }

  /** The RTVI messages for one of our server messages, in order (possibly none). */
  encode(m: BrowserServerMessage): RtviMessage[] {
    switch (m.type) {
      case 'transcript':
        return m.role === 'user' ? this.userTranscript(m.text, m.final) : this.botText(m.text, m.final);
      case 'state':
        if (m.state === 'responding') return this.botStarted();
        return this.botStopped();
      case 'speech':
        return m.speaking ? this.userStarted() : this.userStopped();
      case 'playback.clear':
        // Pipecat's own barge-in event (client 1.13.1 ignores it) and ours as a server message,
        // which a page sees in `onServerMessage` at the moment the server stopped the bot's audio.
        return [...this.botStopped(), ...this.userStarted(), rtvi('bot-interrupted'), rtvi('server-message', m)];
      case 'error':
        return [rtvi('error', { error: `${m.code}: ${m.message}`, fatal: false })];
      case 'session.started':
      case 'turn':
      case 'tool':
      case 'transfer':
      case 'session.ended':
        return [rtvi('server-message', m)];
      case 'pong':
      case 'audio':
        return [];
    }
  }

  private userStarted(): RtviMessage[] {
    if (this.userSpeaking) return [];
    this.userSpeaking = true;
    return [rtvi('user-started-speaking')];
  }

  private userStopped(): RtviMessage[] {
    if (!this.userSpeaking) return [];
    this.userSpeaking = false;
    return [rtvi('user-stopped-speaking')];
  }

  private userTranscript(text: string, final: boolean): RtviMessage[] {
    return [rtvi('user-transcription', { text, final, timestamp: this.nowIso(), user_id: '' })];
  }

  private botText(text: string, final: boolean): RtviMessage[] {
    const out: RtviMessage[] = [];
    if (this.llmText === undefined) {
      this.llmText = '';
      out.push(rtvi('bot-llm-started'));
    }
    if (!final) {
      const added = text.startsWith(this.llmText) ? text.slice(this.llmText.length) : text;
      this.llmText = text;
      if (added) out.push(rtvi('bot-llm-text', { text: added }));
      return out;
    }
    this.llmText = undefined;
    out.push(
      rtvi('bot-output', { text, aggregated_by: 'sentence', will_be_spoken: true, spoken_status: 'completed' }),
      rtvi('bot-transcription', { text }),
      rtvi('bot-llm-stopped'),
    );
    return out;
  }

  private botStarted(): RtviMessage[] {
    if (this.botSpeaking) return [];
    this.botSpeaking = true;
    return [rtvi('bot-started-speaking')];
  }

  private botStopped(): RtviMessage[] {
    if (!this.botSpeaking) return [];
    this.botSpeaking = false;
    return [rtvi('bot-stopped-speaking')];
  }
}
