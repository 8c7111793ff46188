/**
 * The WebSocket route of every WebSocket carrier in the registry (`src/callers/registry.ts`),
 * served the same way: its auth hook before the upgrade (`stream-auth.ts`), then the upgrade rate
 * and call-slot limits; the accepted socket is wrapped in the carrier's transport and handed to
 * `acceptCall`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callBindingProblem } from '../auth/stream-token.js';
import type { CarrierContext, WebSocketCarrier } from '../callers/core/carrier.js';
import { wsSocket } from '../callers/core/ws-socket.js';
import { rateLimitedLogger } from '../core/log-limit.js';
import { isCredentialParam } from '../core/redact.js';
import { acceptCall } from './accept-call.js';
import { appLogger, type AppDeps } from './deps.js';
import type { WebSocketLimits } from './limits.js';
import { carrierAuthHook, upgradeClaims } from './stream-auth.js';

/** Registers the WebSocket route of each of `carriers`, each behind the upgrade rate and call-slot limits. */
export function registerCarrierRoutes(app: FastifyInstance, deps: AppDeps, carriers: readonly WebSocketCarrier[], limits: WebSocketLimits): void {
  const { clock, manager } = deps;
  const base = appLogger(deps);
  for (const carrier of carriers) {
    const preValidation = [limits.upgradeRate, carrierAuthHook(deps, carrier), limits.callSlot];
    app.get(carrier.path, { websocket: true, preValidation }, (socket, req) => {
      const claims = upgradeClaims.get(req);
      upgradeClaims.delete(req);
      if (!limits.admitted(socket, req)) return;
      // One logger per connection, its warn/error lines limited (log-limit.ts): no socket floods the log.
      const log = rateLimitedLogger(base.child({ kind: carrier.kind }), { clock });
      const context: CarrierContext = {
        clock,
        logger: log,
        query: callParameters(req),
        admitStreamToken: async (token, carrierCallId) => {
          const check = await deps.streamTokens.admit(token, carrier.tokenRoute, carrierCallId);
          return check.ok ? null : check.message;
        },
        // The token was used up at the upgrade; its call binding is checked once the call names itself.
        checkCallBinding: (carrierCallId) => (claims ? (callBindingProblem(claims, carrierCallId)?.message ?? null) : 'no stream token'),
      };
      const caller = wsSocket(socket);
      void acceptCall({ manager, log: base }, { transport: carrier.create(caller, context), refuse: (code, reason) => caller.close(code, reason) });
    });
  }
}

/** The upgrade's query parameters as the call's parameters (logged, kept in its record): never a credential. */
function callParameters(req: FastifyRequest): Record<string, string> {
  return Object.fromEntries([...new URL(req.url, 'http://localhost').searchParams].filter(([name]) => !isCredentialParam(name)));
}
