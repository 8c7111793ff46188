/**
 * Where this thread's `performance.now()` starts on `process.hrtime`'s clock (a clock every thread
 * of the process shares), so that times taken on two threads can be compared.
 */

/**
 * `process.hrtime` (ms) at this thread's `performance.now()` = 0. Read as the tightest of many
 * hrtime → now → hrtime brackets: a single pair of reads is off by as long as the thread was
 * descheduled between them (several ms on a loaded, pinned CPU), which shifted every time taken
 * on one thread against the other by that much for a whole run (inbound figures one way, outbound
 * the other).
 * @param samples how many brackets to try (the best one is kept).
 * @returns the origin, ms on the hrtime clock.
 */
export function hrtimeOriginMs(samples = 2000): number {
  let best = Infinity;
  let origin = NaN;
  for (let i = 0; i < samples; i++) {
    const before = process.hrtime.bigint();
    const now = performance.now();
    const after = process.hrtime.bigint();
    const widthNs = Number(after - before);
    if (widthNs < best) {
      best = widthNs;
      origin = Number(before + (after - before) / 2n) / 1e6 - now;
    }
  }
  return origin;
}
