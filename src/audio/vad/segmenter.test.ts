import { describe, expect, it } from 'vitest';
import { VadSegmenter, type SegmenterEvent } from './segmenter.js';

const feed = (seg: VadSegmenter, probs: number[], windowMs = 32): Array<SegmenterEvent & { window: number }> =>
  probs.flatMap((p, i) => {
    const e = seg.update(p, windowMs);
    return e ? [{ ...e, window: i }] : [];
  });

describe('VadSegmenter utterance cap (maxSpeechMs)', () => {
  it('ends an utterance that never pauses at maxSpeechMs, then waits for a pause before the next', () => {
    const seg = new VadSegmenter({ minSpeechMs: 64, minSilenceMs: 96, maxSpeechMs: 320 });
    // 40 windows (1280 ms) of unbroken speech, then a pause of 3 windows, then speech again.
    const events = feed(seg, [...Array(40).fill(0.9), 0.1, 0.1, 0.1, 0.9, 0.9, 0.9]);
    expect(events.map((e) => `${e.window}:${e.type}`)).toEqual(['1:start', '9:end', '44:start']);
    const end = events[1];
    expect(end).toMatchObject({ type: 'end', forced: true, silenceMs: 0, atMs: 320, speechMs: 320 });
    expect(events[2].atMs).toBe(43 * 32);
  });

  it('a pause shorter than minSilenceMs after the cut does not start a new utterance', () => {
    const seg = new VadSegmenter({ minSpeechMs: 64, minSilenceMs: 96, maxSpeechMs: 320 });
    const events = feed(seg, [...Array(12).fill(0.9), 0.1, 0.1, ...Array(20).fill(0.9)]);
    expect(events.map((e) => e.type)).toEqual(['start', 'end']);
  });

  it('an utterance with normal pauses ends on silence, reporting the hang-over', () => {
    const seg = new VadSegmenter({ minSpeechMs: 64, minSilenceMs: 96, maxSpeechMs: 15_000 });
    const events = feed(seg, [0.9, 0.9, 0.9, 0.1, 0.1, 0.1]);
    expect(events[1]).toMatchObject({ type: 'end', atMs: 96, silenceMs: 96 });
    expect(events[1].type === 'end' && events[1].forced).toBeFalsy();
  });

  it('without maxSpeechMs, speech never ends by itself', () => {
    const seg = new VadSegmenter({ minSpeechMs: 64, minSilenceMs: 96 });
    expect(feed(seg, Array(2000).fill(0.9)).map((e) => e.type)).toEqual(['start']);
  });
});
