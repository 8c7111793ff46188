/**
 * The live-call registry on Redis 7.0 (no per-field hash expiry): one string key per call
 * (`vb:call:<id>`, the entry as JSON, with a PX TTL long enough to outlive a takeover) and a
 * sorted set (`vb:calls`) of call ids scored by their last heartbeat, in Redis's own time
 * (`TIME` inside Lua scripts), so instances' clocks need not agree. A call is live while its score
 * is within `ttlMs`; a lapsed one is claimed atomically (removed from both) by one instance.
 * Every operation is one script (atomic).
 */
import type { Redis } from 'ioredis';
import { LUA_NOW_MS } from './redis-client.js';
import { parseLiveEntry, type LiveEntry } from './live-entry.js';
import type { CallRegistry } from './registry.js';

/** The sorted set of live call ids. */
export const CALLS_KEY = 'vb:calls';
/** Prefix of each call's entry key. */
export const CALL_KEY_PREFIX = 'vb:call:';
/** Most lapsed calls claimed per `claimLapsed`. */
const CLAIM_BATCH = 100;

// ARGV[1] entry TTL ms, then id, json pairs.
const HEARTBEAT = `${LUA_NOW_MS}
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], now, ARGV[i])
  redis.call('SET', '${CALL_KEY_PREFIX}' .. ARGV[i], ARGV[i + 1], 'PX', ARGV[1])
end
return now`;

// ARGV[1] heartbeat TTL ms; ARGV[2] a call id or '' for all.
const LIST = `${LUA_NOW_MS}
local ids
if ARGV[2] ~= '' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
  if not score or tonumber(score) < now - tonumber(ARGV[1]) then return {} end
  ids = { ARGV[2] }
else
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf')
end
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('GET', '${CALL_KEY_PREFIX}' .. id)
  if v then out[#out + 1] = v end
end
return out`;

// ARGV[1] heartbeat TTL ms; ARGV[2] batch size.
const CLAIM = `${LUA_NOW_MS}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[1])), 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local v = redis.call('GET', '${CALL_KEY_PREFIX}' .. id)
  redis.call('DEL', '${CALL_KEY_PREFIX}' .. id)
  if v then out[#out + 1] = v end
end
return out`;

/** The registry on Redis. Every method rejects with the client's error while Redis is unreachable. */
export class RedisCallRegistry implements CallRegistry {
  readonly shared = true;

  /**
   * @param ttlMs a call whose last heartbeat is older is taken for lost (`HEARTBEAT_TTL_MS`).
   */
  constructor(private readonly redis: Redis, private readonly ttlMs: number) {}

  async heartbeat(entries: readonly LiveEntry[]): Promise<void> {
    if (!entries.length) return;
    // Entries outlive their heartbeat's TTL ten times over, so a takeover can still read them.
    await this.redis.eval(HEARTBEAT, 1, CALLS_KEY, String(this.ttlMs * 10), ...entries.flatMap((e) => [e.id, JSON.stringify(e)]));
  }

  async remove(callId: string): Promise<void> {
    await this.redis.multi().zrem(CALLS_KEY, callId).del(`${CALL_KEY_PREFIX}${callId}`).exec();
  }

  async list(): Promise<LiveEntry[]> {
    return this.parse(await this.redis.eval(LIST, 1, CALLS_KEY, String(this.ttlMs), ''));
  }

  async get(callId: string): Promise<LiveEntry | undefined> {
    return this.parse(await this.redis.eval(LIST, 1, CALLS_KEY, String(this.ttlMs), callId))[0];
  }

  async claimLapsed(): Promise<LiveEntry[]> {
    return this.parse(await this.redis.eval(CLAIM, 1, CALLS_KEY, String(this.ttlMs), String(CLAIM_BATCH)));
  }

  private parse(reply: unknown): LiveEntry[] {
    return (Array.isArray(reply) ? reply : []).flatMap((v) => {
      const e = typeof v === 'string' ? parseLiveEntry(v) : undefined;
      return e ? [e] : [];
    });
  }
}
