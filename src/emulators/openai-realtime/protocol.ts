/**
 * Client events of the OpenAI Realtime GA WebSocket protocol, parsed and checked into typed
 * values (`RealtimeClientEvent` in the `openai` package's `resources/realtime/realtime.ts`;
 * protocols.md §2.3). Refusals are `RealtimeRequestError`s carrying the real API's error `code`
 * and dotted `param`; the sender turns them into `error` events. Pure: no I/O.
 */
import { invalidType, invalidValue, missingParameter, RealtimeRequestError, unknownParameter } from './errors.js';

/** A user or system message, or a function call's output, as `conversation.item.create` gives it. */
export type ClientItem =
  | { type: 'message'; id?: string; role: 'user' | 'system' | 'assistant'; text: string }
  | { type: 'function_call_output'; id?: string; call_id: string; output: string };

/** A parsed client event; `event_id` is the client's own id (null when absent). */
export type ClientEvent = { event_id: string | null } & (
  | { type: 'session.update'; session: unknown }
  | { type: 'input_audio_buffer.append'; audio: Buffer }
  | { type: 'input_audio_buffer.commit' }
  | { type: 'input_audio_buffer.clear' }
  | { type: 'conversation.item.create'; previous_item_id: string | null | undefined; item: ClientItem }
  | { type: 'conversation.item.truncate'; item_id: string; content_index: number; audio_end_ms: number }
  | { type: 'conversation.item.delete'; item_id: string }
  | { type: 'conversation.item.retrieve'; item_id: string }
  | { type: 'response.create'; response: { instructions?: string; conversation?: string; [k: string]: unknown } }
  | { type: 'response.cancel'; response_id: string | undefined }
);

/** Client event types the emulator accepts on a WebSocket. */
export const CLIENT_EVENT_TYPES: readonly string[] = [
  'session.update',
  'input_audio_buffer.append',
  'input_audio_buffer.commit',
  'input_audio_buffer.clear',
  'conversation.item.create',
  'conversation.item.truncate',
  'conversation.item.delete',
  'conversation.item.retrieve',
  'response.create',
  'response.cancel',
];

/** Largest `input_audio_buffer.append` payload, bytes (15 MiB, protocols.md §2.3). */
export const MAX_APPEND_BYTES = 15 * 1024 * 1024;

const RESPONSE_KEYS = ['audio', 'conversation', 'input', 'instructions', 'max_output_tokens', 'metadata', 'output_modalities', 'parallel_tool_calls', 'prompt', 'reasoning', 'tool_choice', 'tools'];

function keys(o: Record<string, unknown>, allowed: readonly string[], prefix = ''): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k) && k !== 'type' && k !== 'event_id') throw unknownParameter(prefix + k);
}

function str(o: Record<string, unknown>, k: string, prefix = ''): string {
  if (o[k] === undefined) throw missingParameter(prefix + k);
  if (typeof o[k] !== 'string') throw invalidType(prefix + k, 'a string', o[k]);
  return o[k] as string;
}

function obj(v: unknown, param: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidType(param, 'an object', v);
  return v as Record<string, unknown>;
}

/** Text of a message's content parts (`input_text` / `text` / `output_text`); audio parts are not accepted here. */
function messageText(content: unknown, role: string): string {
  if (!Array.isArray(content)) throw invalidType('item.content', 'an array', content);
  const allowed = role === 'assistant' ? ['output_text', 'text'] : ['input_text'];
  return content
    .map((part, i) => {
      const p = obj(part, `item.content[${i}]`);
      if (!allowed.includes(p.type as string)) throw invalidValue(`item.content[${i}].type`, p.type, allowed);
      return str(p, 'text', `item.content[${i}].`);
    })
    .join(' ');
}

