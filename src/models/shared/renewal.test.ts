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

  it('matches a plain list of chunks through wrap-around, growth, odd chunk sizes and capacity changes', () => {
    // The reference: the chunk list the buffer replaced (drop whole oldest chunks while the rest still covers the capacity).
    class Reference {
      chunks: Int16Array[] = [];
      samples = 0;
      dropped = 0;
      constructor(private readonly rateHz: number, public capacityMs: number) {}
      push(pcm: Int16Array): void {
        this.chunks.push(pcm.slice());
        this.samples += pcm.length;
        const cap = (this.capacityMs * this.rateHz) / 1000;
        while (this.chunks.length > 1 && this.samples - this.chunks[0].length >= cap) {
          const d = this.chunks.shift()!;
          this.samples -= d.length;
          this.dropped += d.length;
        }
      }
    }
    // Park–Miller: exact in doubles (48271 · 2^31 < 2^53), so every branch below is taken.
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    const taken = new Set<string>();
    const b = new RollingAudioBuffer(8000, 60);
    const ref = new Reference(8000, 60);
    let value = 0;
    for (let step = 0; step < 3000; step++) {
      const r = random(100);
      if (r < 3) {
        const ms = [0, 20, 60, 250, 3000][random(5)];
        taken.add(`capacity ${ms}`);
        b.setCapacityMs(ms);
        ref.capacityMs = ms;
      } else if (r < 4) {
        taken.add('clear');
        b.clear();
        ref.chunks = [];
        ref.samples = 0;
      } else {
        const n = [1, 80, 160, 161, 480, 1500][random(6)];
        taken.add(`push ${n}`);
        const pcm = Int16Array.from({ length: n }, () => (value = (value + 1) % 30000));
        b.push(pcm);
        ref.push(pcm);
        pcm.fill(-1); // the buffer keeps its own copy
      }
      expect(b.durationMs).toBe((ref.samples * 1000) / 8000);
      expect(b.droppedSamples).toBe(ref.dropped);
      if (step % 10 === 0) expect(b.snapshot()).toEqual(ref.chunks);
    }
    expect(taken.size).toBe(5 + 1 + 6);
  });

  it('ignores an empty chunk and keeps the newest chunk even when it is longer than the capacity', () => {
    const b = new RollingAudioBuffer(16000, 10);
    b.push(new Int16Array(0));
    expect(b.snapshot()).toEqual([]);
    b.push(new Int16Array(320).fill(1));
    b.push(new Int16Array(320).fill(2));
    expect(b.snapshot()).toEqual([new Int16Array(320).fill(2)]);
    expect(b.droppedSamples).toBe(320);
  });
});
