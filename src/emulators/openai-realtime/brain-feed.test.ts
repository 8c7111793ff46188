import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { BrainFeed } from './brain-feed.js';

describe('BrainFeed', () => {
  it('passes audio at real-time pace straight through', () => {
    const clock = new FakeClock();
    const got: number[] = [];
    const feed = new BrainFeed(clock, 16000, (pcm) => got.push(pcm.length), 1000);
    for (let i = 0; i < 50; i++) {
      feed.push(new Int16Array(1600));
      expect(got).toHaveLength(i + 1);
      clock.advance(100);
    }
    expect(feed.fedMs).toBe(5000);
  });

  it('hands a burst over at most maxLeadMs ahead of real time, in order, as the clock moves', () => {
    const clock = new FakeClock();
    const got: number[] = [];
    const feed = new BrainFeed(clock, 16000, (pcm) => got.push(pcm[0]), 1000);
    for (let i = 0; i < 30; i++) feed.push(new Int16Array(1600).fill(i));
    expect(got).toHaveLength(11);
    clock.advance(500);
    expect(got).toHaveLength(16);
    clock.advance(10_000);
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(clock.pendingTimers).toBe(0);
  });

  it('close drops the queue and its timer', () => {
    const clock = new FakeClock();
    const feed = new BrainFeed(clock, 16000, () => {}, 100);
    for (let i = 0; i < 10; i++) feed.push(new Int16Array(1600));
    expect(feed.pending).toBeGreaterThan(0);
    feed.close();
    expect(clock.pendingTimers).toBe(0);
    expect(feed.pending).toBe(0);
  });
});
