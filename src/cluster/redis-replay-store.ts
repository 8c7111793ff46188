/**
 * One-time stream tokens used up across instances: `SET vb:token:<id> 1 PXAT <expiry> NX` is
 * atomic, so of several instances presented the same token exactly one admits it. While Redis
 * is unreachable `consume` rejects and `StreamTokens.admit` refuses the stream (`unchecked`):
 * fail closed, a token that cannot be checked is never admitted.
 */
import type { Redis } from 'ioredis';
import type { ReplayStore } from '../auth/replay-store.js';

/** Key prefix of used token ids. */
export const TOKEN_KEY_PREFIX = 'vb:token:';

/** The replay store on Redis. */
export class RedisReplayStore implements ReplayStore {
  constructor(private readonly redis: Redis) {}

  /** @throws the client's error when Redis cannot be reached (the caller refuses the stream). */
  async consume(tokenId: string, expiresAtMs: number): Promise<boolean> {
    // PXAT needs a time in the future; an expired token was refused before it got here.
    const at = Math.max(Math.ceil(expiresAtMs), Date.now() + 1000);
    const set = await this.redis.set(`${TOKEN_KEY_PREFIX}${tokenId}`, '1', 'PXAT', at, 'NX');
    return set === 'OK';
  }
}
