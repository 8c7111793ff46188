/**
 * Silero VAD v5 on onnxruntime-node (an optional dependency). Each window is prefixed with the
 * previous window's last 64 samples (32 at 8 kHz), as the official Silero wrapper does; skipping
 * this context raises false alarms from 2% to 20% (shared/reference/offline-speech.md §1).
 * Windows: 512 samples at 16 kHz, 256 at 8 kHz (32 ms). Model file: assets/silero_vad_v5.onnx.
 *
 * All streams of one rate share a batcher: windows submitted within `batchMs` of each other run as
 * one inference (see `silero-batch.ts`), on a timer of the injected clock. onnxruntime-node runs
 * inference on the main thread, so fewer, larger runs are what keeps a busy server responsive.
 */
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { packRows, packStates, SILERO_STATE_FLOATS, unpackState } from './silero-batch.js';
import type { SpeechProbabilityStream, VadModelFactory } from './types.js';

/**
 * Default longest wait of a window for others to share its inference, ms: one whole window, so
 * every stream listening at once shares one inference per window period. On a loaded server an
 * inference costs ~0.7 ms of CPU whatever its size up to ~10 windows (caches are cold between
 * runs), so halving the runs is what matters; it adds ≤32 ms (16 on average) to a barge-in that
 * already needs 64 ms of speech. Measured: `npm run bench:nova -- --model openai --calls 60`,
 * 0.269 → 0.257 CPU-s per call-minute against 16 ms, on the same loaded machine.
 */
export const SILERO_BATCH_MS = 32;

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

interface Pending {
  stream: SileroStream;
  input: Float32Array;
  resolve: (p: number) => void;
  reject: (err: unknown) => void;
}

/** Runs the windows of many streams of one sample rate as batched inferences. */
class SileroBatcher {
  private queue: Pending[] = [];
  private timer: TimerHandle | undefined;
  private readonly sr: OrtTensor;
  /** Inferences run and windows they covered (for tests and benchmarks). */
  runs = 0;
  windows = 0;

  constructor(private readonly ort: OrtModule, private readonly session: OrtSession, sampleRateHz: number, private readonly clock: Clock, private readonly batchMs: number) {
    this.sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(sampleRateHz)]), []);
  }

  submit(stream: SileroStream, input: Float32Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, input, resolve, reject });
      this.timer ??= this.clock.setTimeout(this.flush, this.batchMs);
    });
  }

  private readonly flush = (): void => {
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    void this.run(batch);
  };

  private async run(batch: Pending[]): Promise<void> {
    const n = batch.length;
    const rowLength = batch[0].input.length;
    this.runs++;
    this.windows += n;
    try {
      const out = await this.session.run({
        input: new this.ort.Tensor('float32', packRows(batch.map((p) => p.input), rowLength), [n, rowLength]),
        state: new this.ort.Tensor('float32', packStates(batch.map((p) => p.stream.state)), [2, n, SILERO_STATE_FLOATS / 2]),
        sr: this.sr,
      });
      const probabilities = out.output.data as Float32Array;
      const stateN = out.stateN.data as Float32Array;
      batch.forEach((p, b) => {
        unpackState(stateN, n, b, p.stream.state);
        p.resolve(probabilities[b]);
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}

class SileroStream implements SpeechProbabilityStream {
  readonly windowSamples: number;
  private readonly contextSamples: number;
  /** Recurrent state, `[2][128]`; the batcher reads and updates it. */
  readonly state = new Float32Array(SILERO_STATE_FLOATS);
  private readonly input: Float32Array;

  constructor(private readonly batcher: SileroBatcher, readonly sampleRateHz: number) {
    this.windowSamples = sampleRateHz === 16000 ? 512 : 256;
    this.contextSamples = sampleRateHz === 16000 ? 64 : 32;
    this.input = new Float32Array(this.contextSamples + this.windowSamples);
  }

  probability(window: Int16Array): Promise<number> {
    const x = this.input;
    x.copyWithin(0, this.windowSamples); // previous window's tail becomes the context
    for (let i = 0; i < this.windowSamples; i++) x[this.contextSamples + i] = window[i] / 32768;
    return this.batcher.submit(this, x.slice());
  }

  reset(): void {
    this.input.fill(0);
    this.state.fill(0);
  }

  close(): void {}
}

/** Options for `loadSileroVad`. */
export interface SileroOptions {
  /** Model file (default the one shipped in assets/). */
  modelPath?: string;
  /** Longest a window waits for others to share its inference, ms (default `SILERO_BATCH_MS`). */
  batchMs?: number;
  /** Timers for the batching (default the system clock). */
  clock?: Clock;
}

/**
 * Loads Silero v5 through onnxruntime-node: one inference session for all streams, one thread, no
 * spinning thread pools; each stream keeps its own recurrent state, and windows are batched.
 * @returns the factory, or `null` when onnxruntime-node is not installed or fails to load.
 * @throws Error when the model file cannot be loaded.
 */
export async function loadSileroVad(options: SileroOptions = {}): Promise<VadModelFactory | null> {
  let ort: OrtModule;
  try {
    const mod = (await import('onnxruntime-node' as string)) as { default?: OrtModule } & OrtModule;
    ort = mod.default ?? mod;
  } catch {
    return null;
  }
  const session = await ort.InferenceSession.create(options.modelPath ?? SILERO_MODEL_PATH, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  const clock = options.clock ?? systemClock;
  const batchMs = options.batchMs ?? SILERO_BATCH_MS;
  const batchers = new Map<number, SileroBatcher>();
  return {
    name: 'silero-v5 (onnxruntime-node)',
    supportedRatesHz: [8000, 16000],
    createStream(sampleRateHz: number) {
      if (sampleRateHz !== 8000 && sampleRateHz !== 16000) throw new RangeError(`Silero VAD: unsupported rate ${sampleRateHz}`);
      let batcher = batchers.get(sampleRateHz);
      if (!batcher) batchers.set(sampleRateHz, (batcher = new SileroBatcher(ort, session, sampleRateHz, clock, batchMs)));
      return new SileroStream(batcher, sampleRateHz);
    },
  };
}
