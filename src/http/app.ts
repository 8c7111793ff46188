/**
 * `buildApp(deps)`: the Fastify application (never listens; `main.ts` does). Routes:
 * health/readiness, Twilio (`POST /twilio/voice`, WS `/twilio/media`), Vonage (`/vonage/answer`,
 * `/vonage/event`, WS `/vonage/media`), browser WS `/client`, raw PCM WS `/ws`, `POST /streams`
 * (presigned caller URLs) and the admin routes `GET /calls` and `GET /stats` (admin-access.ts).
 */
import websocket from '@fastify/websocket';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { WebSocket } from 'ws';
import { DrainingError, type CallManager } from '../call/manager.js';
import type { CallerTransport } from '../callers/transport.js';
import { CloseCode } from '../callers/ws-base.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import { redactingSerializers } from '../core/redact.js';
import type { Warmup } from '../core/warmup.js';
import type { WebRtcSupport } from '../callers/webrtc/loader.js';
import type { Admission } from '../limits/admission.js';
import { MemoryConcurrencyCounter, MemoryWindowCounter } from '../limits/counters.js';
import { LimitStats } from '../limits/stats.js';
import { admissionFromConfig, serverOptions, webSocketLimits } from './limits.js';
import type { StreamTokens } from '../auth/stream-tokens.js';
import { createAdminAccess, isAdminRoute, requireAdmin } from './admin-access.js';
import type { BrowserAuth } from './auth.js';
import { registerCallerRoutes } from './caller-routes.js';
import { QuietRoutesLogController } from './request-log.js';
import { registerWebRtcRoutes } from './webrtc-routes.js';
import { registerTelephonyRoutes } from './telephony-routes.js';
import { registerStreamRoutes } from './stream-routes.js';

/** Dependencies of the HTTP app. */
export interface AppDeps {
  config: Config;
  manager: CallManager;
  clock: Clock;
  /** pino logger (Fastify's request logs and the calls' logs). */
  logger: PinoLogger;
  /** Names of models this server can run, for `/health`. */
  availableModels: string[];
  /** Bearer-JWT check for browser callers and the call list (allows all when not configured). */
  auth: BrowserAuth;
  /** Issues and admits the one-time stream tokens every media stream (and presigned URL) presents. */
  streamTokens: StreamTokens;
  /** Folder of the built web client served at `/` (absent: no web client). */
  webRoot?: string;
  /** The main thread's event-loop delay so far (p50/p99/max, ms), for `/stats`: a stalled loop delays every call's audio. */
  eventLoopDelay?: () => { p50Ms: number; p99Ms: number; maxMs: number };
  /** Start-up warm-up: `/ready` answers 503 until it is warm (absent: nothing to warm). */
  warmup?: Warmup;
  /** The WebRTC caller, or why it is unavailable (absent: unavailable, not loaded). */
  webrtc?: WebRtcSupport;
  /** Counters of refusals and cuts by the limits, shown in `/stats` (`limits`); a fresh set when absent. */
  limitStats?: LimitStats;
  /** Admission checks (calls at once, per address, per minute); built from the configuration with in-memory counters when absent. */
  admission?: Admission;
}

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

/**
 * Hands a connected transport to the call manager; rejects with close 1013 while draining.
 * Never throws.
 */
export function acceptCall(deps: AppDeps, socket: WebSocket, transport: CallerTransport, onCreated?: Parameters<CallManager['accept']>[1]): void {
  deps.manager.accept(transport, onCreated).catch((err) => {
    if (err instanceof DrainingError) socket.close(1013, 'server is draining, try again later');
    else {
      (deps.logger as unknown as Logger).error({ err: errorMessage(err) }, 'call failed to start');
      socket.close(CloseCode.internalError, 'internal error');
    }
  });
}

/** Builds the app. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const webrtc: WebRtcSupport = deps.webrtc ?? { available: false, reason: 'WebRTC is not enabled on this server' };
  // Request logs show URLs with credentials (`?token=`, signatures) redacted, whatever logger was given.
  const requestLogger = deps.logger.child({}, { serializers: redactingSerializers });
  const app = Fastify({ loggerInstance: requestLogger as FastifyBaseLogger, bodyLimit: 1_048_576, logController: new QuietRoutesLogController(), ...serverOptions(deps.config) }) as unknown as FastifyInstance;
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
  }));

  app.get('/ready', quiet, async (_req, reply) => {
    if (deps.manager.isDraining) return reply.code(503).send({ ready: false, reason: 'draining' });
    const warm = deps.warmup?.state ?? 'warm';
    if (warm !== 'warm') return reply.code(503).send({ ready: false, reason: warm, ...(deps.warmup?.error ? { error: deps.warmup.error } : {}) });
    return { ready: true };
  });

  // Every caller's records, the statistics and call control are for admins (admin-access.ts), on
  // every route registered from here on under /calls, /calls/… and /stats.
  const admin = createAdminAccess({ adminToken: deps.config.ADMIN_TOKEN, adminScope: deps.config.AUTH_ADMIN_SCOPE, auth: deps.auth });
  app.addHook('onRoute', (route) => {
    if (!isAdminRoute(route.url)) return;
    const existing = route.preValidation ? [route.preValidation].flat() : [];
    route.preValidation = [requireAdmin(admin), ...existing];
  });

  app.get('/stats', async () => ({ ...deps.manager.stats(), ...(deps.eventLoopDelay ? { eventLoopDelayMs: deps.eventLoopDelay() } : {}), limits: limitStats.snapshot() }));

  app.get('/calls', async () => ({
    // Live calls with their transcript so far (`voicebridge call` shows it as it grows).
    live: deps.manager.calls().map((c) => ({ id: c.id, phase: c.phase, startedAtMs: c.startedAtMs, startedAt: c.startedAt, turns: c.turns.length, carrierCallId: c.startInfo.carrierCallId, parameters: c.startInfo.parameters, transcript: c.transcript })),
    recent: deps.manager.recentCalls(),
  }));

  registerTelephonyRoutes(app, deps, limitStats);
  registerCallerRoutes(app, deps, webSocketLimits(admission));
  registerStreamRoutes(app, deps);
  registerWebRtcRoutes(app, deps, webrtc, { admission, stats: limitStats });
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
