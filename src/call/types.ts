/**
 * Types of a call: its options and dependencies, and the records it keeps (turns, transcript,
 * barge-ins, tool calls, the summary when it ends).
 */
import type { VadModelFactory } from '../audio/vad/types.js';
import type { ResamplerFactory } from '../audio/resample.js';
import type { CallerStartInfo, CallerTransport } from '../callers/transport.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { HistoryMessage, ModelEvent, SpeechModel } from '../models/model.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { CallPhase } from './state.js';
import type { Handoff } from '../handoff/record.js';
import type { PriceTable, TokenUsage } from './cost.js';

/** Tunables for a call (see the configuration table in the README). */
export interface CallOptions {
  /** System prompt given to the model. */
  systemPrompt: string;
  /** Voice id for the model, if any. */
  voice?: string;
  /** End the call after this long with no speech from either side (ms). */
  inactivityTimeoutMs: number;
  /** End the call once it has lasted this long, whatever keeps it active (ms; default: no limit). */
  maxCallMs?: number;
  /** When the caller sends nothing for this long, send silence to models that need continuous audio (ms). */
  keepAliveAfterMs: number;
  /** How far ahead of real time assistant audio may be sent to the carrier (ms). */
  playoutLeadMs: number;
  /** Assistant audio leaves in batches covering this much audio, one timer and write each (ms; default 20: frame by frame). */
  playoutBatchMs?: number;
  /** One playback mark per this much assistant audio, on carriers with marks (ms, multiple of 20). */
  markIntervalMs: number;
  /** Run local VAD on caller audio during playout to detect barge-in. */
  bargeInVad: boolean;
  /** Speex resampler quality 0–10. */
  resampleQuality: number;
  /** Words the assistant opens the call with, if any. */
  greeting?: string;
  /** Longest a tool may run before an error result is returned (ms). */
  toolTimeoutMs?: number;
  /**
   * A barge-in heard by the local VAD holds playout this long before it cancels the reply; sound
   * that stops sooner with no words resumes playback (false-interruption recovery). 0 or absent:
   * barge in at once (ms; the server sets `BARGE_IN_CONFIRM_MS`).
   */
  bargeInConfirmMs?: number;
}

/** Dependencies injected into a call. */
export interface CallDeps {
  id: string;
  transport: CallerTransport;
  startInfo: CallerStartInfo;
  model: SpeechModel;
  resamplers: ResamplerFactory;
  clock: Clock;
  logger: Logger;
  /** VAD for local barge-in detection; null disables it. */
  vad: VadModelFactory | null;
  /** Tools offered to the model (none when absent). */
  tools?: ToolRegistry;
  /** What the caller hears while a slow tool runs (none when absent). */
  holdPhrase?: HoldPhrase;
  /** Prices of the models, for the call's cost (`cost.ts`; none: no cost). */
  prices?: PriceTable;
  /** Wall-clock time in ms since the Unix epoch, for the call's start time (default `Date.now`). */
  wallClockMs?: () => number;
  options: CallOptions;
}

/**
 * One finished or running turn. Its timings (`atMs` … `replyAtMs`, `turn-timing.ts`; README
 * "Turn timings") are whole ms, each absent when it cannot be known. "The
 * caller's speech" is what the model reported (`speechStarted` … `speechStopped`) since the previous
 * turn began: its first start to its last end, pauses included. Nova Sonic reports a start only
 * when the caller interrupts, and the end when its transcript of the caller arrives, with no
 * endpointing figure.
 */
export interface TurnRecord {
  turn: number;
  responseId: string;
  userText: string;
  assistantText: string;
  /**
   * Reply latency: end of the caller's speech as the server detected it (or a typed message's
   * arrival) → the caller starts hearing the reply (marks where the carrier has them, else the
   * first frame's playout time), ms. Null when there was no caller turn before the reply (a
   * greeting) or the carrier never confirmed playback. See `reply-latency.ts`.
   */
  replyLatencyMs: number | null;
  interrupted: boolean;
  /** Assistant audio heard by the caller, ms (set on barge-in). */
  heardMs?: number;
  /** When the caller started speaking for this turn, ms since the call started. */
  atMs?: number;
  /** The caller's speech for this turn, its start to its end (the end being `endpointingMs` before the model ended the turn), ms. */
  callerSpeechMs?: number;
  /** End of the caller's speech → the model decided the turn was over (the silence it waited for), ms; absent when the model does not say. */
  endpointingMs?: number;
  /**
   * End of the caller's turn (as for `replyLatencyMs`: speech end as detected, or a typed message's
   * arrival) → the reply's first audio reached the server from the model, ms. `replyLatencyMs` −
   * `firstAudioMs` is the time the audio spent in voicebridge and on the way to the caller's ear.
   */
  firstAudioMs?: number;
  /** Reply audio the caller heard, ms: all that was sent, or up to the barge-in (`heardMs`). */
  replyMs?: number;
  /** When the caller started hearing the reply (marks, else first frame's playout time), ms since the call started. */
  replyAtMs?: number;
}

/** A model event worth reviewing in a call record, oldest first in `CallSummary.events`. */
export interface CallEvent {
  /**
   * `renewal`: the conversation moved to a new model session (`code`: `limit`, at a turn boundary
   * before the provider's session limit; `forced`, at the limit mid-turn; `failure`, replacing a
   * failed session, `message` its error); `model-error`: an error the model reported (`code`, `message`).
   */
  kind: 'renewal' | 'model-error';
  /** When, ms since the call started. */
  atMs: number;
  code?: string;
  message?: string;
}

