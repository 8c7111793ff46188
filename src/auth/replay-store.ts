/**
 * Single use of stream tokens: a store that remembers each token id until its expiry. The
 * in-memory store suits one instance; several instances behind one balancer need a shared store
 * (e.g. Redis `SET id 1 PXAT expiresAtMs NX`, which is exactly `consume`).
 */

/** Remembers used token ids until they expire. */
export interface ReplayStore {
  /**
   * Marks `tokenId` used. Resolves true the first time, false when it was already used (a replay).
   * @param expiresAtMs the token's expiry, Unix epoch ms: after it the id may be forgotten (an
   *   expired token is refused anyway).
   */
  consume(tokenId: string, expiresAtMs: number): Promise<boolean>;
}

/**
 * The in-memory store. Expired ids are swept lazily, at most once per `sweepIntervalMs` of the
 * injected wall clock, when ids are consumed: no timer, nothing to close; memory stays bounded by
 * the tokens used within one token lifetime.
 */
export class MemoryReplayStore implements ReplayStore {
  private readonly used = new Map<string, number>();
  private lastSweepMs = -Infinity;

  /**
   * @param nowMs the wall clock, Unix epoch ms (tokens are signed by other processes too).
   * @param sweepIntervalMs least time between two sweeps, ms.
   */
  constructor(private readonly nowMs: () => number, private readonly sweepIntervalMs = 5000) {}

  /** Ids remembered now. */
  get size(): number {
    return this.used.size;
  }

  async consume(tokenId: string, expiresAtMs: number): Promise<boolean> {
    const now = this.nowMs();
    if (now - this.lastSweepMs >= this.sweepIntervalMs) this.sweep(now);
    const seen = this.used.get(tokenId);
    if (seen !== undefined && seen > now) return false;
    this.used.set(tokenId, expiresAtMs);
    return true;
  }

  private sweep(now: number): void {
    this.lastSweepMs = now;
    for (const [id, expiresAtMs] of this.used) if (expiresAtMs <= now) this.used.delete(id);
  }
}
