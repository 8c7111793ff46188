/**
 * The OpenAI Realtime provider (GA API over WebSocket): a `SpeechModel` whose sessions
 * (`session.ts`) run on an injected socket factory (default: the `ws` client) and clock. A call's
 * session is a `RenewingSession` over successive Realtime sessions, renewed before the session
 * limit with the conversation so far as history items (the mechanism shared with Nova Sonic).
 * PCM16 at 24 kHz both ways (the GA `audio/pcm` format's only rate; protocols.md §2.2), or G.711
 * mu-law at 8 kHz for callers at 8 kHz both ways (phone carriers), which then need no resampling.
 */
import type { Clock } from '../../core/clock.js';
import type { ModelCapabilities, SpeechModel } from '../model.js';
import { audioFormatForRate, OPENAI_G711_RATE_HZ, OPENAI_PCM_RATE_HZ, type OpenAITurnDetection } from './codec.js';
import { renewalTimingFor } from '../shared/renewal.js';
import { RenewingSession } from '../shared/renewing-session.js';
import { OpenAIRealtimeSession, wsSocketFactory, type OpenAISettings, type RealtimeSocketFactory } from './session.js';

/**
 * Longest OpenAI Realtime session, ms: 60 minutes since GA ("Realtime sessions can now last up to
 * 60 minutes, up from 30 minutes", OpenAI's developer notes on the Realtime API; the API then sends
 * `error` `session_expired`; protocols.md §2.1).
 */
export const OPENAI_MAX_SESSION_MS = 60 * 60_000;

/** Default age at which a session's successor is prepared, ms (55 of the 60 minutes). */
export const OPENAI_RENEW_AFTER_MS = 55 * 60_000;

/** GA voices (protocols.md §2.2; `marin` and `cedar` are OpenAI's recommended ones). */
export const OPENAI_VOICES: readonly string[] = ['marin', 'cedar', 'alloy', 'ash', 'ballad', 'coral', 'echo', 'sage', 'shimmer', 'verse'];

/** The default endpoint for `model` (protocols.md §2.1). */
export function defaultRealtimeUrl(model: string): string {
  return `wss://api.openai.com/v1/realtime?model=${encodeURIComponent(model)}`;
}

/**
 * What OpenAI Realtime can do: cut a reply to what was heard (`conversation.item.truncate`), detect
 * turns itself, take typed text and change tools mid-session (`session.update`). Its turn detection
 * ends a turn only on silence it receives (`silence_duration_ms`), so a carrier that goes quiet
 * (sends no frames) must be filled with silence: continuous audio. User transcripts need an input
 * transcription model.
 */
export function openaiCapabilities(settings: Pick<OpenAISettings, 'transcriptionModel'>): ModelCapabilities {
  return {
    truncation: true,
    serverTurnDetection: true,
    userTranscripts: settings.transcriptionModel !== undefined,
    textInput: true,
    needsContinuousAudio: true,
    midSessionTools: true,
  };
}

/**
 * The OpenAI Realtime model; `connect` opens its sockets (default: the `ws` client). Each call's
 * session renews itself before `settings.maxSessionMs` (default 60 min): the next Realtime session
 * is opened at `settings.renewAfterMs` (default 55 min, capped to leave the forced-handover margin
 * of `renewalTimingFor`) with the instructions, tools and the conversation so far, and takes over
 * at a turn boundary (`RenewingSession`). Only the first session speaks the greeting.
 */
