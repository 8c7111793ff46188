/**
 * Injected time source and timers, so that pacing, watchdogs and state machines can be tested with a
 * fake clock instead of real time.
 */

/** Opaque timer handle returned by `Clock.setTimeout`. */
export type TimerHandle = unknown;

/** Monotonic clock plus one-shot timers. */
export interface Clock {
  /** Monotonic milliseconds (fractional), e.g. `performance.now()`. */
  nowMs(): number;
  /** Runs `fn` after at least `delayMs`. */
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` and Node timers. */
export const systemClock: Clock = {
  nowMs: () => performance.now(),
  setTimeout: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A manual clock for tests: time moves only through `advance()`, which fires due timers in order.
 */
export class FakeClock implements Clock {
  private now = 0;
  private nextId = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();

  nowMs(): number {
    return this.now;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + Math.max(0, delayMs), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Number of pending timers. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Advances time by `ms`, firing every timer that falls due (including ones set while firing). */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= target && t.at < nextAt) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const timer = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.now = Math.max(this.now, timer.at);
      timer.fn();
    }
    this.now = target;
  }
}

/**
 * Resolves after `delayMs` on `clock` (a `FakeClock` resolves it from `advance()`). An abort of
 * `signal` resolves it at once and cancels the timer, so an abandoned sleep leaves no timer behind.
 * Never rejects.
 */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Races `promise` against `delayMs` on `clock`: resolves to the promise's value, or to `onTimeout`
 * when the time runs out first. The timer is always cleared, so nothing is left pending.
 * Rejects only when `promise` rejects first.
 */
export async function withTimeout<T, U>(clock: Clock, promise: Promise<T>, delayMs: number, onTimeout: U): Promise<T | U> {
  let handle: TimerHandle | undefined;
  const timeout = new Promise<U>((resolve) => (handle = clock.setTimeout(() => resolve(onTimeout), delayMs)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clock.clearTimeout(handle);
  }
}
