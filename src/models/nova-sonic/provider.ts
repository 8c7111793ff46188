/**
 * The Nova Sonic provider's descriptor (registry entry): its NOVA_* settings, capabilities, and
 * creation on a Bedrock Runtime client whose credentials are checked in the background.
 */
import { z } from 'zod';
import { bool, int, optionalString, type SettingsSpec } from '../../config/settings.js';
import { defineProvider } from '../provider.js';
import { checkCredentials, missingCredentialsWarning } from './credentials.js';
import { createBedrockClient, novaCapabilities, novaSettingsFromConfig, novaSonicModel } from './model.js';

/** Longest wait for the AWS credential chain at start-up before warning that it found none, ms. */
const CREDENTIAL_CHECK_TIMEOUT_MS = 3000;

/** Settings of Nova Sonic (the NOVA_* rows of the README's configuration table). */
export const NOVA_SETTINGS = {
  NOVA_MODEL_ID: [z.string().regex(/^[\w.:-]+$/), 'amazon.nova-2-sonic-v1:0', 'Bedrock model id: `amazon.nova-2-sonic-v1:0` (Nova 2 Sonic) or `amazon.nova-sonic-v1:0` (Nova Sonic).'],
  NOVA_REGION: [optionalString, undefined, 'Bedrock region for Nova Sonic, kept apart from `AWS_REGION` (default: `AWS_REGION`, else us-east-1).'],
  NOVA_ENDPOINT: [optionalString, undefined, 'Bedrock Runtime endpoint override (e.g. the emulator, `http://127.0.0.1:8443`); the SDK also honours `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`.'],
  NOVA_VOICE: [z.string(), 'tiffany', 'Nova voice id (tiffany, matthew, amy, …).'],
  NOVA_TEMPERATURE: [z.coerce.number().min(0).max(1), 0.7, 'Nova sampling temperature (0–1).'],
  NOVA_TOP_P: [z.coerce.number().min(0).max(1), 0.9, 'Nova top-p (0–1).'],
  NOVA_MAX_TOKENS: [int(1, 10_000), 1024, 'Nova maximum output tokens per response.'],
  NOVA_ENDPOINTING: [z.enum(['HIGH', 'MEDIUM', 'LOW']), 'MEDIUM', 'Nova 2 end-of-turn sensitivity (pause ≈ 1.5 s HIGH, 1.75 s MEDIUM, 2 s LOW); not sent to Nova Sonic v1.'],
  NOVA_INPUT_RATE_HZ: [z.coerce.number().pipe(z.union([z.literal(8000), z.literal(16000)])), 16000, 'Rate of caller audio sent to Nova for callers whose own rate Nova does not take (or all callers when `NOVA_MATCH_CALLER_RATE` is off).'],
  NOVA_OUTPUT_RATE_HZ: [z.coerce.number().pipe(z.union([z.literal(8000), z.literal(16000), z.literal(24000)])), 24000, 'Rate of the audio Nova returns for callers whose own rate Nova does not produce (or all callers when `NOVA_MATCH_CALLER_RATE` is off).'],
  NOVA_MATCH_CALLER_RATE: [bool, true, 'Stream each call to and from Nova at the caller\'s own rate when Nova supports it (8 kHz phone calls, 16 kHz Vonage): no resampling either way, a third of the audio to decode on phone calls.'],
  NOVA_AUDIO_CHUNK_MS: [int(20, 200), 60, 'Caller audio per `audioInput` event; larger chunks mean fewer signed events (less CPU) and a little more input latency.'],
  NOVA_SESSION_LIMIT_MS: [int(2000, 3_600_000), 480_000, 'The stream limit Bedrock enforces (8 minutes); conversations are renewed before it.'],
  NOVA_RENEW_AFTER_MS: [int(1000, 3_600_000), 360_000, 'Start renewing a stream at this age: the next stream is opened in the background and takes over at the next turn boundary.'],
  NOVA_REPLAY_MS: [int(0, 10_000), 3000, 'Recent caller audio replayed into the next stream at a renewal.'],
  NOVA_MAX_RETRIES: [int(0, 10), 3, 'Reconnects after recoverable Nova errors before the call is ended.'],
  NOVA_START_TIMEOUT_MS: [int(500, 60_000), 10_000, 'Longest wait for Bedrock to accept a stream.'],
  NOVA_STALL_TIMEOUT_MS: [int(1000, 120_000), 8000, 'If the caller spoke and Nova sends nothing at all for this long, the stream is treated as stalled and reconnected.'],
} as const satisfies SettingsSpec;

/** Nova Sonic / Nova 2 Sonic on Bedrock; never picked by `auto` (it costs money and needs AWS credentials). */
export const novaSonicProvider = defineProvider({
  id: 'nova-sonic',
  summary: 'Amazon Nova Sonic on Bedrock',
  settings: NOVA_SETTINGS,
  capabilities: (config) => ({ ...novaCapabilities({ modelId: config.NOVA_MODEL_ID }), maxSessionMs: config.NOVA_SESSION_LIMIT_MS }),
  async create(config, { logger, clock }) {
    const client = createBedrockClient({ region: config.NOVA_REGION, endpoint: config.NOVA_ENDPOINT, logger });
    const model = novaSonicModel(client, novaSettingsFromConfig(config), clock);
    logger.info({ modelId: config.NOVA_MODEL_ID, region: config.NOVA_REGION ?? '(SDK default)', endpoint: config.NOVA_ENDPOINT ?? '(SDK default)' }, 'Nova Sonic provider configured');
    // In the background: start-up does not wait for the credential chain (instance metadata lookups).
    void checkCredentials(() => client.config.credentials(), CREDENTIAL_CHECK_TIMEOUT_MS, clock).then((check) => {
      if (!check.ok) logger.warn({ reason: check.reason }, missingCredentialsWarning(check.reason));
    });
    return { model, close: () => client.destroy() };
  },
});
