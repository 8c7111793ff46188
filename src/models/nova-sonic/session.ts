/**
 * One Bedrock stream of a Nova Sonic conversation as one `ModelSession` (a segment of the
 * `RenewingSession` that `model.ts` builds: renewal before the 8-minute limit and recovery after a
 * failure live there, not here). It opens the stream with the session set-up (system prompt,
 * voice, tools), goes live with the shaped history and the audio container (`goLive`, protocols.md
 * §1.3, §1.13), batches caller audio into larger `audioInput` events, maps output signals to model
 * events, answers tool calls through the call, and fails itself when it stalls.
 *
 * Its end: a failure emits `error` (retryable as Nova says) then `closed`; `close()` emits `closed`.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { rms } from '../../audio/level.js';
import { concatPcm16 } from '../../audio/pcm.js';
import type { HistoryMessage, ModelEvent, ModelSessionStats, SessionInit } from '../model.js';
import type { SegmentSession } from '../shared/renewing-session.js';
import { SessionEvents } from '../shared/session-events.js';
import type { NovaFailure } from './errors.js';
import { Generation, isNova2, type NovaSettings } from './generation.js';
import { historyBytes, shapeHistory } from './history.js';
import type { NovaSignal } from './output.js';
import { ResponseTracker } from './responses.js';
import { SPEECH_RMS, STALL_CHECK_MS, StallWatch } from './stall.js';
import type { BedrockStreamClient } from './stream.js';

export { isNova2, type NovaSettings } from './generation.js';

/** Dependencies of one stream. */
export interface NovaStreamDeps {
  client: BedrockStreamClient;
  settings: NovaSettings;
  /** The call's set-up (its history is not used here: `goLive` brings the conversation). */
  init: SessionInit;
  clock: Clock;
  /** Ordinal of the stream within the conversation (for logs). */
  n: number;
  /** The greeting to speak when this stream goes live, if it is still due (taken once). */
  takeGreeting?(): string | undefined;
}

/** One Nova Sonic stream. */
export class NovaSonicSession implements SegmentSession {
  private readonly events = new SessionEvents(() => this.closed);
  private readonly tracker: ResponseTracker;
  private readonly gen: Generation;
  private readonly chunkSamples: number;
  private readonly stall: StallWatch;
  private pending: Int16Array[] = [];
  private pendingSamples = 0;
  private live = false;
  private liveSinceMs = 0;
  private closed = false;
  private tick: TimerHandle | undefined;
  private readonly counters = { audioEventsSent: 0, inputMs: 0, deliveredMs: 0, maxPrepareMs: 0, maxHistoryBytes: 0, stalls: 0, discardedAudioMs: 0 };

  private constructor(private readonly deps: NovaStreamDeps) {
    const { settings, init, clock } = deps;
    // Response ids are per stream; `RenewingSession` prefixes those of later streams.
    this.tracker = new ResponseTracker(settings.outputRateHz, []);
    this.stall = new StallWatch(settings.stallTimeoutMs);
    this.chunkSamples = Math.max(1, Math.round((settings.audioChunkMs * settings.inputRateHz) / 1000));
    this.gen = new Generation(deps.n, { client: deps.client, settings, logger: init.logger, clock, onSignal: (_g, s) => this.onSignal(s), onEnd: (_g, f) => this.onStreamEnd(f) });
  }

  /**
   * Opens the stream and sends the session set-up (sessionStart, promptStart, system prompt).
   * @throws VoiceBridgeError (`code`, `retryable`) when the service refuses or does not answer in
   *   `startTimeoutMs`; the stream is closed then.
   */
  static async open(deps: NovaStreamDeps): Promise<NovaSonicSession> {
    const s = new NovaSonicSession(deps);
    const startedAtMs = deps.clock.nowMs();
    try {
      await s.gen.open(deps.init.systemPrompt, deps.init.voice, deps.init.tools ?? []);
    } catch (err) {
      s.closed = true;
      await s.gen.close();
      throw err;
    }
    s.counters.maxPrepareMs = Math.round(deps.clock.nowMs() - startedAtMs);
    return s;
  }

  setHandler(handler: (event: ModelEvent) => void): void {
    this.events.setHandler(handler);
  }

  /** Relays events; after close only `closed`, and that once (`SessionEvents`). */
  private emit(events: readonly ModelEvent[]): void {
    this.events.emitAll(events);
  }

  /** Sends the shaped `history` (oldest first) and opens the audio container; then the greeting, if due. */
  goLive(history: HistoryMessage[]): void {
    if (this.closed || this.live) return;
    const blocks = shapeHistory(history);
    this.counters.maxHistoryBytes = historyBytes(blocks);
    this.gen.goLive(blocks);
    this.live = true;
    this.liveSinceMs = this.deps.clock.nowMs();
    this.schedule();
    this.deps.init.logger.info({ stream: this.gen.n, historyMessages: blocks.length }, 'Nova Sonic stream live');
    const greeting = this.deps.takeGreeting?.();
    if (!greeting) return;
    if (!isNova2(this.deps.settings.modelId)) this.deps.init.logger.warn('GREETING needs Nova 2 Sonic (text input); Nova Sonic v1 only speaks after the caller');
    else this.gen.sendUserText(`The caller has just connected. Greet them by saying: "${greeting}"`);
  }

