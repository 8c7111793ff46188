import { afterAll, describe, expect, it } from 'vitest';
import { PocketsphinxPool } from './stt/recognizer.js';
import { FlitePool } from './tts/synthesizer.js';
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
