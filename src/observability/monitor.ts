/**
 * The live performance monitor behind `GET /monitor` (the web client's Monitor panel): what the
 * server is doing now, in a few figures a person reads every couple of seconds. Fed like the
 * Prometheus metrics (`metrics.ts`) from each call's events (`turn`, `ended`) and from the live
 * calls when read; nothing here runs per audio frame.
 *
 * - CPU % and event-loop lag are measured per sample window (`sampleEveryMs`, default 2 s, on the
 *   injected clock): CPU time the whole process used over the window's wall time, and the
 *   event-loop delay histogram, reset at each window's end. A reading reports the last complete
 *   window (the first window, until it completes).
 * - Reply latency: the project's one definition (`src/call/reply-latency.ts`), of the turns whose
 *   latency became known in the last 5 minutes (at most `maxTurns` of them).
 * - Underruns: the playout pacer's, since the server started and over the last minute (to the
 *   sample window's resolution).
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { CallSummary, TurnRecord } from '../call/types.js';
import type { ObservedCall } from './metrics.js';
import { CounterHistory, cpuPercent, loopLagMs, RecentValues, type CpuTimes, type LoopLagMs } from './monitor-window.js';

/** An event-loop delay histogram (`perf_hooks.monitorEventLoopDelay()`), values in ns. */
export interface LoopDelaySource {
  percentile(p: number): number;
  readonly max: number;
  /** Delays recorded since the last reset (Node ≥ 17.4's `count`). */
  readonly count: number;
  reset(): void;
}

/** What the monitor reads from the process (`processProbes()` in `monitor-probes.ts` has the real ones). */
export interface MonitorProbes {
  /** CPU time the process used so far, µs (`process.cpuUsage()`). */
  cpuUsage(): CpuTimes;
  /** Resident set size, bytes (`process.memoryUsage.rss()`). */
  rssBytes(): number;
  /** The event-loop delay histogram; each recorded delay includes `loopResolutionMs`. */
  loopDelay: LoopDelaySource;
  /** The histogram's sampling interval, ms, taken off every delay to give the lag. */
  loopResolutionMs: number;
}

/** Dependencies of `LiveMonitor`. */
export interface MonitorDeps {
  clock: Clock;
  /** Wall-clock time, ms since the Unix epoch (`atMs` of a reading). */
  wallClockMs: () => number;
  /** The live calls now (the call manager's `calls()`). */
  liveCalls: () => Iterable<ObservedCall>;
  /** Call records waiting to be written to the store, count. */
  storeBacklog: () => number;
  probes: MonitorProbes;
  /** Length of a CPU / event-loop sample window, ms (default 2000). */
  sampleEveryMs?: number;
  /** Most turn latencies kept for the 5-minute window (default 4096). */
  maxTurns?: number;
}

/** Event-loop lag over a sample window, ms (0 when nothing was recorded; `loopLagMs`). */
export type LoopLag = LoopLagMs;

/** One reading of the monitor: the `GET /monitor` answer. */
export interface MonitorSnapshot {
  /** When it was read, ms since the Unix epoch. */
  atMs: number;
  /** Since the server started, ms. */
  uptimeMs: number;
  activeCalls: number;
  /** Live calls by carrier (`twilio`, `vonage`, `browser`, `webrtc`, …). */
  activeByCarrier: Record<string, number>;
  /** CPU the whole process used over the last sample window, % of one core (100 = one core busy). */
  cpuPercent: number;
  /** Event-loop lag over the last sample window, ms: how late the loop ran a due timer. */
  eventLoopLagMs: LoopLag;
  /** Reply latency of the turns whose latency became known in the last 5 minutes, ms. */
  replyLatencyMs: { p50: number | null; p99: number | null; count: number };
  /** Playout underruns since the server started, and over the last minute. */
  underruns: { total: number; lastMinute: number };
  /** Resident set size of the process, bytes. */
  rssBytes: number;
  /** Call records waiting to be written to the store. */
  storeBacklog: number;
}

/** How long a turn's reply latency stays in the monitor's figures, ms. */
export const REPLY_WINDOW_MS = 5 * 60_000;
/** The span of `underruns.lastMinute`, ms. */
const UNDERRUN_WINDOW_MS = 60_000;

