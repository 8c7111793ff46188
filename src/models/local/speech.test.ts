import { afterAll, describe, expect, it } from 'vitest';
import { PocketsphinxPool } from './stt/recognizer.js';
import { FlitePool } from './tts/synthesizer.js';
import { wasmMemoriesMb } from '../../../test/helpers/proc.js';
import { eventually } from '../../../test/helpers/wait.js';
import { wordErrorRate } from '../../../test/helpers/wer.js';

describe('offline speech engines (worker threads)', () => {
  const tts = new FlitePool(1, 'rms');
  const stt = new PocketsphinxPool(2);
  afterAll(async () => {
    await tts.close();
    await stt.close();
  });

  it('synthesizes a sentence with flite and recognizes it back with pocketsphinx', async () => {
    await tts.warmUp();
    stt.setPrimingAudio(await tts.synthesize('This is a short sentence to calibrate the recognizer.', 'slt'));
    const pcm = await tts.synthesize('Hello, what is the weather like in Seattle today?');
    expect(pcm.length / 16000).toBeGreaterThan(1.5);
    const stream = stt.begin();
    for (let i = 0; i < pcm.length; i += 320) stream.push(pcm.slice(i, i + 320));
    const text = await stream.finish();
    expect(text).toContain('weather');
    expect(wordErrorRate('hello what is the weather like in seattle today', text)).toBeLessThanOrEqual(0.25);
  });

  it('runs utterances beyond the pool size by queueing, and survives aborts', async () => {
    const pcm = await tts.synthesize('Good morning');
    const streams = [stt.begin(), stt.begin(), stt.begin()];
    streams[1].abort();
    for (const s of streams) s.push(pcm);
    const [a, , c] = await Promise.all([streams[0].finish(), Promise.resolve(''), streams[2].finish()]);
    expect(a).toBe('good morning');
    expect(c).toBe('good morning');
  });
});

describe('flite worker memory', () => {
  it('gives back the wasm memory of each synthesis once the worker is idle', async () => {
    // Each synthesis instantiates flite afresh (≈18–20 MB of wasm memory). Before the idle-time
    // collection in the worker, one or two dead instances stayed resident for good: after a burst
    // of replies the process stayed ≈40 MB larger (the flood test's memory check caught it).
    const tts = new FlitePool(1, 'rms');
    await tts.warmUp();
    const big = () => wasmMemoriesMb().filter((mb) => mb >= 8).length;
    const before = big();
    for (let i = 0; i < 4; i++) await tts.synthesize('Seven plus five is twelve. Is there anything else I can help you with today?');
    await eventually(() => big() <= before, `the dead flite instances' memory to be freed (${big()} large wasm memories, ${before} before)`, 5000, 50);
    await tts.close();
  });
});
