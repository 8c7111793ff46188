/**
 * The inbound audio path of a call: caller audio → in-resampler → model, with local barge-in VAD
 * on the caller's audio while the assistant speaks, and a bounded buffer for audio that arrives
 * before the model session is open. No I/O and no timers: the call hands the result to the session.
 */
import type { Resampler, ResamplerFactory } from '../audio/resample.js';
import type { VadModelFactory } from '../audio/vad/types.js';
import { VadStream } from '../audio/vad/vad.js';

/** Most caller audio held while the model session opens, ms (the oldest is dropped beyond it). */
export const MAX_PREOPEN_BUFFER_MS = 3000;
/** Speech shorter than this does not count as barge-in, ms. */
const VAD_MIN_SPEECH_MS = 64;
/** Silence that ends the caller's sound for a held barge-in, ms. */
const VAD_MIN_SILENCE_MS = 200;
/** Rate VAD runs at when the model does not take the caller's rate, Hz. */
const VAD_FALLBACK_RATE_HZ = 16000;

/** Dependencies and settings of `InboundAudio`. */
export interface InboundAudioDeps {
  /** Rate of the caller's PCM16, Hz. */
  callerRateHz: number;
  /** Rate the model session takes PCM16 at, Hz. */
  modelRateHz: number;
  /** Creates the in-resampler and the VAD's resampler when rates differ. */
  resamplers: ResamplerFactory;
  /** Speex resampler quality 0–10. */
  resampleQuality: number;
  /** VAD for local barge-in detection; null disables it. */
  vad: VadModelFactory | null;
  /** Called when the VAD hears the caller start speaking (while `listenForBargeIn` was true). */
  onSpeechStarted: () => void;
  /** Called when the VAD hears that speech end (`VAD_MIN_SILENCE_MS` of silence after it). */
  onSpeechEnded?: () => void;
  /** Called when the VAD model fails on a window (the window counts as non-speech). */
  onVadError: (err: unknown) => void;
}

/** One caller's inbound audio path. */
export class InboundAudio {
  private readonly resampler: Resampler | null;
  private vadResampler: Resampler | null = null;
  private readonly vad: VadStream | null = null;
  private held: Int16Array[] = [];
  private heldMs = 0;

  /** @param deps rates, resampler factory, VAD (or null) and the callbacks for speech starts and VAD errors. */
  constructor(private readonly deps: InboundAudioDeps) {
    const { callerRateHz, modelRateHz, resamplers, resampleQuality } = deps;
    this.resampler = callerRateHz === modelRateHz ? null : resamplers.create(callerRateHz, modelRateHz, resampleQuality);
    if (deps.vad) {
      const rateHz = deps.vad.supportedRatesHz.includes(callerRateHz) ? callerRateHz : VAD_FALLBACK_RATE_HZ;
      if (rateHz !== callerRateHz) this.vadResampler = resamplers.create(callerRateHz, rateHz, resampleQuality);
      this.vad = new VadStream(deps.vad.createStream(rateHz), {
        minSpeechMs: VAD_MIN_SPEECH_MS,
        minSilenceMs: VAD_MIN_SILENCE_MS,
        // The model runs only on windows that rise over the line's floor (a listening caller is mostly quiet).
        gate: {},
        onEvent: (e) => {
          if (e.type === 'start') deps.onSpeechStarted();
          else if (!e.forced) deps.onSpeechEnded?.();
        },
        onError: deps.onVadError,
      });
    }
  }

  /**
   * Takes one chunk of caller PCM16 (at `callerRateHz`); feeds it to the VAD when
   * `listenForBargeIn` is true (the assistant is speaking).
   * @returns the chunk at `modelRateHz`, for the model session.
   */
  toModel(pcm: Int16Array, listenForBargeIn: boolean): Int16Array {
    if (this.vad && listenForBargeIn) this.vad.push(this.vadResampler ? this.vadResampler.process(pcm) : pcm);
    return this.resampler ? this.resampler.process(pcm) : pcm;
  }

  /** Holds a chunk from `toModel` until the session opens, keeping at most `MAX_PREOPEN_BUFFER_MS` (newest). */
  hold(modelPcm: Int16Array): void {
    this.held.push(modelPcm);
    this.heldMs += (modelPcm.length * 1000) / this.deps.modelRateHz;
    while (this.heldMs > MAX_PREOPEN_BUFFER_MS) {
      const dropped = this.held.shift()!;
      this.heldMs -= (dropped.length * 1000) / this.deps.modelRateHz;
    }
  }

  /** Returns the held chunks, oldest first, and forgets them. */
  takeHeld(): Int16Array[] {
    const held = this.held;
    this.held = [];
    this.heldMs = 0;
    return held;
  }

  /** Forgets the VAD's state (a new assistant reply starts: speech before it is not barge-in). */
  resetVad(): void {
    this.vad?.reset();
  }

  /** Stops the VAD (the call is ending). */
  closeVad(): void {
    this.vad?.close();
  }

  /** Frees the resamplers; call once, after `closeVad()`. */
  destroy(): void {
    this.resampler?.destroy();
    this.vadResampler?.destroy();
  }
}
