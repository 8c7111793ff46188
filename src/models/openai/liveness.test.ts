/** The OpenAI session's stall watchdog on a fake clock: probe after half the timeout, stall at it, quiet only counts without events. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { LivenessWatchdog } from './liveness.js';

function watch(stallTimeoutMs = 1000) {
  const clock = new FakeClock();
  const log: string[] = [];
  const dog = new LivenessWatchdog(clock, stallTimeoutMs, { probe: () => log.push(`probe@${clock.nowMs()}`), stalled: (quietMs) => log.push(`stalled:${quietMs}@${clock.nowMs()}`) });
  return { clock, log, dog };
}

describe('LivenessWatchdog', () => {
  it('never probes while events keep coming', () => {
    const { clock, log, dog } = watch();
    for (let i = 0; i < 100; i++) {
      clock.advance(400);
      dog.heard();
    }
    expect(log).toEqual([]);
  });

  it('probes once after half the timeout of quiet, and is satisfied by an answer', () => {
    const { clock, log, dog } = watch();
    clock.advance(499);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['probe@500']);
    clock.advance(100);
    dog.heard();
    clock.advance(2000);
    // Quiet again from 600: a new probe at 1100, unanswered: stall at 1600.
    expect(log).toEqual(['probe@500', 'probe@1100', 'stalled:1000@1600']);
  });

  it('probes again when the answer came at the very instant of the probe', () => {
    const { clock, log, dog } = watch();
    clock.advance(500);
    dog.heard();
    clock.advance(500);
    expect(log).toEqual(['probe@500', 'probe@1000']);
  });

  it('declares a stall once, at the timeout after the last event, and leaves no timer', () => {
    const { clock, log, dog } = watch();
    clock.advance(300);
    dog.heard();
    clock.advance(5000);
    expect(log).toEqual(['probe@800', 'stalled:1000@1300']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does nothing after stop', () => {
    const { clock, log, dog } = watch();
    dog.stop();
    clock.advance(5000);
    expect(log).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses a timeout that is not positive', () => {
    expect(() => new LivenessWatchdog(new FakeClock(), 0, { probe: () => {}, stalled: () => {} })).toThrow(RangeError);
  });
});
