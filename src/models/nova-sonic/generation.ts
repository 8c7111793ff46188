/**
 * One Bedrock stream of a Nova Sonic conversation (a "generation"): opened with the session
 * set-up (sessionStart, promptStart with voice and tools, the system prompt), then made live with
 * the shaped history and the audio container (protocols.md §1.3 order), then fed audio, text and
 * tool results, and finally closed with the closing sequence.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { ToolSpec } from '../model.js';
import type { NovaFailure } from './errors.js';
import * as ev from './events.js';
import { NOVA_HISTORY_LIMITS, splitUtf8, type HistoryBlock } from './history.js';
import type { NovaSignal } from './output.js';
import { NovaStream, type BedrockStreamClient } from './stream.js';

/** Provider settings (see the NOVA_* rows of the README's configuration table). */
export interface NovaSettings {
  modelId: string;
  voiceId: string;
  inference: ev.InferenceSettings;
  /** Nova 2 turn-detection sensitivity (not sent to Nova 1). */
  endpointing: ev.EndpointingSensitivity | undefined;
  /** Rates for callers whose own rate Nova does not speak (and for all when `matchCallerRate` is off). */
  inputRateHz: 8000 | 16000;
  outputRateHz: ev.NovaRateHz;
  /** Use the caller's own rates when Nova supports them (8 kHz phone lines: no resampling). */
  matchCallerRate?: boolean;
  /** Caller audio per `audioInput` event, ms (fewer, larger events cost less signing CPU). */
  audioChunkMs: number;
  /** The service's stream limit, ms (8 minutes). */
  maxSessionMs: number;
  /** Start renewing after this stream age, ms. */
  renewAfterMs: number;
  /** Caller audio kept for replay into the next stream, ms. */
  replayMs: number;
  /** Reconnects after recoverable failures before the call is ended. */
  maxRetries: number;
  /** Wait for the service to accept a stream, ms. */
  startTimeoutMs: number;
  /** The caller spoke and nothing at all came back for this long: the stream is stalled, ms. */
  stallTimeoutMs: number;
}

/** Is this model id Nova 2 Sonic (text input, endpointing sensitivity)? */
export function isNova2(modelId: string): boolean {
  return modelId.includes('nova-2-sonic');
}

/** What a generation needs to open. */
export interface GenerationDeps {
  client: BedrockStreamClient;
  settings: NovaSettings;
  logger: Logger;
  /** Time and timers of the conversation. */
  clock: Clock;
  onSignal(gen: Generation, signal: NovaSignal): void;
  onEnd(gen: Generation, failure: NovaFailure | undefined): void;
}

/** One stream and its prompt. */
export class Generation {
  readonly promptName = randomUUID();
  readonly stream: NovaStream;
  /** When the stream was opened (its age counts toward the limit), ms. */
  readonly openedAtMs: number;
  audioContentName: string | undefined;
  /** Encodes this stream's `audioInput` events (set with `audioContentName`). */
  private encodeAudio: ((pcm: Int16Array) => Uint8Array) | undefined;
  /** The service accepted the stream. */
  ready = false;
  /** Tool uses awaiting a result on this stream. */
  readonly pendingTools = new Set<string>();

  /** @param n ordinal within the conversation (for logs). */
  constructor(readonly n: number, private readonly deps: GenerationDeps) {
    this.openedAtMs = deps.clock.nowMs();
    this.stream = new NovaStream({
      client: deps.client,
      modelId: deps.settings.modelId,
      startTimeoutMs: deps.settings.startTimeoutMs,
      closeTimeoutMs: 2000,
      logger: deps.logger,
      clock: deps.clock,
      onSignal: (s) => deps.onSignal(this, s),
      onEnd: (f) => deps.onEnd(this, f),
    });
  }

  /**
   * Opens the stream with the session set-up.
   * @throws VoiceBridgeError (`code`, `retryable`) when the service refuses or does not answer.
   */
  async open(systemPrompt: string, voice: string | undefined, tools: readonly ToolSpec[]): Promise<void> {
    const { settings } = this.deps;
    await this.stream.start([
      ev.sessionStart(settings.inference, isNova2(settings.modelId) ? settings.endpointing : undefined),
      ev.promptStart(this.promptName, { rateHz: settings.outputRateHz, voiceId: voice ?? settings.voiceId }, tools),
      ...ev.textBlock(this.promptName, randomUUID(), 'SYSTEM', false, [systemPrompt]),
    ]);
    this.ready = true;
  }

  /** Sends the history (once, before any audio) and opens the audio container. */
  goLive(history: readonly HistoryBlock[]): void {
    for (const b of history) for (const e of ev.textBlock(this.promptName, randomUUID(), b.role, false, b.contents)) this.stream.send(e);
    this.audioContentName = randomUUID();
    this.stream.send(ev.audioContentStart(this.promptName, this.audioContentName, this.deps.settings.inputRateHz));
    this.encodeAudio = ev.audioInputEncoder(this.promptName, this.audioContentName);
  }

  /** Sends caller audio (after `goLive`). */
  sendAudio(pcm: Int16Array): void {
    if (this.encodeAudio) this.stream.sendJson(this.encodeAudio(pcm));
  }

  /** Sends Nova 2 interactive user text, as `textInput`s of at most 1 KB each in one block (protocols.md §1.8). */
  sendUserText(text: string): void {
    for (const e of ev.textBlock(this.promptName, randomUUID(), 'USER', true, splitUtf8(text, NOVA_HISTORY_LIMITS.maxInputBytes))) this.stream.send(e);
  }

  /** Answers a tool use; false when this stream did not ask for it. */
  sendToolResult(toolUseId: string, result: unknown): boolean {
    if (!this.pendingTools.delete(toolUseId)) return false;
    for (const e of ev.toolResultBlock(this.promptName, randomUUID(), toolUseId, result)) this.stream.send(e);
    return true;
  }

  /** Closes with the closing sequence (audio contentEnd, promptEnd, sessionEnd); never throws. */
  close(): Promise<void> {
    return this.stream.close(ev.closingSequence(this.promptName, this.audioContentName));
  }
}
