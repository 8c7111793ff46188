import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { Admission, clientAddressKey, isRefusal, type AdmissionSettings } from './admission.js';
import { MemoryConcurrencyCounter, MemoryWindowCounter } from './counters.js';
import { CLOSE_ALLOWANCE_MS, InboundAudioGate } from './inbound-audio.js';
import { LimitStats } from './stats.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full, refills at its rate up to its capacity, and may go into debt by one request', () => {
    const b = new TokenBucket({ ratePerMs: 1, capacity: 100 }, 0);
    expect(b.take(60, 0)).toBe(true);
    expect(b.take(60, 0)).toBe(true); // 40 left: the request passes and leaves −20
    expect(b.take(1, 0)).toBe(false);
    expect(b.available(10)).toBe(-10);
    expect(b.take(1, 20)).toBe(false); // back to 0: not in credit yet
    expect(b.take(1, 21)).toBe(true);
    expect(b.available(10_000)).toBe(100);
  });

  it('rejects a rate or capacity that is not positive', () => {
    expect(() => new TokenBucket({ ratePerMs: 0, capacity: 1 }, 0)).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerMs: 1, capacity: 0 }, 0)).toThrow(RangeError);
  });
});

describe('InboundAudioGate', () => {
  const counters = () => {
    const c = { droppedMs: 0, closed: 0 };
    return { c, counters: { dropped: (ms: number) => (c.droppedMs += ms), closed: () => c.closed++ } };
  };

  it('admits a real-time caller in full, jitter and all', () => {
    const gate = new InboundAudioGate({ burstMs: 300, closeFactor: 3 });
    let t = 0;
    for (let i = 0; i < 50 * 600; i++) {
      // 10 minutes of 20 ms frames, arriving in clumps of five every 100 ms
      if (i % 5 === 0) t = i * 20 + 100;
      expect(gate.admit(20, t)).toBe('admit');
    }
    expect(gate.droppedMs).toBe(0);
  });

  it('admits a 1 s chunk every second (larger than the burst)', () => {
    const gate = new InboundAudioGate({ burstMs: 300, closeFactor: 3 });
    for (let s = 0; s < 60; s++) expect(gate.admit(1000, s * 1000)).toBe('admit');
  });

  it('drops what comes faster than real time beyond the burst, and counts it', () => {
    const { c, counters: k } = counters();
    const gate = new InboundAudioGate({ burstMs: 300, closeFactor: 3 }, k);
    // 2× real time for 2 s: 4 s of audio offered
    const verdicts = Array.from({ length: 200 }, (_, i) => gate.admit(20, i * 10));
    const admittedMs = verdicts.filter((v) => v === 'admit').length * 20;
    expect(verdicts).not.toContain('close');
    expect(admittedMs).toBeGreaterThanOrEqual(2000);
    expect(admittedMs).toBeLessThanOrEqual(2000 * 1.05 + 300 + 20);
    expect(c.droppedMs).toBe(4000 - admittedMs);
    expect(c.closed).toBe(0);
  });

  it('closes a caller sustained far beyond real time (20×) within a second, once', () => {
    const { c, counters: k } = counters();
    const gate = new InboundAudioGate({ burstMs: 300, closeFactor: 3 }, k);
    let closedAtMs = -1;
    for (let i = 0; i < 1000 && closedAtMs < 0; i++) if (gate.admit(20, i) === 'close') closedAtMs = i;
    expect(closedAtMs).toBeGreaterThan(0);
    expect(closedAtMs).toBeLessThan(1000);
    expect(gate.admit(20, 5000)).toBe('close');
    expect(c.closed).toBe(1);
  });

  it('does not close a caller who sends up to the allowance at once after a long stall', () => {
    const gate = new InboundAudioGate({ burstMs: 300, closeFactor: 3 });
    for (let i = 0; i < (CLOSE_ALLOWANCE_MS - 1000) / 20; i++) expect(gate.admit(20, 30_000)).not.toBe('close');
  });
});

