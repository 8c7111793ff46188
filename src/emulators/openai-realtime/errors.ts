/**
 * Errors of the emulated OpenAI Realtime API, shaped as the real API sends them: an `error` server
 * event `{type:'error', event_id, error:{type, code, message, param, event_id}}` (GA
 * `RealtimeErrorEvent` / `RealtimeError` in the `openai` package's
 * `resources/realtime/realtime.ts`; protocols.md §2.4). Messages follow the OpenAI API's wording
 * where it is known (cited at each use); the rest are the emulator's own.
 */
import { randomBytes } from 'node:crypto';

/** `error` of an `error` event (GA `RealtimeError`). */
export interface RealtimeErrorBody {
  /** `invalid_request_error`, `server_error`, … */
  type: string;
  code: string | null;
  message: string;
  /** Dotted path of the offending parameter, e.g. `session.audio.input.format`. */
  param: string | null;
  /** `event_id` of the client event that caused it, when it had one. */
  event_id: string | null;
}

/** An `error` server event. */
export interface RealtimeErrorEvent {
  type: 'error';
  event_id: string;
  error: RealtimeErrorBody;
}

/** A refused client request: what to put in the `error` event (its `event_id` is added by the sender). */
export class RealtimeRequestError extends Error {
  constructor(
    /** e.g. `invalid_value`, `unknown_parameter`. */
    readonly code: string,
    message: string,
    /** Dotted parameter path, or null. */
    readonly param: string | null = null,
    /** `invalid_request_error` unless given. */
    readonly errorType = 'invalid_request_error',
  ) {
    super(message);
    this.name = 'RealtimeRequestError';
  }
}

/** A fresh id with OpenAI's prefix style (`event_…`, `item_…`, `resp_…`, `call_…`, `sess_…`): prefix + 22 base62-ish chars. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url').replace(/[-_]/g, '').slice(0, 22).padEnd(22, 'A')}`;
}

/** An `error` event for `err`, answering the client event `clientEventId` (null when it had none). */
export function errorEvent(err: RealtimeRequestError, clientEventId: string | null): RealtimeErrorEvent {
  return { type: 'error', event_id: newId('event'), error: { type: err.errorType, code: err.code, message: err.message, param: err.param, event_id: clientEventId } };
}

/** `Unknown parameter: 'x'.` (OpenAI API wording for a field it does not know). */
export function unknownParameter(param: string): RealtimeRequestError {
  return new RealtimeRequestError('unknown_parameter', `Unknown parameter: '${param}'.`, param);
}

/** `Missing required parameter: 'x'.` (OpenAI API wording). */
export function missingParameter(param: string): RealtimeRequestError {
  return new RealtimeRequestError('missing_required_parameter', `Missing required parameter: '${param}'.`, param);
}

/** `Invalid value: 'v'. Supported values are: 'a', 'b'.` (OpenAI API wording). */
export function invalidValue(param: string, value: unknown, supported?: readonly string[]): RealtimeRequestError {
  const list = supported ? ` Supported values are: ${supported.map((s) => `'${s}'`).join(', ')}.` : '';
  return new RealtimeRequestError('invalid_value', `Invalid value: '${typeof value === 'string' ? value : JSON.stringify(value)}'.${list}`, param);
}

/** `Invalid type for 'x': expected <what>, but got <type> instead.` (OpenAI API wording). */
export function invalidType(param: string, expected: string, value: unknown): RealtimeRequestError {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  return new RealtimeRequestError('invalid_type', `Invalid type for '${param}': expected ${expected}, but got ${got} instead.`, param);
}

/** The OpenAI API's generic `server_error` message. */
export const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';

/** An `error` event's body for a server-side failure (`server_error`, not caused by a client event). */
export function serverErrorBody(message = SERVER_ERROR_MESSAGE, code: string | null = null): RealtimeErrorBody {
  return { type: 'server_error', code, message, param: null, event_id: null };
}
