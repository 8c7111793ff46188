/**
 * The limits at the HTTP edge: Fastify options for request timeouts and proxies, and hooks that
 * apply `Admission` (src/limits/admission.ts) to WebSocket upgrades and calls. Over a limit:
 * 503 with `Retry-After` before an upgrade (upgrades per minute), or close 1013 ("try again
 * later", RFC 6455 §7.4.1) once upgraded (calls at once: browsers see close codes, not the status
 * of a refused upgrade). Every refusal is counted in `LimitStats` (`/stats` → `limits`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { CloseCode } from '../callers/core/socket.js';
import { closeReason } from '../callers/core/ws-socket.js';
import type { Config } from '../config/config.js';
import type { TrustProxySetting } from '../config/settings.js';
import { Admission, clientAddressKey, isRefusal, type Refusal } from '../limits/admission.js';
import type { LimitStats } from '../limits/stats.js';

/** WebSocket close code "try again later" (RFC 6455 §7.4.1, IANA registry). */
export const TRY_AGAIN_LATER = CloseCode.tryAgainLater;

/** Retry-After suggested when calls are full, s. */
const CALLS_FULL_RETRY_AFTER_S = 5;

/**
 * Fastify server options from the configuration: whole-request and header timeouts (Node's
 * `requestTimeout` / `headersTimeout`, checked every `connectionsCheckingInterval`; a client
 * trickling its body is answered 408 and disconnected) and which proxies' `X-Forwarded-For` to
 * believe for client addresses.
 */
export function serverOptions(config: Config): { requestTimeout: number; http: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number }; trustProxy?: TrustProxy } {
  const requestTimeout = config.REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(config.HEADERS_TIMEOUT_MS, requestTimeout);
  return {
    requestTimeout,
    http: { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1000, Math.floor(headersTimeout / 2)) },
    ...trustProxyOption(config.TRUST_PROXY),
  };
}

/** Fastify's `trustProxy`: all, addresses/CIDRs, or a test of (address, hop index). */
export type TrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

/** The configured `TRUST_PROXY` as Fastify's `trustProxy` (absent when false; `{ hops }` trusts that many hops). */
export function trustProxyOption(setting: TrustProxySetting): { trustProxy?: TrustProxy } {
  if (setting === false) return {};
  if (setting === true || Array.isArray(setting)) return { trustProxy: setting };
  return { trustProxy: (_address, hop) => hop < setting.hops };
}

/** The admission checks built from the configuration. */
export function admissionFromConfig(config: Config, counters: ConstructorParameters<typeof Admission>[1], stats: LimitStats): Admission {
  return new Admission(
    {
      maxCalls: config.MAX_CALLS,
      maxCallsPerAddress: config.MAX_CALLS_PER_ADDRESS,
      upgradesPerMinute: config.WS_UPGRADES_PER_MINUTE,
      offersPerMinute: config.WEBRTC_OFFERS_PER_MINUTE,
      callsFullRetryAfterS: CALLS_FULL_RETRY_AFTER_S,
    },
    counters,
    stats,
  );
}

/** The key a request's client is limited under (`req.ip`: the socket's, or the trusted proxy's forward). */
export function clientKey(req: FastifyRequest): string {
  return clientAddressKey(req.ip);
}

/** Answers 503 with `Retry-After` and a JSON body naming the limit. */
export function refuseHttp(reply: FastifyReply, refusal: Refusal): FastifyReply {
  return reply.code(503).header('retry-after', String(refusal.retryAfterS)).send({ error: 'over_limit', limit: refusal.reason, message: refusal.message });
}

const REFUSED = Symbol('limit refusal');
type LimitedRequest = FastifyRequest & { [REFUSED]?: Refusal };

/** Hooks for WebSocket call routes. */
export interface WebSocketLimits {
  /** `preValidation`: counts the upgrade; 503 with `Retry-After` over the per-minute limit. */
  upgradeRate(req: FastifyRequest, reply: FastifyReply): Promise<void>;
  /**
   * `preValidation` (after authentication): takes a call slot for the connection, returned when the
   * connection closes. When refused, `admitted` closes the socket with 1013.
   */
  callSlot(req: FastifyRequest): Promise<void>;
  /** In the route's handler: false (after closing the socket with 1013) when `callSlot` was refused. */
  admitted(socket: WebSocket, req: FastifyRequest): boolean;
}

/** The WebSocket hooks over `admission`. */
export function webSocketLimits(admission: Admission): WebSocketLimits {
  return {
    async upgradeRate(req, reply) {
      const refusal = await admission.upgrade(clientKey(req));
      if (refusal) await refuseHttp(reply, refusal);
    },
    async callSlot(req) {
      // A plain GET or HEAD (no upgrade) is answered 404 by the WebSocket route and starts no call:
      // holding a slot for its keep-alive connection would let idle requests keep callers out.
      if (!req.ws) return;
      const lease = await admission.call(clientKey(req));
      if (isRefusal(lease)) {
        (req as LimitedRequest)[REFUSED] = lease;
        return;
      }
      // The upgrade's TCP connection: it closes when the WebSocket does, or when the upgrade fails.
      const connection = req.raw.socket;
      if (!connection || connection.destroyed) return lease.release();
      connection.once('close', () => lease.release());
    },
    admitted(socket, req) {
      const refusal = (req as LimitedRequest)[REFUSED];
      if (!refusal) return true;
      socket.close(TRY_AGAIN_LATER, closeReason(refusal.message));
      return false;
    },
  };
}
