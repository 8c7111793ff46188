/**
 * The live monitor's arithmetic with a fake clock and fake process probes: percentiles, the
 * 5-minute reply-latency window (bounded), CPU % between samples, event-loop lag per window (less
 * the histogram's resolution, reset each window), underruns in all and over the last minute
 * without counting an ending call twice, and no timer left after `stop()`.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/fakes/clock.js';
import type { CallSummary, TurnRecord } from '../call/types.js';
import { LiveMonitor, type LoopDelaySource } from './monitor.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CounterHistory, cpuPercent, loopLagMs, percentile, RecentValues } from './monitor-window.js';

describe('monitor arithmetic', () => {
  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
  });

  it('computes CPU % of one core from cpuUsage deltas over wall time', () => {
    expect(cpuPercent({ user: 0, system: 0 }, { user: 1_500_000, system: 500_000 }, 2000)).toBe(100);
    expect(cpuPercent({ user: 1000, system: 1000 }, { user: 301_000, system: 201_000 }, 2000)).toBe(25);
    expect(cpuPercent({ user: 0, system: 0 }, { user: 5_000_000, system: 0 }, 2000)).toBe(250);
    expect(cpuPercent({ user: 0, system: 0 }, { user: 10, system: 0 }, 0)).toBe(0);
  });

  it('takes the sampling interval off event-loop delays (never below 0; all 0 when nothing was recorded)', () => {
    const ns = { 50: 5_200_000, 99: 9_000_000 } as Record<number, number>;
    const loop = { percentile: (p: number) => ns[p], max: 29_254_000, count: 12 };
    expect(loopLagMs(loop, 5)).toEqual({ p50: 0.2, p99: 4, max: 24.25 });
    expect(loopLagMs({ ...loop, max: 4_000_000 }, 5).max).toBe(0);
    expect(loopLagMs({ ...loop, count: 0 }, 5)).toEqual({ p50: 0, p99: 0, max: 0 });
  });

  it("reads an idle loop's real delay histogram as about no lag", async () => {
    // Node records whole intervals between its sampling timer's runs: ≈ the resolution when idle.
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    await new Promise<void>((resolve) => {
      const poll = () => (h.count >= 5 ? resolve() : setImmediate(poll));
      poll();
    });
    h.disable();
    expect(h.percentile(50) / 1e6).toBeGreaterThan(9);
    expect(loopLagMs(h, 10).p50).toBeLessThan(h.percentile(50) / 1e6);
  });

  it('keeps values of the last window only, and at most `capacity` of them', () => {
    const w = new RecentValues(60_000, 3);
    expect(w.summary(0)).toEqual({ p50: null, p99: null, count: 0 });
    w.add(0, 900);
    w.add(10_000, 300);
    w.add(20_000, 600);
    expect(w.summary(20_000)).toEqual({ p50: 600, p99: 900, count: 3 });
    w.add(30_000, 100); // full: 900 goes
    expect(w.summary(30_000)).toEqual({ p50: 300, p99: 600, count: 3 });
    expect(w.summary(75_000)).toEqual({ p50: 100, p99: 600, count: 2 }); // 300 (t=10 s) aged out
    expect(w.summary(200_000).count).toBe(0);
    expect(() => new RecentValues(1000, 0)).toThrow(RangeError);
  });

  it("tells a counter's growth over the last window", () => {
    const h = new CounterHistory(60_000, 0, 0);
    expect(h.growth(0, 0)).toBe(0);
    h.record(30_000, 4);
    expect(h.growth(30_000, 4)).toBe(4); // younger than the window: since watching began
    h.record(60_000, 5);
    h.record(90_000, 9);
    expect(h.growth(90_000, 9)).toBe(5); // since the reading at 30 s
    h.record(200_000, 9);
    expect(h.growth(200_000, 10)).toBe(1);
  });
});

/** A call as the monitor sees it. */
class FakeCall extends EventEmitter {
  playout = { underruns: 0 };
  constructor(readonly kind: string) {
    super();
  }
  readonly modelId = 'loopback';
  modelStats() {
    return {};
  }
}

/** A delay histogram the test fills (ns), reset by the monitor. */
class FakeLoopDelay implements LoopDelaySource {
  values: number[] = [];
  resets = 0;
  get count() {
    return this.values.length;
  }
  get max() {
    return Math.max(0, ...this.values);
  }
  percentile(p: number) {
    return percentile([...this.values].sort((a, b) => a - b), p) ?? 0;
  }
  reset() {
    this.values = [];
    this.resets++;
  }
}

function setup() {
  const clock = new FakeClock();
  const cpu = { user: 0, system: 0 };
  const loopDelay = new FakeLoopDelay();
  const live = new Set<FakeCall>();
  let backlog = 0;
  const monitor = new LiveMonitor({
    clock,
    wallClockMs: () => 1_700_000_000_000 + clock.nowMs(),
    liveCalls: () => live,
    storeBacklog: () => backlog,
    probes: { cpuUsage: () => ({ ...cpu }), rssBytes: () => 123_456_789, loopDelay, loopResolutionMs: 10 },
    sampleEveryMs: 2000,
    maxTurns: 100,
  });
  const dial = (kind: string) => {
    const call = new FakeCall(kind);
    live.add(call);
    monitor.observeCall(call);
    return call;
  };
  const turn = (call: FakeCall, replyLatencyMs: number | null) => {
    const t = { replyLatencyMs } as TurnRecord;
    call.emit('turn', t);
    return t;
  };
  const end = (call: FakeCall) => {
    call.emit('ended', { underruns: call.playout.underruns } as CallSummary);
    live.delete(call);
  };
  return { clock, cpu, loopDelay, monitor, dial, turn, end, setBacklog: (n: number) => (backlog = n) };
}

