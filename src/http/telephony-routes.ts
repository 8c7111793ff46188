/**
 * Carrier webhooks: Twilio's answer webhook (TwiML) and Vonage's answer and event webhooks (NCCO),
 * with signature checks whenever a secret is configured. Each answer hands the carrier a one-time,
 * short-lived stream token bound to the call (Twilio: `<Parameter name="token">`; Vonage: the
 * `uri`'s `?token=`), without which the media routes refuse the stream.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { connectWebsocketNcco } from '../telephony/ncco.js';
import { validTwilioSignature, verifyVonageSignature } from '../telephony/signatures.js';
import { connectStreamTwiml } from '../telephony/twiml.js';
import { publicBaseUrl, toWebSocketUrl, type AppDeps, type RawBodyRequest } from './app.js';

/** Registers `/twilio/voice`, `/vonage/answer` and `/vonage/event`. */
export function registerTelephonyRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { config } = deps;

  app.post('/twilio/voice', async (req, reply) => {
    const params = (req.body ?? {}) as Record<string, string>;
    const base = publicBaseUrl(config, req);
    if (config.TWILIO_AUTH_TOKEN) {
      const signature = req.headers['x-twilio-signature'];
      if (!validTwilioSignature(config.TWILIO_AUTH_TOKEN, typeof signature === 'string' ? signature : undefined, `${base}${req.url}`, params)) {
        req.log.warn({ url: `${base}${req.url}` }, 'rejected Twilio webhook: bad X-Twilio-Signature');
        return reply.code(403).type('text/plain').send('invalid X-Twilio-Signature');
      }
    }
    const parameters: Record<string, string> = {};
    for (const key of ['CallSid', 'From', 'To']) if (typeof params[key] === 'string') parameters[key] = params[key];
    // The one-time token for this call's stream (Twilio allows no query string in <Stream url>).
    parameters.token = deps.streamTokens.issue('twilio', { carrierCallId: parameters.CallSid }).token;
    return reply.type('text/xml').send(connectStreamTwiml({ streamUrl: `${toWebSocketUrl(base)}/twilio/media`, parameters }));
  });

  const checkVonage = async (req: FastifyRequest, reply: FastifyReply, rawBody: string): Promise<boolean> => {
    if (!config.VONAGE_SIGNATURE_SECRET) return true;
    const check = await verifyVonageSignature(req.headers.authorization, config.VONAGE_SIGNATURE_SECRET, rawBody);
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
    const base = publicBaseUrl(config, req);
    // The one-time token for this call's stream, checked at the upgrade.
    const { token } = deps.streamTokens.issue('vonage', { carrierCallId: headers.uuid });
    return connectWebsocketNcco({ websocketUri: `${toWebSocketUrl(base)}/vonage/media?token=${token}`, sampleRateHz: config.VONAGE_RATE_HZ, eventUrl: `${base}/vonage/event`, headers });
  };
  app.get('/vonage/answer', answer);
  app.post('/vonage/answer', answer);

  app.post('/vonage/event', async (req, reply) => {
    if (!(await checkVonage(req, reply, (req as RawBodyRequest).rawBody ?? ''))) return reply;
    const body = (req.body ?? {}) as Record<string, unknown>;
    req.log.info({ vonageStatus: body.status, uuid: body.uuid }, 'vonage event');
    return reply.code(204).send();
  });
}
