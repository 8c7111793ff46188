/**
 * Energy-threshold voice activity model: the fallback when no ONNX runtime is installed
 * (`npm ci --omit=optional`). Much cheaper than Silero but fooled by music and DTMF
 * (shared/reference/offline-speech.md §1), so the server logs when it is in use.
 */
import { dbfs } from '../level.js';
import type { SpeechProbabilityStream, VadModelFactory } from './types.js';

/** Energy VAD factory: windows of 20 ms; "probability" is 1 above `thresholdDbfs`, else 0. */
export function energyVadFactory(thresholdDbfs = -40): VadModelFactory {
  return {
    name: 'energy',
    supportedRatesHz: [8000, 16000, 24000, 48000],
    createStream(sampleRateHz: number): SpeechProbabilityStream {
      if (!this.supportedRatesHz.includes(sampleRateHz)) throw new RangeError(`energy VAD: unsupported rate ${sampleRateHz}`);
      return {
        windowSamples: sampleRateHz / 50,
        sampleRateHz,
        probability: (window) => (dbfs(window) > thresholdDbfs ? 1 : 0),
        reset() {},
        close() {},
      };
    },
  };
}
