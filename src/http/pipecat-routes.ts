/**
 * The start and status endpoints of Pipecat's web client (`../shared/reference/pipecat-rtvi.md` §2):
 * - `POST /connect` (what `PipecatClient.startBotAndConnect({ endpoint })` posts, often with no body
 *   at all; also served as `POST /start` for pages made from Pipecat's template) creates a session
 *   and answers `{sessionId, webrtcRequestParams: {endpoint}, iceConfig, token, expiresAt}`:
 *   `endpoint` is the WebRTC offer URL with a one-time stream token bound to the session, living
 *   `STREAM_TOKEN_TTL_MS`;
 * - `GET /status/:id` reports that session (`waiting`, `connecting`, `connected` with its `callId`,
 *   `ended` with its reason, `expired`).
 * Both behind the browser JWT auth when configured, as `POST /streams`. CORS for `CORS_ORIGINS`
 * (`cors.ts`) covers them and the WebRTC routes, preflights included.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebRtcSupport } from '../callers/webrtc/loader.js';
import type { WebRtcNetwork } from '../callers/webrtc/network.js';
import { parseConnectRequest, type ConnectSessions } from './connect-sessions.js';
import { corsHeaders } from './cors.js';
import type { AppDeps } from './deps.js';
import { publicBaseUrl, requireAuth } from './request-helpers.js';

/**
 * The start endpoint's paths: `/connect`, and `/start`, where pages made from Pipecat's CLI
 * template post (`http://localhost:7860/start`); our answer's offer URL takes precedence over the
 * `sessionId` those pages would otherwise build an offer URL from.
 */
const START_PATHS = ['/connect', '/start'];
/** Path prefixes a page on another origin may call (with `CORS_ORIGINS`). */
const CORS_PATHS = [...START_PATHS, '/status/', '/webrtc/'];

/** What the Pipecat routes are built with besides the app's dependencies. */
export interface PipecatRouteDeps {
  /** The loaded WebRTC module, or why it is unavailable (`/connect` answers 503 then). */
  webrtc: WebRtcSupport;
  /** ICE servers handed to the client (`iceConfig`). */
  network: WebRtcNetwork;
  /** The sessions `/connect` creates and `/status/:id` reads (shared with the offer route). */
  sessions: ConnectSessions;
}

/** The ICE servers a client should use, as `RTCConfiguration.iceServers` (empty: host candidates only). */
export function iceConfig(network: WebRtcNetwork): { iceServers: { urls: string[] }[] } {
  return { iceServers: network.iceServers.length ? [{ urls: [...network.iceServers] }] : [] };
}

/**
 * Answers CORS for `CORS_ORIGINS` on the Pipecat and WebRTC routes: headers on every response
 * (401s and errors included, so the page can read them) and `OPTIONS` preflights (204; 403 for an
 * origin not allowed). Nothing when `CORS_ORIGINS` is empty.
 */
export function registerCors(app: FastifyInstance, allowed: readonly string[]): void {
  if (!allowed.length) return;
  const covered = (req: FastifyRequest) => CORS_PATHS.some((p) => req.url.startsWith(p));
  app.addHook('onRequest', async (req, reply) => {
    if (!covered(req) || req.method === 'OPTIONS') return;
    reply.headers(corsHeaders(req.headers.origin, allowed));
  });
  const preflight = async (req: FastifyRequest, reply: FastifyReply) => {
    const requestHeaders = req.headers['access-control-request-headers'];
    const headers = corsHeaders(req.headers.origin, allowed, { requestHeaders: typeof requestHeaders === 'string' ? requestHeaders : undefined });
    reply.headers(headers);
    if (!headers['access-control-allow-origin']) return reply.code(403).send({ error: 'forbidden', message: 'this origin is not in CORS_ORIGINS' });
    return reply.code(204).send();
  };
  for (const url of [...START_PATHS, '/status/:id', '/webrtc/offer', '/webrtc/sessions/:id']) app.options(url, preflight);
}

/** Registers `POST /connect` (also as `POST /start`) and `GET /status/:id`. */
export function registerPipecatRoutes(app: FastifyInstance, deps: AppDeps, route: PipecatRouteDeps): void {
  const { webrtc, network, sessions } = route;
  const start = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = parseConnectRequest(req.body);
    if (!body.ok) return reply.code(400).send({ error: 'bad_request', message: body.error });
    if (!webrtc.available) return reply.code(503).send({ error: 'webrtc_unavailable', message: webrtc.reason });
    if (deps.manager.isDraining) return reply.code(503).send({ error: 'draining', message: 'server is draining, try again later' });
    const sessionId = sessions.create(deps.streamTokens.ttlMs);
    const { token, expiresAtMs } = deps.streamTokens.issue('webrtc', { carrierCallId: sessionId });
    const query = new URLSearchParams({ token });
    if (body.value.voice) query.set('voice', body.value.voice);
    if (body.value.model) query.set('model', body.value.model);
    return reply.send({
      sessionId,
      webrtcRequestParams: { endpoint: `${publicBaseUrl(deps.config, req)}/webrtc/offer?${query}` },
      iceConfig: iceConfig(network),
      token,
      expiresAt: new Date(expiresAtMs).toISOString(),
    });
  };
  for (const url of START_PATHS) app.post(url, { preValidation: requireAuth(deps.auth) }, start);

  app.get<{ Params: { id: string } }>('/status/:id', { preValidation: requireAuth(deps.auth) }, async (req, reply) => {
    const status = await sessions.statusAnywhere(req.params.id);
    if (!status) return reply.code(404).send({ error: 'not_found', message: 'no such session' });
    return status;
  });
}
