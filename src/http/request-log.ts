/**
 * Fastify's per-request log lines ("incoming request", "request completed") at `debug` instead of
 * `info` for routes marked quiet (`config.quietLog`: health and readiness probes, the web
 * client's static files), so probes and page loads do not drown the call logs. Errors stay at
 * `error`. Unknown routes are logged with credentials in their URL redacted. Builds on Fastify's
 * `LogController` (fastify ≥ 5.8, `logController` option).
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { redactUrl } from '../core/redact.js';

/** Route `config` flag: log this route's requests at debug. */
export interface QuietLogConfig {
  quietLog?: boolean;
}

/** Whether `request` is on a route marked `config.quietLog`. */
export function isQuietRoute(request: FastifyRequest): boolean {
  return (request.routeOptions?.config as QuietLogConfig | undefined)?.quietLog === true;
}

/** Logs requests on quiet routes at debug, every other request as Fastify does (info). */
export class QuietRoutesLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (!isQuietRoute(request)) return super.incomingRequest(request, reply, metadata);
    request.log.debug({ req: request }, 'incoming request');
  }

  /** Fastify's "Route GET:/x not found" line, with credentials in the URL redacted. */
  override routeNotFound(request: FastifyRequest, _reply: FastifyReply, _metadata?: Record<string, unknown>): void {
    if (this.isLogDisabled(request)) return;
    request.log.info(`Route ${request.raw.method}:${redactUrl(request.raw.url ?? '')} not found`);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error || !isQuietRoute(request)) return super.requestCompleted(error, request, reply, metadata);
    reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
