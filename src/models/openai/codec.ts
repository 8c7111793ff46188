/**
 * Pure wire codec of the OpenAI Realtime API (GA, WebSocket): builders of the client events we send
 * and a parser that turns each server event into one normalized `OpenAISignal`. No I/O, no state.
 * Event names and shapes: protocols.md Part 2 and the GA schema of the official SDK
 * (`openai` 6.49.0, `resources/realtime/realtime.d.ts`: `RealtimeClientEvent`, `RealtimeServerEvent`);
 * `codec.test.ts` checks every builder against those types.
 */
import { mulawDecode, mulawEncode } from '../../audio/g711.js';
import { pcm16ToBuffer } from '../../audio/pcm.js';
import type { ErrorCode } from '../../core/errors.js';
import type { HistoryMessage, ToolSpec } from '../model.js';
import { decodePcm16Base64 } from '../nova-sonic/output.js';

/** The PCM16 rate of the GA `audio/pcm` format, Hz (the only rate it takes; protocols.md §2.2). */
export const OPENAI_PCM_RATE_HZ = 24000;

/** The rate of the GA G.711 formats `audio/pcmu` and `audio/pcma`, Hz (ITU-T G.711; protocols.md §2.2). */
export const OPENAI_G711_RATE_HZ = 8000;

/**
 * The audio format of a session, both ways: PCM16 LE at 24 kHz (browsers, WebRTC, wideband), or
 * G.711 mu-law at 8 kHz for phone callers, which then need no resampling either way (the carrier's
 * 8 kHz audio goes straight through, re-encoded by table lookup).
 */
export type OpenAIAudioFormat = 'audio/pcm' | 'audio/pcmu';

/** The format for a session at `rateHz` (8000 → `audio/pcmu`, 24000 → `audio/pcm`). @throws RangeError for any other rate. */
export function audioFormatForRate(rateHz: number): OpenAIAudioFormat {
  if (rateHz === OPENAI_PCM_RATE_HZ) return 'audio/pcm';
  if (rateHz === OPENAI_G711_RATE_HZ) return 'audio/pcmu';
  throw new RangeError(`OpenAI Realtime streams PCM16 at ${OPENAI_PCM_RATE_HZ} Hz or G.711 at ${OPENAI_G711_RATE_HZ} Hz, not ${rateHz} Hz`);
}

/** The sample rate of `format`, Hz. */
export function formatRateHz(format: OpenAIAudioFormat): number {
  return format === 'audio/pcm' ? OPENAI_PCM_RATE_HZ : OPENAI_G711_RATE_HZ;
}

/** Turn detection of a session (GA `audio.input.turn_detection`; protocols.md §2.2). */
export type OpenAITurnDetection =
  | {
      type: 'server_vad';
      /** Speech probability threshold, 0–1. */
      threshold: number;
      /** Silence that ends the user's turn, ms. */
      silenceDurationMs: number;
      /** Audio kept before detected speech, ms. */
      prefixPaddingMs: number;
    }
  | {
      type: 'semantic_vad';
      /** How soon the model answers (auto = medium). */
      eagerness: 'low' | 'medium' | 'high' | 'auto';
    };

/** What `session.update` configures. */
export interface OpenAISessionConfig {
  /** System prompt. */
  instructions: string;
  /** Voice id (`marin`, `cedar`, `alloy`, …); undefined: the API's default. */
  voice?: string;
  turnDetection: OpenAITurnDetection;
  /** Input transcription model (e.g. `gpt-4o-mini-transcribe`); undefined: no user transcripts. */
  transcriptionModel?: string;
  tools: readonly ToolSpec[];
  /** Audio format both ways (default `audio/pcm`, 24 kHz). */
  audioFormat?: OpenAIAudioFormat;
}

/** A client event as sent (a JSON object with its `type`). */
export type OpenAIClientEvent = { type: string } & Record<string, unknown>;

/**
 * `session.update` in the GA shape: `type: 'realtime'`, audio-only output, PCM16 24 kHz or G.711
 * mu-law both ways,
 * turn detection that creates and interrupts responses itself, optional input transcription,
 * flat function tools.
 */
