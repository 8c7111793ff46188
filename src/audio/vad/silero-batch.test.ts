import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { packRows, packStates, SILERO_STATE_FLOATS, unpackState } from './silero-batch.js';
import { loadSileroVad } from './silero.js';

const state = (seed: number) => Float32Array.from({ length: SILERO_STATE_FLOATS }, (_, i) => seed * 1000 + i);

describe('Silero batch packing', () => {
  it('lays rows out as [batch, samples] and states as [2, batch, 128], and unpacks them back', () => {
    expect([...packRows([Float32Array.of(1, 2), Float32Array.of(3, 4)], 2)]).toEqual([1, 2, 3, 4]);
    expect(() => packRows([Float32Array.of(1)], 2)).toThrow(RangeError);
    const states = [state(1), state(2), state(3)];
    const packed = packStates(states);
    // layer 0 of every row, then layer 1 of every row
    expect(packed[128]).toBe(2000); // row 1, layer 0, first float
    expect(packed[3 * 128]).toBe(1128); // row 0, layer 1, first float
    const back = new Float32Array(SILERO_STATE_FLOATS);
    for (let b = 0; b < 3; b++) {
      unpackState(packed, 3, b, back);
      expect([...back]).toEqual([...states[b]]);
    }
    expect(() => packStates([new Float32Array(3)])).toThrow(RangeError);
  });
});

function speechLike(n: number, seed: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * (150 + seed * 40) * i) / 8000) * (0.5 + 0.5 * Math.sin((2 * Math.PI * 4 * i) / 8000))));
}

describe('batched Silero inference', () => {
  it('gives every stream of a batch the probabilities it gets alone', async () => {
    const clock = new FakeClock();
    const batched = await loadSileroVad({ clock, batchMs: 16 });
    const alone = await loadSileroVad({ batchMs: 0 });
    if (!batched || !alone) return; // lean install without onnxruntime-node
    const streams = [0, 1, 2].map(() => batched.createStream(8000));
    const singles = [0, 1, 2].map(() => alone.createStream(8000));
    const audio = [0, 1, 2].map((s) => speechLike(256 * 6, s));
    for (let w = 0; w < 6; w++) {
      const pending = streams.map((s, i) => s.probability(audio[i].subarray(w * 256, (w + 1) * 256)));
      clock.advance(16);
      const got = await Promise.all(pending);
      for (let i = 0; i < 3; i++) {
        const want = await singles[i].probability(audio[i].subarray(w * 256, (w + 1) * 256));
        expect(got[i]).toBeCloseTo(want, 5);
      }
    }
  });
});
