/**
 * `buildApp(deps)`: the Fastify application (never listens; `main.ts` does). Routes:
 * health/readiness, the carrier webhooks (`POST /twilio/voice`, `/vonage/answer`,
 * `/vonage/event`), the carriers' media routes (`src/callers/registry.ts`: WS `/twilio/media`,
 * `/vonage/media`, `/client`, `/ws`, and WebRTC's `POST /webrtc/offer`), Pipecat's `POST /connect`
 * and `GET /status/:id`, `POST /streams` (presigned caller URLs) and the admin routes `GET /stats`,
 * the call records' `/calls` routes (calls-routes.ts), `GET /calls/:id/recording.wav` and the
 * live monitor's `GET /monitor` (access: admin-access.ts).
 */
import websocket from '@fastify/websocket';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { CloseCode } from '../callers/core/socket.js';
import type { WebRtcSupport } from '../callers/webrtc/loader.js';
import { CARRIERS, webSocketCarriers } from '../callers/registry.js';
import { webRtcCarrier } from '../callers/webrtc/carrier.js';
import { redactingSerializers } from '../core/redact.js';
import { MemoryConcurrencyCounter, MemoryWindowCounter } from '../limits/counters.js';
import { LimitStats } from '../limits/stats.js';
import { createAdminAccess, isAdminRoute, requireAdmin } from './admin-access.js';
import { registerCallRoutes } from './calls-routes.js';
import { registerMonitorRoute } from '../observability/monitor-route.js';
import { registerCarrierRoutes } from './carrier-routes.js';
import { ConnectSessions } from './connect-sessions.js';
import type { AppDeps } from './deps.js';
import { admissionFromConfig, serverOptions, webSocketLimits } from './limits.js';
import type { RawBodyRequest } from './request-helpers.js';
import { registerCors, registerPipecatRoutes } from './pipecat-routes.js';
import { QuietRoutesLogController } from './request-log.js';
import { registerStreamRoutes } from './stream-routes.js';
import { registerTelephonyRoutes } from './telephony-routes.js';
import { registerTransferRoute } from './transfer-route.js';
import { registerRecordingRoute } from './recording-route.js';
import { registerWebRtcRoutes } from './webrtc-routes.js';

export type { AppDeps } from './deps.js';

