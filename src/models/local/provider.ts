/**
 * The local provider's descriptor (registry entry): the offline speech pipeline, its settings
 * (`Local model: …` rows of the README's configuration table) and its optional packages.
 */
import { z } from 'zod';
import { int, optionalString, type SettingsSpec } from '../../config/settings.js';
import { defineProvider } from '../provider.js';
import { loadLocalModel, LOCAL_CAPABILITIES, missingLocalPackages } from './model.js';

/** Settings of the local model. */
export const LOCAL_SETTINGS = {
  STT_POOL_SIZE: [int(1, 32), 2, 'Local model: concurrent speech recognizers per band (wideband and phone-band pools, ≈115 MB each); all of them start and are primed at start-up, and `/ready` answers 503 until they are.'],
  TTS_VOICE: [z.enum(['slt', 'rms', 'kal16', 'awb', 'kal']), 'slt', 'Local model: flite voice.'],
  ENDPOINT_SILENCE_MS: [int(100, 5000), 500, 'Local model: silence that ends the caller\'s turn.'],
  MAX_UTTERANCE_MS: [int(1000, 600_000), 15_000, 'Local model: longest caller utterance; a caller who never pauses (a TV in the room, looping audio) is cut here and answered, and heard again after a pause.'],
  LLM_BASE_URL: [optionalString, undefined, 'Local model: OpenAI-compatible chat completions base URL (e.g. http://127.0.0.1:11434/v1); unset = built-in rule-based responder.'],
  LLM_API_KEY: [optionalString, undefined, 'Local model: bearer key for `LLM_BASE_URL`.'],
  LLM_MODEL: [z.string(), 'gpt-4o-mini', 'Local model: model name sent to `LLM_BASE_URL`.'],
  LLM_TIMEOUT_MS: [int(100, 120_000), 8000, 'Local model: chat completion timeout; on timeout the built-in responder answers.'],
} as const satisfies SettingsSpec;

/** Local: `auto`'s choice when its optional packages are installed. */
export const localProvider = defineProvider({
  id: 'local',
  summary: 'offline speech pipeline',
  settings: LOCAL_SETTINGS,
  auto: { when: 'its packages are installed' },
  missingPackages: missingLocalPackages,
  missingPackagesWarning: 'local model packages are not installed (lean install): only loopback is available offline',
  capabilities: () => ({ ...LOCAL_CAPABILITIES, maxSessionMs: Infinity }),
  async create(config, { vad, logger }) {
    const local = await loadLocalModel(
      {
        sttPoolSize: config.STT_POOL_SIZE,
        ttsVoice: config.TTS_VOICE,
        endpointSilenceMs: config.ENDPOINT_SILENCE_MS,
        maxUtteranceMs: config.MAX_UTTERANCE_MS,
        vad,
        llm: config.LLM_BASE_URL ? { baseUrl: config.LLM_BASE_URL, apiKey: config.LLM_API_KEY, model: config.LLM_MODEL, timeoutMs: config.LLM_TIMEOUT_MS } : undefined,
      },
      logger,
    );
    return {
      model: local.model,
      // Not ready until every recognizer is warm (the first caller must not wait).
      warmup: { name: 'local model recognizers', ready: local.warm, detail: () => ({ recognizers: local.warmth() }) },
      close: () => local.close(),
    };
  },
});
