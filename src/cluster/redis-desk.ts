/**
 * Per-call state other instances must read, kept in Redis as JSON with a PX TTL; failures read as
 * "none":
 * - pending transfers (`vb:handoff:<carrier call id>`): Twilio's `<Connect action>` request after a
 *   transferred stream may reach another instance than the one that made the transfer;
 * - Pipecat connect sessions (`vb:session:<id>`): a page's `GET /status/:id` may reach another
 *   instance than its `POST /connect`.
 */
import type { Redis } from 'ioredis';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SharedDesk } from '../handoff/desk.js';
import type { Handoff } from '../handoff/record.js';
import type { ConnectSessionStatus, SharedSessions } from '../http/connect-sessions.js';

const PREFIX = 'vb:handoff:';

/** The shared copy of the transfer desk. */
export class RedisDesk implements SharedDesk {
  constructor(private readonly redis: Redis, private readonly logger: Logger) {}

  put(carrierCallId: string, handoff: Handoff, ttlMs: number): void {
    this.redis.set(`${PREFIX}${carrierCallId}`, JSON.stringify(handoff), 'PX', ttlMs).catch((err: unknown) => this.logger.warn({ err: errorMessage(err) }, 'pending transfer not shared: Redis unreachable'));
  }

  peek(carrierCallId: string): Promise<Handoff | undefined> {
    return this.read(this.redis.get(`${PREFIX}${carrierCallId}`));
  }

  take(carrierCallId: string): Promise<Handoff | undefined> {
    return this.read(this.redis.getdel(`${PREFIX}${carrierCallId}`));
  }

  private async read(reply: Promise<string | null>): Promise<Handoff | undefined> {
    try {
      const json = await reply;
      return json ? (JSON.parse(json) as Handoff) : undefined;
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'pending transfer not read: Redis unreachable');
      return undefined;
    }
  }
}

/** Pipecat connect sessions shared through Redis. */
export class RedisSessions implements SharedSessions {
  /** @param wallClockMs Unix epoch ms (a waiting session's offer deadline is wall time, read by other instances). */
  constructor(private readonly redis: Redis, private readonly wallClockMs: () => number) {}

  put(status: ConnectSessionStatus, offerTtlMs: number, ttlMs: number): void {
    const offerDeadlineAtMs = status.state === 'waiting' ? this.wallClockMs() + offerTtlMs : undefined;
    this.redis.set(`vb:session:${status.sessionId}`, JSON.stringify({ ...status, offerDeadlineAtMs }), 'PX', Math.max(1, Math.round(ttlMs))).catch(() => undefined);
  }

  async get(id: string): Promise<ConnectSessionStatus | undefined> {
    try {
      const json = await this.redis.get(`vb:session:${id}`);
      if (!json) return undefined;
      const { offerDeadlineAtMs, ...status } = JSON.parse(json) as ConnectSessionStatus & { offerDeadlineAtMs?: number };
      return status.state === 'waiting' && offerDeadlineAtMs !== undefined && this.wallClockMs() >= offerDeadlineAtMs ? { ...status, state: 'expired' } : status;
    } catch {
      return undefined;
    }
  }
}
