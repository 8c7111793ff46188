/**
 * Composition of a running server from a validated config: resamplers, VAD, the selected model,
 * the call manager and the HTTP app. `main`/the CLI listen on it; tests start it on 127.0.0.1:0.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { loadResamplerFactory } from './audio/resample.js';
import { loadVad } from './audio/vad/load.js';
import type { VadModelFactory } from './audio/vad/types.js';
import { CallManager } from './call/manager.js';
import type { Config } from './config/config.js';
import { systemClock, type Clock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import { createLogger } from './core/log-output.js';
import { errorMessage } from './core/errors.js';
import { Warmup } from './core/warmup.js';
import { deprioritizeHelperThreads } from './core/thread-priority.js';
import { existsSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Carrier } from './callers/core/carrier.js';
import { endCallTool, END_CALL_TOOL_NAME, transferableCall } from './call/call-tools.js';
import { composeTransfers } from './handoff/compose.js';
import { TransferDesk } from './handoff/desk.js';
import { loadWebRtc, type WebRtcSupport } from './callers/webrtc/loader.js';
import { webRtcNetwork } from './callers/webrtc/network.js';
import { WebRtcPeers } from './callers/webrtc/peers.js';
import { fileURLToPath } from 'node:url';
import { createBrowserAuth } from './http/auth.js';
import { openCluster, type Cluster } from './cluster/compose.js';
import { admissionFromConfig } from './http/limits.js';
import { transferHere } from './http/transfer-route.js';
import { randomStreamSecret, StreamTokens } from './auth/stream-tokens.js';
import { buildApp } from './http/app.js';
import { composeModels } from './models/compose.js';
import type { SpeechModel } from './models/model.js';
import { providerRegistry, type ProviderRegistry } from './models/registry.js';
import { InboundAudioGate } from './limits/inbound-audio.js';
import { LimitStats } from './limits/stats.js';
import { builtinTools } from './tools/builtin.js';
import { Recordings } from './recording/recordings.js';
import { repairUnfinished } from './recording/repair.js';
import path from 'node:path';
import { ToolRegistry } from './tools/registry.js';
import type { TracerProvider } from '@opentelemetry/api';
import { traceCall } from './observability/call-spans.js';
import { ServerMetrics } from './observability/metrics.js';
import { registerMetricsRoute } from './observability/metrics-route.js';
import { LiveMonitor } from './observability/monitor.js';
import { processProbes } from './observability/monitor-probes.js';
import { loopLagMs } from './observability/monitor-window.js';
import { startTracing, tracerOf } from './observability/tracing.js';
import { loadUserTools } from './tools/user-tools.js';
import { holdPhrase as synthesisedHoldPhrase } from './tools/hold-phrase.js';
import { FlitePool } from './models/local/tts/synthesizer.js';
import { openCallStore } from './store/open.js';
import { startRetention } from './store/retention.js';
import type { CallStore } from './store/types.js';
import { CallWriter } from './store/writer.js';

/** Sampling interval of `/stats`' event-loop delay histogram, ms. */
const STATS_LOOP_RESOLUTION_MS = 5;

/** Longest the shutdown waits for queued call records to reach the store (the database down), ms. */
export const STORE_FLUSH_TIMEOUT_MS = 5000;

/** A composed server. */
export interface Server {
  app: FastifyInstance;
  manager: CallManager;
  /** Transfers waiting for the carrier (hand-off to a person). */
  transfers: TransferDesk;
  /** Where ended calls' records are kept, and the writer that queues them there. */
  store: CallStore;
  writer: CallWriter;
  model: SpeechModel;
  vad: VadModelFactory;
  logger: PinoLogger;
  /** Start-up warm-up (`/ready` is 503 until it is warm). */
  warmup: Warmup;
  /** Models this server can run (`/health` availableModels). */
  availableModels: string[];
  /** Whether the web client is built and served at `/`. */
  webClient: boolean;
  /** Why WebRTC callers cannot be answered (undefined: they can). */
  webrtcUnavailable?: string;
  /** Prometheus metrics (`GET /metrics`). */
  metrics: ServerMetrics;
  /** The live performance monitor (`GET /monitor`). */
  monitor: LiveMonitor;
  /** The call recordings, when `RECORD_CALLS` is on. */
  recordings?: Recordings;
  /** Starts listening; resolves with the bound address (e.g. `http://127.0.0.1:8080`). */
  listen(): Promise<string>;
  /**
   * Drains calls (up to `DRAIN_TIMEOUT_MS`, or `drainTimeoutMs`), closes the app and the model's
   * workers, then writes the queued call records (up to `STORE_FLUSH_TIMEOUT_MS`) and closes the store.
   */
  close(drainTimeoutMs?: number): Promise<void>;
}

