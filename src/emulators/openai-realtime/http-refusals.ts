/**
 * What the emulated Realtime endpoint refuses before the WebSocket upgrade, as raw HTTP responses
 * with OpenAI's JSON error body `{"error":{message, type, param, code}}`: another path (404), no
 * API key or a wrong one (401, the OpenAI API's wording), no `?model=` (400) or a model it does not
 * serve (404 `model_not_found`). Also the fault kinds and the session-limit message. Pure.
 */
import type { IncomingMessage } from 'node:http';

/**
 * A fault injected into sessions: `close` (close 1011 after `afterMs`), `stall` (no event is sent
 * after `afterMs`, and none at all, `session.created` included, when it is 0; client events are
 * still read; the socket stays open), `slowStart` (upgrade only after `afterMs`), `error`
 * (an `error` event mid-response: the response active after `afterMs`, or the next one, fails).
 * `session`: only the n-th session (1-based); absent: every session.
 */
export interface RealtimeFault {
  kind: 'close' | 'stall' | 'slowStart' | 'error';
  afterMs: number;
  session?: number;
}

/** Fault kinds, as `--fault` spells them. */
export const REALTIME_FAULT_KINDS: readonly RealtimeFault['kind'][] = ['close', 'stall', 'slowStart', 'error'];

/**
 * Parses `kind[:afterMs][@session]`, e.g. `close:1500@2`.
 * @throws Error for an unknown kind or a malformed value.
 */
export function parseRealtimeFault(spec: string): RealtimeFault {
  const m = /^(\w+)(?::(\d+))?(?:@(\d+))?$/.exec(spec);
  if (!m || !REALTIME_FAULT_KINDS.includes(m[1] as RealtimeFault['kind'])) throw new Error(`fault "${spec}" is not kind[:afterMs][@session] with kind one of ${REALTIME_FAULT_KINDS.join(', ')}`);
  return { kind: m[1] as RealtimeFault['kind'], afterMs: Number(m[2] ?? 0), session: m[3] ? Number(m[3]) : undefined };
}

/**
 * Models the emulator serves: the GA model names of the `openai` package's
 * `RealtimeSessionCreateRequest.model` enum (protocols.md §2.1).
 */
export const REALTIME_MODELS: readonly string[] = [
  'gpt-realtime',
  'gpt-realtime-2025-08-28',
  'gpt-realtime-mini',
  'gpt-realtime-mini-2025-10-06',
  'gpt-realtime-mini-2025-12-15',
  'gpt-realtime-1.5',
  'gpt-realtime-2',
  'gpt-realtime-2.1',
  'gpt-realtime-2.1-mini',
  'gpt-4o-realtime-preview',
  'gpt-4o-realtime-preview-2024-10-01',
  'gpt-4o-realtime-preview-2024-12-17',
  'gpt-4o-realtime-preview-2025-06-03',
  'gpt-4o-mini-realtime-preview',
  'gpt-4o-mini-realtime-preview-2024-12-17',
];

/** A refused upgrade: the raw HTTP response to write. */
export interface UpgradeRefusal {
  status: number;
  code: string | null;
  message: string;
  /** The whole HTTP/1.1 response, headers and JSON body. */
  response: string;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found' };

function refusal(status: number, message: string, code: string | null, param: string | null = null): UpgradeRefusal {
  const body = JSON.stringify({ error: { message, type: 'invalid_request_error', param, code } });
  const response = `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  return { status, code, message, response };
}

/** The API key of an upgrade request: `Authorization: Bearer <key>` or the `openai-insecure-api-key.<key>` subprotocol. */
export function apiKeyOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const p = protocols.find((x) => x.startsWith('openai-insecure-api-key.'));
  return p?.slice('openai-insecure-api-key.'.length);
}

/** A key as OpenAI shows it in a refusal: its first 3 and last 4 characters. */
function redact(key: string): string {
  return key.length > 10 ? `${key.slice(0, 3)}${'*'.repeat(Math.min(20, key.length - 7))}${key.slice(-4)}` : '*'.repeat(key.length);
}

/** Why an upgrade request is refused, or undefined when it may proceed. */
export function refuseUpgrade(req: IncomingMessage, keys: ReadonlySet<string>): UpgradeRefusal | undefined {
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (url.pathname !== '/v1/realtime') return refusal(404, `Invalid URL (GET ${url.pathname})`, null);
  const key = apiKeyOf(req);
  if (!key) {
    // The OpenAI API's answer to a request without a key.
    return refusal(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.", null);
  }
  if (!keys.has(key)) return refusal(401, `Incorrect API key provided: ${redact(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_api_key');
  const model = url.searchParams.get('model');
  if (!model) return refusal(400, "Missing required parameter: 'model'.", 'missing_required_parameter', 'model');
  if (!REALTIME_MODELS.includes(model)) return refusal(404, `The model '${model}' does not exist or you do not have access to it.`, 'model_not_found', 'model');
  return undefined;
}

/**
 * The `session_expired` message: "Your session hit the maximum duration of 60 minutes." as the real
 * API sends it (reported by clients, e.g. community.openai.com "Realtime API - session_expired?");
 * limits that are not whole minutes are given in seconds.
 */
export function sessionExpiredMessage(limitMs: number): string {
  const minutes = limitMs / 60_000;
  return Number.isInteger(minutes) ? `Your session hit the maximum duration of ${minutes} minutes.` : `Your session hit the maximum duration of ${Math.round(limitMs / 1000)} seconds.`;
}