/** Builds the app. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const webrtc: WebRtcSupport = deps.webrtc ?? { available: false, reason: 'WebRTC is not enabled on this server' };
  // Request logs show URLs with credentials (`?token=`, signatures) redacted, whatever logger was given.
  const requestLogger: FastifyBaseLogger = deps.logger.child({}, { serializers: redactingSerializers });
  const app = Fastify({ loggerInstance: requestLogger, bodyLimit: 1_048_576, logController: new QuietRoutesLogController(), ...serverOptions(deps.config) });
  const limitStats = deps.limitStats ?? new LimitStats();
  const admission = deps.admission ?? admissionFromConfig(deps.config, { windows: new MemoryWindowCounter(deps.clock), calls: new MemoryConcurrencyCounter() }, limitStats);
  // Requests cut by the header/body timeouts (Fastify answers them 408), and bodies over a limit.
  app.server.on('clientError', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') limitStats.refuse('requestTimeout');
  });
  app.addHook('onResponse', async (_req, reply) => {
    if (reply.statusCode === 413) limitStats.refuse('bodyTooLarge');
  });
  await app.register(websocket, {
    options: { maxPayload: deps.config.MAX_MESSAGE_BYTES },
    // At close, sockets that are not calls yet (a stream that has not started) are told why, with
    // 1001 "going away", instead of a bare close; calls were already hung up by the drain.
    preClose(done) {
      for (const client of this.websocketServer.clients) client.close(CloseCode.goingAway, 'server shutting down');
      this.websocketServer.close();
      done();
    },
  });

  // Keep raw bodies: webhook signatures are computed over the exact bytes.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    (req as RawBodyRequest).rawBody = body as string;
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    (req as RawBodyRequest).rawBody = body as string;
    try {
      done(null, body ? JSON.parse(body as string) : {});
    } catch {
      done(Object.assign(new Error('malformed JSON body'), { statusCode: 400 }), undefined);
    }
  });

  const quiet = { config: { quietLog: true } };
  app.get('/health', quiet, async () => ({
    status: deps.warmup && deps.warmup.state !== 'warm' ? deps.warmup.state : 'ok',
    ...(deps.warmup ? { warmup: deps.warmup.report() } : {}),
    model: deps.manager.model.id,
    availableModels: deps.availableModels,
    voices: deps.manager.model.voices ?? [],
    /** Models a browser caller may pick (`session.start.model`, `?model=`), with their voices. */
    models: deps.manager.models.map((m) => ({ id: m.id, voices: m.voices ?? [] })),
    authRequired: deps.auth.required,
    /** Whether browser callers can use WebRTC (`reason` when not: e.g. a lean install). */
    webrtc: webrtc.available ? { available: true } : { available: false, reason: webrtc.reason },
    calls: deps.manager.size,
    draining: deps.manager.isDraining,
    /** This instance's id, when state is shared with other instances (`REDIS_URL`). */
    ...(deps.cluster?.registry.shared ? { instance: deps.cluster.instanceId } : {}),
  }));

  app.get('/ready', quiet, async (_req, reply) => {
    if (deps.manager.isDraining) return reply.code(503).send({ ready: false, reason: 'draining' });
    const warm = deps.warmup?.state ?? 'warm';
    if (warm !== 'warm') return reply.code(503).send({ ready: false, reason: warm, ...(deps.warmup?.error ? { error: deps.warmup.error } : {}) });
    return { ready: true };
  });

  // Every caller's records, the statistics and call control are for admins (admin-access.ts), on
  // every route registered from here on under /calls, /calls/…, /stats and /monitor.
  const admin = createAdminAccess({ adminToken: deps.config.ADMIN_TOKEN, adminScope: deps.config.AUTH_ADMIN_SCOPE, auth: deps.auth });
  app.addHook('onRoute', (route) => {
    if (!isAdminRoute(route.url)) return;
    const existing = route.preValidation ? [route.preValidation].flat() : [];
    route.preValidation = [requireAdmin(admin), ...existing];
  });

  // `store`: the call store's backend and its writer's backlog (queued records while the database is down).
  app.get('/stats', async () => ({ ...deps.manager.stats(), ...(deps.eventLoopDelay ? { eventLoopDelayMs: deps.eventLoopDelay() } : {}), limits: limitStats.snapshot(), store: { backend: deps.store.backend, ...deps.writer.stats() }, ...(deps.mcpServers ? { mcpServers: deps.mcpServers() } : {}) }));

  registerCallRoutes(app, deps);
  if (deps.monitor) registerMonitorRoute(app, deps.monitor);

  // Pages on other origins (a Pipecat client) may call /connect, /status and the WebRTC offer.
  registerCors(app, deps.config.CORS_ORIGINS);
  registerTelephonyRoutes(app, deps, limitStats);
  registerTransferRoute(app, deps.handoffs);
  await registerRecordingRoute(app, deps.recordings);
  registerCarrierRoutes(app, deps, webSocketCarriers(deps.carriers ?? CARRIERS), webSocketLimits(admission));
  registerStreamRoutes(app, deps);
  const connectSessions = new ConnectSessions(deps.clock, deps.cluster?.sharedSessions);
  registerWebRtcRoutes(app, deps, { carrier: webRtcCarrier, webrtc, network: deps.webrtcNetwork, peers: deps.webrtcPeers, admission, stats: limitStats, connectSessions });
  registerPipecatRoutes(app, deps, { webrtc, network: deps.webrtcNetwork, sessions: connectSessions });
  if (deps.webRoot) {
    const webRoot = deps.webRoot;
    // Static files of the web client: their request logs are at debug too.
    await app.register(async (scope) => {
      scope.addHook('onRoute', (route) => {
        route.config = { ...(route.config as object), quietLog: true };
      });
      await scope.register(fastifyStatic, { root: webRoot, index: 'index.html', wildcard: false });
    });
  }
  return app;
}
