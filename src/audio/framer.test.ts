import { describe, expect, it } from 'vitest';
import { Framer } from './framer.js';

describe('Framer', () => {
  it('cuts arbitrary chunk sizes into exact 20 ms frames without losing or reordering samples', () => {
    const framer = new Framer(8000);
    const total = 5000;
    const input = Int16Array.from({ length: total }, (_, i) => i % 30000);
    const out: Int16Array[] = [];
    let offset = 0;
    for (const size of [1, 7, 159, 160, 161, 333, 1000, 3]) {
      out.push(...framer.push(input.subarray(offset, offset + size)));
      offset += size;
    }
    out.push(...framer.push(input.subarray(offset)));
    expect(out.every((f) => f.length === 160)).toBe(true);
    const flat = out.flatMap((f) => Array.from(f));
    expect(flat).toEqual(Array.from(input.subarray(0, flat.length)));
    expect(flat.length + framer.bufferedSamples).toBe(total);
    const last = framer.flush();
    expect(last?.length).toBe(160);
    expect(Array.from(last!.subarray(0, total % 160))).toEqual(Array.from(input.subarray(flat.length)));
    expect(last!.subarray(total % 160).every((s) => s === 0)).toBe(true);
    expect(framer.flush()).toBeNull();
  });

  it('rejects frame durations that are not whole samples', () => {
    expect(() => new Framer(11025, 10)).toThrow(RangeError);
  });

  it('reset drops the partial frame', () => {
    const framer = new Framer(16000);
    framer.push(new Int16Array(100));
    framer.reset();
    expect(framer.bufferedSamples).toBe(0);
    expect(framer.push(new Int16Array(320))).toHaveLength(1);
  });
});