/** Optional injections for tests. */
export interface ServerOverrides {
  clock?: Clock;
  logger?: PinoLogger;
  /** Use this model instead of the configured one. */
  model?: SpeechModel;
  /** Folder of a built web client to serve instead of web/dist. */
  webRoot?: string;
  /** WebRTC support to use instead of loading node-datachannel (tests of a lean install). */
  webrtc?: WebRtcSupport;
  /** Stream tokens to use instead of the configured ones (tests: a fake wall clock). */
  streamTokens?: StreamTokens;
  /** Providers to choose from instead of the built-in ones (`config` must be loaded for them). */
  registry?: ProviderRegistry;
  /** Caller protocols to serve instead of the built-in ones (`CARRIERS` in `src/callers/registry.ts`). */
  carriers?: readonly Carrier[];
  /** Spans go to this provider instead of the OTLP export / the API's global provider (tests: an in-memory exporter). */
  tracerProvider?: TracerProvider;
  /** Call records waiting for the store, count (`voicebridge_store_backlog_records`; default: the call writer's queue). */
  storeBacklog?: () => number;
  /** The call store to use instead of opening the configured one; the server does not close it. */
  store?: CallStore;
  /** Wall-clock time, ms since the Unix epoch, for the retention purge (default `Date.now`). */
  wallClockMs?: () => number;
}

/**
 * Builds the server. Models come from the provider registry (`models/registry.ts`): the configured
 * one must start; `auto` picks local when installed, else loopback (`models/compose.ts`). The call
 * store is opened first (`DATABASE_URL`, else PGlite in `DATA_DIR`), and closed again when
 * anything after it fails.
 * @throws Error when the configured provider (e.g. `VOICEBRIDGE_MODEL=local`) cannot start.
 * @throws DataDirLockedError when another server has `DATA_DIR` open; the driver's error when the database cannot be reached or migrated.
 */
export async function createServer(config: Config, overrides: ServerOverrides = {}): Promise<Server> {
  const logger = overrides.logger ?? createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, service: 'voicebridge' });
  // The store opens (PGlite's first start takes seconds) while the models load.
  const opening = overrides.store ? Promise.resolve(overrides.store) : openCallStore(config, logger);
  opening.catch(() => undefined); // awaited (and its error thrown) in composeServer
  // Shared with other instances through Redis when REDIS_URL is set (src/cluster/), else in memory.
  const cluster = openCluster(config, { clock: overrides.clock ?? systemClock, logger, wallClockMs: overrides.wallClockMs });
  try {
    return await composeServer(config, overrides, logger, opening, !overrides.store, cluster);
  } catch (err) {
    await cluster.close();
    if (!overrides.store) await opening.then((store) => store.close(), () => undefined);
    throw err;
  }
}

