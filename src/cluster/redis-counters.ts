/**
 * The admission counters (`src/limits/counters.ts`) on Redis, so `MAX_CALLS`, the per-address
 * calls and the per-minute limits count every instance's callers. While Redis cannot be reached
 * each instance counts its own (the in-memory counters, same limits): callers are admitted by
 * local counts rather than all refused, and shared counting resumes when Redis is back.
 * - Windows: two fixed windows per key (`vb:win:<key>:<window index>`, INCR with a PEXPIRE of two
 *   windows), weighted as `MemoryWindowCounter` does, in Redis's time.
 * - Call slots: a sorted set per key (`vb:slots:<key>`) of lease ids scored by their expiry; this
 *   instance refreshes its leases on each heartbeat, so the slots of a dead instance free
 *   themselves once `leaseTtlMs` has passed.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock.js';
import { MemoryConcurrencyCounter, MemoryWindowCounter, retryAfter, type ConcurrencyCounter, type WindowCounter, type WindowDecision } from '../limits/counters.js';
import { LUA_NOW_MS } from './redis-client.js';

// KEYS[1] key prefix; ARGV[1] limit, ARGV[2] window ms.
const HIT = `${LUA_NOW_MS}
local win = tonumber(ARGV[2])
local w = math.floor(now / win)
local cur = KEYS[1] .. ':' .. w
local c = tonumber(redis.call('GET', cur) or '0')
local p = tonumber(redis.call('GET', KEYS[1] .. ':' .. (w - 1)) or '0')
local into = now - w * win
if p * (1 - into / win) + c + 1 <= tonumber(ARGV[1]) then
  redis.call('INCR', cur)
  redis.call('PEXPIRE', cur, 2 * win)
  return {1, p, c, into}
end
return {0, p, c, into}`;

// KEYS[1] slots key; ARGV[1] limit, ARGV[2] lease TTL ms, ARGV[3] lease id.
const ACQUIRE = `${LUA_NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

// ARGV[1] lease TTL ms, then key, lease id pairs. Leases Redis lost (a restart) are written again.
const REFRESH = `${LUA_NOW_MS}
for i = 2, #ARGV, 2 do
  redis.call('ZADD', ARGV[i], now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('PEXPIRE', ARGV[i], ARGV[1])
end
return 1`;

/** Per-minute limits across instances; this instance's counts while Redis is unreachable. */
export class RedisWindowCounter implements WindowCounter {
  private readonly local: MemoryWindowCounter;

  constructor(private readonly redis: Redis, clock: Clock) {
    this.local = new MemoryWindowCounter(clock);
  }

  async hit(key: string, limit: number, windowMs: number): Promise<WindowDecision> {
    try {
      const [allowed, previous, current, intoMs] = (await this.redis.eval(HIT, 1, `vb:win:${key}`, String(limit), String(windowMs))) as number[];
      return allowed ? { allowed: true, retryAfterMs: 0 } : { allowed: false, retryAfterMs: retryAfter(previous, current, limit, windowMs, intoMs) };
    } catch {
      return this.local.hitNow(key, limit, windowMs);
    }
  }
}

/** Call slots across instances; this instance's counts while Redis is unreachable. */
export class RedisConcurrencyCounter implements ConcurrencyCounter {
  private readonly local = new MemoryConcurrencyCounter();
  /** This instance's slots per key: a lease id in Redis, or null for one counted locally. */
  private readonly leases = new Map<string, Array<string | null>>();

  /** @param leaseTtlMs a slot not refreshed for this long is freed (`HEARTBEAT_TTL_MS`). */
  constructor(private readonly redis: Redis, private readonly leaseTtlMs: number) {}

  async acquire(key: string, limit: number): Promise<boolean> {
    const lease = randomUUID();
    let taken: boolean;
    let id: string | null = lease;
    try {
      taken = (await this.redis.eval(ACQUIRE, 1, `vb:slots:${key}`, String(limit), String(this.leaseTtlMs), lease)) === 1;
    } catch {
      taken = this.local.acquireNow(key, limit);
      id = null;
    }
    if (taken) this.leases.set(key, [...(this.leases.get(key) ?? []), id]);
    return taken;
  }

  release(key: string): void {
    const held = this.leases.get(key);
    const id = held?.pop();
    if (!held || id === undefined) return;
    if (!held.length) this.leases.delete(key);
    if (id === null) this.local.release(key);
    // A slot that cannot be returned now lapses after the lease TTL.
    else this.redis.zrem(`vb:slots:${key}`, id).catch(() => undefined);
  }

  /** Slots of `key` this instance holds. */
  held(key: string): number {
    return this.leases.get(key)?.length ?? 0;
  }

  /**
   * Keeps this instance's slots alive (each heartbeat), writing again those Redis lost and moving
   * slots counted locally during an outage into Redis, so counts are whole again after it.
   * Rejects when Redis cannot be reached.
   */
  async refresh(): Promise<void> {
    const moved: Array<[string, string]> = [];
    const pairs = [...this.leases].flatMap(([key, ids]) =>
      ids.flatMap((id) => {
        const lease = id ?? randomUUID();
        if (id === null) moved.push([key, lease]);
        return [`vb:slots:${key}`, lease];
      }),
    );
    if (!pairs.length) return;
    await this.redis.eval(REFRESH, 0, String(this.leaseTtlMs), ...pairs);
    for (const [key, lease] of moved) {
      const ids = this.leases.get(key);
      const at = ids?.indexOf(null) ?? -1;
      if (!ids || at < 0) continue;
      ids[at] = lease;
      this.local.release(key);
    }
  }
}