export function sessionUpdate(config: OpenAISessionConfig): OpenAIClientEvent {
  const format = (config.audioFormat ?? 'audio/pcm') === 'audio/pcm' ? { type: 'audio/pcm', rate: OPENAI_PCM_RATE_HZ } : { type: 'audio/pcmu' };
  const td = config.turnDetection;
  const turnDetection =
    td.type === 'server_vad'
      ? { type: 'server_vad', threshold: td.threshold, silence_duration_ms: td.silenceDurationMs, prefix_padding_ms: td.prefixPaddingMs, create_response: true, interrupt_response: true }
      : { type: 'semantic_vad', eagerness: td.eagerness, create_response: true, interrupt_response: true };
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      instructions: config.instructions,
      output_modalities: ['audio'],
      audio: {
        input: { format, turn_detection: turnDetection, ...(config.transcriptionModel ? { transcription: { model: config.transcriptionModel } } : {}) },
        output: { format, ...(config.voice ? { voice: config.voice } : {}) },
      },
      tools: config.tools.map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.inputSchema })),
      tool_choice: 'auto',
    },
  };
}

/** `input_audio_buffer.append` of PCM16 `pcm`, base64 in `format` (PCM16 LE, or mu-law bytes). */
export function inputAudioAppend(pcm: Int16Array, format: OpenAIAudioFormat = 'audio/pcm'): OpenAIClientEvent {
  const bytes = format === 'audio/pcm' ? pcm16ToBuffer(pcm) : Buffer.from(mulawEncode(pcm).buffer);
  return { type: 'input_audio_buffer.append', audio: bytes.toString('base64') };
}

/** Assistant audio of a delta (base64 in `format`) as PCM16. */
export function decodeAudioDelta(base64: string, format: OpenAIAudioFormat): Int16Array {
  return format === 'audio/pcm' ? decodePcm16Base64(base64) : mulawDecode(Buffer.from(base64, 'base64'));
}

/** `response.create`, with per-response `instructions` when given (e.g. a greeting). */
export function responseCreate(instructions?: string): OpenAIClientEvent {
  return instructions === undefined ? { type: 'response.create' } : { type: 'response.create', response: { instructions } };
}

/** `response.cancel` of `responseId` (the in-flight response when omitted). */
export function responseCancel(responseId?: string): OpenAIClientEvent {
  return responseId === undefined ? { type: 'response.cancel' } : { type: 'response.cancel', response_id: responseId };
}

/** `conversation.item.truncate`: cut assistant audio item `itemId` to its first `audioEndMs` (content 0). */
export function itemTruncate(itemId: string, audioEndMs: number): OpenAIClientEvent {
  return { type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: Math.max(0, Math.round(audioEndMs)) };
}

/** `conversation.item.create` of a user message with typed text (`input_text`). */
export function userTextItem(text: string): OpenAIClientEvent {
  return { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } };
}

/**
 * `conversation.item.create` of one history message: user lines as `input_text`, assistant lines
 * as `output_text` (GA content types; protocols.md §2.3).
 */
export function historyItem(message: HistoryMessage): OpenAIClientEvent {
  const content = message.role === 'user' ? { type: 'input_text', text: message.text } : { type: 'output_text', text: message.text };
  return { type: 'conversation.item.create', item: { type: 'message', role: message.role, content: [content] } };
}

/** `conversation.item.create` of a `function_call_output` for `callId`; `output` is sent as a JSON string. */
export function functionCallOutput(callId: string, output: unknown): OpenAIClientEvent {
  let text: string;
  try {
    text = typeof output === 'string' ? output : (JSON.stringify(output) ?? 'null');
  } catch (err) {
    text = JSON.stringify({ error: `tool result is not serializable: ${err instanceof Error ? err.message : String(err)}` });
  }
  return { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output: text } };
}

/** An `error` event classified for the session. */
export interface OpenAIErrorSignal {
  kind: 'error';
  /** Our code for it. */
  code: ErrorCode;
  message: string;
  /** A new session may succeed. */
  retryable: boolean;
  /** The session cannot go on (e.g. it hit its maximum duration). */
  fatal: boolean;
  /** Harmless in our use (cancelling a response the server already ended). */
  benign: boolean;
  /** OpenAI's own `type`, `code` and `param`. */
  openai: { type: string; code?: string; param?: string };
}

