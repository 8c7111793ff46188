import { describe, expect, it } from 'vitest';
import { AGENT_CHANNEL, CALLER_CHANNEL, StereoAligner } from './aligner.js';

/** 1 kHz timeline: one sample per ms keeps positions readable. */
const RATE = 1000;
const tone = (n: number, v: number) => new Int16Array(n).fill(v);
const left = (s: Int16Array) => Array.from(s.filter((_, i) => i % 2 === 0));
const right = (s: Int16Array) => Array.from(s.filter((_, i) => i % 2 === 1));

describe('StereoAligner', () => {
  it('interleaves the caller on the left and the agent on the right, silence where one has nothing', () => {
    const a = new StereoAligner({ rateHz: RATE, gapToleranceMs: 0 });
    a.push(CALLER_CHANNEL, tone(4, 1), 0);
    a.push(AGENT_CHANNEL, tone(2, 2), 2);
    const out = a.take(6);
    expect(out.length).toBe(12);
    expect(left(out)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(right(out)).toEqual([0, 0, 2, 2, 0, 0]);
    expect(a.takenSamples).toBe(6);
  });

  it('places a chunk that arrives after a pause where it arrived, and jittery chunks back to back', () => {
    const a = new StereoAligner({ rateHz: RATE, gapToleranceMs: 3 });
    a.push(CALLER_CHANNEL, tone(2, 1), 0);
    a.push(CALLER_CHANNEL, tone(2, 2), 4); // 2 ms late: within tolerance → follows on at 2
    a.push(CALLER_CHANNEL, tone(2, 3), 10); // 6 ms after the end (4): a gap
    expect(left(a.takeAll())).toEqual([1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 3, 3]);
  });

  it('keeps audio that arrives early (a burst, playout lead) back to back, ahead of the clock', () => {
    const a = new StereoAligner({ rateHz: RATE });
    for (let i = 0; i < 3; i++) a.push(AGENT_CHANNEL, tone(2, i + 1), 0);
    expect(a.endMs(AGENT_CHANNEL)).toBe(6);
    expect(right(a.take(4))).toEqual([1, 1, 2, 2]);
    expect(right(a.takeAll())).toEqual([3, 3]);
  });

  it('takes in steps without losing or repeating a sample, and never places audio before what was taken', () => {
    const a = new StereoAligner({ rateHz: RATE, gapToleranceMs: 0 });
    a.push(CALLER_CHANNEL, Int16Array.from([1, 2, 3, 4, 5, 6]), 0);
    expect(left(a.take(2))).toEqual([1, 2]);
    expect(left(a.take(2))).toEqual([]);
    expect(left(a.take(5))).toEqual([3, 4, 5]);
    a.push(AGENT_CHANNEL, tone(2, 9), 1); // arrives for a time already on its way to disk: starts at 5
    const rest = a.takeAll();
    expect(left(rest)).toEqual([6, 0]);
    expect(right(rest)).toEqual([9, 9]);
  });

  it('cut drops what the agent channel holds from the cut on (a barge-in clears the carrier buffer)', () => {
    const a = new StereoAligner({ rateHz: RATE });
    a.push(AGENT_CHANNEL, tone(4, 7), 0);
    a.push(AGENT_CHANNEL, tone(4, 8), 1); // follows on: 4..8
    a.cut(AGENT_CHANNEL, 6);
    expect(a.endMs(AGENT_CHANNEL)).toBe(6);
    a.push(CALLER_CHANNEL, tone(10, 1), 0);
    const out = a.takeAll();
    expect(right(out)).toEqual([7, 7, 7, 7, 8, 8, 0, 0, 0, 0]);
    expect(left(out)).toEqual(Array(10).fill(1));
  });

  it('a cut never reaches into audio already taken, and the next reply starts where it was sent', () => {
    const a = new StereoAligner({ rateHz: RATE, gapToleranceMs: 0 });
    a.push(AGENT_CHANNEL, tone(6, 5), 0);
    a.take(3);
    a.cut(AGENT_CHANNEL, 1);
    expect(a.endMs(AGENT_CHANNEL)).toBe(3);
    a.push(AGENT_CHANNEL, tone(1, 6), 5);
    expect(right(a.takeAll())).toEqual([0, 0, 6]);
  });

  it('holds at most maxHeldMs per channel beyond what was taken and counts what it dropped', () => {
    const a = new StereoAligner({ rateHz: RATE, maxHeldMs: 5 });
    expect(a.push(CALLER_CHANNEL, tone(4, 1), 0)).toBe(true);
    expect(a.push(CALLER_CHANNEL, tone(4, 1), 0)).toBe(false);
    expect(a.droppedMs[CALLER_CHANNEL]).toBe(4);
    a.take(4);
    expect(a.push(CALLER_CHANNEL, tone(4, 1), 0)).toBe(true);
  });

  it('copies what it is given (a transport may reuse its buffer)', () => {
    const a = new StereoAligner({ rateHz: RATE });
    const buf = tone(2, 3);
    a.push(CALLER_CHANNEL, buf, 0);
    buf.fill(0);
    expect(left(a.takeAll())).toEqual([3, 3]);
  });

  it('works in real rates: 8 kHz, 20 ms frames, positions from ms', () => {
    const a = new StereoAligner({ rateHz: 8000 });
    a.push(CALLER_CHANNEL, tone(160, 1), 0);
    a.push(AGENT_CHANNEL, tone(160, 2), 500);
    const out = a.takeAll();
    expect(out.length).toBe(2 * (4000 + 160));
    expect(right(out).indexOf(2)).toBe(4000);
    expect(() => new StereoAligner({ rateHz: 0 })).toThrow(RangeError);
  });
});
