/**
 * Vonage Voice WebSocket wire codec (pure). Inbound text: `websocket:connected` (first; carries
 * `content-type` and the NCCO's custom headers), `websocket:dtmf`, `websocket:cleared`,
 * `websocket:notify`; inbound binary: 20 ms of PCM16 LE (320 / 640 / 960 bytes at 8 / 16 / 24 kHz).
 * Outbound: binary 20 ms frames, `{"action":"clear"}`, `{"action":"notify","payload":…}`.
 * Per shared/reference/protocols.md part 4.2–4.3 (Vonage "WebSockets" guide).
 */
import { isObject as obj, parseEventEnvelope, type ParseResult } from '../wire.js';

/** A validated inbound Vonage text message. */
export type VonageInbound =
  | { event: 'connected'; sampleRateHz: number; headers: Record<string, string> }
  | { event: 'dtmf'; digit: string; durationMs?: number }
  | { event: 'cleared' }
  | { event: 'notify'; payload: Record<string, unknown> }
  | { event: 'unknown'; name: string };

/** Rates Vonage offers for `audio/l16`. */
export const VONAGE_RATES_HZ = [8000, 16000, 24000] as const;


/**
 * Parses `audio/l16;rate=16000` into 16000.
 * @returns the rate, or null when the content type is not L16 at a Vonage rate.
 */
export function parseL16ContentType(contentType: string): number | null {
  const m = /^audio\/l16;\s*rate=(\d+)$/i.exec(contentType.trim());
  if (!m) return null;
  const rate = Number(m[1]);
  return (VONAGE_RATES_HZ as readonly number[]).includes(rate) ? rate : null;
}

/** Parses and validates one inbound text frame (never throws). */
export function parseVonageMessage(text: string): ParseResult<VonageInbound> {
  const envelope = parseEventEnvelope(text);
  if (!envelope.ok) return envelope;
  const m = envelope.message;
  switch (m.event) {
    case 'websocket:connected': {
      const ct = m['content-type'];
      const rate = typeof ct === 'string' ? parseL16ContentType(ct) : null;
      if (rate === null) return { ok: false, error: `unsupported content-type ${JSON.stringify(ct)}` };
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(m)) if (k !== 'event' && k !== 'content-type' && typeof v === 'string') headers[k] = v;
      return { ok: true, message: { event: 'connected', sampleRateHz: rate, headers } };
    }
    case 'websocket:dtmf': {
      const digit = m.digit;
      if (typeof digit !== 'string' || !/^[0-9*#]$/.test(digit)) return { ok: false, error: 'dtmf without a valid digit' };
      return { ok: true, message: { event: 'dtmf', digit, durationMs: typeof m.duration === 'number' ? m.duration : undefined } };
    }
    case 'websocket:cleared':
      return { ok: true, message: { event: 'cleared' } };
    case 'websocket:notify':
      return { ok: true, message: { event: 'notify', payload: obj(m.payload) ? m.payload : {} } };
    default:
      return { ok: true, message: { event: 'unknown', name: m.event } };
  }
}

/** `{"action":"clear"}`: Vonage drops queued audio and answers `websocket:cleared`. */
export const VONAGE_CLEAR = '{"action":"clear"}';

/** `notify` with our mark id; Vonage echoes it once all audio queued before it has played. */
export function encodeVonageNotify(markId: string): string {
  return JSON.stringify({ action: 'notify', payload: { markId } });
}
