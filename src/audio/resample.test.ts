import { describe, expect, it } from 'vitest';
import { loadResamplerFactory } from './resample.js';

function tone(freqHz: number, rateHz: number, seconds: number, amp = 16000): Int16Array {
  return Int16Array.from({ length: Math.round(rateHz * seconds) }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * freqHz * i) / rateHz)));
}

function streamThrough(create: () => { process(x: Int16Array): Int16Array }, input: Int16Array, chunk: number): Int16Array {
  const r = create();
  const parts: Int16Array[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(r.process(input.subarray(i, i + chunk)));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function rmsOf(x: Int16Array, from = 0): number {
  let s = 0;
  for (let i = from; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length - from));
}

describe('Resampler', () => {
  it.each([
    [8000, 16000], [16000, 8000], [24000, 16000], [16000, 24000], [24000, 8000], [8000, 24000],
  ])('%i → %i Hz keeps the length ratio and a 400 Hz tone, streamed in 20 ms frames', async (inHz, outHz) => {
    const f = await loadResamplerFactory();
    const input = tone(400, inHz, 1);
    const out = streamThrough(() => f.create(inHz, outHz), input, inHz / 50);
    expect(Math.abs(out.length - (input.length * outHz) / inHz)).toBeLessThanOrEqual(outHz / 100);
    // passband level preserved within 1 dB (skip the filter's warm-up)
    expect(20 * Math.log10(rmsOf(out, outHz / 20) / rmsOf(input))).toBeGreaterThan(-1);
  });

  it('band-limits before decimating: a 6 kHz tone at 16 kHz does not alias into the 8 kHz output', async () => {
    const f = await loadResamplerFactory();
    const input = tone(6000, 16000, 1);
    const out = streamThrough(() => f.create(16000, 8000), input, 320);
    const attenuationDb = 20 * Math.log10(rmsOf(out, 400) / rmsOf(input));
    expect(attenuationDb).toBeLessThan(-60);
  });

  it('passes through equal rates and validates arguments', async () => {
    const f = await loadResamplerFactory();
    const x = Int16Array.of(1, 2, 3);
    expect(Array.from(f.create(16000, 16000).process(x))).toEqual([1, 2, 3]);
    expect(() => f.create(0, 8000)).toThrow(RangeError);
    expect(() => f.create(8000, 16000, 11)).toThrow(RangeError);
    const r = f.create(8000, 16000);
    r.destroy();
    expect(() => r.process(x)).toThrow(/destroyed/);
  });
});
