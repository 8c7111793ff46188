/**
 * The Redis side of shared state against a real redis-server (started here on a free port):
 * stream tokens used once across clients, the live-call registry (TTL by Redis time, lapsed calls
 * claimed by exactly one instance), operator actions over pub/sub, admission counters across
 * instances with local counting while Redis is down, and the shared transfer desk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import { RedisActionBus } from '../src/cluster/actions.js';
import { liveEntryOf, type LiveCallView } from '../src/cluster/live-entry.js';
import { connectRedis, type RedisConnections } from '../src/cluster/redis-client.js';
import { RedisConcurrencyCounter, RedisWindowCounter } from '../src/cluster/redis-counters.js';
import { RedisDesk } from '../src/cluster/redis-desk.js';
import { RedisCallRegistry } from '../src/cluster/redis-registry.js';
import { RedisReplayStore } from '../src/cluster/redis-replay-store.js';
import { RecordingLogger } from './fakes/logger.js';
import { redisServerBin, startTestRedis, type TestRedis } from './helpers/redis-server.js';
import { eventually } from './helpers/wait.js';

let redis: TestRedis;
const opened: RedisConnections[] = [];
const connect = () => {
  const c = connectRedis(redis.url, new RecordingLogger());
  opened.push(c);
  return c;
};
const ready = (c: RedisConnections) => eventually(() => c.ready, 'Redis connection ready');

const view = (id: string): LiveCallView => ({ id, kind: 'twilio', modelId: 'loopback', phase: 'listening', startedAt: new Date().toISOString(), startInfo: { carrierCallId: `CA${id}`, parameters: {} }, turns: [], transcript: [], toolCalls: [] });

describe.skipIf(!redisServerBin())('shared state on a real Redis', () => {
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await redis?.destroy();
  });

  it('a token is used once, whichever of two instances sees it first', async () => {
    const [a, b] = [connect(), connect()];
    await Promise.all([ready(a), ready(b)]);
    const stores = [new RedisReplayStore(a.command), new RedisReplayStore(b.command)];
    const expires = Date.now() + 30_000;
    const results = await Promise.all([...stores, ...stores].map((s) => s.consume('tok-1', expires)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await a.command.pttl('vb:token:tok-1')).toBeGreaterThan(20_000);
  });

  it('the registry lists live entries, drops lapsed ones from lists, and gives each lapsed entry to exactly one claimer', async () => {
    const [a, b, c] = [connect(), connect(), connect()];
    await Promise.all([ready(a), ready(b), ready(c)]);
    const ttlMs = 300;
    const [ra, rb, rc] = [new RedisCallRegistry(a.command, ttlMs), new RedisCallRegistry(b.command, ttlMs), new RedisCallRegistry(c.command, ttlMs)];
    await ra.heartbeat([liveEntryOf(view('r1'), 'A'), liveEntryOf(view('r2'), 'A')]);
    expect((await rb.list()).map((e) => e.id).sort()).toEqual(['r1', 'r2']);
    expect(await rb.get('r1')).toMatchObject({ id: 'r1', instance: 'A', carrierCallId: 'CAr1' });
    await ra.remove('r2');
    expect(await rb.get('r2')).toBeUndefined();
    expect(await rb.claimLapsed()).toEqual([]);
    // A stops beating: once the TTL has passed (Redis time) r1 is not listed, and one claimer gets it.
    await eventually(async () => (await rb.get('r1')) === undefined, 'r1 lapsed');
    const claims = await Promise.all([rb.claimLapsed(), rc.claimLapsed()]);
    expect(claims.flat().map((e) => e.id)).toEqual(['r1']);
    expect(await a.command.exists('vb:call:r1')).toBe(0);
  });

  it('operator actions reach the instance named, and come back; 404 when none listens there', async () => {
    const [a, b] = [connect(), connect()];
    await Promise.all([ready(a), ready(b)]);
    const busA = new RedisActionBus({ publisher: a.command, subscriber: a.subscriber, instanceId: 'bus-A', clock: systemClock, logger: new RecordingLogger() });
    const busB = new RedisActionBus({ publisher: b.command, subscriber: b.subscriber, instanceId: 'bus-B', clock: systemClock, logger: new RecordingLogger() });
    busA.serve(async (req) => ({ status: 202, body: { ran: req.callId, reason: req.body.reason } }));
    await eventually(async () => ((await a.command.pubsub('NUMSUB', 'vb:actions:bus-A')) as [string, number])[1] === 1, 'A subscribed');
    await eventually(async () => ((await b.command.pubsub('NUMSUB', 'vb:replies:bus-B')) as [string, number])[1] === 1, 'B subscribed');
    expect(await busB.send('bus-A', { action: 'transfer', callId: 'x1', body: { reason: 'why' } })).toEqual({ status: 202, body: { ran: 'x1', reason: 'why' } });
    expect((await busB.send('bus-gone', { action: 'transfer', callId: 'x2', body: {} })).status).toBe(404);
  });

  it('pending transfers are shared: put on one instance, peeked and taken on another', async () => {
    const [a, b] = [connect(), connect()];
    await Promise.all([ready(a), ready(b)]);
    const handoff = { callId: 'h1', carrier: 'twilio', carrierIds: { CallSid: 'CAh1' }, target: { kind: 'phone' as const, number: '+15557654321' }, reason: 'r', source: 'operator' as const, requestedAt: new Date().toISOString(), transcript: [], summary: 's' };
    new RedisDesk(a.command, new RecordingLogger()).put('CAh1', handoff, 60_000);
    const deskB = new RedisDesk(b.command, new RecordingLogger());
    expect(await eventually(() => deskB.peek('CAh1'), 'the shared hand-off')).toEqual(handoff);
    expect(await deskB.take('CAh1')).toEqual(handoff);
    expect(await deskB.peek('CAh1')).toBeUndefined();
  });

  it('call slots and per-minute limits count every instance; a dead instance\'s slots free themselves; Redis down: local counts (and tokens cannot be checked), then shared again', async () => {
    const [a, b] = [connect(), connect()];
    await Promise.all([ready(a), ready(b)]);
    const slotsA = new RedisConcurrencyCounter(a.command, 300);
    const slotsB = new RedisConcurrencyCounter(b.command, 60_000);
    expect(await slotsA.acquire('*', 2)).toBe(true);
    expect(await slotsB.acquire('*', 2)).toBe(true);
    expect(await slotsB.acquire('*', 2)).toBe(false);
    slotsB.release('*');
    expect(slotsB.held('*')).toBe(0);
    expect(await slotsB.acquire('*', 2)).toBe(true);
    // A stops refreshing (died): its slot lapses after its lease TTL.
    await eventually(() => slotsB.acquire('*', 2), "A's lapsed slot taken by B");
    expect(slotsB.held('*')).toBe(2);

    const winA = new RedisWindowCounter(a.command, systemClock);
    const winB = new RedisWindowCounter(b.command, systemClock);
    expect((await winA.hit('ws:1.2.3.4', 2, 60_000)).allowed).toBe(true);
    expect((await winB.hit('ws:1.2.3.4', 2, 60_000)).allowed).toBe(true);
    const refused = await winA.hit('ws:1.2.3.4', 2, 60_000);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);

    await redis.stop();
    const local = new RedisConcurrencyCounter(a.command, 60_000);
    try {
      // Local counts: this instance's own limit still holds.
      expect(await local.acquire('calls:9.9.9.9', 1)).toBe(true);
      expect(await local.acquire('calls:9.9.9.9', 1)).toBe(false);
      local.release('calls:9.9.9.9');
      expect(local.held('calls:9.9.9.9')).toBe(0);
      expect(await local.acquire('calls:9.9.9.9', 1)).toBe(true);
      expect((await winA.hit('offer:9.9.9.9', 1, 60_000)).allowed).toBe(true);
      expect((await winA.hit('offer:9.9.9.9', 1, 60_000)).allowed).toBe(false);
      await expect(new RedisReplayStore(a.command).consume('tok-down', Date.now() + 10_000)).rejects.toThrow();
    } finally {
      await redis.start();
    }
    await Promise.all([ready(a), ready(b)]);
    expect(await new RedisReplayStore(a.command).consume('tok-up', Date.now() + 10_000)).toBe(true);
    // The restarted Redis lost every slot: the next heartbeat's refresh writes them again, and the
    // slot counted locally during the outage joins them.
    await Promise.all([slotsB.refresh(), local.refresh()]);
    expect(await a.command.zcard('vb:slots:*')).toBe(2);
    expect(await a.command.zcard('vb:slots:calls:9.9.9.9')).toBe(1);
    expect(await local.acquire('calls:9.9.9.9', 1)).toBe(false);
    local.release('calls:9.9.9.9');
    await eventually(async () => (await a.command.zcard('vb:slots:calls:9.9.9.9')) === 0, 'the slot returned');
  });
});
