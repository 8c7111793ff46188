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
  VOICEBRIDGE_MODEL: [z.enum(['auto', 'local', 'loopback', 'nova-sonic']), 'auto', 'Model for new calls: `nova-sonic` (Amazon Nova Sonic on Bedrock), `local` (offline speech pipeline), `loopback` (echo), or `auto` (local when its packages are installed, else loopback).'],
  PUBLIC_URL: [optionalString, undefined, 'Public base URL (https://host) used in TwiML/NCCO and for Twilio signature checks; default: derived from the request (Host, X-Forwarded-Proto).'],
  TWILIO_AUTH_TOKEN: [optionalString, undefined, 'Twilio auth token; when set, `X-Twilio-Signature` is required on `/twilio/voice` and on the `/twilio/media` WebSocket upgrade.'],
  VONAGE_SIGNATURE_SECRET: [optionalString, undefined, 'Vonage signature secret; when set, signed-webhook JWTs are required on `/vonage/answer` and `/vonage/event`.'],
  VONAGE_RATE_HZ: [z.coerce.number().pipe(z.union([z.literal(8000), z.literal(16000), z.literal(24000)])), 16000, 'L16 rate requested in the Vonage NCCO.'],
  SYSTEM_PROMPT: [z.string(), 'You are a friendly, concise voice assistant. Keep answers short.', 'System prompt for the model.'],
  ALLOW_PROMPT_OVERRIDE: [bool, false, 'Let browser callers replace the system prompt in `session.start`.'],
  LOG_LEVEL: [z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), 'info', 'pino log level.'],
  LOG_FORMAT: [z.enum(['auto', 'pretty', 'json']), 'auto', 'Log lines: `pretty` (colourised, human-readable, pino-pretty), `json` (one JSON object per line), or `auto` (pretty when stdout is a terminal, else JSON).'],
  INACTIVITY_TIMEOUT_MS: [int(1000, 86_400_000), 120_000, 'End a call after this long with no speech from either side.'],
  KEEPALIVE_AFTER_MS: [int(20, 60_000), 500, 'Send silence to models that need continuous audio once the caller has sent nothing for this long.'],
  PLAYOUT_LEAD_MS: [int(0, 1000), 60, 'How far ahead of real time assistant audio is sent to the carrier.'],
  HELPER_THREAD_NICE: [int(0, 19), 10, 'Linux: the threads the process starts with (V8\'s garbage-collection and compiler workers) run at this much higher nice value than the main thread that moves the audio, so on a busy or single core they do not delay it (0: leave them).'],
  PLAYOUT_BATCH_MS: [int(20, 200), 40, 'Assistant audio leaves for the carrier in batches covering this much audio: one timer and one socket write per batch, each frame still its own 20 ms message (20: frame by frame).'],
  MARK_INTERVAL_MS: [int(20, 2000), 100, 'One playback mark (Twilio mark / Vonage notify) per this much assistant audio.'],
  BARGE_IN_VAD: [bool, true, 'Detect barge-in with local VAD on caller audio during playout (in addition to the model\'s own signal).'],
  RESAMPLE_QUALITY: [int(0, 10), 5, 'Speex resampler quality (0–10).'],
  START_TIMEOUT_MS: [int(100, 120_000), 10_000, 'How long a caller may take to start its stream (Twilio `start`, Vonage `websocket:connected`).'],
  DRAIN_TIMEOUT_MS: [int(0, 3_600_000), 8000, 'On SIGTERM/SIGINT, how long live calls may go on before they are ended politely (close 1001, `session.ended`); a second signal ends them at once. Keep it under the orchestrator\'s kill grace: the default fits `docker stop` (10 s); under Kubernetes (30 s `terminationGracePeriodSeconds`) up to 25000.'],
  STT_POOL_SIZE: [int(1, 32), 2, 'Local model: concurrent speech recognizers per band (wideband and phone-band pools, ≈115 MB each); all of them start and are primed at start-up, and `/ready` answers 503 until they are.'],
  TTS_VOICE: [z.enum(['slt', 'rms', 'kal16', 'awb', 'kal']), 'slt', 'Local model: flite voice.'],
  ENDPOINT_SILENCE_MS: [int(100, 5000), 500, 'Local model: silence that ends the caller\'s turn.'],
  MAX_UTTERANCE_MS: [int(1000, 600_000), 15_000, 'Local model: longest caller utterance; a caller who never pauses (a TV in the room, looping audio) is cut here and answered, and heard again after a pause.'],
  LLM_BASE_URL: [optionalString, undefined, 'Local model: OpenAI-compatible chat completions base URL (e.g. http://127.0.0.1:11434/v1); unset = built-in rule-based responder.'],
  LLM_API_KEY: [optionalString, undefined, 'Local model: bearer key for `LLM_BASE_URL`.'],
  LLM_MODEL: [z.string(), 'gpt-4o-mini', 'Local model: model name sent to `LLM_BASE_URL`.'],
  LLM_TIMEOUT_MS: [int(100, 120_000), 8000, 'Local model: chat completion timeout; on timeout the built-in responder answers.'],
  GREETING: [optionalString, undefined, 'Words the assistant opens each call with (speak first). The local model speaks them; Nova 2 Sonic is asked to say them through text input; Nova Sonic v1 cannot speak first.'],
  TOOLS: [z.string(), 'get_current_time', 'Built-in tools offered to the model, comma-separated (`get_current_time`; empty for none). The local model\'s built-in responder answers time and date questions through `get_current_time`.'],
  TOOL_TIMEOUT_MS: [int(100, 120_000), 8000, 'A tool that takes longer returns an error result to the model.'],
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
  AUTH_JWT_SECRET: [optionalString, undefined, 'When set, browser callers (`/client`, `/ws`, `/webrtc/offer`) need a bearer JWT signed with this HS256 secret (development), with `exp`; the admin routes need one with `AUTH_ADMIN_SCOPE`. Token in `Authorization: Bearer …` or `?token=`.'],
  AUTH_JWKS_URL: [optionalString, undefined, 'When set, browser callers need a bearer JWT verified against this JWKS URL (e.g. a Cognito user pool\'s `…/.well-known/jwks.json`).'],
  AUTH_ISSUER: [optionalString, undefined, 'Required `iss` of browser JWTs (e.g. the Cognito user pool URL).'],
  AUTH_AUDIENCE: [optionalString, undefined, 'Required `aud` of browser JWTs (e.g. the Cognito app client id).'],
  ADMIN_TOKEN: [optionalString.pipe(z.string().min(16, 'use at least 16 characters').optional()), undefined, 'Shared secret for the admin routes (`/calls`, `/stats`, call control): `Authorization: Bearer ADMIN_TOKEN`. Unset and with no browser auth: those routes answer only clients on this machine (loopback).'],
  AUTH_ADMIN_SCOPE: [z.string().min(1), 'voicebridge:admin', 'With browser auth on, a JWT whose `scope` (or `scp`) holds this value may use the admin routes; other valid JWTs get 403.'],
  STREAM_TOKEN_SECRET: [optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'), undefined, 'Key (≥ 16 characters) that signs the one-time stream URLs the answer webhooks, `POST /streams` and `voicebridge sign-url` hand out. Unset: a random key per process (start-up warns): fine for one instance, but set the same value on every instance behind one address, and for `voicebridge sign-url`.'],
  STREAM_TOKEN_TTL_MS: [int(1000, 600_000), 30_000, 'How long a stream URL from an answer webhook stays valid to connect, ms (each URL opens one stream, once).'],
  WEBRTC_BIND_ADDRESS: [optionalString, undefined, 'Local address WebRTC (ICE) binds to; unset: all interfaces.'],
  WEBRTC_ICE_SERVERS: [z.string(), '', 'Comma-separated STUN/TURN URLs for WebRTC (e.g. `stun:stun.l.google.com:19302`); empty: host candidates only.'],
  WEBRTC_PORT_RANGE: [z.string().regex(/^(\d+-\d+)?$/), '', 'UDP port range for WebRTC, `FIRST-LAST` (e.g. `10000-10999`); empty: any port.'],
  MAX_MESSAGE_BYTES: [int(1024, 16 * 1024 * 1024), 131_072, 'Largest WebSocket message accepted; larger ones close the socket with 1009.'],
  MAX_CALLS: [int(1, 100_000), 200, 'Calls live at once (counting caller sockets and WebRTC offers that have not started yet); more are refused: WebSocket close 1013, or 503 with `Retry-After` for WebRTC offers.'],
  MAX_CALLS_PER_ADDRESS: [int(1, 100_000), 50, 'Calls live at once from one client address (IPv6: one /64), refused like `MAX_CALLS`. A carrier\'s media streams arrive from a few of its addresses: keep this above your busiest carrier\'s concurrent calls. Behind a proxy, set `TRUST_PROXY`.'],
  WS_UPGRADES_PER_MINUTE: [int(1, 1_000_000), 300, 'WebSocket connections one client address may open per minute (sliding window); more are answered 503 with `Retry-After` before the upgrade.'],
  WEBRTC_OFFERS_PER_MINUTE: [int(1, 1_000_000), 60, 'WebRTC offers one client address may send per minute; more are answered 503 with `Retry-After`.'],
  WEBRTC_CONNECT_TIMEOUT_MS: [int(500, 120_000), 10_000, 'A WebRTC peer must connect this soon after its offer was answered; otherwise its connection and UDP port are released at once.'],
  MAX_CALL_MS: [int(1000, 7 * 86_400_000), 3_600_000, 'Longest call; it is then hung up (reason `max-call-length`) whatever keeps it active.'],
  INBOUND_AUDIO_BURST_MS: [int(100, 5000), 500, 'Caller audio is admitted at about real time per call; this much may arrive ahead of real time (a clump after a network stall) before frames are dropped and counted in `/stats`.'],
  INBOUND_AUDIO_CLOSE_FACTOR: [z.coerce.number().min(1.5).max(100), 3, 'A caller who keeps sending audio faster than this many times real time (beyond 10 s of slack) is closed with 1008.'],
  REQUEST_TIMEOUT_MS: [int(1000, 600_000), 10_000, 'A request\'s headers and body must have arrived within this long (WebSocket upgrades: their headers); otherwise 408 and the connection is closed.'],
  HEADERS_TIMEOUT_MS: [int(1000, 600_000), 5000, 'A request\'s headers must have arrived within this long (at most `REQUEST_TIMEOUT_MS`).'],
  TRUST_PROXY: [z.string().regex(/^(|true|false|\d+|[0-9a-fA-F.:/,\s]+)$/), '', 'Client addresses for the per-address limits come from `X-Forwarded-For` set by these proxies: `true` (any), a hop count, or comma-separated addresses/CIDRs; empty: the socket\'s address.'],
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
