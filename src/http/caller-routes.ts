/**
 * WebSocket routes for callers: each wraps the socket in its transport and hands it to the call
 * manager.
 */
import type { FastifyInstance } from 'fastify';
import { BrowserTransport } from '../callers/browser/transport.js';
import { PcmTransport } from '../callers/pcm/transport.js';
import { TwilioTransport } from '../callers/twilio/transport.js';
import { VonageTransport } from '../callers/vonage/transport.js';
import { rateLimitedLogger } from '../core/log-limit.js';
import type { Logger } from '../core/logger.js';
import { isCredentialParam } from '../core/redact.js';
import { acceptCall, requireAuth, type AppDeps } from './app.js';

/** Registers `/twilio/media`, `/vonage/media`, `/client` and `/ws` (the last two behind browser auth). */
export function registerCallerRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { clock } = deps;
  // One logger per connection, its warn/error lines limited (log-limit.ts): no socket floods the log.
  const log = (kind: string) => rateLimitedLogger((deps.logger as unknown as Logger).child({ kind }), { clock });

  app.get('/twilio/media', { websocket: true }, (socket) => {
    acceptCall(deps, socket, new TwilioTransport(socket, { clock, logger: log('twilio') }));
  });

  app.get('/vonage/media', { websocket: true }, (socket) => {
    acceptCall(deps, socket, new VonageTransport(socket, clock, log('vonage')));
  });

  const auth = { preValidation: requireAuth(deps.auth) };

  app.get('/client', { websocket: true, ...auth }, (socket) => {
    const transport = new BrowserTransport(socket, clock, log('browser'));
    acceptCall(deps, socket, transport, (call) => transport.announce(call.id, call.modelId));
  });

  app.get('/ws', { websocket: true, ...auth }, (socket, req) => {
    // Query parameters become the call's parameters (logged, kept in its record): never a credential.
    const query = Object.fromEntries([...new URL(req.url, 'http://localhost').searchParams].filter(([name]) => !isCredentialParam(name)));
    acceptCall(deps, socket, new PcmTransport(socket, clock, log('pcm'), query));
  });
}
