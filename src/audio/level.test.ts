import { describe, expect, it } from 'vitest';
import { trimLeadingSilence } from './level.js';

describe('trimLeadingSilence', () => {
  it('starts keepMs before the first audible window', () => {
    const pcm = new Int16Array(16000);
    for (let i = 3200; i < 16000; i++) pcm[i] = Math.round(8000 * Math.sin(i / 5));
    const out = trimLeadingSilence(pcm, 16000);
    expect(out.length).toBe(16000 - 3200 + 160);
  });

  it('keeps all-silent and already-tight audio as it is', () => {
    const silent = new Int16Array(1600);
    expect(trimLeadingSilence(silent, 16000)).toBe(silent);
    const loud = Int16Array.from({ length: 1600 }, (_, i) => (i % 2 ? 9000 : -9000));
    expect(trimLeadingSilence(loud, 16000).length).toBe(1600);
  });
});
