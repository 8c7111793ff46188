import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import type { ModelEvent } from '../../models/model.js';
import { firstReplyAtMs, replyChunkOffsetsMs, timedBrain } from './timed-brain.js';

const init = { callId: 'c', systemPrompt: '', history: [], logger: silentLogger };

describe('timed brain schedule', () => {
  it('streams a reply chunk by chunk at real-time pace, or all at once in a burst', () => {
    expect(replyChunkOffsetsMs(500, 100, 'realtime')).toEqual([0, 100, 200, 300, 400]);
    expect(replyChunkOffsetsMs(450, 100, 'realtime')).toEqual([0, 100, 200, 300, 400]);
    expect(replyChunkOffsetsMs(500, 100, 'burst')).toEqual([0, 0, 0, 0, 0]);
    expect(() => replyChunkOffsetsMs(0, 100, 'burst')).toThrow(RangeError);
  });

  it('staggers the first replies of successive streams over one period', () => {
    const starts = Array.from({ length: 10 }, (_, n) => firstReplyAtMs(n, 6000));
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...starts)).toBeLessThan(7000);
    expect(new Set(starts.map((s) => Math.floor((s - 1000) / 600))).size).toBeGreaterThanOrEqual(9);
  });
});

async function record(pace: 'realtime' | 'burst') {
  const clock = new FakeClock();
  const session = await timedBrain({ clock, pace, replyEveryMs: 1000, replyMs: 300, chunkMs: 100 }).modelAt(16000).open(init);
  const events: Array<{ atMs: number; e: ModelEvent }> = [];
  session.setHandler((e) => events.push({ atMs: clock.nowMs(), e }));
  return { clock, session, events };
}

describe('timed brain session', () => {
  it('at real-time pace sends one chunk per chunk duration and repeats every period', async () => {
    const { clock, session, events } = await record('realtime');
    clock.advance(1000 + 2500); // first stream starts its first reply 1 s after opening
    const audio = events.filter((x) => x.e.type === 'audio');
    expect(audio.map((x) => x.atMs)).toEqual([1000, 1100, 1200, 2000, 2100, 2200, 3000, 3100, 3200]);
    expect(audio.every((x) => x.e.type === 'audio' && x.e.pcm.length === 1600)).toBe(true);
    const done = events.filter((x) => x.e.type === 'responseDone').map((x) => x.atMs);
    expect(done).toEqual([1200, 2200, 3200]);
    await session.close();
    clock.advance(5000);
    expect(events.filter((x) => x.e.type === 'audio')).toHaveLength(9);
    expect(clock.pendingTimers).toBe(0);
  });

  it("speaks at the stream's own rate: 100 ms chunks are exactly 100 ms there", async () => {
    const clock = new FakeClock();
    const session = await timedBrain({ clock, replyMs: 300 }).modelAt(8000).open(init);
    const sizes: number[] = [];
    session.setHandler((e) => e.type === 'audio' && sizes.push(e.pcm.length));
    clock.advance(1300);
    expect(sizes).toEqual([800, 800, 800]);
  });

  it('in a burst sends the whole reply at once', async () => {
    const { clock, events } = await record('burst');
    clock.advance(1000);
    expect(events.filter((x) => x.e.type === 'audio').map((x) => x.atMs)).toEqual([1000, 1000, 1000]);
  });

  it('stops the current reply when cancelled', async () => {
    const { clock, session, events } = await record('realtime');
    clock.advance(1100);
    session.cancelResponse();
    clock.advance(500);
    expect(events.filter((x) => x.e.type === 'audio')).toHaveLength(2);
    expect(events.find((x) => x.e.type === 'responseDone')?.e).toMatchObject({ cancelled: true });
  });
});
