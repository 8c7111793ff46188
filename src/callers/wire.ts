/**
 * Pure helpers shared by the carrier wire codecs: the parse-result shape and the JSON envelope
 * check that Twilio and Vonage messages share (an object with a string `event`).
 */

/** Result of parsing: a message or a reason it is invalid. */
export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: string };

/** True for a plain JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses JSON text; `undefined` when it is malformed. Never throws. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Parses a carrier text frame whose JSON object names its type in `event`.
 * @returns the object, or `{ ok: false }` with "malformed JSON" / "message has no "event" string".
 */
export function parseEventEnvelope(text: string): ParseResult<Record<string, unknown> & { event: string }> {
  const m = tryParseJson(text);
  if (m === undefined) return { ok: false, error: 'malformed JSON' };
  if (!isObject(m) || typeof m.event !== 'string') return { ok: false, error: 'message has no "event" string' };
  return { ok: true, message: m as Record<string, unknown> & { event: string } };
}

/** True when `text` is canonical padded base64 (what carriers send; RFC 4648 §4). */
export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}