/** One normalized server event. Ids are OpenAI's (`resp_…`, `item_…`, `call_…`). */
export type OpenAISignal =
  | { kind: 'sessionCreated' }
  | { kind: 'sessionUpdated' }
  /** The user started speaking; `audioStartMs` since the session's audio began. */
  | { kind: 'speechStarted'; itemId: string; audioStartMs: number }
  | { kind: 'speechStopped'; itemId: string; audioEndMs: number }
  | { kind: 'userTranscriptDelta'; itemId: string; delta: string }
  | { kind: 'userTranscriptDone'; itemId: string; transcript: string }
  | { kind: 'userTranscriptFailed'; itemId: string; message: string }
  | { kind: 'responseCreated'; responseId: string }
  /** Assistant audio, PCM16 at the session format's rate. */
  | { kind: 'audioDelta'; responseId: string; itemId: string; pcm: Int16Array }
  | { kind: 'transcriptDelta'; responseId: string; itemId: string; delta: string }
  | { kind: 'transcriptDone'; responseId: string; itemId: string; transcript: string }
  /** `arguments` parsed from JSON; when it is not valid JSON, the raw string and `argumentsError`. */
  | { kind: 'functionCall'; responseId: string; itemId: string; callId: string; name: string; arguments: unknown; argumentsError?: string }
  /**
   * `status`: completed, cancelled, failed or incomplete; usage of this response when reported;
   * `error`: why a `failed` response failed (`status_details.error`, e.g. `insufficient_quota`).
   */
  | { kind: 'responseDone'; responseId: string; status: string; reason?: string; usage?: { inputTokens: number; outputTokens: number }; error?: OpenAIErrorSignal }
  | { kind: 'itemTruncated'; itemId: string; audioEndMs: number }
  | OpenAIErrorSignal
  | { kind: 'ignored'; type: string }
  | { kind: 'malformed'; reason: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Error codes that only mean a cancel raced the server's own end of the response. */
const BENIGN_CODES = new Set(['response_cancel_not_active']);
/** Error codes after which the session is over (observed: `session_expired`, "Your session hit the maximum duration of … minutes."). */
const FATAL_CODES = new Set(['session_expired']);

/**
 * Classifies an `error` event's `error` object (`{type, code, message, param, event_id}`;
 * protocols.md §2.4). The API keeps the session open after most errors (SDK docs of
 * `RealtimeErrorEvent`); `session_expired` ends it. Server errors and rate limits may succeed
 * again; invalid requests will not.
 */
export function classifyOpenAIError(error: unknown): OpenAIErrorSignal {
  const e = isObj(error) ? error : {};
  const type = str(e.type) ?? 'unknown_error';
  const openaiCode = str(e.code);
  const param = str(e.param);
  const message = str(e.message) ?? 'OpenAI Realtime error';
  const openai = { type, ...(openaiCode ? { code: openaiCode } : {}), ...(param ? { param } : {}) };
  const benign = openaiCode !== undefined && BENIGN_CODES.has(openaiCode);
  const fatal = openaiCode !== undefined && FATAL_CODES.has(openaiCode);
  let code: ErrorCode;
  let retryable: boolean;
  if (fatal) [code, retryable] = ['session_expired', true];
  else if (type.includes('insufficient_quota') || openaiCode?.includes('insufficient_quota')) [code, retryable] = ['rate_limited', false];
  else if (type.includes('rate_limit') || openaiCode?.includes('rate_limit')) [code, retryable] = ['rate_limited', true];
  else if (type === 'server_error') [code, retryable] = ['openai_error', true];
  else if (type === 'invalid_request_error') [code, retryable] = ['invalid_request', false];
  else [code, retryable] = ['openai_error', false];
  return { kind: 'error', code, message, retryable, fatal, benign, openai };
}

/** Parses a function call's `arguments` (a JSON string). */
function functionCall(e: Obj): OpenAISignal {
  const [responseId, itemId, callId, name, raw] = [str(e.response_id), str(e.item_id), str(e.call_id), str(e.name), str(e.arguments)];
  if (!responseId || !itemId || !callId || !name || raw === undefined) return { kind: 'malformed', reason: 'function_call_arguments.done without ids, name or arguments' };
  try {
    return { kind: 'functionCall', responseId, itemId, callId, name, arguments: raw.trim() ? JSON.parse(raw) : {} };
  } catch (err) {
    return { kind: 'functionCall', responseId, itemId, callId, name, arguments: raw, argumentsError: err instanceof Error ? err.message : String(err) };
  }
}

function responseDone(e: Obj): OpenAISignal {
  const r = isObj(e.response) ? e.response : undefined;
  const responseId = str(r?.id);
  if (!r || !responseId) return { kind: 'malformed', reason: 'response.done without response.id' };
  const details = isObj(r.status_details) ? r.status_details : {};
  const usage = isObj(r.usage) ? r.usage : undefined;
  const reason = str(details.reason);
  const status = str(r.status) ?? 'completed';
  // `status_details.error` has a type and a code but no message (GA `RealtimeResponseStatus.Error`).
  const failure = isObj(details.error) ? details.error : {};
  const error = status === 'failed' ? classifyOpenAIError({ ...failure, message: `response failed (${[str(failure.type), str(failure.code)].filter(Boolean).join(', ') || 'no reason given'})` }) : undefined;
  return {
    kind: 'responseDone',
    responseId,
    status,
    ...(reason ? { reason } : {}),
    ...(usage ? { usage: { inputTokens: num(usage.input_tokens) ?? 0, outputTokens: num(usage.output_tokens) ?? 0 } } : {}),
    ...(error ? { error } : {}),
  };
}

/**
 * Parses one server event (a text frame, or its already parsed JSON). Never throws: bad JSON or a
 * known event without its fields gives `malformed`; events we do not use give `ignored`.
 */
export function parseServerEvent(data: unknown, format: OpenAIAudioFormat = 'audio/pcm'): OpenAISignal {
  let e: unknown = data;
  if (typeof data === 'string') {
    try {
      e = JSON.parse(data);
    } catch {
      return { kind: 'malformed', reason: 'not JSON' };
    }
  }
  if (!isObj(e) || typeof e.type !== 'string') return { kind: 'malformed', reason: 'not an object with a type' };
  const ids = { responseId: str(e.response_id), itemId: str(e.item_id) };
  const bad = (what: string): OpenAISignal => ({ kind: 'malformed', reason: `${e.type} without ${what}` });
  switch (e.type) {
    case 'session.created':
      return { kind: 'sessionCreated' };
    case 'session.updated':
      return { kind: 'sessionUpdated' };
    case 'input_audio_buffer.speech_started':
      return { kind: 'speechStarted', itemId: ids.itemId ?? '', audioStartMs: num(e.audio_start_ms) ?? 0 };
    case 'input_audio_buffer.speech_stopped':
      return { kind: 'speechStopped', itemId: ids.itemId ?? '', audioEndMs: num(e.audio_end_ms) ?? 0 };
    case 'conversation.item.input_audio_transcription.delta':
      return ids.itemId && typeof e.delta === 'string' ? { kind: 'userTranscriptDelta', itemId: ids.itemId, delta: e.delta } : bad('item_id or delta');
    case 'conversation.item.input_audio_transcription.completed':
      return ids.itemId && typeof e.transcript === 'string' ? { kind: 'userTranscriptDone', itemId: ids.itemId, transcript: e.transcript } : bad('item_id or transcript');
    case 'conversation.item.input_audio_transcription.failed':
      return { kind: 'userTranscriptFailed', itemId: ids.itemId ?? '', message: str(isObj(e.error) ? e.error.message : undefined) ?? 'transcription failed' };
    case 'response.created': {
      const id = isObj(e.response) ? str(e.response.id) : undefined;
      return id ? { kind: 'responseCreated', responseId: id } : bad('response.id');
    }
    case 'response.output_audio.delta':
      return ids.responseId && ids.itemId && typeof e.delta === 'string' ? { kind: 'audioDelta', responseId: ids.responseId, itemId: ids.itemId, pcm: decodeAudioDelta(e.delta, format) } : bad('ids or delta');
    case 'response.output_audio_transcript.delta':
      return ids.responseId && ids.itemId && typeof e.delta === 'string' ? { kind: 'transcriptDelta', responseId: ids.responseId, itemId: ids.itemId, delta: e.delta } : bad('ids or delta');
    case 'response.output_audio_transcript.done':
      return ids.responseId && ids.itemId && typeof e.transcript === 'string' ? { kind: 'transcriptDone', responseId: ids.responseId, itemId: ids.itemId, transcript: e.transcript } : bad('ids or transcript');
    case 'response.function_call_arguments.done':
      return functionCall(e);
    case 'response.done':
      return responseDone(e);
    case 'conversation.item.truncated':
      return ids.itemId ? { kind: 'itemTruncated', itemId: ids.itemId, audioEndMs: num(e.audio_end_ms) ?? 0 } : bad('item_id');
    case 'error':
      return classifyOpenAIError(e.error);
    default:
      return { kind: 'ignored', type: e.type };
  }
}
