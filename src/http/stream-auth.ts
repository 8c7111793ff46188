/**
 * Who may open a media stream, checked before any WebSocket upgrade (or WebRTC answer), so a
 * refused caller never gets a socket, a call or a model session:
 * - caller routes (`/ws`, `/client`, `/webrtc/offer`): a one-time presigned stream token, or a
 *   valid JWT as before (open to all when no JWT auth is configured);
 * - Vonage media: the one-time stream token its NCCO `uri` carries (`?token=`);
 * - Twilio media: `X-Twilio-Signature` on the upgrade whenever `TWILIO_AUTH_TOKEN` is set (its
 *   one-time token comes later, in `start`, and is checked by the transport's admission).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isPresignableRoute, type PresignableRoute } from '../auth/presign.js';
import { isStreamToken, type StreamTokenClaims } from '../auth/stream-token.js';
import type { StreamRoute } from '../auth/stream-token.js';
import type { Carrier } from '../callers/core/carrier.js';
import { validTwilioStreamSignature } from '../telephony/signatures.js';
import { bearerToken } from './auth.js';
import { appLogger, type AppDeps } from './deps.js';
import { publicBaseUrl, requireAuth, toWebSocketUrl } from './request-helpers.js';

const log = (deps: AppDeps) => appLogger(deps).child({ kind: 'stream-auth' });

/**
 * A `preValidation` hook for a caller route: a stream token (`?token=` or `Authorization: Bearer`)
 * is admitted once for `route` (403 with the reason when refused; its claims kept in
 * `upgradeClaims`); anything else goes to the JWT
 * check (401 without a valid one, when auth is configured).
 */
export function requireCaller(deps: AppDeps, route: PresignableRoute) {
  const jwt = requireAuth(deps.auth);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const presented = bearerToken(req.headers.authorization, req.url);
    if (!isStreamToken(presented)) return jwt(req, reply);
    const check = await deps.streamTokens.admit(presented, route);
    if (check.ok) {
      upgradeClaims.set(req, check.claims);
      return;
    }
    log(deps).warn({ route, problem: check.problem }, `refused ${route} caller: ${check.message}`);
    if (check.problem === 'unchecked') return void (await unchecked(reply, check.message));
    await reply.code(403).send({ error: 'forbidden', message: check.message });
  };
}

/** Retry-After for a token that could not be checked (the shared store unreachable), s. */
const UNCHECKED_RETRY_AFTER_S = 5;

/** 503 with `Retry-After`: the token may be good, but its single use cannot be checked now (fail closed). */
function unchecked(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(503).header('retry-after', String(UNCHECKED_RETRY_AFTER_S)).send({ error: 'unavailable', message });
}

/**
 * The claims of the stream token each admitted request presented: a `stream-token` upgrade (its
 * call is checked once the carrier names it) or a caller route (a `POST /connect` session's offer
 * finds its session here).
 */
export const upgradeClaims = new WeakMap<FastifyRequest, StreamTokenClaims>();

/**
 * `preValidation` of a `stream-token` carrier route (`/vonage/media`): 401 without a stream token
 * in `?token=`, 403 with a refused one; the admitted token's claims are kept in `upgradeClaims`.
 */
export function requireStreamToken(deps: AppDeps, route: StreamRoute, name: string) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = new URL(req.url, 'http://localhost').searchParams.get('token') ?? undefined;
    const check = await deps.streamTokens.admit(token, route);
    if (check.ok) {
      upgradeClaims.set(req, check.claims);
      return;
    }
    log(deps).warn({ route, problem: check.problem }, `refused ${name} media stream: ${check.message}`);
    if (check.problem === 'unchecked') return void (await unchecked(reply, check.message));
    await reply.code(check.problem === 'missing' ? 401 : 403).send({ error: check.problem === 'missing' ? 'unauthorized' : 'forbidden', message: check.message });
  };
}

/**
 * `preValidation` of `/twilio/media`: when `TWILIO_AUTH_TOKEN` is set, the upgrade must carry a
 * valid `X-Twilio-Signature` for the stream URL our TwiML gave (403 otherwise).
 */
export function requireTwilioSignature(deps: AppDeps) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const authToken = deps.config.TWILIO_AUTH_TOKEN;
    if (!authToken) return;
    const signature = req.headers['x-twilio-signature'];
    const streamUrl = `${toWebSocketUrl(publicBaseUrl(deps.config, req))}/twilio/media`;
    if (validTwilioStreamSignature(authToken, typeof signature === 'string' ? signature : undefined, streamUrl)) return;
    log(deps).warn({ route: 'twilio', streamUrl, signed: typeof signature === 'string' }, 'refused Twilio media stream: bad X-Twilio-Signature on the upgrade');
    await reply.code(403).send({ error: 'forbidden', message: 'invalid X-Twilio-Signature' });
  };
}

/** Signature checks of `carrier-signature` carriers, by carrier kind. */
const SIGNATURE_CHECKS: Partial<Record<Carrier['kind'], (deps: AppDeps) => (req: FastifyRequest, reply: FastifyReply) => Promise<void>>> = {
  twilio: requireTwilioSignature,
};

/**
 * The `preValidation` hook that checks who may open a stream on `carrier`'s route (its `auth`).
 * @throws Error at registration when a `carrier-signature` carrier has no signature check here.
 */
export function carrierAuthHook(deps: AppDeps, carrier: Carrier): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  switch (carrier.auth) {
    case 'caller':
      if (!isPresignableRoute(carrier.tokenRoute)) throw new Error(`${carrier.name}: caller routes take presigned tokens, but "${carrier.tokenRoute}" cannot be presigned`);
      return requireCaller(deps, carrier.tokenRoute);
    case 'stream-token':
      return requireStreamToken(deps, carrier.tokenRoute, carrier.name);
    case 'carrier-signature': {
      const check = SIGNATURE_CHECKS[carrier.kind];
      if (!check) throw new Error(`${carrier.name}: no signature check for carrier kind "${carrier.kind}" (add one to SIGNATURE_CHECKS)`);
      return check(deps);
    }
  }
}
