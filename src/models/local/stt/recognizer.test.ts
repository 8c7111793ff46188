import { afterAll, describe, expect, it } from 'vitest';
import { PocketsphinxPool } from './recognizer.js';

/** Noise-like audio (a deterministic LCG), `ms` long at 16 kHz. */
function noise(ms: number, amp = 3000): Int16Array {
  let s = 7;
  return Int16Array.from({ length: (16000 * ms) / 1000 }, () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return Math.round(((s / 0x7fffffff) * 2 - 1) * amp);
  });
}

describe('PocketsphinxPool cancellation (one worker thread)', () => {
  const pool = new PocketsphinxPool(1);
  afterAll(() => pool.close());

  it('skips the audio still queued for an aborted utterance instead of decoding it, and frees the worker', async () => {
    await pool.warmUp(1);
    const minute = noise(60_000);
    const flood = pool.begin();
    await new Promise((r) => setTimeout(r, 0)); // leased: audio now goes straight to the worker
    // A minute of audio queued at the worker in one go (as a caller far faster than real time would).
    for (let i = 0; i < minute.length; i += 320) flood.push(minute.slice(i, i + 320));
    const floodText = flood.finish();
    flood.abort();
    expect(await floodText).toBe('');
    const next = pool.begin();
    next.push(noise(500));
    await next.finish();
    expect(pool.decodedMs + pool.skippedMs).toBeGreaterThanOrEqual(60_000);
    expect(pool.skippedMs).toBeGreaterThan(45_000);
  }, 60_000);

  it('gives an aborted waiting utterance\'s place in the queue back at once', async () => {
    const first = pool.begin();
    const waiting = pool.begin();
    expect(pool.queued).toBe(1);
    waiting.abort();
    expect(pool.queued).toBe(0);
    expect(await waiting.finish()).toBe('');
    const third = pool.begin();
    expect(pool.queued).toBe(1);
    first.push(noise(200));
    await first.finish();
    third.push(noise(200));
    expect(typeof (await third.finish())).toBe('string');
    expect(pool.queued).toBe(0);
  }, 60_000);
});
