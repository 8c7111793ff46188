/**
 * The state an instance shares with the others (`REDIS_URL`), or keeps alone (unset): the
 * stream tokens' replay store, the live-call registry and its heartbeat, the transfer desk's shared
 * copy, the admission counters and the operator-action bus. Built before the call manager
 * (`openCluster`), attached to it once it exists (`attach`), closed after the drain (`close`).
 */
import os from 'node:os';
import type { ReplayStore } from '../auth/replay-store.js';
import { MemoryReplayStore } from '../auth/replay-store.js';
import type { CallSummary } from '../call/types.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SharedDesk } from '../handoff/desk.js';
import type { SharedSessions } from '../http/connect-sessions.js';
import type { ConcurrencyCounter, WindowCounter } from '../limits/counters.js';
import { RedisActionBus, type ActionReply, type ActionRequest } from './actions.js';
import { CallHeartbeat } from './heartbeat.js';
import type { LiveCallView } from './live-entry.js';
import { connectRedis } from './redis-client.js';
import { RedisConcurrencyCounter, RedisWindowCounter } from './redis-counters.js';
import { RedisDesk, RedisSessions } from './redis-desk.js';
import { RedisCallRegistry } from './redis-registry.js';
import { RedisReplayStore } from './redis-replay-store.js';
import { MemoryCallRegistry, type CallRegistry } from './registry.js';

/** The settings the shared state uses. */
export interface ClusterSettings {
  REDIS_URL: string | undefined;
  INSTANCE_ID: string | undefined;
  HEARTBEAT_INTERVAL_MS: number;
  HEARTBEAT_TTL_MS: number;
}

/** What `attach` needs once the call manager exists. */
export interface ClusterAttachment {
  /** This instance's live calls. */
  liveCalls(): readonly LiveCallView[];
  /** Queues a call record (the call writer). */
  writeRecord(summary: CallSummary): void;
  /** Runs an operator's transfer of a call held here (`transferHere` of src/http/transfer-route.ts). */
  transferHere(callId: string, body: ActionRequest['body']): Promise<ActionReply>;
}

/** An instance's shared (or lone) state. */
export interface Cluster {
  /** This instance's id (`INSTANCE_ID`, default host name and process id). */
  readonly instanceId: string;
  /** Whether state is shared through Redis. */
  readonly shared: boolean;
  /** Used stream-token ids. */
  readonly replayStore: ReplayStore;
  readonly registry: CallRegistry;
  /** The transfer desk's shared copy (Redis only). */
  readonly sharedDesk?: SharedDesk;
  /** Pipecat connect sessions' shared copy (Redis only). */
  readonly sharedSessions?: SharedSessions;
  /** Admission counters across instances (Redis only; absent: the in-memory ones). */
  readonly counters?: { windows: WindowCounter; calls: ConcurrencyCounter };
  /** Transfers a call held by another instance; undefined when none holds it (Redis only). */
  readonly elsewhere?: (callId: string, body: ActionRequest['body']) => Promise<ActionReply | undefined>;
  /** Starts the heartbeat and serves other instances' operator actions. */
  attach(attachment: ClusterAttachment): void;
  /** Tells the registry a call started (its entry is written at once). */
  callStarted(call: LiveCallView): void;
  /** Tells the registry a call ended here (its record is this instance's to write). */
  callEnded(callId: string): void;
  /** Stops the heartbeat and closes the connections (after the drain). */
  close(): Promise<void>;
}

/** `INSTANCE_ID`, else host name and process id. */
export function defaultInstanceId(configured: string | undefined): string {
  return configured ?? `${os.hostname()}-${process.pid}`;
}

/** Builds the shared state from the settings: on Redis with `REDIS_URL`, else in memory (today's one instance). */
export function openCluster(settings: ClusterSettings, deps: { clock: Clock; logger: Logger; wallClockMs?: () => number }): Cluster {
  const instanceId = defaultInstanceId(settings.INSTANCE_ID);
  const wallClockMs = deps.wallClockMs ?? Date.now;
  if (!settings.REDIS_URL) {
    return {
      instanceId,
      shared: false,
      replayStore: new MemoryReplayStore(wallClockMs),
      registry: new MemoryCallRegistry(),
      attach: () => undefined,
      callStarted: () => undefined,
      callEnded: () => undefined,
      close: async () => undefined,
    };
  }
  const log = deps.logger.child({ instance: instanceId, kind: 'shared-state' });
  const redis = connectRedis(settings.REDIS_URL, log);
  const registry = new RedisCallRegistry(redis.command, settings.HEARTBEAT_TTL_MS);
  const calls = new RedisConcurrencyCounter(redis.command, settings.HEARTBEAT_TTL_MS);
  const bus = new RedisActionBus({ publisher: redis.command, subscriber: redis.subscriber, instanceId, clock: deps.clock, logger: log });
  let heartbeat: CallHeartbeat | undefined;
  log.info({ heartbeatIntervalMs: settings.HEARTBEAT_INTERVAL_MS, heartbeatTtlMs: settings.HEARTBEAT_TTL_MS }, 'sharing state with other instances through Redis');
  return {
    instanceId,
    shared: true,
    replayStore: new RedisReplayStore(redis.command),
    registry,
    sharedDesk: new RedisDesk(redis.command, log),
    sharedSessions: new RedisSessions(redis.command, wallClockMs),
    counters: { windows: new RedisWindowCounter(redis.command, deps.clock), calls },
    async elsewhere(callId, body) {
      let entry;
      try {
        entry = await registry.get(callId);
      } catch {
        return { status: 503, body: { error: 'shared-state-unavailable', message: 'the live-call registry (Redis) cannot be reached: try again shortly' } };
      }
      if (!entry || entry.instance === instanceId) return undefined;
      return bus.send(entry.instance, { action: 'transfer', callId, body });
    },
    attach(attachment) {
      bus.serve((request) => attachment.transferHere(request.callId, request.body));
      heartbeat = new CallHeartbeat({ registry, instanceId, clock: deps.clock, intervalMs: settings.HEARTBEAT_INTERVAL_MS, liveCalls: attachment.liveCalls, writeRecord: attachment.writeRecord, wallClockMs, logger: log, onBeat: () => calls.refresh() });
      heartbeat.start();
    },
    callStarted: (call) => heartbeat?.callStarted(call),
    callEnded: (callId) => void heartbeat?.callEnded(callId),
    async close() {
      await heartbeat?.stop();
      await redis.close();
    },
  };
}