function parseItem(v: unknown): ClientItem {
  const item = obj(v, 'item');
  const id = item.id === undefined ? undefined : str(item, 'id', 'item.');
  if (item.type === 'function_call_output') {
    keys(item, ['id', 'object', 'status', 'call_id', 'output'], 'item.');
    return { type: 'function_call_output', id, call_id: str(item, 'call_id', 'item.'), output: str(item, 'output', 'item.') };
  }
  if (item.type === 'message') {
    keys(item, ['id', 'object', 'status', 'role', 'content'], 'item.');
    const role = str(item, 'role', 'item.');
    if (role !== 'user' && role !== 'system' && role !== 'assistant') throw invalidValue('item.role', role, ['user', 'assistant', 'system']);
    return { type: 'message', id, role, text: messageText(item.content, role) };
  }
  if (item.type === undefined) throw missingParameter('item.type');
  throw invalidValue('item.type', item.type, ['message', 'function_call_output']);
}

function nonNegativeInteger(o: Record<string, unknown>, k: string): number {
  if (o[k] === undefined) throw missingParameter(k);
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidType(k, 'an integer', v);
  if (v < 0) throw new RealtimeRequestError('integer_below_min_value', `Invalid '${k}': integer below minimum value. Expected a value >= 0, but got ${v} instead.`, k);
  return v;
}

/**
 * Parses one text frame into a client event.
 * @throws RealtimeRequestError for invalid JSON, an unknown or missing `type`, unknown fields,
 * missing or mistyped fields (with `param`), or an append larger than 15 MiB.
 */
export function parseClientEvent(text: string): ClientEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RealtimeRequestError('invalid_json', `The server could not parse the JSON sent: ${(err as Error).message}.`, null);
  }
  const o = obj(raw, '(event)');
  const event_id = o.event_id === undefined ? null : str(o, 'event_id');
  if (o.type === undefined) throw missingParameter('type');
  if (typeof o.type !== 'string') throw invalidType('type', 'a string', o.type);
  switch (o.type) {
    case 'session.update':
      keys(o, ['session']);
      if (o.session === undefined) throw missingParameter('session');
      return { type: o.type, event_id, session: o.session };
    case 'input_audio_buffer.append': {
      keys(o, ['audio']);
      const b64 = str(o, 'audio');
      if ((b64.length * 3) / 4 > MAX_APPEND_BYTES) throw new RealtimeRequestError('invalid_value', `Invalid 'audio': the appended audio is larger than ${MAX_APPEND_BYTES} bytes.`, 'audio');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new RealtimeRequestError('invalid_value', "Invalid 'audio'. Expected base64-encoded audio bytes.", 'audio');
      return { type: o.type, event_id, audio: Buffer.from(b64, 'base64') };
    }
    case 'input_audio_buffer.commit':
    case 'input_audio_buffer.clear':
      keys(o, []);
      return { type: o.type, event_id };
    case 'conversation.item.create':
      keys(o, ['item', 'previous_item_id']);
      if (o.item === undefined) throw missingParameter('item');
      if (o.previous_item_id !== undefined && o.previous_item_id !== null) str(o, 'previous_item_id');
      return { type: o.type, event_id, previous_item_id: o.previous_item_id as string | null | undefined, item: parseItem(o.item) };
    case 'conversation.item.truncate':
      keys(o, ['item_id', 'content_index', 'audio_end_ms']);
      return { type: o.type, event_id, item_id: str(o, 'item_id'), content_index: nonNegativeInteger(o, 'content_index'), audio_end_ms: nonNegativeInteger(o, 'audio_end_ms') };
    case 'conversation.item.delete':
    case 'conversation.item.retrieve':
      keys(o, ['item_id']);
      return { type: o.type, event_id, item_id: str(o, 'item_id') };
    case 'response.create': {
      keys(o, ['response']);
      const response = o.response === undefined ? {} : obj(o.response, 'response');
      keys(response, RESPONSE_KEYS, 'response.');
      if (response.instructions !== undefined) str(response, 'instructions', 'response.');
      return { type: o.type, event_id, response };
    }
    case 'response.cancel':
      keys(o, ['response_id']);
      return { type: o.type, event_id, response_id: o.response_id === undefined ? undefined : str(o, 'response_id') };
    case 'output_audio_buffer.clear':
      throw new RealtimeRequestError('invalid_value', "'output_audio_buffer.clear' is only supported for WebRTC and SIP connections.", 'type');
    default:
      throw invalidValue('type', o.type, CLIENT_EVENT_TYPES);
  }
}