describe('LiveMonitor', () => {
  it('counts live calls by carrier, with memory, backlog, uptime and wall time', () => {
    const { clock, monitor, dial, end, setBacklog } = setup();
    const a = dial('twilio');
    dial('twilio');
    dial('webrtc');
    setBacklog(3);
    clock.advance(1500);
    let s = monitor.snapshot();
    expect(s).toMatchObject({ atMs: 1_700_000_001_500, uptimeMs: 1500, activeCalls: 3, activeByCarrier: { twilio: 2, webrtc: 1 }, rssBytes: 123_456_789, storeBacklog: 3 });
    end(a);
    s = monitor.snapshot();
    expect(s.activeCalls).toBe(2);
    expect(s.activeByCarrier).toEqual({ twilio: 1, webrtc: 1 });
  });

  it('measures CPU % and event-loop lag per sample window, resetting the histogram each time', () => {
    const { clock, cpu, loopDelay, monitor } = setup();
    monitor.start();
    // Before the first window completes: the window so far.
    cpu.user += 500_000;
    loopDelay.values.push(10e6, 11e6, 12e6);
    clock.advance(1000);
    expect(monitor.snapshot().cpuPercent).toBe(50);
    expect(monitor.snapshot().eventLoopLagMs).toEqual({ p50: 1, p99: 2, max: 2 });
    // The first window ends at 2 s: half a core over it, lag less the 10 ms resolution.
    cpu.system += 500_000;
    loopDelay.values.push(10e6, 60e6);
    clock.advance(1000);
    expect(loopDelay.resets).toBe(2); // at construction and at the window's end
    expect(loopDelay.count).toBe(0);
    expect(monitor.snapshot().cpuPercent).toBe(50);
    expect(monitor.snapshot().eventLoopLagMs).toEqual({ p50: 1, p99: 50, max: 50 });
    // The next window: 2.5 cores busy, an idle loop (delays at the resolution are no lag).
    cpu.user += 5_000_000;
    loopDelay.values.push(10e6, 10e6);
    clock.advance(1000);
    expect(monitor.snapshot().cpuPercent).toBe(50); // still the last complete window
    clock.advance(1000);
    expect(monitor.snapshot().cpuPercent).toBe(250);
    expect(monitor.snapshot().eventLoopLagMs).toEqual({ p50: 0, p99: 0, max: 0 });
    // A window with nothing recorded reads as no lag.
    clock.advance(2000);
    expect(monitor.snapshot()).toMatchObject({ cpuPercent: 0, eventLoopLagMs: { p50: 0, p99: 0, max: 0 } });
    monitor.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps reply latencies of turns ended in the last 5 minutes, each turn once', () => {
    const { clock, monitor, dial, turn } = setup();
    const call = dial('twilio');
    expect(monitor.snapshot().replyLatencyMs).toEqual({ p50: null, p99: null, count: 0 });
    turn(call, null); // latency not known yet
    const t = turn(call, 800);
    call.emit('turn', t); // announced again
    clock.advance(60_000);
    turn(call, 1200);
    turn(call, 2000);
    expect(monitor.snapshot().replyLatencyMs).toEqual({ p50: 1200, p99: 2000, count: 3 });
    clock.advance(4 * 60_000 + 1);
    expect(monitor.snapshot().replyLatencyMs).toEqual({ p50: 1200, p99: 2000, count: 2 });
    clock.advance(60_000);
    expect(monitor.snapshot().replyLatencyMs).toEqual({ p50: null, p99: null, count: 0 });
  });

  it('bounds the turns it keeps', () => {
    const { monitor, dial, turn } = setup();
    const call = dial('twilio');
    for (let i = 0; i < 1000; i++) turn(call, i);
    expect(monitor.snapshot().replyLatencyMs).toEqual({ p50: 949, p99: 998, count: 100 });
  });

  it('counts underruns in all and over the last minute, an ending call once', () => {
    const { clock, monitor, dial, end } = setup();
    monitor.start();
    const a = dial('twilio');
    const b = dial('vonage');
    a.playout.underruns = 3;
    clock.advance(2000);
    expect(monitor.snapshot().underruns).toEqual({ total: 3, lastMinute: 3 });
    b.playout.underruns = 2;
    end(a);
    expect(monitor.snapshot().underruns).toEqual({ total: 5, lastMinute: 5 });
    clock.advance(70_000);
    expect(monitor.snapshot().underruns).toEqual({ total: 5, lastMinute: 0 });
    b.playout.underruns = 4;
    clock.advance(2000);
    end(b);
    expect(monitor.snapshot().underruns).toEqual({ total: 7, lastMinute: 2 });
    monitor.stop();
  });
});