/** The monitor of one server. `start()` begins sampling; `stop()` ends it (no timer left behind). */
export class LiveMonitor {
  private readonly startMs: number;
  private readonly sampleEveryMs: number;
  private readonly replies: RecentValues;
  private readonly underrunHistory: CounterHistory;
  /** Live calls' underrun counters are read through these; ended calls' counts are in `endedUnderruns`. */
  private readonly watched = new Set<ObservedCall>();
  private endedUnderruns = 0;
  private windowStartMs: number;
  private windowCpu: CpuTimes;
  private last: { cpuPercent: number; lag: LoopLag } | undefined;
  private timer: TimerHandle | undefined;

  constructor(private readonly deps: MonitorDeps) {
    this.startMs = deps.clock.nowMs();
    this.sampleEveryMs = deps.sampleEveryMs ?? 2000;
    this.replies = new RecentValues(REPLY_WINDOW_MS, deps.maxTurns ?? 4096);
    this.underrunHistory = new CounterHistory(UNDERRUN_WINDOW_MS, this.startMs, 0);
    this.windowStartMs = this.startMs;
    this.windowCpu = deps.probes.cpuUsage();
    deps.probes.loopDelay.reset();
  }

  /** Starts sampling every `sampleEveryMs`. Idempotent. */
  start(): void {
    if (this.timer !== undefined) return;
    const tick = (): void => {
      this.sample();
      this.timer = this.deps.clock.setTimeout(tick, this.sampleEveryMs);
    };
    this.timer = this.deps.clock.setTimeout(tick, this.sampleEveryMs);
  }

  /** Stops sampling. */
  stop(): void {
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Listens to `call`'s turns and end. Call once per call, before it starts. */
  observeCall(call: ObservedCall): void {
    this.watched.add(call);
    // A turn is announced again when its latency becomes known later (marks): count it once.
    const timed = new WeakSet<TurnRecord>();
    call.on('turn', (turn: TurnRecord) => {
      if (turn.replyLatencyMs === null || timed.has(turn)) return;
      timed.add(turn);
      this.replies.add(this.deps.clock.nowMs(), turn.replyLatencyMs);
    });
    call.on('ended', (s: CallSummary) => {
      if (!this.watched.delete(call)) return;
      this.endedUnderruns += Math.max(s.underruns, call.playout.underruns);
    });
  }

  /** Ends the current sample window: CPU % and event-loop lag over it; records the underrun total. */
  sample(): void {
    const now = this.deps.clock.nowMs();
    this.last = this.measureWindow(now);
    const { probes } = this.deps;
    this.windowStartMs = now;
    this.windowCpu = probes.cpuUsage();
    probes.loopDelay.reset();
    this.underrunHistory.record(now, this.underrunTotal());
  }

  /** The figures now (CPU and lag: of the last complete sample window, or the current one before any). */
  snapshot(): MonitorSnapshot {
    const now = this.deps.clock.nowMs();
    const byCarrier: Record<string, number> = {};
    let active = 0;
    for (const call of this.deps.liveCalls()) {
      active++;
      byCarrier[call.kind] = (byCarrier[call.kind] ?? 0) + 1;
    }
    const { cpuPercent: cpu, lag } = this.last ?? this.measureWindow(now);
    const underruns = this.underrunTotal();
    return {
      atMs: this.deps.wallClockMs(),
      uptimeMs: Math.round(now - this.startMs),
      activeCalls: active,
      activeByCarrier: byCarrier,
      cpuPercent: round1(cpu),
      eventLoopLagMs: lag,
      replyLatencyMs: this.replies.summary(now),
      underruns: { total: underruns, lastMinute: this.underrunHistory.growth(now, underruns) },
      rssBytes: this.deps.probes.rssBytes(),
      storeBacklog: this.deps.storeBacklog(),
    };
  }

  /** Playout underruns so far: ended calls' plus live calls' counters. */
  private underrunTotal(): number {
    let total = this.endedUnderruns;
    for (const call of this.watched) total += call.playout.underruns;
    return total;
  }

  /** CPU % and event-loop lag from the current window's start to `nowMs` (reads, resets nothing). */
  private measureWindow(nowMs: number): { cpuPercent: number; lag: LoopLag } {
    const { probes } = this.deps;
    return { cpuPercent: cpuPercent(this.windowCpu, probes.cpuUsage(), nowMs - this.windowStartMs), lag: loopLagMs(probes.loopDelay, probes.loopResolutionMs) };
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
