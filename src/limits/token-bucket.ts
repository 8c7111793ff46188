/**
 * A token bucket (pure; time is passed in, from the injected clock): tokens refill at
 * `ratePerMs` up to `capacity`. `take` lets a request through while the bucket is not in debt and
 * charges it in full, so one request larger than the capacity (a 1 s audio chunk against a 500 ms
 * burst) still passes when the bucket is full, and the long-run rate stays `ratePerMs`.
 */

/** Settings of a bucket. */
export interface TokenBucketSettings {
  /** Tokens added per millisecond. */
  ratePerMs: number;
  /** Most tokens the bucket holds (the burst); it starts full. */
  capacity: number;
}

/** One token bucket. */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  /**
   * @param settings refill rate and capacity (both > 0).
   * @param nowMs the clock's time now, ms.
   * @throws RangeError when the rate or capacity is not positive.
   */
  constructor(private readonly settings: TokenBucketSettings, nowMs: number) {
    if (!(settings.ratePerMs > 0) || !(settings.capacity > 0)) throw new RangeError('a token bucket needs a positive rate and capacity');
    this.tokens = settings.capacity;
    this.lastMs = nowMs;
  }

  /** Tokens available at `nowMs` (negative while in debt). */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  /**
   * Takes `amount` tokens at `nowMs` when the bucket is not in debt (it may go into debt by up to
   * `amount`).
   * @returns whether the request conforms (false: nothing was taken).
   */
  take(amount: number, nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens <= 0) return false;
    this.tokens -= amount;
    return true;
  }

  private refill(nowMs: number): void {
    const elapsedMs = nowMs - this.lastMs;
    if (elapsedMs > 0) {
      this.tokens = Math.min(this.settings.capacity, this.tokens + elapsedMs * this.settings.ratePerMs);
      this.lastMs = nowMs;
    }
  }
}
