/**
 * Voice activity detection contracts shared by the Silero and energy detectors.
 */

/** A per-stream speech probability model that consumes fixed windows of PCM16. */
export interface SpeechProbabilityStream {
  /** Samples per window the model consumes (Silero v5: 512 at 16 kHz, 256 at 8 kHz). */
  readonly windowSamples: number;
  /** Sample rate the stream expects. */
  readonly sampleRateHz: number;
  /** Speech probability 0..1 for the next window (exactly `windowSamples` samples). */
  probability(window: Int16Array): Promise<number> | number;
  /** Clears recurrent state. */
  reset(): void;
  /** Releases resources. */
  close(): void;
}

/** Creates per-stream probability models. */
export interface VadModelFactory {
  /** Name for logs, e.g. `silero-v5 (onnxruntime-node)` or `energy`. */
  readonly name: string;
  /** Sample rates the model accepts. */
  readonly supportedRatesHz: readonly number[];
  /**
   * @throws RangeError when `sampleRateHz` is not in `supportedRatesHz`.
   */
  createStream(sampleRateHz: number): SpeechProbabilityStream;
}
