/**
 * The arithmetic of the live monitor (`monitor.ts`), apart from any timer or process probe:
 * a bounded window of recent values with their percentiles, a counter's history (its growth over
 * the last minute), and CPU use between two `process.cpuUsage()` readings.
 */

/**
 * The value at percentile `p` (0–100) of `sorted` (ascending), nearest rank; null when empty.
 * E.g. p50 of [1, 2, 3, 4] is 2, p99 is 4.
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** CPU time a process used, µs, as `process.cpuUsage()` gives it. */
export interface CpuTimes {
  user: number;
  system: number;
}

/**
 * CPU use between two readings as a percentage of one core (100 = one core busy the whole time,
 * 250 = two and a half cores): (Δuser + Δsystem) / elapsed wall time. 0 when no time elapsed.
 * @param before,after `process.cpuUsage()` readings, µs.
 * @param elapsedMs wall time between them, ms.
 */
export function cpuPercent(before: CpuTimes, after: CpuTimes, elapsedMs: number): number {
  if (!(elapsedMs > 0)) return 0;
  const usedMs = (after.user - before.user + (after.system - before.system)) / 1000;
  return Math.max(0, (usedMs / elapsedMs) * 100);
}

/** The part of an event-loop delay histogram (`perf_hooks.monitorEventLoopDelay()`, ns) read for lag. */
export interface LoopDelayReadings {
  percentile(p: number): number;
  readonly max: number;
  /** Delays recorded (Node ≥ 17.4's `count`). */
  readonly count: number;
}

/** Event-loop lag, ms: how late the main thread ran a due timer (0 when nothing was recorded). */
export interface LoopLagMs {
  p50: number;
  p99: number;
  max: number;
}

/**
 * Event-loop lag from a delay histogram: each value Node records is the whole interval between
 * two runs of its sampling timer, so the sampling interval (`resolutionMs`) is taken off
 * (Node `src/histogram.cc`, `ELDHistogram`; a loop that never stalls reads ≈ the resolution).
 * Rounded to 0.01 ms, never below 0; all 0 when the histogram recorded nothing.
 * @param loop the histogram (values in ns).
 * @param resolutionMs the `resolution` it was created with, ms.
 */
export function loopLagMs(loop: LoopDelayReadings, resolutionMs: number): LoopLagMs {
  if (!(loop.count > 0)) return { p50: 0, p99: 0, max: 0 };
  const lag = (ns: number) => Math.round(Math.max(0, ns / 1e6 - resolutionMs) * 100) / 100;
  return { p50: lag(loop.percentile(50)), p99: lag(loop.percentile(99)), max: lag(loop.max) };
}

/** Summary of a `RecentValues` window: p50/p99 of the values in it (null when empty) and their count. */
export interface WindowSummary {
  p50: number | null;
  p99: number | null;
  count: number;
}

/**
 * The values added in the last `windowMs`, in a ring of at most `capacity` (the oldest go first
 * when it is full, so memory stays bounded however busy the server is).
 */
export class RecentValues {
  private readonly atMs: Float64Array;
  private readonly values: Float64Array;
  /** Index of the oldest entry. */
  private head = 0;
  private size = 0;

  /**
   * @param windowMs how long a value counts, ms.
   * @param capacity most values kept (default 4096).
   * @throws RangeError when `capacity` is not a positive integer.
   */
  constructor(
    private readonly windowMs: number,
    capacity = 4096,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.atMs = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  /** Adds `value`, observed at `atMs` (the clock's ms; times must not go backwards). */
  add(atMs: number, value: number): void {
    const capacity = this.values.length;
    const at = (this.head + this.size) % capacity;
    this.atMs[at] = atMs;
    this.values[at] = value;
    if (this.size < capacity) this.size++;
    else this.head = (this.head + 1) % capacity;
  }

  /** p50/p99 and count of the values added in the `windowMs` before `nowMs` (older ones are dropped). */
  summary(nowMs: number): WindowSummary {
    this.dropBefore(nowMs - this.windowMs);
    const recent: number[] = [];
    for (let i = 0; i < this.size; i++) recent.push(this.values[(this.head + i) % this.values.length]!);
    recent.sort((a, b) => a - b);
    return { p50: percentile(recent, 50), p99: percentile(recent, 99), count: recent.length };
  }

  /** Drops the entries older than `cutoffMs`. */
  private dropBefore(cutoffMs: number): void {
    while (this.size > 0 && this.atMs[this.head]! < cutoffMs) {
      this.head = (this.head + 1) % this.values.length;
      this.size--;
    }
  }
}

/**
 * A growing counter's readings over time, to tell how much it grew in the last `windowMs`: readings
 * older than the window are dropped except the newest of them (the baseline).
 */
export class CounterHistory {
  private readings: { atMs: number; value: number }[];

  /**
   * @param windowMs the span asked about, ms (e.g. 60 000 for "last minute").
   * @param startMs,startValue the first reading (the counter when watching began).
   */
  constructor(
    private readonly windowMs: number,
    startMs: number,
    startValue = 0,
  ) {
    this.readings = [{ atMs: startMs, value: startValue }];
  }

  /** Records the counter's `value` at `atMs` (times must not go backwards). */
  record(atMs: number, value: number): void {
    this.readings.push({ atMs, value });
    // Keep one reading at or before the window's start as the baseline.
    const cutoff = atMs - this.windowMs;
    while (this.readings.length > 1 && this.readings[1]!.atMs <= cutoff) this.readings.shift();
  }

  /**
   * How much the counter grew from the window's start to `value` at `nowMs`: `value` minus the
   * newest reading at or before `nowMs - windowMs` (or the oldest kept, when watching began later).
   */
  growth(nowMs: number, value: number): number {
    const cutoff = nowMs - this.windowMs;
    let base = this.readings[0]!;
    for (const r of this.readings) if (r.atMs <= cutoff) base = r;
    return Math.max(0, value - base.value);
  }
}
