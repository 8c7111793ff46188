/**
 * Streaming PCM16 resampler on the Speex resampler (SpeexDSP, compiled to WebAssembly by
 * `@echogarden/speex-resampler-wasm`, SIMD build). The Speex filter is a windowed-sinc polyphase
 * filter that band-limits before decimation, so 16→8 kHz does not alias (measured stopband in
 * `bench/resample.ts`). One wasm module is shared by every resampler in the process; each
 * `Resampler` holds its own filter state, so keep one per call per direction and feed it
 * consecutive frames.
 */
import SpeexResamplerModule from '@echogarden/speex-resampler-wasm/simd';

interface SpeexWasm {
  HEAP16: Int16Array;
  HEAP32: Int32Array;
  HEAPU32: Uint32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _speex_resampler_init(channels: number, inRate: number, outRate: number, quality: number, errPtr: number): number;
  _speex_resampler_process_int(st: number, channel: number, inPtr: number, inLenPtr: number, outPtr: number, outLenPtr: number): number;
  _speex_resampler_reset_mem(st: number): number;
  _speex_resampler_skip_zeros(st: number): number;
  _speex_resampler_get_output_latency(st: number): number;
  _speex_resampler_destroy(st: number): void;
}

/** A stateful resampler for one mono PCM16 stream. */
export interface Resampler {
  /** Input sample rate in Hz. */
  readonly inputRateHz: number;
  /** Output sample rate in Hz. */
  readonly outputRateHz: number;
  /** Filter delay in output samples (0 for passthrough). */
  readonly outputLatencySamples: number;
  /**
   * Resamples the next chunk of the stream. Output length is about `input.length * out / in`
   * (it varies by a sample from chunk to chunk). The returned array is new and owned by the caller.
   * @throws Error after `destroy()`.
   */
  process(input: Int16Array): Int16Array;
  /** Clears the filter history (e.g. after barge-in), so stale samples are not replayed. */
  reset(): void;
  /** Frees the wasm memory. Idempotent. */
  destroy(): void;
}

/** Creates resamplers; obtained once per process from `loadResamplerFactory()`. */
export interface ResamplerFactory {
  /**
   * @param inputRateHz input rate, e.g. 8000, 16000, 24000.
   * @param outputRateHz output rate.
   * @param quality Speex quality 0–10 (default 5, `SPEEX_RESAMPLER_QUALITY_DESKTOP`).
   * @throws RangeError for non-positive rates or a quality outside 0–10.
   */
  create(inputRateHz: number, outputRateHz: number, quality?: number): Resampler;
}

class PassthroughResampler implements Resampler {
  readonly outputLatencySamples = 0;
  constructor(readonly inputRateHz: number, readonly outputRateHz: number) {}
  process(input: Int16Array): Int16Array {
    return input.slice();
  }
  reset(): void {}
  destroy(): void {}
}

class SpeexResampler implements Resampler {
  private state: number;
  private inPtr = 0;
  private outPtr = 0;
  private capacitySamples = 0;
  private readonly lenPtr: number;
  readonly outputLatencySamples: number;

  constructor(private readonly wasm: SpeexWasm, readonly inputRateHz: number, readonly outputRateHz: number, quality: number) {
    this.lenPtr = wasm._malloc(8);
    this.state = wasm._speex_resampler_init(1, inputRateHz, outputRateHz, quality, this.lenPtr);
    const err = wasm.HEAP32[this.lenPtr >> 2];
    if (!this.state || err !== 0) {
      wasm._free(this.lenPtr);
      throw new Error(`speex_resampler_init(${inputRateHz}→${outputRateHz}) failed with error ${err}`);
    }
    // Start without the leading zeros the filter would otherwise emit (keeps latency minimal).
    wasm._speex_resampler_skip_zeros(this.state);
    this.outputLatencySamples = wasm._speex_resampler_get_output_latency(this.state);
  }

  private ensureCapacity(inputSamples: number): void {
    if (inputSamples <= this.capacitySamples) return;
    const w = this.wasm;
    if (this.inPtr) w._free(this.inPtr);
    if (this.outPtr) w._free(this.outPtr);
    this.capacitySamples = Math.max(inputSamples, 1024);
    this.inPtr = w._malloc(this.capacitySamples * 2);
    const maxOut = Math.ceil((this.capacitySamples * this.outputRateHz) / this.inputRateHz) + 64;
    this.outPtr = w._malloc(maxOut * 2);
  }

  process(input: Int16Array): Int16Array {
    if (!this.state) throw new Error('resampler was destroyed');
    if (input.length === 0) return new Int16Array(0);
    this.ensureCapacity(input.length);
    const w = this.wasm;
    const maxOut = Math.ceil((this.capacitySamples * this.outputRateHz) / this.inputRateHz) + 64;
    w.HEAP16.set(input, this.inPtr >> 1);
    w.HEAPU32[this.lenPtr >> 2] = input.length;
    w.HEAPU32[(this.lenPtr >> 2) + 1] = maxOut;
    w._speex_resampler_process_int(this.state, 0, this.inPtr, this.lenPtr, this.outPtr, this.lenPtr + 4);
    const produced = w.HEAPU32[(this.lenPtr >> 2) + 1];
    return w.HEAP16.slice(this.outPtr >> 1, (this.outPtr >> 1) + produced);
  }

  reset(): void {
    if (this.state) this.wasm._speex_resampler_reset_mem(this.state);
  }

  destroy(): void {
    if (!this.state) return;
    const w = this.wasm;
    w._speex_resampler_destroy(this.state);
    w._free(this.lenPtr);
    if (this.inPtr) w._free(this.inPtr);
    if (this.outPtr) w._free(this.outPtr);
    this.state = 0;
  }
}

let wasmPromise: Promise<SpeexWasm> | undefined;

/**
 * Loads the Speex wasm module once per process and returns a factory for resamplers.
 * Equal rates give a passthrough that only copies.
 */
export async function loadResamplerFactory(): Promise<ResamplerFactory> {
  wasmPromise ??= (SpeexResamplerModule as unknown as () => Promise<SpeexWasm>)();
  const wasm = await wasmPromise;
  return {
    create(inputRateHz, outputRateHz, quality = 5) {
      if (!(inputRateHz > 0 && outputRateHz > 0)) throw new RangeError(`bad sample rates ${inputRateHz}→${outputRateHz}`);
      if (!(quality >= 0 && quality <= 10)) throw new RangeError(`Speex quality must be 0–10, got ${quality}`);
      if (inputRateHz === outputRateHz) return new PassthroughResampler(inputRateHz, outputRateHz);
      return new SpeexResampler(wasm, inputRateHz, outputRateHz, Math.round(quality));
    },
  };
}