export function openaiRealtimeModel(settings: OpenAISettings, clock: Clock, connect: RealtimeSocketFactory = wsSocketFactory): SpeechModel {
  return {
    id: 'openai',
    capabilities: openaiCapabilities(settings),
    inputRateHz: OPENAI_PCM_RATE_HZ,
    outputRateHz: OPENAI_PCM_RATE_HZ,
    maxSessionMs: settings.maxSessionMs ?? OPENAI_MAX_SESSION_MS,
    voices: OPENAI_VOICES,
    // Phone callers (8 kHz both ways) get G.711 mu-law: no resampling either way.
    ratesFor: (callerInputRateHz, callerOutputRateHz) =>
      callerInputRateHz === OPENAI_G711_RATE_HZ && callerOutputRateHz === OPENAI_G711_RATE_HZ ? { inputRateHz: OPENAI_G711_RATE_HZ, outputRateHz: OPENAI_G711_RATE_HZ } : { inputRateHz: OPENAI_PCM_RATE_HZ, outputRateHz: OPENAI_PCM_RATE_HZ },
    open: (init, signal) => {
      const rates = [init.inputRateHz ?? OPENAI_PCM_RATE_HZ, init.outputRateHz ?? OPENAI_PCM_RATE_HZ];
      try {
        if (rates[0] !== rates[1]) throw new RangeError(`OpenAI Realtime uses one format both ways, not ${rates[0]} Hz in / ${rates[1]} Hz out`);
        audioFormatForRate(rates[0]);
      } catch (err) {
        return Promise.reject(err);
      }
      const timing = renewalTimingFor(settings.maxSessionMs ?? OPENAI_MAX_SESSION_MS, settings.renewAfterMs ?? OPENAI_RENEW_AFTER_MS);
      return RenewingSession.open({
        // Only the first session may be aborted by the call's opening; only it speaks first.
        openSegment: (history, n) => OpenAIRealtimeSession.open({ settings, init: { ...init, history, greeting: n === 0 ? init.greeting : undefined }, clock, connect }, n === 0 ? signal : undefined),
        clock,
        logger: init.logger,
        timing,
        inputRateHz: rates[0],
        history: init.history,
      });
    },
  };
}

/** The OPENAI_* settings as the validated configuration has them. */
export interface OpenAIConfig {
  OPENAI_API_KEY: string | undefined;
  OPENAI_REALTIME_MODEL: string;
  OPENAI_VOICE: string;
  OPENAI_REALTIME_URL: string | undefined;
  OPENAI_TURN_DETECTION: 'server_vad' | 'semantic_vad';
  OPENAI_VAD_THRESHOLD: number;
  OPENAI_VAD_SILENCE_DURATION_MS: number;
  OPENAI_VAD_PREFIX_PADDING_MS: number;
  OPENAI_VAD_EAGERNESS: 'low' | 'medium' | 'high' | 'auto';
  OPENAI_TRANSCRIPTION_MODEL: string | undefined;
  OPENAI_START_TIMEOUT_MS: number;
  OPENAI_SESSION_LIMIT_MS: number;
  OPENAI_RENEW_AFTER_MS: number;
  OPENAI_STALL_TIMEOUT_MS: number;
}

/**
 * Session settings from the validated configuration.
 * @throws Error when `OPENAI_API_KEY` is not set.
 */
export function openaiSettingsFromConfig(config: OpenAIConfig): OpenAISettings {
  if (!config.OPENAI_API_KEY) throw new Error('VOICEBRIDGE_MODEL=openai needs OPENAI_API_KEY');
  const turnDetection: OpenAITurnDetection =
    config.OPENAI_TURN_DETECTION === 'server_vad'
      ? { type: 'server_vad', threshold: config.OPENAI_VAD_THRESHOLD, silenceDurationMs: config.OPENAI_VAD_SILENCE_DURATION_MS, prefixPaddingMs: config.OPENAI_VAD_PREFIX_PADDING_MS }
      : { type: 'semantic_vad', eagerness: config.OPENAI_VAD_EAGERNESS };
  return {
    url: config.OPENAI_REALTIME_URL ?? defaultRealtimeUrl(config.OPENAI_REALTIME_MODEL),
    apiKey: config.OPENAI_API_KEY,
    voice: config.OPENAI_VOICE,
    turnDetection,
    transcriptionModel: config.OPENAI_TRANSCRIPTION_MODEL,
    startTimeoutMs: config.OPENAI_START_TIMEOUT_MS,
    maxSessionMs: config.OPENAI_SESSION_LIMIT_MS,
    renewAfterMs: config.OPENAI_RENEW_AFTER_MS,
    stallTimeoutMs: config.OPENAI_STALL_TIMEOUT_MS,
  };
}
