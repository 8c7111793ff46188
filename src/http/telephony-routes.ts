/**
 * Carrier webhooks: Twilio's answer webhook (TwiML) and Vonage's answer and event webhooks (NCCO),
 * with signature checks whenever a secret is configured. Each answer hands the carrier a one-time,
 * short-lived stream token bound to the call (Twilio: `<Parameter name="token">`; Vonage: the
 * `uri`'s `?token=`), without which the media routes refuse the stream. Bodies are small
 * (`WEBHOOK_BODY_LIMIT_BYTES`, else 413), and what can be checked without the body is checked
 * before it is read: the presence of `X-Twilio-Signature` (its HMAC covers the form parameters, so
 * it is verified after), and the whole Vonage JWT apart from its `payload_hash` claim.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LimitStats } from '../limits/stats.js';
import { connectWebsocketNcco } from '../telephony/ncco.js';
import { checkVonagePayloadHash, validTwilioSignature, verifyVonageToken } from '../telephony/signatures.js';
import { connectStreamTwiml, dialTwiml, hangupTwiml, whisperTwiml } from '../telephony/twiml.js';
import { targetText } from '../handoff/target.js';
import type { AppDeps } from './deps.js';
import { publicBaseUrl, toWebSocketUrl, type RawBodyRequest } from './request-helpers.js';

/** Largest webhook body accepted, bytes (Twilio's and Vonage's are a few kB). */
export const WEBHOOK_BODY_LIMIT_BYTES = 64 * 1024;

/** `X-Twilio-Signature`'s shape: Base64 of an HMAC-SHA1 (28 characters) or longer digests. */
const TWILIO_SIGNATURE = /^[A-Za-z0-9+/]{27,88}={0,2}$/;

/** A verified Vonage token's claims, kept on the request between the header check and the body check. */
const VONAGE_CLAIMS = Symbol('vonage claims');
type VonageRequest = RawBodyRequest & { [VONAGE_CLAIMS]?: Record<string, unknown> };

/**
 * Registers `/twilio/voice`, `/twilio/after-stream` (`<Connect action>`: `<Dial>` to a pending
 * transfer's target, else `<Hangup/>`), `/twilio/whisper` (the summary said to whoever answers),
 * `/vonage/answer` and `/vonage/event`.
 */