  sendAudio(pcm: Int16Array): void {
    if (this.closed) return;
    this.pending.push(pcm);
    this.pendingSamples += pcm.length;
    if (this.pendingSamples >= this.chunkSamples) this.flushAudio();
  }

  private flushAudio(): void {
    if (this.pendingSamples === 0 || !this.live) return;
    const chunk = this.pending.length === 1 ? this.pending[0] : concatPcm16(this.pending);
    this.pending = [];
    this.pendingSamples = 0;
    const ms = (chunk.length * 1000) / this.deps.settings.inputRateHz;
    this.counters.inputMs += ms;
    if (rms(chunk) > SPEECH_RMS) this.stall.input(this.deps.clock.nowMs());
    this.gen.sendAudio(chunk);
    this.counters.audioEventsSent++;
    this.counters.deliveredMs += ms;
  }

  sendText(text: string): void {
    if (this.closed || !this.live || !text.trim()) return;
    if (!isNova2(this.deps.settings.modelId)) {
      this.deps.init.logger.warn('text input needs Nova 2 Sonic; ignored');
      return;
    }
    this.flushAudio();
    // At most 1000 characters (code points: an emoji is never cut in two).
    this.gen.sendUserText(text.length <= 1000 ? text : [...text].slice(0, 1000).join(''));
  }

  sendToolResult(toolCallId: string, result: unknown): void {
    if (!this.gen.sendToolResult(toolCallId, result)) this.deps.init.logger.warn({ toolCallId }, 'tool result for an unknown or finished tool call; dropped');
  }

  cancelResponse(): void {
    this.emit(this.tracker.cancel());
  }

  truncate(responseId: string, heardMs: number): void {
    this.emit(this.tracker.truncate(responseId, heardMs));
  }

  private onSignal(s: NovaSignal): void {
    if (this.closed) {
      // Audio of a reply Nova began as the call closed this stream (a renewal's handover met the end of
      // the caller's turn: the next stream answers that turn from the replayed audio). Never played.
      if (s.kind === 'audio') this.counters.discardedAudioMs += (s.pcm.length * 1000) / this.deps.settings.outputRateHz;
      return;
    }
    this.stall.output(this.deps.clock.nowMs());
    if (s.kind === 'toolUse') {
      this.gen.pendingTools.add(s.toolUseId);
      if (s.argumentsError) {
        this.gen.sendToolResult(s.toolUseId, { error: `arguments are not valid JSON: ${s.argumentsError}` });
        return;
      }
      this.emit([{ type: 'toolCall', toolCallId: s.toolUseId, name: s.name, arguments: s.arguments }]);
      return;
    }
    if (s.kind === 'malformed') {
      this.deps.init.logger.warn({ reason: s.reason }, 'malformed Nova Sonic event ignored');
      return;
    }
    this.emit(this.tracker.handle(s));
  }

  /** The stream ended by itself: an open response ends; a failure is reported, then `closed`. */
  private onStreamEnd(failure: NovaFailure | undefined): void {
    if (this.closed) return;
    this.emit(this.tracker.endStream());
    if (failure) {
      this.deps.init.logger.warn({ stream: this.gen.n, code: failure.code, retryable: failure.retryable }, `Nova Sonic stream failed: ${failure.message}`);
      this.emit([{ type: 'error', code: failure.code, message: failure.message, retryable: failure.retryable }]);
    }
    this.stop();
    this.emit([{ type: 'closed', reason: failure ? `nova-sonic: ${failure.code}` : 'nova-sonic: stream ended' }]);
  }

  private schedule(): void {
    if (this.closed) return;
    this.tick = this.deps.clock.setTimeout(() => {
      this.tick = undefined;
      this.checkStall();
      this.schedule();
    }, STALL_CHECK_MS);
  }

  /** The caller spoke, then nothing at all came back for `stallTimeoutMs`: fail the stream. */
  private checkStall(): void {
    const silentMs = this.stall.stalledForMs(this.deps.clock.nowMs(), this.liveSinceMs);
    if (silentMs === undefined) return;
    this.counters.stalls++;
    this.gen.stream.fail({ code: 'stalled', message: `no output from Nova Sonic for ${Math.round(silentMs)} ms after the caller spoke`, retryable: true });
  }

  /**
   * This stream's counters: `audioEventsSent`, `inputMs` and `deliveredMs` (caller audio sent,
   * replays included), `maxPrepareMs` (its opening), `maxHistoryBytes` (its shaped history), `stalls`,
   * `cancelledAudioMs` (audio of turns cut by a local barge-in that Nova went on sending, dropped here),
   * `discardedAudioMs` (audio Nova sent after the call began closing this stream, not played).
   */
  stats(): ModelSessionStats {
    return { ...this.counters, inputMs: Math.round(this.counters.inputMs), deliveredMs: Math.round(this.counters.deliveredMs), discardedAudioMs: Math.round(this.counters.discardedAudioMs), cancelledAudioMs: Math.round(this.tracker.droppedAudioMs) };
  }

  private stop(): void {
    this.closed = true;
    if (this.tick !== undefined) this.deps.clock.clearTimeout(this.tick);
    this.tick = undefined;
  }

  /** Closes the stream with the closing sequence (the caller's last partial batch sent first). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flushAudio();
    this.stop();
    await this.gen.close();
    this.emit([{ type: 'closed', reason: 'closed by call' }]);
  }
}
