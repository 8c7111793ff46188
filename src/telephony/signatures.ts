/**
 * Webhook signature checks.
 * - Twilio: `X-Twilio-Signature` = Base64(HMAC-SHA1(auth token, URL + sorted form params)),
 *   validated with the official `twilio` package (protocols.md part 3.4).
 * - Vonage: signed webhooks carry `Authorization: Bearer <JWT>` signed HS256 with the account's
 *   signature secret; claim `payload_hash` is the hex SHA-256 of the raw body (protocols.md 4.5).
 */
import { createHash } from 'node:crypto';
import { jwtVerify } from 'jose';
import twilio from 'twilio';

/**
 * Validates a Twilio webhook signature.
 * @param authToken the account's auth token.
 * @param signature the `X-Twilio-Signature` header value.
 * @param url the full public URL Twilio requested (scheme, host, path, query).
 * @param params form-encoded body parameters.
 */
export function validTwilioSignature(authToken: string, signature: string | undefined, url: string, params: Record<string, string>): boolean {
  if (!signature) return false;
  return twilio.validateRequest(authToken, signature, url, params);
}

/**
 * Validates `X-Twilio-Signature` on a Media Streams WebSocket upgrade. Twilio signs the stream URL
 * of the TwiML with no body parameters; the forms it signs are not fully documented (protocols.md
 * 3.4), so the `wss://` URL as given, with a trailing slash, and its `https://` twin are accepted
 * (`validateRequest` also tries each with and without the default port).
 * @param streamUrl the `wss://…/twilio/media` URL our TwiML gave.
 */
export function validTwilioStreamSignature(authToken: string, signature: string | undefined, streamUrl: string): boolean {
  if (!signature) return false;
  const forms = [streamUrl, `${streamUrl}/`, streamUrl.replace(/^ws/, 'http')];
  return forms.some((url) => twilio.validateRequest(authToken, signature, url, {}));
}

/** Result of a Vonage signature check. */
export type VonageCheck = { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string };

/**
 * Verifies a Vonage signed-webhook JWT.
 * @param authorization the `Authorization` header (`Bearer …`).
 * @param signatureSecret the account signature secret.
 * @param rawBody the exact request body bytes ("" for GET).
 * @param maxAgeS reject tokens whose `iat` is older than this (default 300 s).
 */
export async function verifyVonageSignature(authorization: string | undefined, signatureSecret: string, rawBody: string | Buffer, maxAgeS = 300): Promise<VonageCheck> {
  const token = await verifyVonageToken(authorization, signatureSecret, maxAgeS);
  return token.ok ? checkVonagePayloadHash(token.claims, rawBody) : token;
}

/**
 * The first half of `verifyVonageSignature`, which needs no body: the JWT's signature and age.
 * Run it before reading the body, so an unsigned request is refused without parsing anything.
 */
export async function verifyVonageToken(authorization: string | undefined, signatureSecret: string, maxAgeS = 300): Promise<VonageCheck> {
  const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  if (!m) return { ok: false, reason: 'missing bearer token' };
  try {
    const { payload } = await jwtVerify(m[1], new TextEncoder().encode(signatureSecret), { algorithms: ['HS256'], maxTokenAge: `${maxAgeS}s` });
    return { ok: true, claims: payload as Record<string, unknown> };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** The second half: the verified token's `payload_hash` claim against the raw body. */
export function checkVonagePayloadHash(claims: Record<string, unknown>, rawBody: string | Buffer): VonageCheck {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
  if (body.length > 0 || claims.payload_hash !== undefined) {
    const expected = createHash('sha256').update(body).digest('hex');
    if (claims.payload_hash !== expected) return { ok: false, reason: 'payload_hash does not match the body' };
  }
  return { ok: true, claims };
}
