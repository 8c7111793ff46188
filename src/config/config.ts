/**
 * Configuration: one schema, validated once at start-up. Only `loadConfig` reads the environment.
 * Every setting is listed in the README's configuration table (generated from `SETTINGS`).
 */
import { z } from 'zod';

const bool = z
  .union([z.boolean(), z.string()])
  .transform((v, ctx) => {
    if (typeof v === 'boolean') return v;
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
    ctx.addIssue({ code: 'custom', message: `expected a boolean, got "${v}"` });
    return z.NEVER;
  });
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() ? v.trim() : undefined));

/** Settings: environment variable → [schema, default, description]. */
export const SETTINGS = {
  PORT: [int(0, 65535), 8080, 'HTTP port to listen on.'],
  HOST: [z.string(), '0.0.0.0', 'Address to bind.'],
  VOICEBRIDGE_MODEL: [z.enum(['auto', 'local', 'loopback']), 'auto', 'Model for new calls: `local` (offline speech pipeline), `loopback` (echo), or `auto` (local when its packages are installed, else loopback).'],
  PUBLIC_URL: [optionalString, undefined, 'Public base URL (https://host) used in TwiML/NCCO and for Twilio signature checks; default: derived from the request (Host, X-Forwarded-Proto).'],
  TWILIO_AUTH_TOKEN: [optionalString, undefined, 'Twilio auth token; when set, `X-Twilio-Signature` is required on `/twilio/voice`.'],
  VONAGE_SIGNATURE_SECRET: [optionalString, undefined, 'Vonage signature secret; when set, signed-webhook JWTs are required on `/vonage/answer` and `/vonage/event`.'],
  VONAGE_RATE_HZ: [z.coerce.number().pipe(z.union([z.literal(8000), z.literal(16000), z.literal(24000)])), 16000, 'L16 rate requested in the Vonage NCCO.'],
  SYSTEM_PROMPT: [z.string(), 'You are a friendly, concise voice assistant. Keep answers short.', 'System prompt for the model.'],
  ALLOW_PROMPT_OVERRIDE: [bool, false, 'Let browser callers replace the system prompt in `session.start`.'],
  LOG_LEVEL: [z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), 'info', 'pino log level.'],
  INACTIVITY_TIMEOUT_MS: [int(1000, 86_400_000), 120_000, 'End a call after this long with no speech from either side.'],
  KEEPALIVE_AFTER_MS: [int(20, 60_000), 500, 'Send silence to models that need continuous audio once the caller has sent nothing for this long.'],
  PLAYOUT_LEAD_MS: [int(0, 1000), 60, 'How far ahead of real time assistant audio is sent to the carrier.'],
  MARK_INTERVAL_MS: [int(20, 2000), 100, 'One playback mark (Twilio mark / Vonage notify) per this much assistant audio.'],
  BARGE_IN_VAD: [bool, true, 'Detect barge-in with local VAD on caller audio during playout (in addition to the model\'s own signal).'],
  RESAMPLE_QUALITY: [int(0, 10), 5, 'Speex resampler quality (0–10).'],
  START_TIMEOUT_MS: [int(100, 120_000), 10_000, 'How long a caller may take to start its stream (Twilio `start`, Vonage `websocket:connected`).'],
  DRAIN_TIMEOUT_MS: [int(0, 3_600_000), 30_000, 'On SIGTERM, how long to let live calls finish before hanging up.'],
  STT_POOL_SIZE: [int(1, 32), 2, 'Local model: concurrent speech recognizers per band (wideband and phone-band pools, ≈115 MB each, started on demand).'],
  TTS_VOICE: [z.enum(['slt', 'rms', 'kal16', 'awb', 'kal']), 'slt', 'Local model: flite voice.'],
  ENDPOINT_SILENCE_MS: [int(100, 5000), 500, 'Local model: silence that ends the caller\'s turn.'],
  LLM_BASE_URL: [optionalString, undefined, 'Local model: OpenAI-compatible chat completions base URL (e.g. http://127.0.0.1:11434/v1); unset = built-in rule-based responder.'],
  LLM_API_KEY: [optionalString, undefined, 'Local model: bearer key for `LLM_BASE_URL`.'],
  LLM_MODEL: [z.string(), 'gpt-4o-mini', 'Local model: model name sent to `LLM_BASE_URL`.'],
  LLM_TIMEOUT_MS: [int(100, 120_000), 8000, 'Local model: chat completion timeout; on timeout the built-in responder answers.'],
  MAX_MESSAGE_BYTES: [int(1024, 16 * 1024 * 1024), 131_072, 'Largest WebSocket message accepted; larger ones close the socket with 1009.'],
} as const;

type Settings = typeof SETTINGS;
/** The validated configuration. */
export type Config = { [K in keyof Settings]: z.output<Settings[K][0]> };

/**
 * Validates settings from `env` (default `process.env`) plus `overrides` (e.g. CLI flags).
 * @throws Error listing every invalid setting.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Record<keyof Settings, unknown>> = {}): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, [schema, def]] of Object.entries(SETTINGS) as unknown as [string, [z.ZodType, unknown, string]][]) {
    const raw = overrides[key as keyof Settings] ?? env[key];
    const value = raw === undefined || raw === '' ? def : raw;
    if (value === undefined) {
      out[key] = undefined;
      continue;
    }
    const r = schema.safeParse(value);
    if (r.success) out[key] = r.data;
    else problems.push(`${key}=${JSON.stringify(raw)}: ${r.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (problems.length) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return out as Config;
}
