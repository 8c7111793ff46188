/**
 * Keyed counters behind which the server's limits are kept: events per sliding window (WebSocket
 * upgrades or WebRTC offers per client address per minute) and slots held at once (calls per
 * address, calls in all). The interfaces are asynchronous so that a shared store (e.g. Redis, for
 * limits across several instances) can replace the in-memory versions here, which run on the
 * injected clock and keep state only for keys in use.
 */
import type { Clock } from '../core/clock.js';

/** Outcome of counting one event. */
export interface WindowDecision {
  /** Whether the event is within the limit (refused events are not counted). */
  allowed: boolean;
  /** When refused: how long until an event would be allowed again, ms (0 when allowed). */
  retryAfterMs: number;
}

/** Events per key in a sliding window. */
export interface WindowCounter {
  /**
   * Counts one event of `key` when fewer than `limit` were counted in the last `windowMs`.
   * Never rejects.
   */
  hit(key: string, limit: number, windowMs: number): Promise<WindowDecision>;
}

/** Slots held at once per key. */
export interface ConcurrencyCounter {
  /** Takes one of `key`'s slots when fewer than `limit` are held; resolves false otherwise. Never rejects. */
  acquire(key: string, limit: number): Promise<boolean>;
  /** Returns one of `key`'s slots (ignored when none is held). */
  release(key: string): void;
  /** Slots of `key` held now. */
  held(key: string): number;
}

/**
 * Sliding-window counter kept as two fixed windows: the previous window's count weighted by how
 * much of it still overlaps the sliding window, plus the current one's (the approximation
 * Cloudflare and Redis-based limiters use: two numbers per key).
 */
export class MemoryWindowCounter implements WindowCounter {
  private readonly windows = new Map<string, { startMs: number; current: number; previous: number }>();
  private lastSweepMs: number;

  constructor(private readonly clock: Clock) {
    this.lastSweepMs = clock.nowMs();
  }

  async hit(key: string, limit: number, windowMs: number): Promise<WindowDecision> {
    return this.hitNow(key, limit, windowMs);
  }

  /** `hit` without the promise (in-process callers). */
  hitNow(key: string, limit: number, windowMs: number): WindowDecision {
    const now = this.clock.nowMs();
    this.sweep(now, windowMs);
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = { startMs: now - (now % windowMs), current: 0, previous: 0 }));
    const elapsedWindows = Math.floor((now - w.startMs) / windowMs);
    if (elapsedWindows >= 1) {
      w.previous = elapsedWindows === 1 ? w.current : 0;
      w.current = 0;
      w.startMs += elapsedWindows * windowMs;
    }
    const overlap = 1 - (now - w.startMs) / windowMs;
    const estimate = w.previous * overlap + w.current;
    if (estimate + 1 <= limit) {
      w.current++;
      return { allowed: true, retryAfterMs: 0 };
    }
    return { allowed: false, retryAfterMs: retryAfter(w.previous, w.current, limit, windowMs, now - w.startMs) };
  }

  /** Keys tracked (for tests: idle keys are dropped). */
  get size(): number {
    return this.windows.size;
  }

  /** Drops keys idle for two windows, at most once per window. */
  private sweep(now: number, windowMs: number): void {
    if (now - this.lastSweepMs < windowMs) return;
    this.lastSweepMs = now;
    for (const [key, w] of this.windows) if (now - w.startMs >= 2 * windowMs) this.windows.delete(key);
  }
}

/**
 * How long until `previous · overlap + current + 1 ≤ limit`, ms (`intoMs`: time since the current
 * window began): the previous window's share
 * fades linearly; when the current window alone is full, the wait runs to its end (and then the
 * fading of what it held).
 */
export function retryAfter(previous: number, current: number, limit: number, windowMs: number, intoMs: number): number {
  const room = limit - 1 - current;
  if (room >= 0 && previous > 0) {
    // previous · (1 − t/windowMs) ≤ room  ⇔  t ≥ windowMs · (1 − room/previous)
    const t = windowMs * (1 - room / previous);
    return Math.max(1, Math.ceil(t - intoMs));
  }
  // The current window holds the limit: after it ends, it becomes the previous window.
  const t = current > 0 ? windowMs * (1 - (limit - 1) / current) : 0;
  return Math.max(1, Math.ceil(windowMs - intoMs + Math.max(0, t)));
}

/** Slots per key in this process. */
export class MemoryConcurrencyCounter implements ConcurrencyCounter {
  private readonly counts = new Map<string, number>();

  async acquire(key: string, limit: number): Promise<boolean> {
    return this.acquireNow(key, limit);
  }

  /** `acquire` without the promise (in-process callers). */
  acquireNow(key: string, limit: number): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= limit) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = this.counts.get(key) ?? 0;
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
  }

  held(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Keys with a slot held. */
  get size(): number {
    return this.counts.size;
  }
}
