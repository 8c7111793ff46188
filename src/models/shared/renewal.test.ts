import { describe, expect, it } from 'vitest';
import { planRenewal, renewalTimingFor, RollingAudioBuffer, type RenewalInput } from './renewal.js';

const timing = renewalTimingFor(480_000, 360_000);
const base: RenewalInput = { ageMs: 0, nextPreparing: false, nextReady: false, responseOpen: false, toolPending: false, awaitingFinalText: false };

describe('planRenewal', () => {
  it('prepares at 6 of 8 minutes, hands over at the turn boundary, forces near the limit', () => {
    expect(timing).toEqual({ renewAfterMs: 360_000, forceAfterMs: 465_000 });
    expect(planRenewal({ ...base, ageMs: 359_000 }, timing)).toBe('none');
    expect(planRenewal({ ...base, ageMs: 360_000 }, timing)).toBe('prepare');
    expect(planRenewal({ ...base, ageMs: 361_000, nextPreparing: true }, timing)).toBe('none');
    expect(planRenewal({ ...base, ageMs: 361_000, nextPreparing: true, nextReady: true, responseOpen: true }, timing)).toBe('none');
    expect(planRenewal({ ...base, ageMs: 361_000, nextPreparing: true, nextReady: true, toolPending: true }, timing)).toBe('none');
    expect(planRenewal({ ...base, ageMs: 361_000, nextPreparing: true, nextReady: true, awaitingFinalText: true }, timing)).toBe('none');
    expect(planRenewal({ ...base, ageMs: 361_000, nextPreparing: true, nextReady: true }, timing)).toBe('handover');
    expect(planRenewal({ ...base, ageMs: 466_000, nextPreparing: true, nextReady: true, responseOpen: true }, timing)).toBe('forceHandover');
  });

  it('scales to short limits', () => {
    expect(renewalTimingFor(3000, 1500)).toEqual({ renewAfterMs: 1500, forceAfterMs: 2400 });
    expect(renewalTimingFor(3000, 2800).renewAfterMs).toBe(2400);
  });
});

describe('RollingAudioBuffer', () => {
  it('keeps the newest chunks covering the capacity and counts what it dropped', () => {
    const b = new RollingAudioBuffer(16000, 100);
    for (let i = 0; i < 10; i++) b.push(new Int16Array(320).fill(i));
    expect(b.durationMs).toBe(100);
    expect(b.snapshot().map((c) => c[0])).toEqual([5, 6, 7, 8, 9]);
    expect(b.droppedSamples).toBe(5 * 320);
    b.setCapacityMs(1000);
    for (let i = 0; i < 10; i++) b.push(new Int16Array(320));
    expect(b.durationMs).toBe(300);
    b.clear();
    expect(b.durationMs).toBe(0);
  });
});
