/**
 * A brain for the Bedrock emulator that answers every typed text with the same sentences, each
 * with `sentenceMs` of tone, announced the way voicebridge's speech models do: per sentence its
 * audio, then the cumulative transcript so far; then the final transcript and the end.
 */
import type { BrainFactory } from '../../src/emulators/nova-sonic/conversation.js';
import type { ModelEvent, ModelSession, SpeechModel } from '../../src/models/model.js';

const RATE_HZ = 16000;

/** A brain that answers typed text with `sentences`, `sentenceMs` of audio each. */
export function scriptedBrain(sentences: readonly string[], sentenceMs = 200): BrainFactory {
  const model: SpeechModel = {
    id: 'scripted',
    capabilities: { truncation: false, serverTurnDetection: true, userTranscripts: true, textInput: true, needsContinuousAudio: false },
    inputRateHz: RATE_HZ,
    outputRateHz: RATE_HZ,
    maxSessionMs: Infinity,
    open: async (): Promise<ModelSession> => {
      let emit: (e: ModelEvent) => void = () => {};
      let seq = 0;
      return {
        setHandler: (h) => (emit = h),
        sendAudio: () => {},
        sendText: (text) => {
          const id = `r${++seq}`;
          emit({ type: 'transcript', role: 'user', text, final: true });
          emit({ type: 'responseStarted', responseId: id });
          sentences.forEach((_, i) => {
            const pcm = new Int16Array((sentenceMs * RATE_HZ) / 1000).map((_, k) => Math.round(4000 * Math.sin((2 * Math.PI * 440 * k) / RATE_HZ)));
            emit({ type: 'audio', pcm, responseId: id });
            emit({ type: 'transcript', role: 'assistant', text: sentences.slice(0, i + 1).join(' '), final: false, responseId: id });
          });
          emit({ type: 'transcript', role: 'assistant', text: sentences.join(' '), final: true, responseId: id });
          emit({ type: 'responseDone', responseId: id, cancelled: false });
        },
        sendToolResult: () => {},
        cancelResponse: () => {},
        truncate: () => {},
        close: async () => {},
      };
    },
  };
  return { name: 'scripted', create: () => model };
}
