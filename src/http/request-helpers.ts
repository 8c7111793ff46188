/**
 * Small request helpers shared by the routes: the bearer-JWT hook, the raw-body request type, and
 * the public URLs we hand to carriers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import type { BrowserAuth } from './auth.js';

/**
 * A `preValidation` hook that answers 401 (before any WebSocket upgrade or body handling) when
 * the request lacks a valid bearer token.
 */
export function requireAuth(auth: BrowserAuth) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!auth.required) return;
    const result = await auth.check(req.headers.authorization, req.url);
    if (!result.ok) {
      reply.header('www-authenticate', 'Bearer');
      await reply.code(401).send({ error: 'unauthorized', message: result.message });
    }
  };
}

/** A request whose raw body text was kept by our content-type parsers. */
export type RawBodyRequest = FastifyRequest & { rawBody?: string };

/** Public base URL (`https://host`) for links we hand to carriers. */
export function publicBaseUrl(config: Config, req: FastifyRequest): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL.replace(/\/$/, '');
  const proto = String(req.headers['x-forwarded-proto'] ?? req.protocol).split(',')[0].trim();
  const host = String(req.headers['x-forwarded-host'] ?? req.headers.host ?? 'localhost').split(',')[0].trim();
  return `${proto}://${host}`;
}

/** `https://` → `wss://`, `http://` → `ws://`. */
export function toWebSocketUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

