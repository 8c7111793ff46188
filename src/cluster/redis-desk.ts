/**
 * Pending transfers shared through Redis (`vb:handoff:<carrier call id>`, JSON, PX TTL): Twilio's
 * `<Connect action>` request after a transferred stream may reach another instance than the one
 * that made the transfer. Failures are logged and read as "none".
 */
import type { Redis } from 'ioredis';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SharedDesk } from '../handoff/desk.js';
import type { Handoff } from '../handoff/record.js';

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
