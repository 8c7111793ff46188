import { describe, expect, it } from 'vitest';
import { CarrierPlayout } from './carrier-playout.js';

describe('CarrierPlayout', () => {
  it('plays a reply paced at 20 ms without underruns, even with a frame arriving right at its tick', () => {
    const c = new CarrierPlayout({ replyFrames: 5 });
    for (let j = 0; j < 5; j++) expect(c.frame(1000 + j * 20)).toBe(j);
    c.advance(5000);
    expect(c.underruns).toBe(0);
    expect(c.replies).toBe(1);
    expect(c.framesInReply).toBe(0); // the reply has played out
  });

  it('counts one underrun per stretch of empty ticks inside a reply', () => {
    const c = new CarrierPlayout({ replyFrames: 10 });
    // 100 ms chunks at real-time pace: the buffer is empty exactly when the next chunk is due
    const chunk = (at: number) => Array.from({ length: 5 }, () => c.frame(at));
    chunk(0);
    chunk(100); // on time: the tick at 100 finds it
    expect(c.underruns).toBe(0);
    const d = new CarrierPlayout({ replyFrames: 10 });
    for (let k = 0; k < 5; k++) d.frame(0);
    for (let k = 0; k < 5; k++) d.frame(145); // 45 ms late: ticks 100, 120 and 140 play silence
    expect(d.underruns).toBe(1);
    expect(d.silentTicks).toBe(3);
  });

  it('starts a new reply after the previous one played out, and after a clear', () => {
    const c = new CarrierPlayout({ replyFrames: 2 });
    c.frame(0);
    c.frame(0);
    expect(c.frame(500)).toBe(0); // the first reply ended at 40 ms: no underrun
    c.clear(510);
    expect(c.frame(520)).toBe(0);
    expect(c.replies).toBe(3);
    expect(c.underruns).toBe(0);
  });

  it('with a one-frame jitter buffer, a real-time chunk a little later than the first plays without a gap', () => {
    const strict = new CarrierPlayout({ replyFrames: 10 });
    const buffered = new CarrierPlayout({ replyFrames: 10, jitterBufferMs: 20 });
    for (const c of [strict, buffered]) {
      for (let k = 0; k < 5; k++) c.frame(0);
      for (let k = 0; k < 5; k++) c.frame(103); // 3 ms later than the first chunk's trip
      c.advance(1000);
    }
    expect(strict.underruns).toBe(1);
    expect(buffered.underruns).toBe(0);
  });
});
