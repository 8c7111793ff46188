import { describe, expect, it } from 'vitest';
import { ACTIVITY_RMS, CallWatchdog } from './watchdog.js';

const LIMITS = { inactivityTimeoutMs: 2000, keepAliveAfterMs: 300 };
const tone = (amplitude: number) => new Int16Array(160).fill(amplitude);

describe('CallWatchdog', () => {
  it('is ok while the caller sends loud audio, and asks for keep-alive silence once caller audio stops', () => {
    const w = new CallWatchdog(1000, LIMITS);
    for (let t = 1000; t <= 3000; t += 20) w.callerAudio(tone(3000), t);
    expect(w.check(3300)).toBe('ok');
    expect(w.check(3301)).toBe('keepAlive');
  });

  it(`counts caller audio at or below ACTIVITY_RMS (${ACTIVITY_RMS}) as inbound but not as activity`, () => {
    const w = new CallWatchdog(0, LIMITS);
    for (let t = 0; t <= 2500; t += 20) w.callerAudio(tone(ACTIVITY_RMS), t);
    expect(w.idleMs(2500)).toBe(2500);
    expect(w.check(2500)).toBe('inactive');
    w.callerAudio(tone(ACTIVITY_RMS + 1), 2520);
    expect(w.check(2520)).toBe('ok');
  });

  it('ends an idle call only after inactivityTimeoutMs without activity', () => {
    const w = new CallWatchdog(0, { ...LIMITS, keepAliveAfterMs: Infinity });
    expect(w.check(2000)).toBe('ok');
    expect(w.check(2001)).toBe('inactive');
    w.activity(1500);
    expect(w.check(3500)).toBe('ok');
    expect(w.idleMs(3600)).toBe(2100);
  });

  it('hangs up at maxCallMs whatever keeps the call active, and ranks it above inactivity', () => {
    const w = new CallWatchdog(500, { ...LIMITS, maxCallMs: 10_000 });
    w.activity(10_400);
    expect(w.check(10_499)).toBe('keepAlive');
    expect(w.check(10_500)).toBe('maxLength');
    expect(w.check(99_999)).toBe('maxLength');
  });
});
