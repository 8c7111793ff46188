/**
 * The Redis connections of an instance (`REDIS_URL`, ioredis): one for commands and one for
 * pub/sub subscriptions (a subscribed connection can issue no other commands). Commands fail at
 * once while Redis is unreachable (no offline queue: a caller waiting on a dead Redis would be a
 * caller refused late), and the connections reconnect by themselves with a capped back-off.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';

/** Longest back-off between reconnection attempts, ms. */
export const MAX_RECONNECT_DELAY_MS = 1000;
/** Longest a single command may take before it fails (Redis reachable but stalled), ms. */
export const COMMAND_TIMEOUT_MS = 2000;

/** An instance's two Redis connections. */
export interface RedisConnections {
  /** Commands and scripts. */
  command: Redis;
  /** Subscriptions only. */
  subscriber: Redis;
  /** Whether the command connection is up now. */
  readonly ready: boolean;
  /** Closes both (pending commands fail). */
  close(): Promise<void>;
}

/**
 * Opens the connections to `url`; does not wait for them (commands fail until Redis answers).
 * Each outage is logged once when it begins and once when it ends.
 */
export function connectRedis(url: string, logger: Logger): RedisConnections {
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 5000,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, MAX_RECONNECT_DELAY_MS),
  };
  const command = new Redis(url, options);
  // The subscriber must queue its SUBSCRIBE until connected, and re-subscribes after reconnecting.
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null });
  let down = false;
  command.on('ready', () => {
    if (down) logger.info('Redis is reachable again: shared state resumes');
    down = false;
  });
  command.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn({ err: err.message }, 'Redis is unreachable: live calls go on; new media streams are refused until it is back (their one-time tokens cannot be checked); limits count this instance only');
  });
  subscriber.on('error', () => undefined);
  return {
    command,
    subscriber,
    get ready() {
      return command.status === 'ready';
    },
    async close() {
      command.disconnect();
      subscriber.disconnect();
    },
  };
}

/** Redis server time (`TIME`) as Unix epoch ms, inside a Lua script: every instance reads the same clock. */
export const LUA_NOW_MS = "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)";
