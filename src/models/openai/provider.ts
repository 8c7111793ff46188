/**
 * The OpenAI Realtime provider's descriptor (registry entry): its OPENAI_* settings, capabilities,
 * and creation of the model on the `ws` client. Never picked by `auto` (it costs money and needs
 * an API key).
 */
import { z } from 'zod';
import { int, optionalString, type SettingsSpec } from '../../config/settings.js';
import { defineProvider } from '../provider.js';
import { OPENAI_MAX_SESSION_MS, OPENAI_RENEW_AFTER_MS, openaiCapabilities, openaiRealtimeModel, openaiSettingsFromConfig } from './model.js';

/** A `ws://` or `wss://` URL, or undefined when empty. */
const webSocketUrl = optionalString.pipe(
  z
    .string()
    .refine((v) => URL.canParse(v) && ['ws:', 'wss:'].includes(new URL(v).protocol), 'expected a ws:// or wss:// URL')
    .optional(),
);

/** `OPENAI_TRANSCRIPTION_MODEL`: a model id, or undefined for `none`. */
const transcriptionModel = z
  .string()
  .regex(/^[\w.:-]+$/)
  .transform((v) => (v === 'none' ? undefined : v));

/** Settings of OpenAI Realtime (the OPENAI_* rows of the README's configuration table). */
export const OPENAI_SETTINGS = {
  OPENAI_API_KEY: [optionalString, undefined, 'OpenAI API key, sent as `Authorization: Bearer`; required with `VOICEBRIDGE_MODEL=openai`.'],
  OPENAI_REALTIME_MODEL: [z.string().regex(/^[\w.:-]+$/), 'gpt-realtime', 'OpenAI Realtime model (`gpt-realtime`, `gpt-realtime-mini`, …), the `?model=` of the default URL.'],
  OPENAI_VOICE: [z.string().regex(/^[\w-]+$/), 'marin', 'OpenAI voice when the caller picks none (marin, cedar, alloy, ash, ballad, coral, echo, sage, shimmer, verse).'],
  OPENAI_REALTIME_URL: [webSocketUrl, undefined, 'Full WebSocket URL override (default `wss://api.openai.com/v1/realtime?model=OPENAI_REALTIME_MODEL`); `ws://` allowed for local endpoints such as the emulator.'],
  OPENAI_TURN_DETECTION: [z.enum(['server_vad', 'semantic_vad']), 'server_vad', 'OpenAI turn detection: `server_vad` (silence-based: `OPENAI_VAD_*` threshold, silence and padding) or `semantic_vad` (the model judges the end of the turn: `OPENAI_VAD_EAGERNESS`).'],
  OPENAI_VAD_THRESHOLD: [z.coerce.number().min(0).max(1), 0.5, '`server_vad` speech threshold (0–1; higher needs louder speech).'],
  OPENAI_VAD_SILENCE_DURATION_MS: [int(0, 10_000), 500, '`server_vad` silence that ends the caller\'s turn.'],
  OPENAI_VAD_PREFIX_PADDING_MS: [int(0, 10_000), 300, '`server_vad` audio kept before the detected start of speech.'],
  OPENAI_VAD_EAGERNESS: [z.enum(['low', 'medium', 'high', 'auto']), 'auto', '`semantic_vad` eagerness: `low` waits longest (up to 8 s), `high` answers soonest (2 s); `auto` is medium (4 s).'],
  OPENAI_TRANSCRIPTION_MODEL: [transcriptionModel, 'gpt-4o-mini-transcribe', 'Model transcribing the caller for transcripts (`gpt-4o-mini-transcribe`, `gpt-4o-transcribe`, `whisper-1`, …), or `none` for no caller transcripts.'],
  OPENAI_START_TIMEOUT_MS: [int(500, 60_000), 10_000, 'Longest wait for OpenAI to accept a session (socket open to `session.updated`).'],
  OPENAI_SESSION_LIMIT_MS: [int(2000, 3_600_000), OPENAI_MAX_SESSION_MS, 'The session limit OpenAI enforces (60 minutes); conversations are renewed before it (lower only for an emulator).'],
  OPENAI_RENEW_AFTER_MS: [int(1000, 3_600_000), OPENAI_RENEW_AFTER_MS, 'Start renewing an OpenAI session at this age: the next session is opened in the background with the instructions, tools and conversation so far, and takes over at the next turn boundary.'],
  OPENAI_STALL_TIMEOUT_MS: [int(1000, 600_000), 20_000, 'A live OpenAI session that sends no event for this long has stalled: the call ends (reason `model-closed`). After half of it, a `session.update` that changes nothing asks the API for an answer.'],
} as const satisfies SettingsSpec;

/** OpenAI Realtime (GA) over WebSocket; never picked by `auto`. */
export const openaiProvider = defineProvider({
  id: 'openai',
  summary: 'OpenAI Realtime',
  settings: OPENAI_SETTINGS,
  capabilities: (config) => ({ ...openaiCapabilities({ transcriptionModel: config.OPENAI_TRANSCRIPTION_MODEL }), maxSessionMs: config.OPENAI_SESSION_LIMIT_MS }),
  async create(config, { logger, clock }) {
    const settings = openaiSettingsFromConfig(config);
    logger.info({ model: config.OPENAI_REALTIME_MODEL, url: settings.url.replace(/\?.*$/, ''), turnDetection: settings.turnDetection.type }, 'OpenAI Realtime provider configured');
    return { model: { ...openaiRealtimeModel(settings, clock), billingId: config.OPENAI_REALTIME_MODEL } };
  },
});
