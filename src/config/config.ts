/**
 * Configuration: one schema, validated once at start-up. Only this module's loaders read the
 * environment. The core settings are here; each model provider declares its own slice
 * (a `provider.ts` in each folder of `src/models/`), merged in through the provider registry. Every setting is in the
 * README's configuration table, generated from them (`configTable`, `npm run docs:config`).
 */
import { z } from 'zod';
import { providerRegistry, type BuiltinProviderSettings, type ProviderRegistry } from '../models/registry.js';
import { bool, commaList, int, optionalHttpUrl, optionalString, parseSettings, portRange, transferTarget, trustProxy, settingsTable, type SettingsSpec, type SettingValues } from './settings.js';

import { ConfigError } from './settings.js';
import { modelPricesSetting } from '../call/cost.js';

export { ConfigError };

/** Core settings (every provider's come from the registry): environment variable → [schema, default, description]. */
export const CORE_SETTINGS = {
  PORT: [int(0, 65535), 8080, 'HTTP port to listen on.'],
  HOST: [z.string(), '0.0.0.0', 'Address to bind.'],
  // `auto` or a registered provider id; values and description come from the registry.
  VOICEBRIDGE_MODEL: providerRegistry.modelSetting() as readonly [z.ZodType<string>, 'auto', string],
  OFFER_MODELS: [commaList, '', 'More models this server runs beside `VOICEBRIDGE_MODEL`, comma-separated ids (e.g. `nova-sonic,openai`): a number picks one with `?model=ID` on its answer webhook URL, a browser with `session.start.model`; each must start.'],
  PUBLIC_URL: [optionalString, undefined, 'Public base URL (https://host) used in TwiML/NCCO and for Twilio signature checks; default: derived from the request (Host, X-Forwarded-Proto).'],
  TWILIO_AUTH_TOKEN: [optionalString, undefined, 'Twilio auth token; when set, `X-Twilio-Signature` is required on `/twilio/voice` and on the `/twilio/media` WebSocket upgrade.'],
  VONAGE_SIGNATURE_SECRET: [optionalString, undefined, 'Vonage signature secret; when set, signed-webhook JWTs are required on `/vonage/answer` and `/vonage/event`.'],
  VONAGE_RATE_HZ: [z.coerce.number().pipe(z.union([z.literal(8000), z.literal(16000), z.literal(24000)])), 16000, 'L16 rate requested in the Vonage NCCO.'],
  VONAGE_APPLICATION_ID: [optionalString, undefined, 'Vonage application id, with `VONAGE_PRIVATE_KEY`: lets the server transfer Vonage calls through the Voice API (hand-off to `TRANSFER_TO`).'],
  VONAGE_PRIVATE_KEY: [optionalString, undefined, 'The Vonage application\'s private key: PEM text (newlines may be written `\\n`) or the path of a PEM file.'],
  VONAGE_API_URL: [optionalHttpUrl, 'https://api.nexmo.com', 'Base URL of the Vonage Voice API (a regional host, or a local stand-in in tests).'],
  SYSTEM_PROMPT: [z.string(), 'You are a friendly, concise voice assistant. Keep answers short.', 'System prompt for the model.'],
  ALLOW_PROMPT_OVERRIDE: [bool, false, 'Let browser callers replace the system prompt in `session.start`.'],
  LOG_LEVEL: [z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), 'info', 'pino log level.'],
  LOG_FORMAT: [z.enum(['auto', 'pretty', 'json']), 'auto', 'Log lines: `pretty` (colourised, human-readable, pino-pretty), `json` (one JSON object per line), or `auto` (pretty when stdout is a terminal, else JSON). Health, readiness and static-file requests are logged at `debug`.'],
  INACTIVITY_TIMEOUT_MS: [int(1000, 86_400_000), 120_000, 'End a call after this long with no speech from either side.'],
  KEEPALIVE_AFTER_MS: [int(20, 60_000), 500, 'Send silence to models that need continuous audio once the caller has sent nothing for this long.'],
  PLAYOUT_LEAD_MS: [int(0, 1000), 60, 'How far ahead of real time assistant audio is sent to the carrier.'],
  HELPER_THREAD_NICE: [int(0, 19), 10, 'Linux: the threads the process starts with (V8\'s garbage-collection and compiler workers) run at this much higher nice value than the main thread that moves the audio, so on a busy or single core they do not delay it; so does the embedded call store\'s database thread (0: leave them).'],
  PLAYOUT_BATCH_MS: [int(20, 200), 40, 'Assistant audio leaves for the carrier in batches covering this much audio: one timer and one socket write per batch, each frame still its own 20 ms message (20: frame by frame).'],
  MARK_INTERVAL_MS: [int(20, 2000), 100, 'One playback mark (Twilio mark / Vonage notify) per this much assistant audio.'],
  BARGE_IN_VAD: [bool, true, 'Detect barge-in with local VAD on caller audio during playout (in addition to the model\'s own signal).'],
  BARGE_IN_CONFIRM_MS: [int(0, 5000), 600, 'False-interruption recovery: a barge-in heard by the local VAD first holds playout (the caller stops hearing the reply) and cancels the reply only if the caller is still making sound this long after, or words are recognised, or the model signals it; a shorter sound (a cough, a door) resumes playback where it stopped. 0: cancel at once.'],
  RESAMPLE_QUALITY: [int(0, 10), 5, 'Speex resampler quality (0–10).'],
  START_TIMEOUT_MS: [int(100, 120_000), 10_000, 'How long a caller may take to start its stream (Twilio `start`, Vonage `websocket:connected`).'],
  DRAIN_TIMEOUT_MS: [int(0, 3_600_000), 8000, 'On SIGTERM/SIGINT, how long live calls may go on before they are ended politely (close 1001, `session.ended`); a second signal ends them at once. Keep it under the orchestrator\'s kill grace: the default fits `docker stop` (10 s); under Kubernetes (30 s `terminationGracePeriodSeconds`) up to 25000.'],
  GREETING: [optionalString, undefined, 'Words the assistant opens each call with (speak first). The local model speaks them; Nova 2 Sonic is asked to say them through text input; Nova Sonic v1 cannot speak first.'],
  TOOLS: [z.string(), 'get_current_time', 'Built-in tools offered to the model, comma-separated (`get_current_time`, `end_call`: the model ends the call after its goodbye has been heard; empty for none). The local model\'s built-in responder answers time and date questions through `get_current_time`.'],
  TOOL_TIMEOUT_MS: [int(100, 120_000), 8000, 'A tool that takes longer returns an error result to the model (a `TOOLS_FILE` tool or MCP server may set its own `timeoutMs`).'],
  TOOLS_FILE: [optionalString, undefined, 'A JSON file of user tools offered to every model besides `TOOLS`: HTTP tools (`tools`: name, description, url, method, JSON-schema `parameters`, `headers` with values from environment variables, `timeoutMs`) and MCP servers (`mcpServers`: a stdio `command`/`args`/`env`, or a Streamable HTTP `url`) whose tools are listed at start-up and offered as `SERVER__TOOL`. A bad file stops start-up with the field named. See the README section "User tools".'],
  TOOL_HOLD_AFTER_MS: [int(0, 60_000), 1500, 'A tool still running after this long makes the caller hear `TOOL_HOLD_PHRASE` (unless a reply is playing); its result is delivered when it arrives, and the caller can speak and barge in meanwhile. 0: never.'],
  TOOL_HOLD_PHRASE: [z.string().trim().min(1), 'One moment while I check that.', 'What the caller hears while a slow tool runs: synthesised once with the offline voice (needs the optional flite package; at start-up with `TOOLS_FILE`, else at the first tool call) and played by the call itself for every model.'],
  TRANSFER_TO: [transferTarget, undefined, 'Hand-off to a person: an E.164 number (`+15551234567`) or a `sip:` URI. When set, the model is offered a `transfer_to_human` tool, `TRANSFER_PHRASES` trigger it, and `POST /calls/:id/transfer` works without a `to`.'],
  TRANSFER_PHRASES: [commaList, '', 'Caller phrases that hand the call to `TRANSFER_TO` for models without tools, comma-separated, case-insensitive (e.g. `speak to a person,human agent`); empty: none.'],
  TRANSFER_WEBHOOK_URL: [optionalHttpUrl, undefined, 'Each hand-off record (reason, transcript, summary, carrier ids) is POSTed here as JSON, signed: `X-VoiceBridge-Signature: sha256=HMAC(TRANSFER_WEBHOOK_SECRET, X-VoiceBridge-Timestamp + "." + body)`.'],
  TRANSFER_WEBHOOK_SECRET: [optionalString, undefined, 'Key of the hand-off webhook\'s signature (at least 16 characters; required with `TRANSFER_WEBHOOK_URL`).'],
  AUTH_JWT_SECRET: [optionalString, undefined, 'When set, browser callers (`/client`, `/ws`, `/webrtc/offer`) need a bearer JWT signed with this HS256 secret (development), with `exp`; the admin routes need one with `AUTH_ADMIN_SCOPE`. Token in `Authorization: Bearer …` or `?token=`.'],
  AUTH_JWKS_URL: [optionalString, undefined, 'When set, browser callers need a bearer JWT verified against this JWKS URL (e.g. a Cognito user pool\'s `…/.well-known/jwks.json`).'],
  AUTH_ISSUER: [optionalString, undefined, 'Required `iss` of browser JWTs (e.g. the Cognito user pool URL).'],
  AUTH_AUDIENCE: [optionalString, undefined, 'Required `aud` of browser JWTs (e.g. the Cognito app client id).'],
  ADMIN_TOKEN: [optionalString.pipe(z.string().min(16, 'use at least 16 characters').optional()), undefined, 'Shared secret for the admin routes (`/calls`, `/stats`, `/monitor`, call control): `Authorization: Bearer ADMIN_TOKEN`. Unset and with no browser auth: those routes answer only clients on this machine (loopback) that address it as localhost, 127.0.0.1 or [::1] (a web page that rebinds its own name to 127.0.0.1 is refused).'],
  AUTH_ADMIN_SCOPE: [z.string().min(1), 'voicebridge:admin', 'With browser auth on, a JWT whose `scope` (or `scp`) holds this value may use the admin routes; other valid JWTs get 403.'],
  METRICS_TOKEN: [optionalString.pipe(z.string().min(16, 'use at least 16 characters').optional()), undefined, 'When set, `GET /metrics` (Prometheus) needs `Authorization: Bearer METRICS_TOKEN` and answers 401 without it; unset: `/metrics` is open to anyone who can reach the server.'],
  OTEL_EXPORTER_OTLP_ENDPOINT: [optionalHttpUrl, undefined, 'OpenTelemetry: when set, call → turn → response / tool spans are exported over OTLP/HTTP to this base URL (`…/v1/traces`, e.g. `http://localhost:4318`), batched; unset: no export. Other `OTEL_EXPORTER_OTLP_*` variables (headers, timeout) apply as the OTLP exporter defines them.'],
  OTEL_SERVICE_NAME: [z.string().min(1), 'voicebridge', 'OpenTelemetry `service.name` of exported spans.'],
  STREAM_TOKEN_SECRET: [optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'), undefined, 'Key (≥ 16 characters) that signs the one-time stream URLs the answer webhooks, `POST /streams` and `voicebridge sign-url` hand out. Unset: a random key per process (start-up warns): fine for one instance, but set the same value on every instance behind one address, and for `voicebridge sign-url`.'],
  STREAM_TOKEN_TTL_MS: [int(1000, 600_000), 30_000, 'How long a stream URL from an answer webhook stays valid to connect, ms (each URL opens one stream, once).'],
  WEBRTC_BIND_ADDRESS: [optionalString, undefined, 'Local address WebRTC (ICE) binds to; unset: all interfaces.'],
  WEBRTC_ICE_SERVERS: [commaList, '', 'Comma-separated STUN/TURN URLs for WebRTC (e.g. `stun:stun.l.google.com:19302`); empty: host candidates only.'],
  WEBRTC_PORT_RANGE: [portRange, '', 'UDP port range for WebRTC, `FIRST-LAST` (e.g. `10000-10999`); empty: any port.'],
  CORS_ORIGINS: [commaList.pipe(z.array(z.string().regex(/^(\*|https?:\/\/[^/\s,]+\/?)$/, 'expected * or origins like https://app.example.com (scheme, host, optional port; no path)').transform((o) => o.replace(/\/+$/, '')))), '', 'Comma-separated web origins (e.g. `https://app.example.com,http://localhost:5173`) whose pages may call `POST /connect`, `GET /status/:id` and the WebRTC offer from the browser (CORS, preflight included), as a Pipecat page served elsewhere does; `*` allows any origin; empty: same-origin pages only.'],
  MAX_MESSAGE_BYTES: [int(1024, 16 * 1024 * 1024), 131_072, 'Largest WebSocket message accepted; larger ones close the socket with 1009.'],
  MAX_CALLS: [int(1, 100_000), 200, 'Calls live at once (counting caller sockets and WebRTC offers that have not started yet); more are refused: WebSocket close 1013, or 503 with `Retry-After` for WebRTC offers. With `REDIS_URL`, every instance\'s calls count together (the deployment\'s total), as do the per-address and per-minute limits.'],
  MAX_CALLS_PER_ADDRESS: [int(1, 100_000), 50, 'Calls live at once from one client address (IPv6: one /64), refused like `MAX_CALLS`. A carrier\'s media streams arrive from a few of its addresses: keep this above your busiest carrier\'s concurrent calls. Behind a proxy, set `TRUST_PROXY`.'],
  WS_UPGRADES_PER_MINUTE: [int(1, 1_000_000), 300, 'WebSocket connections one client address may open per minute (sliding window); more are answered 503 with `Retry-After` before the upgrade.'],
  WEBRTC_OFFERS_PER_MINUTE: [int(1, 1_000_000), 60, 'WebRTC offers one client address may send per minute; more are answered 503 with `Retry-After`.'],
  WEBRTC_CONNECT_TIMEOUT_MS: [int(500, 120_000), 10_000, 'A WebRTC peer must connect this soon after its offer was answered; otherwise its connection and UDP port are released at once.'],
  MAX_CALL_MS: [int(1000, 7 * 86_400_000), 3_600_000, 'Longest call; it is then hung up (reason `max-call-length`) whatever keeps it active.'],
  INBOUND_AUDIO_BURST_MS: [int(100, 5000), 500, 'Caller audio is admitted at about real time per call; this much may arrive ahead of real time (a clump after a network stall) before frames are dropped and counted in `/stats`.'],
  INBOUND_AUDIO_CLOSE_FACTOR: [z.coerce.number().min(1.5).max(100), 3, 'A caller who keeps sending audio faster than this many times real time (beyond 10 s of slack) is closed with 1008.'],
  REQUEST_TIMEOUT_MS: [int(1000, 600_000), 10_000, 'A request\'s headers and body must have arrived within this long (WebSocket upgrades: their headers); otherwise 408 and the connection is closed.'],
  HEADERS_TIMEOUT_MS: [int(1000, 600_000), 5000, 'A request\'s headers must have arrived within this long (at most `REQUEST_TIMEOUT_MS`).'],
  RECORD_CALLS: [bool, false, 'Record every call: one stereo 16-bit WAV per call in `RECORDINGS_DIR` (`<call id>.wav`), the caller on the left and the agent on the right as the caller heard it (a barge-in is a cut), at the caller\'s rate, written while the call runs; served at `GET /calls/:id/recording.wav` (admin).'],
  RECORDINGS_DIR: [optionalString, undefined, 'Folder of the call recordings (created when needed), relative to the working directory; default `DATA_DIR/recordings`, beside the call records.'],
  TRUST_PROXY: [trustProxy, '', 'Client addresses for the per-address limits come from `X-Forwarded-For` set by these proxies: `true` (any), a hop count, or comma-separated addresses/CIDRs; empty: the socket\'s address.'],
  DATA_DIR: [z.string().trim().min(1), './data', 'Folder of the embedded call store (PGlite) that keeps call records across restarts, used when `DATABASE_URL` is unset. The running server locks it: a second server on the same folder refuses to start.'],
  // Not checked here: a config error would print the value, and this one holds a password.
  DATABASE_URL: [optionalString, undefined, 'PostgreSQL connection URL (`postgres://user:password@host:5432/database`) for call records instead of the embedded store; the schema is migrated at start-up. While the database is down, records are queued in memory and written when it is back.'],
  // Not checked here: a config error would print the value, and this one may hold a password.
  REDIS_URL: [optionalString, undefined, 'Redis connection URL (`redis://[:password@]host:6379[/db]`, `rediss://` for TLS) shared by several instances behind one address: one-time stream tokens, the live-call registry, operator actions and the `MAX_CALLS` and rate limits are then kept there (see the README section "Several instances"). Unset: one instance, all in memory.'],
  INSTANCE_ID: [optionalString.pipe(z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits and . _ : - only (at most 100)').optional()), undefined, 'This instance\'s name in the live-call registry (`/calls` shows it for each live call); default: host name and process id.'],
  HEARTBEAT_INTERVAL_MS: [int(100, 60_000), 2000, 'With `REDIS_URL`: how often an instance refreshes its live calls in Redis (their transcript so far, and that it is alive), ms.'],
  HEARTBEAT_TTL_MS: [int(300, 600_000), 10_000, 'With `REDIS_URL`: an instance unheard of for this long is taken for dead; a surviving instance then ends its calls (reason `instance-lost`) and writes their records. At least twice `HEARTBEAT_INTERVAL_MS`.'],
  RETENTION_DAYS: [int(0, 36_500), 0, 'Delete call records that ended more than this many days ago (checked at start-up and hourly); 0: keep them.'],
  MODEL_PRICES: [modelPricesSetting, '', 'Prices for each call\'s cost, JSON: `{"<model>": {"inputPer1kTokensUsd": 0.032, "outputPer1kTokensUsd": 0.064, "perMinuteUsd": 0}}` (US dollars; absent prices count 0), by vendor model id (`NOVA_MODEL_ID`, `OPENAI_REALTIME_MODEL` values) or provider id (`local`, …); merged over the defaults for Nova Sonic, Nova 2 Sonic and OpenAI Realtime (README "Call cost"). A model with no price has no cost; an invalid value stops start-up.'],
} as const;

/**
 * Every setting of `registry`'s providers and the core ones: core first, then each provider's in
 * registry order; `VOICEBRIDGE_MODEL` takes its values from `registry`.
 * @throws Error when a provider declares a core setting.
 */
export function settingsFor(registry: ProviderRegistry): SettingsSpec {
  const providers = registry.settings();
  const clash = Object.keys(providers).find((k) => k in CORE_SETTINGS);
  if (clash) throw new Error(`setting ${clash} of a provider is already a core setting`);
  return { ...CORE_SETTINGS, VOICEBRIDGE_MODEL: registry.modelSetting(), ...providers };
}

/** Every setting of the built-in providers and the core (the README's table). */
export const SETTINGS = settingsFor(providerRegistry) as typeof CORE_SETTINGS & BuiltinProviderSettings;

/** The validated configuration. `VOICEBRIDGE_MODEL`: `auto` or a registered provider id. */
export type Config = SettingValues<typeof SETTINGS>;

/**
 * Validates settings from `env` (default `process.env`) plus `overrides` (e.g. CLI flags), for the
 * providers of `registry` (default: the built-in ones; another registry's extra settings are in the
 * result too).
 * @throws ConfigError listing every invalid setting (an unknown `VOICEBRIDGE_MODEL` names the known ones).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Record<keyof Config, unknown>> = {}, registry: ProviderRegistry = providerRegistry): Config {
  const config = parseSettings(registry === providerRegistry ? SETTINGS : settingsFor(registry), env, overrides) as Config;
  const problems = crossSettingProblems(config);
  const unknown = config.OFFER_MODELS.filter((id) => !registry.get(id));
  if (unknown.length) problems.push(`OFFER_MODELS: unknown model ${unknown.map((id) => `"${id}"`).join(', ')} (one of ${registry.ids.join(', ')})`);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** Problems between settings that are each valid alone. */
function crossSettingProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.TRANSFER_WEBHOOK_URL && (config.TRANSFER_WEBHOOK_SECRET ?? '').length < 16) {
    problems.push('TRANSFER_WEBHOOK_SECRET: required (at least 16 characters) when TRANSFER_WEBHOOK_URL is set, to sign the hand-off records');
  }
  if (config.HEARTBEAT_TTL_MS < 2 * config.HEARTBEAT_INTERVAL_MS) problems.push('HEARTBEAT_TTL_MS: must be at least twice HEARTBEAT_INTERVAL_MS (one missed heartbeat must not end live calls)');
  if (Boolean(config.VONAGE_APPLICATION_ID) !== Boolean(config.VONAGE_PRIVATE_KEY)) {
    problems.push('VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY: set both (the Voice API needs the application id and its private key) or neither');
  }
  return problems;
}

/** Log settings of a command that has no full configuration (`voicebridge emulate`). */
export type LogSettings = Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>;

/**
 * Validates `LOG_LEVEL` and `LOG_FORMAT` only, from `env` (default `process.env`).
 * @throws ConfigError naming an invalid one.
 */
export function loadLogSettings(env: Record<string, string | undefined> = process.env): LogSettings {
  return parseSettings({ LOG_LEVEL: CORE_SETTINGS.LOG_LEVEL, LOG_FORMAT: CORE_SETTINGS.LOG_FORMAT }, env);
}

/** The README's configuration table (Markdown) for `registry`'s providers. */
export function configTable(registry: ProviderRegistry = providerRegistry): string {
  return settingsTable(registry === providerRegistry ? SETTINGS : settingsFor(registry));
}
