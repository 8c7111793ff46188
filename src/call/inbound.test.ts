import { describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../audio/resample.js';
import type { SpeechProbabilityStream, VadModelFactory } from '../audio/vad/types.js';
import { InboundAudio, MAX_PREOPEN_BUFFER_MS, type InboundAudioDeps } from './inbound.js';

/** A VAD whose probability is 1 for loud windows and 0 for quiet ones; records what it was given. */
class FakeVad implements VadModelFactory {
  readonly name = 'fake';
  readonly streams: Array<{ rateHz: number; windows: Int16Array[]; closed: boolean }> = [];
  constructor(readonly supportedRatesHz: readonly number[]) {}
  createStream(sampleRateHz: number): SpeechProbabilityStream {
    const record = { rateHz: sampleRateHz, windows: [] as Int16Array[], closed: false };
    this.streams.push(record);
    return {
      windowSamples: (32 * sampleRateHz) / 1000,
      sampleRateHz,
      probability: (w) => (record.windows.push(w), w.some((s) => Math.abs(s) > 1000) ? 1 : 0),
      reset: () => {},
      close: () => (record.closed = true),
    };
  }
}

/** A loud 400 Hz tone at 8 kHz (survives resampling to 16 kHz). */
const loud = (samples: number) => Int16Array.from({ length: samples }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 400 * i) / 8000)));

async function setup(overrides: Partial<InboundAudioDeps> = {}) {
  let speechStarts = 0;
  let onStart: () => void = () => {};
  const started = new Promise<void>((resolve) => (onStart = resolve));
  const inbound = new InboundAudio({
    callerRateHz: 8000,
    modelRateHz: 8000,
    resamplers: await loadResamplerFactory(),
    resampleQuality: 5,
    vad: null,
    onSpeechStarted: () => (speechStarts++, onStart()),
    onVadError: () => {},
    ...overrides,
  });
  return { inbound, started, speechStarts: () => speechStarts };
}

describe('InboundAudio', () => {
  it(`holds at most MAX_PREOPEN_BUFFER_MS (${MAX_PREOPEN_BUFFER_MS} ms) before the session opens, newest kept, oldest first`, async () => {
    const { inbound } = await setup();
    for (let i = 0; i < 200; i++) inbound.hold(new Int16Array(160).fill(i)); // 200 × 20 ms = 4 s
    const held = inbound.takeHeld();
    expect(held.length).toBe(MAX_PREOPEN_BUFFER_MS / 20);
    expect(held[0][0]).toBe(50);
    expect(held.at(-1)![0]).toBe(199);
    expect(inbound.takeHeld()).toEqual([]);
  });

  it('passes caller audio through unchanged at equal rates and resamples 8 → 16 kHz otherwise', async () => {
    const same = await setup();
    const chunk = loud(160);
    expect(same.inbound.toModel(chunk, false)).toBe(chunk);
    const up = await setup({ modelRateHz: 16000 });
    let total = 0;
    for (let i = 0; i < 10; i++) total += up.inbound.toModel(loud(160), false).length;
    expect(total).toBeGreaterThan(3200 - 100); // 200 ms at 16 kHz, less the filter delay
    expect(total).toBeLessThanOrEqual(3200);
    up.inbound.destroy();
  });

  it('runs the VAD only while listening for barge-in, and reports speech starts', async () => {
    const vad = new FakeVad([8000]);
    const { inbound, started, speechStarts } = await setup({ vad });
    for (let i = 0; i < 10; i++) inbound.toModel(loud(160), false); // not listening: never reaches the VAD
    for (let i = 0; i < 8; i++) inbound.toModel(new Int16Array(160), true); // 160 ms of silence = 5 windows of 32 ms
    for (let i = 0; i < 10; i++) inbound.toModel(loud(160), true);
    await started;
    expect(speechStarts()).toBe(1);
    expect(vad.streams[0].rateHz).toBe(8000);
    expect(vad.streams[0].windows.slice(0, 5).every((w) => w.every((s) => s === 0))).toBe(true);
    expect(vad.streams[0].windows.length).toBeGreaterThan(5);
    inbound.closeVad();
    expect(vad.streams[0].closed).toBe(true);
  });

  it('runs the VAD at 16 kHz when it does not take the caller rate', async () => {
    const vad = new FakeVad([16000]);
    const { inbound, started } = await setup({ vad });
    for (let i = 0; i < 10; i++) inbound.toModel(loud(160), true);
    await started;
    expect(vad.streams[0].rateHz).toBe(16000);
    expect(vad.streams[0].windows.every((w) => w.length === 512)).toBe(true);
    inbound.closeVad();
    inbound.destroy();
  });
});
