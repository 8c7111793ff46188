/**
 * `GET /metrics`: the server's Prometheus metrics in the text exposition format (content type from
 * the registry). With `METRICS_TOKEN` set, the scraper must send `Authorization: Bearer
 * METRICS_TOKEN` (compared in constant time); without it the answer is 401. Scrapes are logged at
 * debug, as health probes are.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../core/logger.js';
import { sameSecret } from '../http/admin-access.js';
import type { QuietLogConfig } from '../http/request-log.js';
import type { ServerMetrics } from './metrics.js';

/** Whether `authorization` (the request's header) carries `token` as a bearer token; always true when `token` is unset. */
export function metricsAuthorized(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  return bearer !== undefined && sameSecret(bearer, token);
}

/** Registers `GET /metrics` on `app` (before it is ready), serving `metrics`, guarded by `token` when set (else says so on `logger`). */
export function registerMetricsRoute(app: FastifyInstance, metrics: ServerMetrics, token: string | undefined, logger: Logger): void {
  if (!token) logger.info('Prometheus metrics (/metrics) are served to anyone who can reach this server; set METRICS_TOKEN to require a bearer token');
  const config: QuietLogConfig = { quietLog: true };
  app.get('/metrics', { config }, async (req, reply) => {
    if (!metricsAuthorized(req.headers.authorization, token)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'metrics need Authorization: Bearer METRICS_TOKEN' });
    }
    const { contentType, text } = await metrics.exposition();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(text);
  });
}