export function registerTelephonyRoutes(app: FastifyInstance, deps: AppDeps, stats: LimitStats): void {
  const { config } = deps;

  /** Refuses before the body is read; the connection closes after the answer (the body is not drained). */
  const refuseUnsigned = (reply: FastifyReply, code: number, body: string | object) => {
    stats.refuse('unsignedWebhook');
    return reply.code(code).header('connection', 'close').send(body);
  };

  const twilioSignaturePresent = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!config.TWILIO_AUTH_TOKEN) return;
    const signature = req.headers['x-twilio-signature'];
    if (typeof signature === 'string' && TWILIO_SIGNATURE.test(signature)) return;
    req.log.warn('rejected Twilio webhook: no X-Twilio-Signature');
    await refuseUnsigned(reply.type('text/plain'), 403, 'missing X-Twilio-Signature');
  };

  const vonageTokenValid = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!config.VONAGE_SIGNATURE_SECRET) return;
    const check = await verifyVonageToken(req.headers.authorization, config.VONAGE_SIGNATURE_SECRET);
    if (check.ok) {
      (req as VonageRequest)[VONAGE_CLAIMS] = check.claims;
      return;
    }
    req.log.warn({ reason: check.reason }, 'rejected Vonage webhook: bad signature');
    await refuseUnsigned(reply, 401, { error: 'invalid signature', reason: check.reason });
  };

  /**
   * `?model=` on the answer webhook's URL: which model answers calls to this number (the provider
   * switch). Part of the signed URL, so only whoever configures the number chooses; an id the server
   * does not offer falls back to the default model.
   */
  const modelChoice = (req: FastifyRequest): string | undefined => {
    const model = (req.query as Record<string, unknown>).model;
    return typeof model === 'string' && /^[\w-]{1,64}$/.test(model) ? model : undefined;
  };

  const twilioWebhook = { onRequest: twilioSignaturePresent, bodyLimit: WEBHOOK_BODY_LIMIT_BYTES };
  const vonageWebhook = { onRequest: vonageTokenValid, bodyLimit: WEBHOOK_BODY_LIMIT_BYTES };

  /** The body's half of the Twilio check: the HMAC over URL and form parameters. False: refused (403 sent). */
  const checkTwilio = async (req: FastifyRequest, reply: FastifyReply, params: Record<string, string>): Promise<boolean> => {
    if (!config.TWILIO_AUTH_TOKEN) return true;
    const base = publicBaseUrl(config, req);
    const signature = req.headers['x-twilio-signature'];
    if (validTwilioSignature(config.TWILIO_AUTH_TOKEN, typeof signature === 'string' ? signature : undefined, `${base}${req.url}`, params)) return true;
    req.log.warn({ url: `${base}${req.url}` }, 'rejected Twilio webhook: bad X-Twilio-Signature');
    await reply.code(403).type('text/plain').send('invalid X-Twilio-Signature');
    return false;
  };

  app.post('/twilio/voice', twilioWebhook, async (req, reply) => {
    const params = (req.body ?? {}) as Record<string, string>;
    if (!(await checkTwilio(req, reply, params))) return reply;
    const base = publicBaseUrl(config, req);
    const parameters: Record<string, string> = {};
    for (const key of ['CallSid', 'From', 'To']) if (typeof params[key] === 'string') parameters[key] = params[key];
    const model = modelChoice(req);
    if (model) parameters.model = model;
    // The one-time token for this call's stream (Twilio allows no query string in <Stream url>).
    parameters.token = deps.streamTokens.issue('twilio', { carrierCallId: parameters.CallSid }).token;
    // When the stream ends Twilio asks `/twilio/after-stream` what next: a <Dial> after a transfer, else <Hangup/>.
    return reply.type('text/xml').send(connectStreamTwiml({ streamUrl: `${toWebSocketUrl(base)}/twilio/media`, parameters, actionUrl: `${base}/twilio/after-stream` }));
  });

  app.post('/twilio/after-stream', twilioWebhook, async (req, reply) => {
    const params = (req.body ?? {}) as Record<string, string>;
    if (!(await checkTwilio(req, reply, params))) return reply;
    const callSid = typeof params.CallSid === 'string' ? params.CallSid : '';
    const handoff = callSid ? await deps.transfers.peekAnywhere(callSid) : undefined;
    if (!handoff) return reply.type('text/xml').send(hangupTwiml());
    req.log.info({ callId: handoff.callId, CallSid: callSid, to: targetText(handoff.target) }, 'dialling the transfer target');
    const whisperUrl = `${publicBaseUrl(config, req)}/twilio/whisper?CallSid=${encodeURIComponent(callSid)}`;
    return reply.type('text/xml').send(dialTwiml({ target: handoff.target, whisperUrl }));
  });

  // Twilio fetches this for the person who answers the <Dial> (<Number url>), before connecting the caller.
  app.post('/twilio/whisper', twilioWebhook, async (req, reply) => {
    const params = (req.body ?? {}) as Record<string, string>;
    if (!(await checkTwilio(req, reply, params))) return reply;
    const callSid = (req.query as Record<string, unknown>).CallSid;
    const handoff = typeof callSid === 'string' ? await deps.transfers.takeAnywhere(callSid) : undefined;
    return reply.type('text/xml').send(whisperTwiml(handoff?.summary ?? 'Transferred call.'));
  });

  /** The body's half of the Vonage check (the token was verified in `onRequest`). */
  const checkVonage = async (req: FastifyRequest, reply: FastifyReply, rawBody: string): Promise<boolean> => {
    if (!config.VONAGE_SIGNATURE_SECRET) return true;
    const claims = (req as VonageRequest)[VONAGE_CLAIMS];
    const check = claims ? checkVonagePayloadHash(claims, rawBody) : { ok: false as const, reason: 'missing bearer token' };
    if (check.ok) return true;
    req.log.warn({ reason: check.reason }, 'rejected Vonage webhook: bad signature');
    await reply.code(401).send({ error: 'invalid signature', reason: check.reason });
    return false;
  };

  const answer = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!(await checkVonage(req, reply, (req as RawBodyRequest).rawBody ?? ''))) return reply;
    const q = { ...(req.query as Record<string, unknown>), ...((req.body as Record<string, unknown>) ?? {}) };
    const headers: Record<string, string> = {};
    for (const key of ['uuid', 'conversation_uuid', 'from', 'to']) if (typeof q[key] === 'string') headers[key] = q[key] as string;
    const model = modelChoice(req);
    if (model) headers.model = model;
    const base = publicBaseUrl(config, req);
    // The one-time token for this call's stream, checked at the upgrade.
    const { token } = deps.streamTokens.issue('vonage', { carrierCallId: headers.uuid });
    return connectWebsocketNcco({ websocketUri: `${toWebSocketUrl(base)}/vonage/media?token=${token}`, sampleRateHz: config.VONAGE_RATE_HZ, eventUrl: `${base}/vonage/event`, headers });
  };
  app.get('/vonage/answer', vonageWebhook, answer);
  app.post('/vonage/answer', vonageWebhook, answer);

  app.post('/vonage/event', vonageWebhook, async (req, reply) => {
    if (!(await checkVonage(req, reply, (req as RawBodyRequest).rawBody ?? ''))) return reply;
    const body = (req.body ?? {}) as Record<string, unknown>;
    req.log.info({ vonageStatus: body.status, uuid: body.uuid }, 'vonage event');
    return reply.code(204).send();
  });
}
