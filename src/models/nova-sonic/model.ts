/**
 * The Amazon Nova Sonic / Nova 2 Sonic provider on the real AWS SDK
 * (`@aws-sdk/client-bedrock-runtime`, `InvokeModelWithBidirectionalStreamCommand` over HTTP/2).
 * Credentials come from the SDK's default chain (environment, shared profile, container or
 * instance role, with refresh). The endpoint follows the SDK's own rules
 * (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, `AWS_ENDPOINT_URL`) unless `endpoint` overrides it.
 *
 * A conversation is a `RenewingSession` over Nova streams (`NovaSonicSession`, one Bedrock stream
 * each): renewed before the 8-minute limit at a turn boundary, and a failed stream replaced with
 * bounded retries — the renewal mechanism shared with OpenAI (issue 11 §1).
 */
import { BedrockRuntimeClient, type BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';
import { eventStreamSerdeProvider } from '@smithy/core/event-streams';
import { NodeHttp2Handler } from '@smithy/node-http-handler';
import type { Clock } from '../../core/clock.js';
import { errorMessage, VoiceBridgeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ModelCapabilities, ModelSession, SessionInit, SessionRates, SpeechModel } from '../model.js';
import { renewalTimingFor } from '../shared/renewal.js';
import { RenewingSession } from '../shared/renewing-session.js';
import { NOVA_HISTORY_LIMITS } from './history.js';
import { eventStreamSigningHandlerProvider } from './event-signing.js';
import { NovaOutputMarshaller } from './output-stream.js';
import { isNova2, NovaSonicSession, type NovaSettings } from './session.js';
import type { BedrockStreamClient } from './stream.js';

/** Caller audio kept while no stream is live (reconnecting), ms. */
export const OUTAGE_BUFFER_MS = 30_000;
/** A stream live this long before failing resets the retry budget, ms. */
export const HEALTHY_STREAM_MS = 10_000;

function sdkText(args: unknown[]): string {
  return args
    .map((x) => {
      if (x instanceof Error) return `${x.name}: ${x.message}`;
      try {
        return typeof x === 'object' ? JSON.stringify(x) : String(x);
      } catch {
        return String(x);
      }
    })
    .join(' ')
    .slice(0, 500);
}

/** Client settings for `createBedrockClient`. */
export interface BedrockClientSettings {
  /**
   * Bedrock region for Nova Sonic (kept apart from `AWS_REGION`, which other AWS use may need);
   * undefined: the SDK's own region chain (AWS_REGION, profile), else us-east-1.
   */
  region: string | undefined;
  /** Endpoint override, e.g. `http://127.0.0.1:8443` for the emulator. */
  endpoint?: string;
  /** Static credentials (tests); omitted = the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  logger: Logger;
}

/**
 * A Bedrock Runtime client with an HTTP/2 handler. Each bidirectional stream gets its own HTTP/2
 * session (bedrock-wire.md §2.1); the idle timeouts are longer than the 8-minute stream limit.
 */
export function createBedrockClient(settings: BedrockClientSettings): BedrockRuntimeClient {
  const log = settings.logger;
  return new BedrockRuntimeClient({
    region:
      settings.region ??
      (async () => {
        try {
          return await new BedrockRuntimeClient({}).config.region();
        } catch {
          return 'us-east-1';
        }
      }),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    requestHandler: new NodeHttp2Handler({ requestTimeout: 600_000, sessionTimeout: 600_000 }),
    // Input events signed synchronously (event-signing.ts), the same bytes as the SDK's own handler.
    eventStreamPayloadHandlerProvider: eventStreamSigningHandlerProvider as unknown as BedrockRuntimeClientConfig['eventStreamPayloadHandlerProvider'],
    // Output events decoded by output-stream.ts; exceptions and the request side stay the SDK's.
    eventStreamSerdeProvider: ((config: Parameters<typeof eventStreamSerdeProvider>[0]) => new NovaOutputMarshaller(eventStreamSerdeProvider(config) as never)) as unknown as BedrockRuntimeClientConfig['eventStreamSerdeProvider'],
    // The SDK's own console.warn for non-retryable streaming requests goes to our logger instead.
    logger: { trace: () => {}, debug: () => {}, info: () => {}, warn: (...a: unknown[]) => log.debug({ sdk: sdkText(a) }, 'aws sdk warning'), error: (...a: unknown[]) => log.debug({ sdk: sdkText(a) }, 'aws sdk error') },
  });
}

/** Nova voice ids (protocols.md §1.10; Nova 2 adds tina, kiara, arjun, olivia, carolina, leo). */
export const NOVA_VOICES: readonly string[] = ['tiffany', 'matthew', 'amy', 'olivia', 'kiara', 'arjun', 'ambre', 'florian', 'beatrice', 'lorenzo', 'tina', 'greta', 'lennart', 'lupe', 'carlos', 'carolina', 'leo'];

/** What Nova Sonic can do with these settings: text input needs Nova 2 Sonic; tools are fixed at `promptStart`. */
export function novaCapabilities(settings: Pick<NovaSettings, 'modelId'>): ModelCapabilities {
  return {
    // Truncation is ours: the history keeps the heard share of an interrupted reply.
    truncation: true,
    serverTurnDetection: true,
    userTranscripts: true,
    textInput: isNova2(settings.modelId),
    needsContinuousAudio: true,
    midSessionTools: false,
  };
}

/** The Nova Sonic provider. */
export function novaSonicModel(client: BedrockStreamClient, settings: NovaSettings, clock: Clock): SpeechModel {
  return {
    id: 'nova-sonic',
    billingId: settings.modelId,
    capabilities: novaCapabilities(settings),
    inputRateHz: settings.inputRateHz,
    outputRateHz: settings.outputRateHz,
    maxSessionMs: settings.maxSessionMs,
    voices: NOVA_VOICES,
    ratesFor: (callerInputRateHz, callerOutputRateHz) => novaRatesFor(settings, callerInputRateHz, callerOutputRateHz),
    open: (init, signal) => {
      const rates = { inputRateHz: init.inputRateHz ?? settings.inputRateHz, outputRateHz: init.outputRateHz ?? settings.outputRateHz };
      if (!NOVA_INPUT_RATES.includes(rates.inputRateHz) || !NOVA_OUTPUT_RATES.includes(rates.outputRateHz)) {
        return Promise.reject(new RangeError(`Nova Sonic cannot stream ${rates.inputRateHz} Hz in / ${rates.outputRateHz} Hz out`));
      }
      return openConversation(client, { ...settings, ...(rates as Pick<NovaSettings, 'inputRateHz' | 'outputRateHz'>) }, init, clock, signal);
    },
  };
}

/**
 * Opens a conversation: the first stream (up to `maxRetries` retries of recoverable refusals),
 * renewed and recovered by a `RenewingSession`. Stats: `streams` counts every stream opened.
 * @throws VoiceBridgeError `model_unavailable` when Nova Sonic refuses or cannot be reached.
 */
async function openConversation(client: BedrockStreamClient, settings: NovaSettings, init: SessionInit, clock: Clock, signal?: AbortSignal): Promise<ModelSession> {
  let greeting = init.greeting;
  const takeGreeting = (): string | undefined => {
    const g = greeting;
    greeting = undefined;
    return g;
  };
  try {
    return await RenewingSession.open({
      // The history comes with `goLive`, when the stream takes over.
      openSegment: (_history, n) => NovaSonicSession.open({ client, settings, init, clock, n, takeGreeting }),
      clock,
      logger: init.logger,
      timing: renewalTimingFor(settings.maxSessionMs, settings.renewAfterMs),
      inputRateHz: settings.inputRateHz,
      history: init.history,
      replayMs: settings.replayMs,
      maxHistoryBytes: NOVA_HISTORY_LIMITS.maxTotalBytes,
      recovery: { maxRetries: settings.maxRetries, outageBufferMs: OUTAGE_BUFFER_MS, healthyAfterMs: HEALTHY_STREAM_MS },
      signal,
      mapStats: (stats) => ({ ...stats, streams: stats.segments }),
    });
  } catch (err) {
    throw new VoiceBridgeError('model_unavailable', `Nova Sonic: ${errorMessage(err)}`, false);
  }
}

const NOVA_INPUT_RATES: readonly number[] = [8000, 16000];
const NOVA_OUTPUT_RATES: readonly number[] = [8000, 16000, 24000];

/**
 * The rates a Nova session uses for a caller: with `matchCallerRate`, the caller's own input rate
 * when Nova accepts it (8000, 16000) and its own output rate when Nova produces it (8000, 16000,
 * 24000), so a phone call needs no resampling either way; otherwise `inputRateHz` /
 * `outputRateHz`. Nova's rates: protocols.md §1.9.
 */
export function novaRatesFor(settings: Pick<NovaSettings, 'inputRateHz' | 'outputRateHz' | 'matchCallerRate'>, callerInputRateHz: number, callerOutputRateHz: number): SessionRates {
  const match = settings.matchCallerRate === true;
  return {
    inputRateHz: match && NOVA_INPUT_RATES.includes(callerInputRateHz) ? callerInputRateHz : settings.inputRateHz,
    outputRateHz: match && NOVA_OUTPUT_RATES.includes(callerOutputRateHz) ? callerOutputRateHz : settings.outputRateHz,
  };
}

/** Provider settings from the validated configuration (the NOVA_* settings). */
export function novaSettingsFromConfig(config: {
  NOVA_MODEL_ID: string;
  NOVA_VOICE: string;
  NOVA_TEMPERATURE: number;
  NOVA_TOP_P: number;
  NOVA_MAX_TOKENS: number;
  NOVA_ENDPOINTING: 'HIGH' | 'MEDIUM' | 'LOW';
  NOVA_INPUT_RATE_HZ: 8000 | 16000;
  NOVA_OUTPUT_RATE_HZ: 8000 | 16000 | 24000;
  NOVA_MATCH_CALLER_RATE: boolean;
  NOVA_AUDIO_CHUNK_MS: number;
  NOVA_SESSION_LIMIT_MS: number;
  NOVA_RENEW_AFTER_MS: number;
  NOVA_REPLAY_MS: number;
  NOVA_MAX_RETRIES: number;
  NOVA_START_TIMEOUT_MS: number;
  NOVA_STALL_TIMEOUT_MS: number;
}): NovaSettings {
  return {
    modelId: config.NOVA_MODEL_ID,
    voiceId: config.NOVA_VOICE,
    inference: { maxTokens: config.NOVA_MAX_TOKENS, topP: config.NOVA_TOP_P, temperature: config.NOVA_TEMPERATURE },
    endpointing: config.NOVA_ENDPOINTING,
    inputRateHz: config.NOVA_INPUT_RATE_HZ,
    outputRateHz: config.NOVA_OUTPUT_RATE_HZ,
    matchCallerRate: config.NOVA_MATCH_CALLER_RATE,
    audioChunkMs: config.NOVA_AUDIO_CHUNK_MS,
    maxSessionMs: config.NOVA_SESSION_LIMIT_MS,
    renewAfterMs: config.NOVA_RENEW_AFTER_MS,
    replayMs: config.NOVA_REPLAY_MS,
    maxRetries: config.NOVA_MAX_RETRIES,
    startTimeoutMs: config.NOVA_START_TIMEOUT_MS,
    stallTimeoutMs: config.NOVA_STALL_TIMEOUT_MS,
  };
}
