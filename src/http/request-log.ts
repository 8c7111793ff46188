/**
 * Fastify's per-request log lines ("incoming request", "request completed") at `debug` instead of
 * `info` for routes marked quiet (`config.quietLog`: health and readiness probes, the web
 * client's static files), so probes and page loads do not drown the call logs. Errors stay at
 * `error`. Builds on Fastify's `LogController` (fastify ≥ 5.8, `logController` option).
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

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

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error || !isQuietRoute(request)) return super.requestCompleted(error, request, reply, metadata);
    reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
