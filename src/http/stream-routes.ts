/**
 * `POST /streams` (behind the JWT auth when configured): presigns a caller route. Body
 * `{"route":"ws"|"client"|"webrtc","ttlSeconds":60}` → `201 {"route","url","expiresAt"}`, where
 * `url` opens one stream, once, before `expiresAt` (ISO 8601) — the way a backend hands a device or
 * a bridge a URL without handing it a long-lived credential.
 */
import type { FastifyInstance } from 'fastify';
import { isPresignableRoute, MAX_PRESIGNED_TTL_S, PRESIGNABLE_ROUTES, presignedUrl } from '../auth/presign.js';
import type { AppDeps } from './deps.js';
import { publicBaseUrl, requireAuth } from './request-helpers.js';

/** Registers `POST /streams`. */
export function registerStreamRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post('/streams', { preValidation: requireAuth(deps.auth) }, async (req, reply) => {
    const body = (req.body ?? {}) as { route?: unknown; ttlSeconds?: unknown };
    if (!isPresignableRoute(body.route)) {
      return reply.code(400).send({ error: 'bad_request', message: `route must be one of ${PRESIGNABLE_ROUTES.join(', ')}` });
    }
    const ttlSeconds = body.ttlSeconds ?? deps.streamTokens.ttlMs / 1000;
    if (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGNED_TTL_S) {
      return reply.code(400).send({ error: 'bad_request', message: `ttlSeconds must be a whole number of seconds from 1 to ${MAX_PRESIGNED_TTL_S}` });
    }
    const { token, expiresAtMs } = deps.streamTokens.issue(body.route, { ttlMs: ttlSeconds * 1000 });
    return reply.code(201).send({ route: body.route, url: presignedUrl(publicBaseUrl(deps.config, req), body.route, token), expiresAt: new Date(expiresAtMs).toISOString() });
  });
}
