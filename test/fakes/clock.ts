/**
 * The shared fake clock for tests: `FakeClock` from src/core/clock.ts (time moves only through
 * `advance()`), plus `advanceAsync`, which lets promise callbacks run between timers so code that
 * awaits between timers (retry backoff, start-up races) progresses as it would in real time.
 */
import { FakeClock } from '../../src/core/clock.js';

export { FakeClock };

/** Lets pending promise callbacks and I/O callbacks run (one macrotask turn). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Advances `clock` by `totalMs` in `stepMs` steps, flushing promise callbacks before and after each
 * step. Returns once the time has passed; the real time it takes is a few microtask turns per step.
 */
export async function advanceAsync(clock: FakeClock, totalMs: number, stepMs = 10): Promise<void> {
  await flush();
  for (let done = 0; done < totalMs; done += stepMs) {
    clock.advance(Math.min(stepMs, totalMs - done));
    await flush();
  }
}
