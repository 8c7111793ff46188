import { describe, expect, it } from 'vitest';
import { GapFiller, MAX_GAP_FILL_MS, MAX_TIMELINE_LEAD_MS } from './gap-filler.js';

describe('GapFiller', () => {
  it('fills a gap in the timestamps with whole 20 ms frames of silence', () => {
    const g = new GapFiller();
    expect(g.onMedia(0, 20, 0)).toBe(0);
    expect(g.onMedia(20, 20, 20)).toBe(0);
    expect(g.onMedia(100, 20, 100)).toBe(60);
    expect(g.onMedia(130, 20, 130)).toBe(0); // 10 ms: not a whole frame
    expect(g.filledMs).toBe(60);
  });

  it('fills one gap up to MAX_GAP_FILL_MS', () => {
    const g = new GapFiller();
    g.onMedia(0, 20, 0);
    expect(g.onMedia(60_020, 20, 60_020)).toBe(MAX_GAP_FILL_MS);
  });

  it('never lets the timeline run more than MAX_TIMELINE_LEAD_MS ahead of the wall clock', () => {
    const g = new GapFiller();
    // 6,000 one-sample messages, each claiming a 1 s gap, all arriving within 100 ms
    let filled = 0;
    for (let n = 0; n < 6000; n++) filled += g.onMedia(n * 1000, 0.125, n / 60);
    expect(filled).toBeLessThanOrEqual(MAX_TIMELINE_LEAD_MS + 100);
  });

  it('ignores messages without a usable timestamp', () => {
    const g = new GapFiller();
    g.onMedia(0, 20, 0);
    expect(g.onMedia(NaN, 20, 500)).toBe(0);
    expect(g.onMedia(1000, 20, 1000)).toBe(980); // from the last stamped message
  });
});
