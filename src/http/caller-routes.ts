/**
 * WebSocket routes for callers: each checks who is calling before the upgrade (see
 * `stream-auth.ts`), wraps the socket in its transport and hands it to the call manager.
 */
import type { FastifyInstance } from 'fastify';
import { callBindingProblem } from '../auth/stream-token.js';
import { BrowserTransport } from '../callers/browser/transport.js';
import { PcmTransport } from '../callers/pcm/transport.js';
import { TwilioTransport, type TwilioAdmission } from '../callers/twilio/transport.js';
import { VonageTransport } from '../callers/vonage/transport.js';
import { rateLimitedLogger } from '../core/log-limit.js';
import type { Logger } from '../core/logger.js';
import { isCredentialParam } from '../core/redact.js';
import { acceptCall, type AppDeps } from './app.js';
import type { WebSocketLimits } from './limits.js';
import { requireCaller, requireTwilioSignature, requireVonageStreamToken, vonageClaims } from './stream-auth.js';

/**
 * Registers `/twilio/media` (signature at the upgrade when configured, one-time token in `start`),
 * `/vonage/media` (one-time token in the URL), `/client` and `/ws` (presigned token or JWT), each
 * behind the upgrade rate and call-slot limits.
 */
export function registerCallerRoutes(app: FastifyInstance, deps: AppDeps, limits: WebSocketLimits): void {
  const { clock } = deps;
  // One logger per connection, its warn/error lines limited (log-limit.ts): no socket floods the log.
  const log = (kind: string) => rateLimitedLogger((deps.logger as unknown as Logger).child({ kind }), { clock });
  const route = (check: (typeof limits)['upgradeRate']) => ({ websocket: true as const, preValidation: [limits.upgradeRate, check, limits.callSlot] });

  // Twilio forbids query strings in <Stream url>: the token comes as <Parameter name="token">,
  // in `start`, before which no call exists.
  const admitTwilio = async ({ callSid, parameters }: { callSid: string; parameters: Record<string, string> }): Promise<TwilioAdmission> => {
    const { token, ...kept } = parameters;
    const check = await deps.streamTokens.admit(token, 'twilio', callSid);
    return check.ok ? { ok: true, parameters: kept } : { ok: false, reason: `refused: ${check.message}` };
  };
  app.get('/twilio/media', route(requireTwilioSignature(deps)), (socket, req) => {
    if (!limits.admitted(socket, req)) return;
    acceptCall(deps, socket, new TwilioTransport(socket, { clock, logger: log('twilio'), admit: admitTwilio }));
  });

  app.get('/vonage/media', route(requireVonageStreamToken(deps)), (socket, req) => {
    const claims = vonageClaims.get(req);
    vonageClaims.delete(req);
    if (!limits.admitted(socket, req)) return;
    // The token was used up at the upgrade; its call binding is checked once the call's uuid arrives.
    const admit = ({ uuid }: { uuid?: string }) => {
      const problem = claims ? callBindingProblem(claims, uuid) : { message: 'no stream token' };
      return problem ? `refused: ${problem.message}` : null;
    };
    acceptCall(deps, socket, new VonageTransport(socket, clock, log('vonage'), admit));
  });

  app.get('/client', route(requireCaller(deps, 'client')), (socket, req) => {
    if (!limits.admitted(socket, req)) return;
    const transport = new BrowserTransport(socket, clock, log('browser'));
    acceptCall(deps, socket, transport, (call) => transport.announce(call.id, call.modelId));
  });

  app.get('/ws', route(requireCaller(deps, 'ws')), (socket, req) => {
    if (!limits.admitted(socket, req)) return;
    // Query parameters become the call's parameters (logged, kept in its record): never a credential.
    const query = Object.fromEntries([...new URL(req.url, 'http://localhost').searchParams].filter(([name]) => !isCredentialParam(name)));
    acceptCall(deps, socket, new PcmTransport(socket, clock, log('pcm'), query));
  });
}
