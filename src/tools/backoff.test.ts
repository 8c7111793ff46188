import { describe, expect, it } from 'vitest';
import { restartDelayMs } from './backoff.js';

describe('restartDelayMs', () => {
  const plan = { initialDelayMs: 500, maxDelayMs: 30_000 };
  it('doubles from the initial delay up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => restartDelayMs(plan, a))).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(restartDelayMs(plan, 10_000)).toBe(30_000);
  });
  it('refuses attempts below 1', () => {
    expect(() => restartDelayMs(plan, 0)).toThrow(RangeError);
  });
});
