import { describe, expect, it } from 'vitest';
import { VadSegmenter } from './segmenter.js';
import { energyVadFactory } from './energy.js';
import { loadSileroVad } from './silero.js';
import { VadStream } from './vad.js';
import type { SegmenterEvent } from './segmenter.js';

function noiseBurst(ms: number, rate: number, amp: number, seed = 1): Int16Array {
  let s = seed;
  return Int16Array.from({ length: (rate * ms) / 1000 }, () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return Math.round(((s / 0x7fffffff) * 2 - 1) * amp);
  });
}

describe('VadSegmenter', () => {
  it('needs minSpeechMs of speech to start and minSilenceMs of silence to end', () => {
    const seg = new VadSegmenter({ minSpeechMs: 64, minSilenceMs: 96 });
    const probs = [0, 0.9, 0, 0.9, 0.9, 0.8, 0.1, 0.1, 0.6, 0.1, 0.1, 0.1, 0.1];
    const events = probs.map((p) => seg.update(p, 32)).map((e, i) => (e ? `${i}:${e.type}@${e.atMs}` : null)).filter(Boolean);
    // start confirmed at window 4 (2 windows of speech from window 3 at 96 ms); end after 3 quiet windows
    expect(events).toEqual(['4:start@96', '11:end@288']);
  });
});

describe('VadStream', () => {
  it('keeps at most maxPendingWindows waiting for a slow model and counts the windows it drops', async () => {
    const waiting: Array<(p: number) => void> = [];
    const slow = { windowSamples: 512, sampleRateHz: 16000, probability: () => new Promise<number>((r) => waiting.push(r)), reset() {}, close() {} };
    const vad = new VadStream(slow, { onEvent: () => {}, maxPendingWindows: 8 });
    vad.push(new Int16Array(16000 * 60)); // a minute of audio at once: 1875 windows
    await new Promise((r) => setTimeout(r, 0));
    expect(waiting.length).toBe(1); // in order: one at the model, the rest queued behind it
    expect(vad.droppedWindows).toBe(1875 - 8);
    for (let i = 0; i < 8; i++) {
      waiting.shift()?.(0);
      await new Promise((r) => setTimeout(r, 0));
    }
    await vad.idle();
    vad.push(new Int16Array(512));
    await new Promise((r) => setTimeout(r, 0));
    expect(waiting.length).toBe(1); // room again once the queue drained
    expect(vad.droppedWindows).toBe(1875 - 8);
    waiting.shift()?.(0);
    vad.close();
  });

  it('detects a burst with the energy model across odd chunk sizes', async () => {
    const events: SegmenterEvent[] = [];
    const vad = new VadStream(energyVadFactory().createStream(16000), { onEvent: (e) => events.push(e), minSilenceMs: 200 });
    const audio = new Int16Array(16000 * 2);
    audio.set(noiseBurst(500, 16000, 8000), 8000);
    for (let i = 0; i < audio.length; i += 333) vad.push(audio.subarray(i, i + 333));
    await vad.idle();
    expect(events.map((e) => e.type)).toEqual(['start', 'end']);
    expect(events[0].atMs).toBeGreaterThanOrEqual(480);
    expect(events[0].atMs).toBeLessThanOrEqual(520);
  });

  it('Silero v5 ignores white noise bursts and silence', async () => {
    const factory = await loadSileroVad();
    if (!factory) return; // lean install without onnxruntime-node: covered by the energy model above
    const events: SegmenterEvent[] = [];
    const vad = new VadStream(factory.createStream(16000), { onEvent: (e) => events.push(e) });
    vad.push(new Int16Array(16000));
    vad.push(noiseBurst(300, 16000, 300));
    await vad.idle();
    expect(events).toEqual([]);
    expect(() => factory.createStream(24000)).toThrow(RangeError);
  });

  it('with a gate, a steady tone stops reaching the model and an onset after it reaches it again', async () => {
    let calls = 0;
    const model = { windowSamples: 256, sampleRateHz: 8000, probability: () => (calls++, 0.9), reset() {}, close() {} };
    const events: SegmenterEvent[] = [];
    const vad = new VadStream(model, { minSpeechMs: 64, minSilenceMs: 96, onEvent: (e) => events.push(e), gate: {} });
    const toneAt = (dbfsLevel: number, ms: number) => {
      const amp = 32768 * Math.SQRT2 * 10 ** (dbfsLevel / 20);
      return Int16Array.from({ length: (8000 * ms) / 1000 }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    };
    vad.push(toneAt(-30, 2048)); // 64 windows of a steady tone
    await vad.idle();
    expect(calls).toBe(10); // the first 320 ms only
    expect(vad.gateStats).toEqual({ windows: 64, skipped: 54 });
    expect(events.map((e) => e.type)).toEqual(['start', 'end']);
    vad.push(toneAt(-10, 320)); // 20 dB louder: an onset
    await vad.idle();
    expect(calls).toBeGreaterThan(10);
    expect(events.map((e) => e.type)).toEqual(['start', 'end', 'start']);
  });
});