/** `createServer` once the logger exists, the store is opening and the shared state is open; closes the store at close when `ownsStore` (and `cluster` always). */
async function composeServer(config: Config, overrides: ServerOverrides, logger: PinoLogger, opening: Promise<CallStore>, ownsStore: boolean, cluster: Cluster): Promise<Server> {
  // V8's garbage-collection and compiler threads (started with the process, before any worker
  // pool) yield to the main thread that moves every call's audio. Worker pools started later (the
  // offline model's recognizers and synthesizer) keep their priority.
  deprioritizeHelperThreads(config.HELPER_THREAD_NICE);
  const log: Logger = logger;
  const clock = overrides.clock ?? systemClock;
  const resamplers = await loadResamplerFactory();
  const vad = await loadVad(log);
  const registry = overrides.registry ?? providerRegistry;
  // Tools and the hand-off find live calls through the manager, built below.
  const liveCall = (id: string) => manager.get(id);
  const transferableLiveCall = (id: string) => {
    const call = liveCall(id);
    return call && transferableCall(call);
  };
  const transfers = new TransferDesk(clock, undefined, cluster.sharedDesk);
  const handoffs = composeTransfers(config, { desk: transfers, clock, logger: log, findCall: transferableLiveCall });
  const models = await composeModels(registry, config.VOICEBRIDGE_MODEL, config, { logger: log, clock, vad }, overrides.model, config.OFFER_MODELS);
  let store: CallStore;
  try {
    store = await opening;
  } catch (err) {
    await models.close();
    throw err;
  }
  // User tools (TOOLS_FILE): HTTP tools, and MCP servers started and listed now.
  const userTools = config.TOOLS_FILE ? await loadUserTools(config.TOOLS_FILE, { clock, logger: log }).catch(async (err) => (await models.close(), Promise.reject(err))) : undefined;
  let tools: ToolRegistry;
  try {
    tools = new ToolRegistry([...builtinTools(config.TOOLS, { [END_CALL_TOOL_NAME]: () => endCallTool(liveCall) }), ...(handoffs.hasDefaultTarget ? [handoffs.tool()] : []), ...(userTools?.tools ?? [])]);
  } catch (err) {
    await Promise.all([userTools?.close(), models.close()]);
    throw err;
  }
  if (userTools) log.info({ tools: userTools.tools.map((t) => t.name) }, 'user tools from TOOLS_FILE');
  const openFlite = async () => {
    const pool = new FlitePool(1);
    await pool.warmUp().catch(async (err) => (await pool.close(), Promise.reject(err)));
    return pool;
  };
  const holdPhrase = config.TOOL_HOLD_AFTER_MS > 0 && tools.size > 0 ? synthesisedHoldPhrase(config.TOOL_HOLD_PHRASE, config.TOOL_HOLD_AFTER_MS, openFlite, log) : undefined;
  const { model, availableModels: available } = models;
  log.debug({ model: model.id, availableModels: available, vad: vad.name }, `voicebridge model in use: ${model.id}`);

  const limitStats = new LimitStats();
  const inboundAudioSettings = { burstMs: config.INBOUND_AUDIO_BURST_MS, closeFactor: config.INBOUND_AUDIO_CLOSE_FACTOR };
  const inboundAudioCounters = {
    dropped: (ms: number) => {
      limitStats.inboundAudio.droppedChunks++;
      limitStats.inboundAudio.droppedMs += ms;
    },
    closed: () => limitStats.inboundAudio.closedCallers++,
  };
  // Call recordings (RECORD_CALLS): a tap on each call's transport; written behind the playout's lead so a barge-in can still cut what was sent ahead.
  const recordings = config.RECORD_CALLS ? new Recordings({ dir: path.resolve(config.RECORDINGS_DIR ?? path.join(config.DATA_DIR, 'recordings')), clock, logger: log, resamplers, holdBackMs: config.PLAYOUT_LEAD_MS + config.PLAYOUT_BATCH_MS + 300 }) : undefined;
  // Files a process that died mid-call left with "size unknown" get their sizes before any call records.
  if (recordings) await repairUnfinished(recordings.dir, log);
  const manager = new CallManager({
    wrapTransport: recordings && ((id, transport) => recordings.tap(id, transport)),
    model,
    inboundAudioLimiter: () => new InboundAudioGate(inboundAudioSettings, inboundAudioCounters),
    onMaxLength: () => limitStats.callsAtMaxLength++,
    resamplers,
    clock,
    logger: log,
    vad: config.BARGE_IN_VAD ? vad : null,
    tools,
    holdPhrase,
    prices: config.MODEL_PRICES,
    alternatives: models.alternatives,
    startTimeoutMs: config.START_TIMEOUT_MS,
    allowPromptOverride: config.ALLOW_PROMPT_OVERRIDE,
    options: {
      systemPrompt: config.SYSTEM_PROMPT,
      inactivityTimeoutMs: config.INACTIVITY_TIMEOUT_MS,
      maxCallMs: config.MAX_CALL_MS,
      keepAliveAfterMs: config.KEEPALIVE_AFTER_MS,
      playoutLeadMs: config.PLAYOUT_LEAD_MS,
      playoutBatchMs: config.PLAYOUT_BATCH_MS,
      markIntervalMs: config.MARK_INTERVAL_MS,
      bargeInVad: config.BARGE_IN_VAD,
      resampleQuality: config.RESAMPLE_QUALITY,
      greeting: config.GREETING,
      toolTimeoutMs: config.TOOL_TIMEOUT_MS,
      bargeInConfirmMs: config.BARGE_IN_CONFIRM_MS,
    },
  });
  if (!config.TWILIO_AUTH_TOKEN) log.warn('TWILIO_AUTH_TOKEN is not set: Twilio webhook signatures are NOT checked');
  if (!config.VONAGE_SIGNATURE_SECRET) log.warn('VONAGE_SIGNATURE_SECRET is not set: Vonage webhook signatures are NOT checked');

  const auth = createBrowserAuth({ jwtSecret: config.AUTH_JWT_SECRET, jwksUrl: config.AUTH_JWKS_URL, issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE });
  if (auth.required) log.info({ jwks: config.AUTH_JWKS_URL ?? null }, 'browser callers need a bearer JWT or a presigned stream URL');
  else log.warn('AUTH_JWT_SECRET and AUTH_JWKS_URL are not set: anyone who can reach this server can open browser and raw PCM calls (/client, /ws, /webrtc/offer) and spend model time; Twilio and Vonage media streams still need the one-time URL their answer webhook hands out');
  if (!config.STREAM_TOKEN_SECRET && !overrides.streamTokens) log.warn('STREAM_TOKEN_SECRET is not set: stream URLs are signed with a random key made at start-up, which suits one instance only (URLs from another instance or from `voicebridge sign-url` are refused)');
  const streamTokens =
    overrides.streamTokens ??
    new StreamTokens({ secret: config.STREAM_TOKEN_SECRET ? Buffer.from(config.STREAM_TOKEN_SECRET) : randomStreamSecret(), ttlMs: config.STREAM_TOKEN_TTL_MS, nowMs: Date.now, store: cluster.replayStore });
  if (!auth.required && !config.ADMIN_TOKEN) log.info('call records, statistics and the monitor (/calls, /stats, /monitor) are served to clients on this machine only; set ADMIN_TOKEN to read them from elsewhere');
  const webRoot = overrides.webRoot ?? fileURLToPath(new URL('../web/dist', import.meta.url));
  const hasWeb = existsSync(`${webRoot}/index.html`);
  if (!hasWeb) log.warn('web client not built (web/dist missing): run `npm run build` to serve it at /');
  const webrtc = overrides.webrtc ?? (await loadWebRtc());
  if (!webrtc.available) log.warn(webrtc.reason);
  let closed = false;
  // Not ready until every provider's background warm-up is done (the first caller must not wait).
  const warmup = new Warmup(() => Object.assign({}, ...models.warmups.map((w) => w.detail())));
  // User tools are the slow ones: their hold phrase is ready before the first call.
  if (holdPhrase && userTools) warmup.track('hold phrase', holdPhrase.prepare());
  for (const w of models.warmups) {
    warmup.track(w.name, w.ready);
    // Closing the server (e.g. it could not listen) stops the workers mid-warm-up: not a failure.
    w.ready.catch((err) => closed || log.error({ err: errorMessage(err) }, `${w.providerId} model warm-up failed: the server stays unready`));
  }
  // `/stats`' event-loop lag since start: the histogram's 5 ms sampling interval taken off each delay.
  const loopDelay = monitorEventLoopDelay({ resolution: STATS_LOOP_RESOLUTION_MS });
  loopDelay.enable();
  const eventLoopDelay = () => {
    const lag = loopLagMs(loopDelay, STATS_LOOP_RESOLUTION_MS);
    return { p50Ms: lag.p50, p99Ms: lag.p99, maxMs: lag.max };
  };
  // The server's WebRTC peer connections: closed at shutdown below.
  const webrtcPeers = new WebRtcPeers();
  const webrtcNetwork = webRtcNetwork({ bindAddress: config.WEBRTC_BIND_ADDRESS, iceServers: config.WEBRTC_ICE_SERVERS, portRange: config.WEBRTC_PORT_RANGE, connectTimeoutMs: config.WEBRTC_CONNECT_TIMEOUT_MS });
  // Ended calls' records go to the store through the writer: queued, never awaited by a call.
  const writer = new CallWriter(store, clock, log);
  if (recordings) manager.events.on('call', (call) => void call.ended.then(() => recordings.finalize(call.id)));
  manager.events.on('call', (call) => void call.ended.then((summary) => writer.enqueue(summary)));
  // The live-call registry: each call listed for every instance while it lives (src/cluster/).
  manager.events.on('call', (call) => {
    cluster.callStarted(call);
    void call.ended.then(() => cluster.callEnded(call.id));
  });
  const handoffRoute = { transfers: handoffs, findCall: transferableLiveCall, elsewhere: cluster.elsewhere };
  cluster.attach({ liveCalls: () => manager.calls(), writeRecord: (summary) => writer.enqueue(summary), transferHere: (id, body) => transferHere(handoffRoute, id, body) });
  // Caller phrases that ask for a person (TRANSFER_PHRASES).
  manager.events.on('call', (call) => call.on('transcript', (line) => line.role === 'user' && void handoffs.onCallerText(call.id, line.text)));
  // Metrics and traces, fed by each call's events (src/observability/).
  const storeBacklog = overrides.storeBacklog ?? (() => writer.stats().queued);
  const metrics = new ServerMetrics({ liveCalls: () => manager.calls(), toolNames: () => tools.specs().map((t) => t.name), storeBacklog });
  const probes = processProbes();
  const monitor = new LiveMonitor({ clock, wallClockMs: overrides.wallClockMs ?? Date.now, liveCalls: () => manager.calls(), storeBacklog, probes });
  const tracing = overrides.tracerProvider ? undefined : startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME }, log, clock);
  const tracer = tracerOf(overrides.tracerProvider, tracing);
  manager.events.on('call', (call) => {
    metrics.observeCall(call);
    monitor.observeCall(call);
    traceCall(call, tracer, clock);
  });
  const app = await buildApp({ config, manager, store, writer, clock, logger, availableModels: available, auth, streamTokens, webRoot: hasWeb ? webRoot : undefined, warmup, webrtc, webrtcPeers, webrtcNetwork, eventLoopDelay, mcpServers: userTools?.status, limitStats, carriers: overrides.carriers, transfers, handoffs: handoffRoute, recordings, monitor, cluster, admission: cluster.counters && admissionFromConfig(config, cluster.counters, limitStats) });
  registerMetricsRoute(app, metrics, config.METRICS_TOKEN, log);
  // Started last: nothing after it can fail and leave its timer behind.
  const retention = config.RETENTION_DAYS > 0 ? startRetention(config.RETENTION_DAYS, { store, clock, wallClockMs: overrides.wallClockMs ?? Date.now, logger: log }) : undefined;
  monitor.start();
  return {
    app,
    manager,
    metrics,
    monitor,
    transfers,
    store,
    writer,
    model,
    vad,
    logger,
    warmup,
    availableModels: available,
    webClient: hasWeb,
    recordings,
    webrtcUnavailable: webrtc.available ? undefined : webrtc.reason,
    async listen() {
      return app.listen({ port: config.PORT, host: config.HOST });
    },
    async close(drainTimeoutMs = config.DRAIN_TIMEOUT_MS) {
      if (closed) return;
      closed = true;
      const forced = await manager.drain(drainTimeoutMs);
      if (forced) log.info({ forced }, 'hung up calls that outlived the drain timeout');
      // The drain ended the calls: their recordings are finalized (sizes patched) before exit.
      await recordings?.close();
      await app.close();
      loopDelay.disable();
      monitor.stop();
      probes.close();
      await models.close();
      await userTools?.close();
      webrtcPeers.shutdown();
      transfers.clear();
      await tracing?.shutdown();
      // Every ended call's record (the drain has ended them all) reaches the store before exit.
      await retention?.stop();
      await cluster.close();
      await writer.close(STORE_FLUSH_TIMEOUT_MS);
      if (ownsStore) await store.close();
    },
  };
}
