/**
 * A fixed-bucket histogram for latency-like values (ms), cheap enough for per-frame recording:
 * O(1) record, 0.1 ms resolution up to `maxMs` (larger values land in the last bucket).
 */
export class Histogram {
  private readonly buckets: Uint32Array;
  private readonly resolutionMs: number;
  /** Number of recorded values. */
  count = 0;
  /** Largest recorded value. */
  maxMs = 0;
  private sumMs = 0;

  /**
   * @param maxMs values above this share the last bucket (default 1000 ms).
   * @param resolutionMs bucket width (default 0.1 ms).
   */
  constructor(maxMs = 1000, resolutionMs = 0.1) {
    this.resolutionMs = resolutionMs;
    this.buckets = new Uint32Array(Math.ceil(maxMs / resolutionMs) + 1);
  }

  /** Records one value in ms (negative values count as 0). */
  record(valueMs: number): void {
    const v = valueMs > 0 ? valueMs : 0;
    const i = Math.min(this.buckets.length - 1, Math.floor(v / this.resolutionMs));
    this.buckets[i]++;
    this.count++;
    this.sumMs += v;
    if (v > this.maxMs) this.maxMs = v;
  }

  /** Adds another histogram of the same shape into this one. */
  merge(other: Histogram): void {
    for (let i = 0; i < this.buckets.length; i++) this.buckets[i] += other.buckets[i];
    this.count += other.count;
    this.sumMs += other.sumMs;
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /** The value at quantile `q` (0..1), as the upper edge of its bucket; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return Math.min((i + 1) * this.resolutionMs, this.maxMs);
    }
    return this.maxMs;
  }

  /** How many recorded values exceed `ms` (to bucket resolution). */
  countAbove(ms: number): number {
    let n = 0;
    for (let i = Math.floor(ms / this.resolutionMs) + 1; i < this.buckets.length; i++) n += this.buckets[i];
    return n;
  }

  /** Mean of recorded values; 0 when empty. */
  get meanMs(): number {
    return this.count ? this.sumMs / this.count : 0;
  }

  /** Summary with p50/p99/max (ms, rounded to 0.01). */
  summary(): { count: number; p50Ms: number; p99Ms: number; maxMs: number; meanMs: number } {
    const r = (x: number) => Math.round(x * 100) / 100;
    return { count: this.count, p50Ms: r(this.quantile(0.5)), p99Ms: r(this.quantile(0.99)), maxMs: r(this.maxMs), meanMs: r(this.meanMs) };
  }
}
