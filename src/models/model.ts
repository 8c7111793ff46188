/**
 * The model side of a call: a speech-to-speech model and one live session with it, with events
 * normalized across providers (Nova Sonic, OpenAI Realtime, the offline local model, loopback).
 * Model code never imports caller transports.
 */
import type { Logger } from '../core/logger.js';
import type { ErrorCode } from '../core/errors.js';

/** What a provider can do; the call adapts barge-in and renewal to these. */
export interface ModelCapabilities {
  /** Can cut the assistant's last item to what was heard (`truncate`). */
  truncation: boolean;
  /** Detects the user's speech itself and reports `speechStarted`. */
  serverTurnDetection: boolean;
  /** Reports transcripts of the user's speech. */
  userTranscripts: boolean;
  /** Accepts `sendText`. */
  textInput: boolean;
  /** Times out when input audio stops, so silence must be sent while the caller is quiet. */
  needsContinuousAudio: boolean;
  /** Can change its tools on a live session (absent: false; tools are fixed at `open`). */
  midSessionTools?: boolean;
}

/** A chat message carried across sessions. */
export interface HistoryMessage {
  role: 'user' | 'assistant';
  text: string;
  /** The assistant message was cut off by barge-in at this heard position. */
  truncatedAtMs?: number;
}

/** Everything a session needs to start. */
export interface SessionInit {
  /** Our call id (for logs). */
  callId: string;
  /** System prompt. */
  systemPrompt: string;
  /** Voice id, provider-specific; undefined for the provider's default. */
  voice?: string;
  /** Prior conversation, oldest first. */
  history: HistoryMessage[];
  /** Logger bound to the call. */
  logger: Logger;
  /**
   * Sample rate of the caller's own audio before the call resampled it (8000 on phone lines), so a
   * model can adapt to narrowband speech.
   */
  callerRateHz?: number;
  /** Tools the model may call (name, description, JSON Schema of the arguments). */
  tools?: ToolSpec[];
  /** Words the assistant should open the call with (speak first), if any. */
  greeting?: string;
  /**
   * Rates this session must use, Hz, as `SpeechModel.ratesFor` chose them for the caller (the call
   * resamples to these); undefined: the model's `inputRateHz` / `outputRateHz`.
   */
  inputRateHz?: number;
  outputRateHz?: number;
}

/** PCM16 rates of a model session, Hz. */
export interface SessionRates {
  inputRateHz: number;
  outputRateHz: number;
}

/** A tool as a model sees it. */
export interface ToolSpec {
  /** snake_case name. */
  name: string;
  description: string;
  /** JSON Schema (an object schema) of the arguments. */
  inputSchema: Record<string, unknown>;
  /**
   * For models that cannot call functions (the local model's rule responder): caller phrases
   * (case-insensitive regular expressions) that call this tool with `arguments` (`TOOLS_FILE`
   * `offline`). Never sent to a model API.
   */
  offline?: { phrases: readonly string[]; arguments: Record<string, unknown> };
}

/** Counters a session reports about itself (renewals, retries, gaps…); names carry their units. */
export type ModelSessionStats = Record<string, number>;

/** Normalized events from a model session. */
export type ModelEvent =
  /** Assistant audio at the model's `outputRateHz`. */
  | { type: 'audio'; pcm: Int16Array; responseId: string }
  /** The model started a response. */
  | { type: 'responseStarted'; responseId: string }
  /** The response is complete (or was cancelled). */
  | { type: 'responseDone'; responseId: string; cancelled: boolean }
  /** The user started speaking (the model's barge-in signal). */
  | { type: 'speechStarted' }
  /**
   * The user stopped speaking (end of their turn as the model sees it). `speechEndedAgoMs`: the
   * speech itself ended this long before the event (the endpointing silence), ms; absent: at the event.
   */
  | { type: 'speechStopped'; speechEndedAgoMs?: number }
  /** Transcript text; `final: false` is a partial or speculative hypothesis. */
  | { type: 'transcript'; role: 'user' | 'assistant'; text: string; final: boolean; responseId?: string }
  /** The model asks for a tool call. */
  | { type: 'toolCall'; toolCallId: string; name: string; arguments: unknown }
  /** Token usage of the whole conversation so far (cumulative over renewed sessions), tokens. */
  | { type: 'usage'; inputTokens: number; outputTokens: number }
  /**
   * The conversation moved to a new provider session (`RenewingSession`): `cause` `limit` at a turn
   * boundary before the provider's session limit, `forced` at the limit mid-turn, `failure` replacing
   * a session that failed with a retryable error (its `code` and `message`; not sent as `error`).
   */
  | { type: 'renewed'; cause: 'limit' | 'forced' | 'failure'; code?: ErrorCode; message?: string }
  /** An error; `retryable` errors may be recovered by a new session. */
  | { type: 'error'; code: ErrorCode; message: string; retryable: boolean }
  /** The session is over. */
  | { type: 'closed'; reason: string };

/** One live model session. */
export interface ModelSession {
  /** Installs the event handler; events before it is set are buffered. */
  setHandler(handler: (event: ModelEvent) => void): void;
  /** Sends caller audio at the model's `inputRateHz`. */
  sendAudio(pcm: Int16Array): void;
  /** Sends typed user text (when `capabilities.textInput`). */
  sendText(text: string): void;
  /** Returns a tool's result. */
  sendToolResult(toolCallId: string, result: unknown): void;
  /** Stops generating the current response. */
  cancelResponse(): void;
  /** Cuts response `responseId` to the first `heardMs` of its audio (when `capabilities.truncation`). */
  truncate(responseId: string, heardMs: number): void;
  /** Ends the session; resolves when its resources are released. Idempotent. */
  close(): Promise<void>;
  /** Provider counters (optional). */
  stats?(): ModelSessionStats;
}

/** A model provider. */
export interface SpeechModel {
  /** Provider id, e.g. `local`, `loopback`, `nova-sonic`. */
  readonly id: string;
  /**
   * The vendor's own id of the model it bills for (`amazon.nova-2-sonic-v1:0`, `gpt-realtime`), to
   * price a call (`src/call/cost.ts`); absent: priced by `id` only.
   */
  readonly billingId?: string;
  /** What the provider supports. */
  readonly capabilities: ModelCapabilities;
  /** Rate of PCM16 the session accepts. */
  readonly inputRateHz: number;
  /** Rate of PCM16 the session produces. */
  readonly outputRateHz: number;
  /** Longest session the provider allows, in ms (Infinity when unlimited). */
  /**
   * The rates a session for a caller at these rates should use (a provider that can speak the
   * caller's own rate spares the call resampling both ways); omitted: `inputRateHz` /
   * `outputRateHz` for every caller.
   */
  ratesFor?(callerInputRateHz: number, callerOutputRateHz: number): SessionRates;
  readonly maxSessionMs: number;
  /** Voice ids a caller may pick (`SessionInit.voice`); absent or empty: no choice. */
  readonly voices?: readonly string[];
  /**
   * Opens a session.
   * @throws VoiceBridgeError when the provider cannot be reached or refuses.
   */
  open(init: SessionInit, signal?: AbortSignal): Promise<ModelSession>;
}
