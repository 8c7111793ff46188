/**
 * The browser WebSocket protocol (`/client`), shared with the web client. JSON text messages both
 * ways; audio is PCM16 little-endian mono at the session's rate, either base64 in `audio` messages
 * or raw in binary frames (choose with `session.start.audioTransport`).
 *
 * Client → server: `session.start` (first), `audio`, binary frames, `text`, `session.pause`,
 * `session.resume`, `session.end`, `ping`. Over WebRTC the same messages travel on the data channel
 * (audio on the track).
 * Server → client: `session.started`, `audio` / binary frames, `playback.clear` (barge-in: stop
 * local playback now), `transcript`, `state`, `speech` (the caller started or stopped speaking),
 * `turn`, `error`, `pong`, `session.ended`.
 */

import { isObject, tryParseJson } from '../wire.js';

/** Sample rates a browser session may use. */
export const BROWSER_RATES_HZ = [8000, 16000, 24000, 48000] as const;

/** Client → server messages. */
export type BrowserClientMessage =
  | {
      type: 'session.start';
      /** PCM16 rate both ways (default 16000). */
      sampleRateHz?: number;
      /** `base64` (default) or `binary` audio frames. */
      audioTransport?: 'base64' | 'binary';
      /** Overrides the server's system prompt when the server allows it. */
      systemPrompt?: string;
      /** Voice for the model (one of its `voices` in `/health`). */
      voice?: string;
      /** Model id (one of `/health` `models`); the server's default otherwise. */
      model?: string;
    }
  | { type: 'audio'; audio: string }
  | { type: 'text'; text: string }
  | { type: 'session.end' }
  /** Stop sending the caller's audio to the model (mute) until `session.resume`. */
  | { type: 'session.pause' }
  | { type: 'session.resume' }
  | { type: 'ping' };

/** Server → client messages. */
export type BrowserServerMessage =
  | { type: 'session.started'; callId: string; sampleRateHz: number; model: string; audioTransport: 'base64' | 'binary' }
  | { type: 'audio'; audio: string }
  | { type: 'playback.clear' }
  | { type: 'transcript'; role: 'user' | 'assistant'; text: string; final: boolean; turn: number }
  | { type: 'state'; state: string }
  | { type: 'speech'; speaking: boolean }
  | { type: 'turn'; turn: number; replyLatencyMs: number | null; interrupted: boolean }
  | { type: 'error'; code: string; message: string }
  | { type: 'tool'; name: string; ok: boolean; durationMs: number }
  | { type: 'transfer'; to: string; reason: string }
  | { type: 'pong' }
  | { type: 'session.ended'; reason: string };

type Parsed = { ok: true; message: BrowserClientMessage } | { ok: false; code: string; error: string };

/** Whether `v` looks like a voice id (`tiffany`, `kal16`, `en-US-1`): 1–64 word characters or dashes. */
export function isVoiceId(v: string): boolean {
  return /^[\w-]{1,64}$/.test(v);
}

/**
 * The part of a session both browser transports (WebSocket and WebRTC data channel) handle alike:
 * `ping`, `session.pause` and `session.resume`. Returns the reply and the new muted state, or
 * undefined for any other message.
 */
export function sessionControl(m: BrowserClientMessage, paused: boolean): { reply: BrowserServerMessage; paused: boolean } | undefined {
  if (m.type === 'ping') return { reply: { type: 'pong' }, paused };
  if (m.type === 'session.pause') return { reply: { type: 'state', state: 'paused' }, paused: true };
  if (m.type === 'session.resume') return { reply: { type: 'state', state: 'listening' }, paused: false };
  return undefined;
}

/** Longest typed text accepted, characters. */
export const MAX_TEXT_CHARS = 4000;

/** Parses and validates one client text frame (never throws). */
export function parseBrowserMessage(text: string): Parsed {
  const r = tryParseJson(text);
  if (r === undefined) return { ok: false, code: 'bad_json', error: 'malformed JSON' };
  if (!isObject(r)) return { ok: false, code: 'bad_message', error: 'message must be a JSON object' };
  switch (r.type) {
    case 'session.start': {
      const rate = r.sampleRateHz ?? 16000;
      if (!(BROWSER_RATES_HZ as readonly unknown[]).includes(rate)) return { ok: false, code: 'bad_message', error: `sampleRateHz must be one of ${BROWSER_RATES_HZ.join(', ')}` };
      const at = r.audioTransport ?? 'base64';
      if (at !== 'base64' && at !== 'binary') return { ok: false, code: 'bad_message', error: 'audioTransport must be "base64" or "binary"' };
      if (r.systemPrompt !== undefined && (typeof r.systemPrompt !== 'string' || r.systemPrompt.length > MAX_TEXT_CHARS)) {
        return { ok: false, code: 'bad_message', error: 'systemPrompt must be a string of at most 4000 characters' };
      }
      if (r.voice !== undefined && (typeof r.voice !== 'string' || !isVoiceId(r.voice))) return { ok: false, code: 'bad_message', error: 'voice must be a voice id (letters, digits, - and _)' };
      if (r.model !== undefined && (typeof r.model !== 'string' || !isVoiceId(r.model))) return { ok: false, code: 'bad_message', error: 'model must be a model id' };
      return { ok: true, message: { type: 'session.start', sampleRateHz: rate as number, audioTransport: at, systemPrompt: r.systemPrompt as string | undefined, voice: r.voice as string | undefined, model: r.model as string | undefined } };
    }
    case 'audio':
      if (typeof r.audio !== 'string') return { ok: false, code: 'bad_message', error: 'audio message needs an "audio" base64 string' };
      return { ok: true, message: { type: 'audio', audio: r.audio } };
    case 'text':
      if (typeof r.text !== 'string' || !r.text.trim() || r.text.length > MAX_TEXT_CHARS) return { ok: false, code: 'bad_message', error: 'text must be a non-empty string of at most 4000 characters' };
      return { ok: true, message: { type: 'text', text: r.text } };
    case 'session.end':
      return { ok: true, message: { type: 'session.end' } };
    case 'session.pause':
      return { ok: true, message: { type: 'session.pause' } };
    case 'session.resume':
      return { ok: true, message: { type: 'session.resume' } };
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
    default:
      return { ok: false, code: 'unknown_type', error: `unknown message type ${JSON.stringify(r.type)}` };
  }
}
