import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { RecordingLogger } from '../../test/fakes/logger.js';
import type { CallSummary } from '../call/types.js';
import { CallHeartbeat } from './heartbeat.js';
import { INSTANCE_LOST_REASON, liveEntryOf, lostCallSummary, parseLiveEntry, type LiveCallView, type LiveEntry } from './live-entry.js';
import type { CallRegistry } from './registry.js';
import { defaultInstanceId, openCluster } from './compose.js';

const view = (id: string, text = 'hello'): LiveCallView => ({
  id,
  kind: 'twilio',
  modelId: 'openai',
  phase: 'listening',
  startedAt: '2026-12-01T10:00:00.000Z',
  startInfo: { carrierCallId: `CA${id}`, streamId: `MZ${id}`, parameters: { From: '+15550100000' } },
  turns: [{ turn: 1, responseId: 'r1', userText: text, assistantText: 'hi', replyLatencyMs: 400, interrupted: false }],
  transcript: [{ role: 'user', text, atMs: 100 }, { role: 'assistant', text: 'hi', atMs: 900 }],
  toolCalls: [],
});

describe('live entries', () => {
  it('carry what a record needs, and survive JSON', () => {
    const entry = liveEntryOf(view('c1'), 'A');
    expect(entry).toMatchObject({ id: 'c1', instance: 'A', kind: 'twilio', model: 'openai', carrierCallId: 'CAc1', streamId: 'MZc1', parameters: { From: '+15550100000' } });
    expect(parseLiveEntry(JSON.stringify(entry))).toEqual(entry);
  });

  it('refuse what is not an entry, without throwing', () => {
    for (const bad of ['', 'not json', 'null', '42', '{"id":"x"}', '{"id":1,"instance":"A","kind":"t","model":"m","startedAt":"s"}']) expect(parseLiveEntry(bad)).toBeUndefined();
  });

  it('become an instance-lost record, "server lost", lasting from the start to the takeover', () => {
    const summary = lostCallSummary(liveEntryOf(view('c2'), 'A'), Date.parse('2026-12-01T10:00:30.000Z'));
    expect(summary).toMatchObject({ id: 'c2', reason: INSTANCE_LOST_REASON, reasonLabel: 'server lost', error: true, durationMs: 30_000, carrierCallId: 'CAc2', streamId: 'MZc2' });
    expect(summary.transcript.map((l) => l.text)).toEqual(['hello', 'hi']);
    expect(summary.history).toEqual([{ role: 'user', text: 'hello' }, { role: 'assistant', text: 'hi' }]);
  });
});

/** A registry in memory with the Redis one's semantics, driven by hand (`lapse`). */
class HandRegistry implements CallRegistry {
  readonly shared = true;
  entries = new Map<string, LiveEntry>();
  lapsed: LiveEntry[] = [];
  failing = false;
  async heartbeat(entries: readonly LiveEntry[]) {
    if (this.failing) throw new Error('connection refused');
    for (const e of entries) this.entries.set(e.id, e);
  }
  async remove(id: string) {
    if (this.failing) throw new Error('connection refused');
    this.entries.delete(id);
  }
  async list() {
    return [...this.entries.values()];
  }
  async get(id: string) {
    return this.entries.get(id);
  }
  async claimLapsed() {
    if (this.failing) throw new Error('connection refused');
    const out = this.lapsed;
    this.lapsed = [];
    return out;
  }
}

describe('CallHeartbeat', () => {
  const setup = (calls: LiveCallView[]) => {
    const clock = new FakeClock();
    const registry = new HandRegistry();
    const written: CallSummary[] = [];
    const logger = new RecordingLogger();
    const heartbeat = new CallHeartbeat({ registry, instanceId: 'B', clock, intervalMs: 200, liveCalls: () => calls, writeRecord: (s) => written.push(s), wallClockMs: () => Date.parse('2026-12-01T10:01:00.000Z'), logger });
    return { clock, registry, written, logger, heartbeat };
  };

  it("refreshes this instance's calls every interval on the injected clock, and writes lost calls' records once", async () => {
    const { clock, registry, written, heartbeat } = setup([view('mine')]);
    heartbeat.start();
    await heartbeat.beat();
    expect(registry.entries.get('mine')).toMatchObject({ instance: 'B' });
    registry.lapsed = [liveEntryOf(view('theirs'), 'A')];
    clock.advance(200);
    await heartbeat.stop();
    expect(written.map((s) => [s.id, s.reason])).toEqual([['theirs', 'instance-lost']]);
  });

  it('does not end its own calls when they lapsed (Redis was out of reach): it writes them back', async () => {
    const { registry, written, heartbeat } = setup([view('mine')]);
    registry.lapsed = [liveEntryOf(view('mine'), 'B')];
    registry.entries.clear();
    await heartbeat.beat();
    expect(written).toEqual([]);
    expect(registry.entries.has('mine')).toBe(true);
  });

  it('logs an outage once and its end once; a failing registry never throws', async () => {
    const { registry, logger, heartbeat } = setup([view('mine')]);
    registry.failing = true;
    await heartbeat.beat();
    await heartbeat.beat();
    await heartbeat.callEnded('mine');
    registry.failing = false;
    await heartbeat.beat();
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(logger.lines.filter((l) => l.msg.includes('reachable again'))).toHaveLength(1);
  });
});

describe('openCluster without REDIS_URL', () => {
  it("is today's one instance: memory replay store, a registry that knows no other instance", async () => {
    const cluster = openCluster({ REDIS_URL: undefined, INSTANCE_ID: undefined, HEARTBEAT_INTERVAL_MS: 2000, HEARTBEAT_TTL_MS: 10_000 }, { clock: new FakeClock(), logger: new RecordingLogger() });
    expect(cluster.shared).toBe(false);
    expect(cluster.counters).toBeUndefined();
    expect(cluster.elsewhere).toBeUndefined();
    expect(await cluster.registry.list()).toEqual([]);
    expect(await cluster.replayStore.consume('t1', Date.now() + 1000)).toBe(true);
    expect(await cluster.replayStore.consume('t1', Date.now() + 1000)).toBe(false);
    expect(cluster.instanceId).toBe(defaultInstanceId(undefined));
    expect(defaultInstanceId('pod-7')).toBe('pod-7');
    await cluster.close();
  });
});

describe('the shared-state settings', () => {
  it('need a TTL of at least two heartbeats, and an INSTANCE_ID of plain characters', async () => {
    const { loadConfig, ConfigError } = await import('../config/config.js');
    expect(loadConfig({ HEARTBEAT_INTERVAL_MS: '1000', HEARTBEAT_TTL_MS: '2000', INSTANCE_ID: 'pod-7.eu:1' })).toMatchObject({ HEARTBEAT_TTL_MS: 2000, INSTANCE_ID: 'pod-7.eu:1', REDIS_URL: undefined });
    expect(() => loadConfig({ HEARTBEAT_INTERVAL_MS: '2000', HEARTBEAT_TTL_MS: '3000' })).toThrow(/HEARTBEAT_TTL_MS: must be at least twice/);
    expect(() => loadConfig({ INSTANCE_ID: 'two words' })).toThrow(ConfigError);
  });
});
