import { describe, expect, it } from 'vitest';
import { historyBytes, NOVA_HISTORY_LIMITS, shapeHistory, splitUtf8 } from './history.js';

describe('shapeHistory', () => {
  it('merges same-role runs, drops leading assistant lines and empty ones', () => {
    const blocks = shapeHistory([
      { role: 'assistant', text: 'Hi, how can I help?' },
      { role: 'user', text: 'I need' },
      { role: 'user', text: 'a taxi.' },
      { role: 'assistant', text: ' ' },
      { role: 'assistant', text: 'Where to?' },
    ]);
    expect(blocks).toEqual([
      { role: 'USER', contents: ['I need a taxi.'] },
      { role: 'ASSISTANT', contents: ['Where to?'] },
    ]);
  });

  it('drops a trailing user line whose audio is replayed instead', () => {
    const blocks = shapeHistory([{ role: 'user', text: 'a' }, { role: 'assistant', text: 'b' }, { role: 'user', text: 'c' }], NOVA_HISTORY_LIMITS, true);
    expect(blocks.map((b) => b.role)).toEqual(['USER', 'ASSISTANT']);
  });

  it('keeps every textInput within 1 KB and the total within 40 KB, keeping the newest messages', () => {
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' '); // ~3.3 KB
    const messages = Array.from({ length: 40 }, (_, i) => ({ role: i % 2 ? ('assistant' as const) : ('user' as const), text: `${i} ${long}` }));
    const blocks = shapeHistory(messages);
    expect(historyBytes(blocks)).toBeLessThanOrEqual(40 * 1024);
    for (const b of blocks) for (const c of b.contents) expect(Buffer.byteLength(c)).toBeLessThanOrEqual(1024);
    expect(blocks[0].role).toBe('USER');
    expect(blocks.at(-1)!.contents[0].startsWith('39 ')).toBe(true);
  });

  it('cuts one message larger than the whole budget to its newest part', () => {
    const huge = 'x'.repeat(100_000);
    const blocks = shapeHistory([{ role: 'user', text: huge }]);
    expect(historyBytes(blocks)).toBeLessThanOrEqual(40 * 1024);
    expect(historyBytes(blocks)).toBeGreaterThan(30 * 1024); // kept, not dropped
    // Words: the newest part is a tail of the text, with no space added where pieces meet.
    const words = Array.from({ length: 20_000 }, (_, i) => `w${i}`).join(' ');
    const [block] = shapeHistory([{ role: 'user', text: words }]);
    const kept = block.contents.join('');
    expect(words.endsWith(kept)).toBe(true);
    expect(kept).not.toContain('  ');
  });
});

describe('shapeHistory with one huge line', () => {
  it('keeps the newest part of a huge user line followed by a short reply (both were dropped)', () => {
    const words = Array.from({ length: 20_000 }, (_, i) => `w${i}`).join(' '); // ~128 KB
    const blocks = shapeHistory([
      { role: 'user', text: 'Hello.' },
      { role: 'assistant', text: 'Hi!' },
      { role: 'user', text: words },
      { role: 'assistant', text: 'That was a lot.' },
    ]);
    expect(blocks.map((b) => b.role)).toEqual(['USER', 'ASSISTANT']);
    expect(blocks[1].contents).toEqual(['That was a lot.']);
    const kept = blocks[0].contents.join('');
    expect(words.endsWith(kept)).toBe(true);
    expect(historyBytes(blocks)).toBeLessThanOrEqual(40 * 1024);
    expect(historyBytes(blocks)).toBeGreaterThan(38 * 1024);
  });

  it('keeps whole messages only when a user message already leads what fits', () => {
    const words = Array.from({ length: 20_000 }, (_, i) => `w${i}`).join(' ');
    const blocks = shapeHistory([
      { role: 'user', text: words },
      { role: 'assistant', text: 'Noted.' },
      { role: 'user', text: 'What next?' },
      { role: 'assistant', text: 'Lunch.' },
    ]);
    expect(blocks).toEqual([
      { role: 'USER', contents: ['What next?'] },
      { role: 'ASSISTANT', contents: ['Lunch.'] },
    ]);
  });
});

describe('splitUtf8', () => {
  it('splits on words and never inside a character', () => {
    const text = 'héllo wörld '.repeat(200) + '😀'.repeat(300);
    const parts = splitUtf8(text, 1024);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(1024);
    expect(parts.join('')).toBe(text);
    expect(parts.slice(0, -1).every((p) => p.endsWith(' ') || p.endsWith('😀'))).toBe(true);
    expect(() => splitUtf8('😀', 3)).toThrow(RangeError);
  });
});
