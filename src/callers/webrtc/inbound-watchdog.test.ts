import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { InboundWatchdog } from './inbound-watchdog.js';

describe('InboundWatchdog', () => {
  it('fires once, timeoutMs after the last packet', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const w = new InboundWatchdog(clock, 2000, (ms) => fired.push(ms));
    w.start();
    for (let t = 0; t < 5000; t += 20) {
      clock.advance(20);
      w.packet(clock.nowMs());
    }
    expect(fired).toEqual([]);
    clock.advance(1999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([2000]);
    clock.advance(10_000);
    expect(fired).toEqual([2000]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('counts from start when no packet ever arrives', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const w = new InboundWatchdog(clock, 2000, (ms) => fired.push(ms));
    clock.advance(500);
    w.start();
    clock.advance(1999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([2000]);
  });

  it('never fires after stop, and keeps no timer', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const w = new InboundWatchdog(clock, 2000, (ms) => fired.push(ms));
    w.start();
    clock.advance(1000);
    w.stop();
    clock.advance(10_000);
    expect(fired).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
