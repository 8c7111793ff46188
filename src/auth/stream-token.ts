/**
 * Stream tokens: what an answer webhook (or `POST /streams`, or `voicebridge sign-url`) hands out
 * and a media stream must present, once, before any model session opens. Pure functions, no I/O:
 * the time is passed in, the replay store lives in `replay-store.ts`.
 *
 * Format: `vbs1.<payload>.<mac>`, both parts base64url (RFC 4648 §5) without padding; `payload` is
 * the JSON `{"r":route,"c":carrierCallId?,"j":tokenId,"e":expiresAtMs}` and `mac` is
 * HMAC-SHA256(secret, "vbs1." + payload) (RFC 2104), compared with `crypto.timingSafeEqual`.
 * A token carries no secret of its own but is a bearer credential: never log it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The media routes a token may open. */
export const STREAM_ROUTES = ['twilio', 'vonage', 'ws', 'client', 'webrtc'] as const;
/** A media route: a carrier's stream (`twilio`, `vonage`) or a caller route (`ws`, `client`, `webrtc`). */
export type StreamRoute = (typeof STREAM_ROUTES)[number];

/** What a token says. */
export interface StreamTokenClaims {
  route: StreamRoute;
  /** The carrier's call id it is bound to (Twilio CallSid, Vonage uuid); absent: not bound to a call. */
  carrierCallId?: string;
  /** Random id (16 bytes, base64url) the replay store remembers until `expiresAtMs`. */
  tokenId: string;
  /** Wall-clock expiry, Unix epoch ms. */
  expiresAtMs: number;
}

/** Why a token was refused (a stable code; `message` says it in words, without the token). */
export type StreamTokenProblem = 'missing' | 'malformed' | 'forged' | 'expired' | 'wrong-route' | 'wrong-call' | 'replayed' | 'unchecked';

/** Outcome of a check. */
export type StreamTokenCheck = { ok: true; claims: StreamTokenClaims } | { ok: false; problem: StreamTokenProblem; message: string };

const PREFIX = 'vbs1.';
/** Longest token accepted, characters (a bound on work done for garbage input). */
const MAX_TOKEN_CHARS = 1024;
const MAC_BYTES = 32;

const MESSAGES: Record<StreamTokenProblem, string> = {
  missing: 'no stream token',
  malformed: 'malformed stream token',
  forged: 'stream token signature does not match',
  expired: 'stream token expired',
  'wrong-route': 'stream token is for another route',
  'wrong-call': 'stream token is for another call',
  replayed: 'stream token was already used',
  unchecked: 'stream token could not be checked for reuse (shared state unreachable): try again shortly',
};

/** A refusal with its standard message. */
export function refusal(problem: StreamTokenProblem): StreamTokenCheck & { ok: false } {
  return { ok: false, problem, message: MESSAGES[problem] };
}

/** Whether `text` has the shape of a stream token (as opposed to, e.g., a JWT in the same `?token=`). */
export function isStreamToken(text: string | undefined): text is string {
  return typeof text === 'string' && text.startsWith(PREFIX);
}

function mac(secret: Uint8Array, signed: string): Buffer {
  return createHmac('sha256', secret).update(signed).digest();
}

/**
 * Signs a token.
 * @param secret the HMAC key (≥ 16 bytes advised; `STREAM_TOKEN_SECRET`).
 * @param claims route, optional call binding and expiry; `tokenId` defaults to 16 random bytes.
 * @returns the token text (URL- and XML-safe: `[A-Za-z0-9._-]`).
 */
export function signStreamToken(secret: Uint8Array, claims: Omit<StreamTokenClaims, 'tokenId'> & { tokenId?: string }): string {
  const body: Record<string, unknown> = { r: claims.route, j: claims.tokenId ?? randomBytes(16).toString('base64url'), e: Math.floor(claims.expiresAtMs) };
  if (claims.carrierCallId !== undefined) body.c = claims.carrierCallId;
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${PREFIX}${payload}.${mac(secret, PREFIX + payload).toString('base64url')}`;
}

/**
 * Checks a token's signature, shape, route and expiry (not its single use: see `ReplayStore`, nor
 * its call binding: see `callBindingProblem`). Never throws.
 * @param nowMs the wall clock, Unix epoch ms.
 */
export function verifyStreamToken(secret: Uint8Array, token: string | undefined, route: StreamRoute, nowMs: number): StreamTokenCheck {
  if (!token) return refusal('missing');
  if (token.length > MAX_TOKEN_CHARS || !token.startsWith(PREFIX)) return refusal('malformed');
  const parts = token.slice(PREFIX.length).split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return refusal('malformed');
  const given = Buffer.from(parts[1], 'base64url');
  const expected = mac(secret, PREFIX + parts[0]);
  if (given.length !== MAC_BYTES || !timingSafeEqual(given, expected)) return refusal('forged');
  // One spelling per MAC: base64url decoders ignore a last character's unused bits.
  if (given.toString('base64url') !== parts[1]) return refusal('forged');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  } catch {
    return refusal('malformed');
  }
  const claims = claimsOf(body);
  if (!claims) return refusal('malformed');
  if (claims.route !== route) return refusal('wrong-route');
  if (!(nowMs < claims.expiresAtMs)) return refusal('expired');
  return { ok: true, claims };
}

/** The claims of a decoded payload, or null when its shape is wrong. */
function claimsOf(body: unknown): StreamTokenClaims | null {
  if (typeof body !== 'object' || body === null) return null;
  const { r, c, j, e } = body as Record<string, unknown>;
  if (!STREAM_ROUTES.includes(r as StreamRoute) || typeof j !== 'string' || !j || typeof e !== 'number' || !Number.isFinite(e)) return null;
  if (c !== undefined && typeof c !== 'string') return null;
  return { route: r as StreamRoute, tokenId: j, expiresAtMs: e, ...(c !== undefined ? { carrierCallId: c } : {}) };
}

/**
 * Whether a checked token may open the stream of carrier call `carrierCallId`: a token bound to a
 * call opens only that call's stream. Returns the refusal, or null when it may.
 */
export function callBindingProblem(claims: StreamTokenClaims, carrierCallId: string | undefined): (StreamTokenCheck & { ok: false }) | null {
  if (claims.carrierCallId === undefined || claims.carrierCallId === carrierCallId) return null;
  return refusal('wrong-call');
}