/** A transcript line. */
export interface TranscriptEntry {
  role: 'user' | 'assistant';
  text: string;
  /** Ms since the call started. */
  atMs: number;
}

/** Emitted on each barge-in. */
export interface BargeInEvent {
  source: 'model' | 'vad';
  responseId: string | undefined;
  /** Assistant audio heard before the interruption, ms. */
  heardMs: number;
  /** Assistant audio sent before the interruption, ms. */
  sentMs: number;
  /** Queued audio dropped by the pacer, ms. */
  droppedMs: number;
  /** Signal received → carrier clear sent, ms. */
  reactionMs: number;
  /** When it happened (the carrier was told to clear), ms since the call started. */
  atMs?: number;
}

/** Summary when a call ends. */
export interface CallSummary {
  id: string;
  kind: string;
  model: string;
  /** Carrier's call id (Twilio CallSid, Vonage uuid), stream id (Twilio StreamSid) and custom parameters from the stream start. */
  carrierCallId?: string;
  streamId?: string;
  parameters: Record<string, string>;
  /** Why the call ended, as a code (`stop`, `inactivity`, `model-closed: …`). */
  reason: string;
  /** The reason in plain language ("caller hung up", "model error"; `endReasonLabel`). */
  reasonLabel: string;
  error: boolean;
  /** When the call started, ISO 8601 (UTC). */
  startedAt: string;
  durationMs: number;
  turns: TurnRecord[];
  transcript: TranscriptEntry[];
  framesIn: number;
  framesOut: number;
  underruns: number;
  bargeIns: number;
  /** Each barge-in: source, heard/sent position, reaction time. */
  bargeInEvents: BargeInEvent[];
  /** Conversation history as the model was left with it (truncated assistant lines marked). */
  history: HistoryMessage[];
  /** Tool calls, in order. */
  toolCalls: ToolCallRecord[];
  /** The model session's own counters (Nova Sonic: renewals, retries, replayed and dropped audio…). */
  modelStats: Record<string, number>;
  /** The hand-off to a person, when the call was transferred. */
  handoff?: Handoff;
  /** Local-VAD barge-ins that turned out false (a cough, a door): playback resumed where it stopped. */
  falseInterruptions: number;
  /** The model's token usage over the whole call (every renewed session); absent when it reported none. */
  usage?: TokenUsage;
  /** What the call cost, US dollars (`cost.ts`: usage × the model's prices); absent when the model has no price. */
  costUsd?: number;
  /** Session renewals and model errors, oldest first. */
  events?: CallEvent[];
}

/** Audio the caller hears while a slow tool runs (`TOOL_HOLD_PHRASE`, synthesised at start-up). */
export interface HoldPhrase {
  /** Tool runs longer than this start the phrase, ms. */
  afterMs: number;
  /** The phrase as PCM16 mono and its rate, or undefined while it is not synthesised (yet). */
  audio(): { pcm: Int16Array; sampleRateHz: number } | undefined;
  /** Makes the phrase ready if it is not (called when a tool call starts; idempotent). */
  prepare?(): unknown;
}

/** One tool call. */
export interface ToolCallRecord {
  name: string;
  /** The model's arguments (JSON cut short past 2000 characters). */
  arguments?: unknown;
  ok: boolean;
  /** The result given to the model (JSON cut short past 2000 characters), when `ok`. */
  result?: unknown;
  /** Why it failed (its error result), when not `ok`. */
  error?: string;
  durationMs: number;
  /** When it started, ms from the call's start. */
  atMs?: number;
  /** The caller heard the hold phrase while it ran (`TOOL_HOLD_AFTER_MS`). */
  heldCaller?: boolean;
}

/** Payload of a `Call`'s `transcript` event: one final transcript line (or its replacement after truncation). */
export interface CallTranscriptEvent {
  role: 'user' | 'assistant';
  text: string;
}

/**
 * Typed event map of `Call` (for `call.on(name, listener)`):
 * - `state`: the new phase;
 * - `bargeIn`: a barge-in, after playout was cleared and the model told;
 * - `turn`: a turn record, when a reply ends or is interrupted;
 * - `dtmf`: one keypad digit from the caller (`0`–`9`, `*`, `#`, `A`–`D`);
 * - `transcript`: a final transcript line;
 * - `model`: each event of the model session but audio, as it arrives (before the call acts on it);
 * - `toolCall`: a tool call finished (its record);
 * - `ended`: the call summary, once.
 *
 * Observers (metrics, traces: `src/observability/`) listen to these; none fires per audio frame.
 */
export interface CallEvents {
  state: [phase: CallPhase];
  bargeIn: [event: BargeInEvent];
  turn: [turn: TurnRecord];
  dtmf: [digit: string];
  transcript: [entry: CallTranscriptEvent];
  model: [event: CallModelEvent];
  toolCall: [record: ToolCallRecord];
  ended: [summary: CallSummary];
}

/** Payload of a `Call`'s `model` event: a model session event other than audio. */
export type CallModelEvent = Exclude<ModelEvent, { type: 'audio' }>;