describe('MemoryWindowCounter', () => {
  it('allows `limit` events per window and says when the next one will be allowed', async () => {
    const clock = new FakeClock();
    const w = new MemoryWindowCounter(clock);
    for (let i = 0; i < 5; i++) expect((await w.hit('a', 5, 60_000)).allowed).toBe(true);
    const refused = await w.hit('a', 5, 60_000);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect((await w.hit('b', 5, 60_000)).allowed).toBe(true);
    clock.advance(refused.retryAfterMs);
    expect((await w.hit('a', 5, 60_000)).allowed).toBe(true);
  });

  it('slides: a full previous window still counts in proportion to its overlap', () => {
    const clock = new FakeClock();
    const w = new MemoryWindowCounter(clock);
    for (let i = 0; i < 10; i++) expect(w.hitNow('a', 10, 1000).allowed).toBe(true);
    clock.advance(1000); // previous window full, fully overlapping
    expect(w.hitNow('a', 10, 1000).allowed).toBe(false);
    clock.advance(500); // half of it still overlaps: 5 counted
    let allowed = 0;
    while (w.hitNow('a', 10, 1000).allowed) allowed++;
    expect(allowed).toBe(5);
  });

  it('forgets idle keys', () => {
    const clock = new FakeClock();
    const w = new MemoryWindowCounter(clock);
    for (let i = 0; i < 100; i++) w.hitNow(`k${i}`, 1, 1000);
    clock.advance(3000);
    w.hitNow('fresh', 1, 1000);
    expect(w.size).toBe(1);
  });
});

describe('Admission', () => {
  const settings: AdmissionSettings = { maxCalls: 3, maxCallsPerAddress: 2, upgradesPerMinute: 4, offersPerMinute: 2, callsFullRetryAfterS: 5 };
  const make = () => {
    const clock = new FakeClock();
    const stats = new LimitStats();
    const calls = new MemoryConcurrencyCounter();
    return { clock, stats, calls, admission: new Admission(settings, { windows: new MemoryWindowCounter(clock), calls }, stats) };
  };

  it('limits calls per address and in all, counts each refusal, and returns slots once', async () => {
    const { admission, stats, calls } = make();
    const a1 = await admission.call('10.0.0.1');
    const a2 = await admission.call('10.0.0.1');
    const a3 = await admission.call('10.0.0.1');
    expect(isRefusal(a1) || isRefusal(a2)).toBe(false);
    expect(a3).toMatchObject({ reason: 'callsPerAddress', retryAfterS: 5 });
    const b1 = await admission.call('10.0.0.2');
    const b2 = await admission.call('10.0.0.2');
    expect(isRefusal(b1)).toBe(false);
    expect(b2).toMatchObject({ reason: 'maxCalls' });
    expect(admission.callsHeld()).toBe(3);
    expect(admission.callsHeld('10.0.0.2')).toBe(1);
    if (isRefusal(a1)) throw new Error('unexpected');
    a1.release();
    a1.release();
    expect(admission.callsHeld()).toBe(2);
    expect(isRefusal(await admission.call('10.0.0.2'))).toBe(false);
    expect(stats.snapshot().refused).toMatchObject({ callsPerAddress: 1, maxCalls: 1 });
    expect(calls.held('calls:10.0.0.1')).toBe(1);
  });

  it('limits upgrades and offers per address per minute, with a Retry-After', async () => {
    const { admission, stats, clock } = make();
    for (let i = 0; i < 4; i++) expect(await admission.upgrade('10.0.0.1')).toBeNull();
    const refused = await admission.upgrade('10.0.0.1');
    expect(refused).toMatchObject({ reason: 'upgradesPerMinute' });
    expect(refused!.retryAfterS).toBeGreaterThan(0);
    expect(refused!.retryAfterS).toBeLessThanOrEqual(120); // the window, plus the fading of the window before
    expect(await admission.upgrade('10.0.0.9')).toBeNull();
    expect(await admission.offer('10.0.0.1')).toBeNull();
    expect(await admission.offer('10.0.0.1')).toBeNull();
    expect(await admission.offer('10.0.0.1')).toMatchObject({ reason: 'offersPerMinute' });
    clock.advance(120_000);
    expect(await admission.upgrade('10.0.0.1')).toBeNull();
    expect(stats.snapshot()).toMatchObject({ refused: { upgradesPerMinute: 1, offersPerMinute: 1 }, refusedTotal: 2 });
  });
});

describe('clientAddressKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('%s → %s', (ip, key) => expect(clientAddressKey(ip)).toBe(key));
});
