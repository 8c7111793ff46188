/**
 * Streaming voice activity detector: re-frames arbitrary PCM16 chunks into the model's windows,
 * runs them in order (model calls may be async), and reports speech start / end through callbacks.
 */
import { EnergyGate, type EnergyGateOptions } from './gate.js';
import { VadSegmenter, type SegmenterEvent, type SegmenterOptions } from './segmenter.js';
import type { SpeechProbabilityStream } from './types.js';

/** Callbacks and settings for `VadStream`. */
export interface VadStreamOptions extends SegmenterOptions {
  /** Called for each start/end event, in stream order. */
  onEvent: (event: SegmenterEvent) => void;
  /** Called if the model throws; the window is treated as non-speech. */
  onError?: (error: unknown) => void;
  /**
   * Most windows waiting for the model at once; windows pushed beyond it are dropped and counted
   * (default 64, ≈2 s at Silero's 32 ms windows).
   */
  maxPendingWindows?: number;
  /**
   * An energy onset gate in front of the model (`gate.ts`): windows it keeps shut skip the model
   * and count as non-speech. Absent: every window goes to the model.
   */
  gate?: EnergyGateOptions;
}

/** Default bound on windows waiting for the model. */
export const MAX_PENDING_WINDOWS = 64;

/** One caller's VAD: push audio, get events. */
export class VadStream {
  private readonly segmenter: VadSegmenter;
  private readonly pending: Int16Array;
  private pendingLength = 0;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly windowMs: number;
  private pendingWindows = 0;
  private readonly maxPendingWindows: number;
  private readonly gate: EnergyGate | null;
  /** Last probability computed. */
  lastProbability = 0;
  /** Windows dropped because `maxPendingWindows` were already waiting. */
  droppedWindows = 0;

  constructor(private readonly model: SpeechProbabilityStream, private readonly options: VadStreamOptions) {
    this.segmenter = new VadSegmenter(options);
    this.pending = new Int16Array(model.windowSamples);
    this.windowMs = (model.windowSamples * 1000) / model.sampleRateHz;
    this.maxPendingWindows = options.maxPendingWindows ?? MAX_PENDING_WINDOWS;
    this.gate = options.gate ? new EnergyGate(options.gate) : null;
  }

  /** Windows the gate kept from the model, and windows seen by it (0/0 without a gate). */
  get gateStats(): { windows: number; skipped: number } {
    return { windows: this.gate?.windows ?? 0, skipped: this.gate ? this.gate.windows - this.gate.opened : 0 };
  }

  /** Whether a speech segment is open. */
  get speaking(): boolean {
    return this.segmenter.speaking;
  }

  /** Adds audio at the model's sample rate. Events arrive via `onEvent`. */
  push(pcm: Int16Array): void {
    if (this.closed) return;
    let offset = 0;
    const n = this.model.windowSamples;
    while (offset < pcm.length) {
      const take = Math.min(n - this.pendingLength, pcm.length - offset);
      this.pending.set(pcm.subarray(offset, offset + take), this.pendingLength);
      this.pendingLength += take;
      offset += take;
      if (this.pendingLength === n) {
        this.pendingLength = 0;
        if (this.gate && !this.gate.update(this.pending, this.windowMs)) {
          // Shut: non-speech, in order behind any window still with the model.
          this.chain = this.chain.then(() => this.onProbability(0));
          continue;
        }
        if (this.pendingWindows >= this.maxPendingWindows) {
          this.droppedWindows++;
          continue;
        }
        const window = this.pending.slice();
        this.pendingWindows++;
        this.chain = this.chain.then(() => this.runWindow(window));
      }
    }
  }

  private async runWindow(window: Int16Array): Promise<void> {
    if (this.closed) return;
    let p = 0;
    try {
      p = await this.model.probability(window);
    } catch (err) {
      this.options.onError?.(err);
    } finally {
      this.pendingWindows--;
    }
    this.onProbability(p);
  }

  private onProbability(p: number): void {
    if (this.closed) return;
    this.lastProbability = p;
    const event = this.segmenter.update(p, this.windowMs);
    if (event) this.options.onEvent(event);
  }

  /** Resolves when every pushed window has been processed. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Forgets the open segment and the model state. */
  reset(): void {
    this.segmenter.reset();
    this.model.reset();
    this.pendingLength = 0;
  }

  /** Stops processing; pending windows are dropped. */
  close(): void {
    this.closed = true;
    this.model.close();
  }
}
