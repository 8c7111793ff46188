/**
 * Silero VAD v5 on onnxruntime-node (an optional dependency). Each window is prefixed with the
 * previous window's last 64 samples (32 at 8 kHz), as the official Silero wrapper does; skipping
 * this context raises false alarms from 2% to 20% (shared/reference/offline-speech.md §1).
 * Windows: 512 samples at 16 kHz, 256 at 8 kHz (32 ms). Model file: assets/silero_vad_v5.onnx.
 */
import { fileURLToPath } from 'node:url';
import type { SpeechProbabilityStream, VadModelFactory } from './types.js';

/** Default location of the Silero v5 model shipped with the repo. */
export const SILERO_MODEL_PATH = fileURLToPath(new URL('../../../assets/silero_vad_v5.onnx', import.meta.url));

// Minimal structural types for the parts of onnxruntime-node we use.
interface OrtTensor { data: Float32Array | BigInt64Array }
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
interface OrtModule {
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: number[]) => OrtTensor;
  InferenceSession: { create(path: string, options: Record<string, unknown>): Promise<OrtSession> };
}

class SileroStream implements SpeechProbabilityStream {
  readonly windowSamples: number;
  private readonly contextSamples: number;
  private state: OrtTensor;
  private readonly input: Float32Array;
  private readonly sr: OrtTensor;

  constructor(private readonly ort: OrtModule, private readonly session: OrtSession, readonly sampleRateHz: number) {
    this.windowSamples = sampleRateHz === 16000 ? 512 : 256;
    this.contextSamples = sampleRateHz === 16000 ? 64 : 32;
    this.input = new Float32Array(this.contextSamples + this.windowSamples);
    this.state = new ort.Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
    this.sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(sampleRateHz)]), []);
  }

  async probability(window: Int16Array): Promise<number> {
    const x = this.input;
    x.copyWithin(0, this.windowSamples); // previous window's tail becomes the context
    for (let i = 0; i < this.windowSamples; i++) x[this.contextSamples + i] = window[i] / 32768;
    const feeds = {
      input: new this.ort.Tensor('float32', x.slice(), [1, x.length]),
      state: this.state,
      sr: this.sr,
    };
    const out = await this.session.run(feeds);
    this.state = out.stateN;
    return (out.output.data as Float32Array)[0];
  }

  reset(): void {
    this.input.fill(0);
    this.state = new this.ort.Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]);
  }

  close(): void {}
}

/**
 * Loads Silero v5 through onnxruntime-node. One inference session is shared by all streams (ORT
 * sessions are safe to run concurrently); each stream keeps its own recurrent state.
 * @returns the factory, or `null` when onnxruntime-node is not installed or fails to load.
 */
export async function loadSileroVad(modelPath = SILERO_MODEL_PATH): Promise<VadModelFactory | null> {
  let ort: OrtModule;
  try {
    const mod = (await import('onnxruntime-node' as string)) as { default?: OrtModule } & OrtModule;
    ort = mod.default ?? mod;
  } catch {
    return null;
  }
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  return {
    name: 'silero-v5 (onnxruntime-node)',
    supportedRatesHz: [8000, 16000],
    createStream(sampleRateHz: number) {
      if (sampleRateHz !== 8000 && sampleRateHz !== 16000) throw new RangeError(`Silero VAD: unsupported rate ${sampleRateHz}`);
      return new SileroStream(ort, session, sampleRateHz);
    },
  };
}
