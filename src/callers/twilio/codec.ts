/**
 * Twilio Media Streams wire codec (pure). Inbound: `connected`, `start`, `media`, `mark`, `dtmf`,
 * `stop` JSON text frames; outbound: `media`, `mark`, `clear`. Shapes per
 * shared/reference/protocols.md part 3.2–3.3 (Twilio "Media Streams – WebSocket Messages").
 * Numeric fields arrive as strings and are parsed defensively.
 */
import { isBase64, isObject as obj, parseEventEnvelope, type ParseResult } from '../wire.js';

/** A validated inbound Twilio message. */
export type TwilioInbound =
  | { event: 'connected' }
  | {
      event: 'start';
      streamSid: string;
      callSid: string;
      accountSid: string;
      customParameters: Record<string, string>;
      encoding: string;
      sampleRateHz: number;
      channels: number;
    }
  | { event: 'media'; track: string; timestampMs: number; payload: string }
  | { event: 'mark'; name: string }
  | { event: 'dtmf'; digit: string }
  | { event: 'stop' }
  | { event: 'unknown'; name: string };

const str = (v: unknown): v is string => typeof v === 'string';

/**
 * A `media` message exactly as Twilio lays it out (protocols.md 3.2: `event`, `sequenceNumber`,
 * `media` {`track`, `chunk`, `timestamp`, `payload`}, `streamSid`, before or after `media`), with no
 * whitespace. A whole-message match is valid JSON with just these fields, so it is read without
 * `JSON.parse` (50 of these a second per call); anything else takes the general path below.
 */
const CANONICAL_MEDIA = /^\{"event":"media","sequenceNumber":"\d{1,12}",(?:"streamSid":"[A-Za-z0-9]{1,64}",)?"media":\{"track":"(inbound|outbound|inbound_track|outbound_track)","chunk":"\d{1,12}","timestamp":"(\d{1,15})","payload":"([A-Za-z0-9+/]*={0,2})"\}(?:,"streamSid":"[A-Za-z0-9]{1,64}")?\}$/;

/**
 * Parses and validates one inbound text frame.
 * @returns `{ ok: false, error }` for malformed JSON, missing fields or bad base64 (never throws).
 */
export function parseTwilioMessage(text: string): ParseResult<TwilioInbound> {
  const fast = text.length < 16_384 ? CANONICAL_MEDIA.exec(text) : null;
  if (fast) {
    const payload = fast[3];
    if (payload.length % 4 !== 0) return { ok: false, error: 'media payload is not valid base64' };
    return { ok: true, message: { event: 'media', track: fast[1], timestampMs: Number(fast[2]), payload } };
  }
  const envelope = parseEventEnvelope(text);
  if (!envelope.ok) return envelope;
  const m = envelope.message;
  switch (m.event) {
    case 'connected':
      return { ok: true, message: { event: 'connected' } };
    case 'start': {
      const s = m.start;
      if (!obj(s)) return { ok: false, error: 'start without "start" object' };
      const streamSid = str(m.streamSid) ? m.streamSid : s.streamSid;
      if (!str(streamSid) || !streamSid) return { ok: false, error: 'start without streamSid' };
      const fmt = obj(s.mediaFormat) ? s.mediaFormat : {};
      const params: Record<string, string> = {};
      if (obj(s.customParameters)) for (const [k, v] of Object.entries(s.customParameters)) if (str(v)) params[k] = v;
      return {
        ok: true,
        message: {
          event: 'start',
          streamSid,
          callSid: str(s.callSid) ? s.callSid : '',
          accountSid: str(s.accountSid) ? s.accountSid : '',
          customParameters: params,
          encoding: str(fmt.encoding) ? fmt.encoding : 'audio/x-mulaw',
          sampleRateHz: Number(fmt.sampleRate ?? 8000),
          channels: Number(fmt.channels ?? 1),
        },
      };
    }
    case 'media': {
      const md = m.media;
      if (!obj(md) || !str(md.payload)) return { ok: false, error: 'media without payload' };
      if (!isBase64(md.payload)) return { ok: false, error: 'media payload is not valid base64' };
      const ts = Number(md.timestamp);
      return {
        ok: true,
        message: { event: 'media', track: str(md.track) ? md.track : 'inbound', timestampMs: Number.isFinite(ts) ? ts : NaN, payload: md.payload },
      };
    }
    case 'mark':
      if (!obj(m.mark) || !str(m.mark.name)) return { ok: false, error: 'mark without name' };
      return { ok: true, message: { event: 'mark', name: m.mark.name } };
    case 'dtmf':
      if (!obj(m.dtmf) || !str(m.dtmf.digit) || !/^[0-9*#A-D]$/.test(m.dtmf.digit)) return { ok: false, error: 'dtmf without a valid digit' };
      return { ok: true, message: { event: 'dtmf', digit: m.dtmf.digit } };
    case 'stop':
      return { ok: true, message: { event: 'stop' } };
    default:
      return { ok: true, message: { event: 'unknown', name: m.event } };
  }
}

/** Outbound `media` frame: base64 mu-law 8 kHz, no header. */
export function encodeTwilioMedia(streamSid: string, payloadBase64: string): string {
  return `{"event":"media","streamSid":"${streamSid}","media":{"payload":"${payloadBase64}"}}`;
}

/** Outbound `mark`; Twilio echoes it once all earlier audio has played. */
export function encodeTwilioMark(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

/** Outbound `clear`: empties Twilio's playback buffer (barge-in). */
export function encodeTwilioClear(streamSid: string): string {
  return `{"event":"clear","streamSid":"${streamSid}"}`;
}
