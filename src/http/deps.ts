/**
 * What the HTTP app is built with (`AppDeps`), in its own module so that routes and helpers import
 * it without importing `app.ts` (which imports them).
 */
import type { Logger as PinoLogger } from 'pino';
import type { StreamTokens } from '../auth/stream-tokens.js';
import type { CallManager } from '../call/manager.js';
import type { Carrier } from '../callers/core/carrier.js';
import type { WebRtcSupport } from '../callers/webrtc/loader.js';
import type { WebRtcNetwork } from '../callers/webrtc/network.js';
import type { WebRtcPeers } from '../callers/webrtc/peers.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { TransferDesk } from '../handoff/desk.js';
import type { TransferRouteDeps } from './transfer-route.js';
import type { Warmup } from '../core/warmup.js';
import type { Admission } from '../limits/admission.js';
import type { LimitStats } from '../limits/stats.js';
import type { BrowserAuth } from './auth.js';
import type { CallStore } from '../store/types.js';
import type { CallWriter } from '../store/writer.js';
import type { Recordings } from '../recording/recordings.js';
import type { MonitorSnapshot } from '../observability/monitor.js';
import type { Cluster } from '../cluster/compose.js';

/** Dependencies of the HTTP app. */
export interface AppDeps {
  config: Config;
  manager: CallManager;
  /** Ended calls' records (`GET /calls`, `GET /calls/:id`, `DELETE /calls/:id`). */
  store: CallStore;
  /** Records queued for the store and not written yet (answered from here meanwhile). */
  writer: CallWriter;
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
  /** The main thread's event-loop lag so far (p50/p99/max, ms; the delay histogram's sampling interval taken off, `loopLagMs`), for `/stats` `eventLoopDelayMs`: a stalled loop delays every call's audio. */
  eventLoopDelay?: () => { p50Ms: number; p99Ms: number; maxMs: number };
  /** Each `TOOLS_FILE` MCP server's state (`/stats` `mcpServers`), when there are any. */
  mcpServers?: () => Record<string, unknown>;
  /** Start-up warm-up: `/ready` answers 503 until it is warm (absent: nothing to warm). */
  warmup?: Warmup;
  /** The WebRTC caller, or why it is unavailable (absent: unavailable, not loaded). */
  webrtc?: WebRtcSupport;
  /** Counters of refusals and cuts by the limits, shown in `/stats` (`limits`); a fresh set when absent. */
  limitStats?: LimitStats;
  /** Admission checks (calls at once, per address, per minute); built from the configuration with in-memory counters when absent. */
  admission?: Admission;
  /** The open WebRTC peer connections, owned by the composition root (which closes them at shutdown). */
  webrtcPeers: WebRtcPeers;
  /** WebRTC network settings, typed (the composition root builds them from the configuration). */
  webrtcNetwork: WebRtcNetwork;
  /** Transfers waiting for the carrier's next request (Twilio's `<Connect action>`), by carrier call id. */
  transfers: TransferDesk;
  /** Hand-off of live calls to a person (`POST /calls/:id/transfer`). */
  handoffs: TransferRouteDeps;
  /** Caller protocols to serve instead of the built-in ones (`CARRIERS` in `src/callers/registry.ts`). */
  carriers?: readonly Carrier[];
  /** The call recordings (`GET /calls/:id/recording.wav`); absent: recordings are off (`RECORD_CALLS`). */
  recordings?: Recordings;
  /** The live performance monitor (`GET /monitor`); absent: no such route. */
  monitor?: { snapshot(): MonitorSnapshot };
  /** This instance's id, the live-call registry of every instance and the shared Pipecat sessions (absent: this instance alone, unnamed). */
  cluster?: Pick<Cluster, 'instanceId' | 'registry' | 'sharedSessions'>;
}


/** The app's pino logger seen through our `Logger` interface (pino's methods are a superset). */
export function appLogger(deps: Pick<AppDeps, 'logger'>): Logger {
  return deps.logger;
}
