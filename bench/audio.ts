/**
 * Audio-core benchmark: time per 20 ms frame for the Speex resampler (all pairs we use), G.711
 * encode/decode and the framer, plus the resampler's measured stopband attenuation (tones above the
 * output Nyquist must not alias into the output) and passband flatness.
 *
 *   npx tsx bench/audio.ts
 */
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../src/audio/g711.js';
import { Framer } from '../src/audio/framer.js';
import { loadResamplerFactory } from '../src/audio/resample.js';

function tone(freqHz: number, rateHz: number, seconds: number): Int16Array {
  return Int16Array.from({ length: Math.round(rateHz * seconds) }, (_, i) => Math.round(16000 * Math.sin((2 * Math.PI * freqHz * i) / rateHz)));
}

function rms(x: Int16Array, from = 0): number {
  let s = 0;
  for (let i = from; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length - from));
}

function timePerCallUs(fn: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000 / iterations);
  }
  return best;
}

const f = await loadResamplerFactory();
const rows: string[] = [];
for (const [inHz, outHz] of [[8000, 16000], [16000, 8000], [24000, 16000], [16000, 24000], [24000, 8000], [8000, 24000]]) {
  const r = f.create(inHz, outHz, 5);
  const frame = tone(440, inHz, 0.02);
  const us = timePerCallUs(() => r.process(frame), 20000);
  r.destroy();
  // stopband: tones from 1.1× the output Nyquist up to the input Nyquist (only when downsampling)
  let worstDb = -Infinity;
  if (outHz < inHz) {
    for (let fHz = 0.55 * outHz; fHz < 0.48 * inHz; fHz += 250) {
      const rr = f.create(inHz, outHz, 5);
      const input = tone(fHz, inHz, 0.5);
      const parts: Int16Array[] = [];
      for (let i = 0; i < input.length; i += inHz / 50) parts.push(rr.process(input.subarray(i, i + inHz / 50)));
      rr.destroy();
      const out = Int16Array.from(parts.flatMap((p) => Array.from(p)));
      const db = 20 * Math.log10(Math.max(1e-3, rms(out, outHz / 20)) / rms(input));
      worstDb = Math.max(worstDb, db);
    }
  }
  // passband: a 1 kHz tone keeps its level
  const pr = f.create(inHz, outHz, 5);
  const pin = tone(1000, inHz, 0.5);
  const pout = pr.process(pin);
  pr.destroy();
  const passDb = 20 * Math.log10(rms(pout, outHz / 20) / rms(pin));
  rows.push(`| resample ${inHz / 1000}k→${outHz / 1000}k (Speex q5) | ${us.toFixed(1)} µs | ${outHz < inHz ? `${worstDb.toFixed(0)} dB` : 'n/a (upsampling)'} | ${passDb.toFixed(2)} dB |`);
}
const pcm = tone(440, 8000, 0.02);
const mu = mulawEncode(pcm);
const out8 = new Uint8Array(160);
const outPcm = new Int16Array(160);
rows.push(`| mu-law encode 160 samples | ${timePerCallUs(() => mulawEncode(pcm, out8), 200000).toFixed(2)} µs | | |`);
rows.push(`| mu-law decode 160 samples | ${timePerCallUs(() => mulawDecode(mu, outPcm), 200000).toFixed(2)} µs | | |`);
rows.push(`| A-law encode 160 samples | ${timePerCallUs(() => alawEncode(pcm, out8), 200000).toFixed(2)} µs | | |`);
rows.push(`| A-law decode 160 samples | ${timePerCallUs(() => alawDecode(mu, outPcm), 200000).toFixed(2)} µs | | |`);
const framer = new Framer(16000);
const odd = tone(440, 16000, 0.023);
rows.push(`| framer, 23 ms chunk → 20 ms frames | ${timePerCallUs(() => framer.push(odd), 100000).toFixed(2)} µs | | |`);
console.log('| operation (per 20 ms frame) | CPU time | worst stopband (aliasing) | 1 kHz passband gain |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);
