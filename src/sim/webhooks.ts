/**
 * The carrier's first step, simulated: before opening a media stream, Twilio POSTs the answer
 * webhook and follows the TwiML's `<Connect><Stream>` (URL plus `<Parameter>`s, which it sends back
 * in `start.customParameters`); Vonage GETs the answer URL and follows the NCCO's websocket
 * endpoint (`uri`, `content-type`, and `headers`, which it sends back in `websocket:connected`).
 * With the account's secret, requests are signed as the carrier signs them (protocols.md 3.4, 4.5).
 */
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import twilio from 'twilio';

/** Where and how a Twilio stream connects. */
export interface TwilioStreamInstructions {
  /** `<Stream url>`. */
  streamUrl: string;
  /** `<Parameter>`s, to send in `start.customParameters`. */
  parameters: Record<string, string>;
  /** Headers of the WebSocket upgrade (`X-Twilio-Signature` when an auth token was given). */
  upgradeHeaders: Record<string, string>;
}

/** Where and how a Vonage websocket connects. */
export interface VonageStreamInstructions {
  /** The endpoint `uri` (with its one-time token). */
  uri: string;
  /** The endpoint `content-type`, e.g. `audio/l16;rate=16000`. */
  contentType: string;
  /** The endpoint `headers`, to send in `websocket:connected`. */
  headers: Record<string, string>;
}

/** The answer webhook refused the call, or answered something a carrier could not follow. */
export class AnswerWebhookError extends Error {
  override readonly name = 'AnswerWebhookError';
}

/** Undoes `xmlEscape` (the five XML entities). */
function xmlUnescape(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}

/**
 * POSTs Twilio's answer webhook (`/twilio/voice`) for call `callSid` and reads the TwiML.
 * @param baseUrl the server, `http://host:port`.
 * @param authToken the Twilio auth token: signs the webhook and the upgrade as Twilio does.
 * @throws AnswerWebhookError when the webhook refuses or answers without a `<Stream>`.
 */
export async function answerTwilioCall(baseUrl: string, call: { callSid: string; from?: string; to?: string; authToken?: string }): Promise<TwilioStreamInstructions> {
  const url = `${baseUrl.replace(/\/$/, '')}/twilio/voice`;
  const form: Record<string, string> = { CallSid: call.callSid, AccountSid: 'ACsim', From: call.from ?? '+15550100000', To: call.to ?? '+15550100001', CallStatus: 'ringing', Direction: 'inbound' };
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (call.authToken) headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(call.authToken, url, form);
  const res = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  const twiml = await res.text();
  if (!res.ok) throw new AnswerWebhookError(`the Twilio answer webhook answered ${res.status}: ${twiml.slice(0, 200)}`);
  const stream = /<Stream\b[^>]*\burl="([^"]*)"/.exec(twiml);
  if (!stream) throw new AnswerWebhookError('the Twilio answer webhook gave no <Stream>');
  const streamUrl = xmlUnescape(stream[1]);
  const parameters: Record<string, string> = {};
  for (const m of twiml.matchAll(/<Parameter\s+name="([^"]*)"\s+value="([^"]*)"\s*\/>/g)) parameters[xmlUnescape(m[1])] = xmlUnescape(m[2]);
  const upgradeHeaders: Record<string, string> = call.authToken ? { 'x-twilio-signature': twilio.getExpectedTwilioSignature(call.authToken, streamUrl, {}) } : {};
  return { streamUrl, parameters, upgradeHeaders };
}

/**
 * GETs Vonage's answer URL (`/vonage/answer`) for call `uuid` and reads the NCCO's websocket endpoint.
 * @param signatureSecret the Vonage signature secret: signs the request as signed webhooks are.
 * @throws AnswerWebhookError when the webhook refuses or the NCCO has no websocket endpoint.
 */
export async function answerVonageCall(baseUrl: string, call: { uuid: string; from?: string; to?: string; signatureSecret?: string }): Promise<VonageStreamInstructions> {
  const query = new URLSearchParams({ uuid: call.uuid, conversation_uuid: `CON-${call.uuid}`, from: call.from ?? '447700900000', to: call.to ?? '447700900001' });
  const headers: Record<string, string> = {};
  if (call.signatureSecret) {
    const jwt = await new SignJWT({ payload_hash: createHash('sha256').update('').digest('hex'), iss: 'Vonage' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(new TextEncoder().encode(call.signatureSecret));
    headers.authorization = `Bearer ${jwt}`;
  }
  const res = await fetch(`${baseUrl.replace(/\/$/, '')}/vonage/answer?${query}`, { headers });
  const text = await res.text();
  if (!res.ok) throw new AnswerWebhookError(`the Vonage answer webhook answered ${res.status}: ${text.slice(0, 200)}`);
  const ncco = JSON.parse(text) as Array<{ action?: string; endpoint?: Array<{ type?: string; uri?: string; 'content-type'?: string; headers?: Record<string, string> }> }>;
  const endpoint = ncco.find((a) => a.action === 'connect')?.endpoint?.find((e) => e.type === 'websocket');
  if (!endpoint?.uri) throw new AnswerWebhookError('the Vonage answer webhook gave no websocket endpoint');
  return { uri: endpoint.uri, contentType: endpoint['content-type'] ?? 'audio/l16;rate=16000', headers: endpoint.headers ?? {} };
}
