/**
 * WebSocket routes for callers: each wraps the socket in its transport and hands it to the call
 * manager.
 */
import type { FastifyInstance } from 'fastify';
import { BrowserTransport } from '../callers/browser/transport.js';
import { PcmTransport } from '../callers/pcm/transport.js';
import { TwilioTransport } from '../callers/twilio/transport.js';
import { VonageTransport } from '../callers/vonage/transport.js';
import type { Logger } from '../core/logger.js';
import { acceptCall, requireAuth, type AppDeps } from './app.js';
import type { WebSocketLimits } from './limits.js';

/**
 * Registers `/twilio/media`, `/vonage/media`, `/client` and `/ws` (the last two behind browser
 * auth), each behind the upgrade rate and call-slot limits.
 */
export function registerCallerRoutes(app: FastifyInstance, deps: AppDeps, limits: WebSocketLimits): void {
  const { clock } = deps;
  const log = (kind: string) => (deps.logger as unknown as Logger).child({ kind });
  const open = { websocket: true as const, preValidation: [limits.upgradeRate, limits.callSlot] };
  const authed = { websocket: true as const, preValidation: [limits.upgradeRate, requireAuth(deps.auth), limits.callSlot] };

  app.get('/twilio/media', open, (socket, req) => {
    if (!limits.admitted(socket, req)) return;
    acceptCall(deps, socket, new TwilioTransport(socket, { clock, logger: log('twilio') }));
  });

  app.get('/vonage/media', open, (socket, req) => {
    if (!limits.admitted(socket, req)) return;
    acceptCall(deps, socket, new VonageTransport(socket, clock, log('vonage')));
  });

  app.get('/client', authed, (socket, req) => {
    if (!limits.admitted(socket, req)) return;
    const transport = new BrowserTransport(socket, clock, log('browser'));
    acceptCall(deps, socket, transport, (call) => transport.announce(call.id, call.modelId));
  });

  app.get('/ws', authed, (socket, req) => {
    if (!limits.admitted(socket, req)) return;
    const query = Object.fromEntries(new URL(req.url, 'http://localhost').searchParams);
    acceptCall(deps, socket, new PcmTransport(socket, clock, log('pcm'), query));
  });
}
