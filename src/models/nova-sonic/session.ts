/**
 * A Nova Sonic conversation as one `ModelSession`, made of successive Bedrock streams
 * ("generations"). It batches caller audio into larger `audioInput` events, maps output signals
 * to model events, answers tool calls through the call, and renews the stream before the 8-minute
 * limit: the next stream is opened in the background (system prompt, tools), and at the turn
 * boundary it receives the shaped history, the audio container and the replayed caller audio
 * (protocols.md §1.13). Recoverable failures reconnect the same way, with bounded retries.
 */
import { sleep, type Clock, type TimerHandle } from '../../core/clock.js';
import { errorMessage, isRetryable, VoiceBridgeError } from '../../core/errors.js';
import { rms } from '../../audio/level.js';
import { concatPcm16 } from '../../audio/pcm.js';
import type { ModelEvent, ModelSession, ModelSessionStats, SessionInit } from '../model.js';
import type { NovaFailure } from './errors.js';
import { historyBytes, shapeHistory } from './history.js';
import type { NovaSignal } from './output.js';
import { FINAL_TEXT_WAIT_MS, HEALTHY_STREAM_MS, newSessionCounters, OUTAGE_BUFFER_MS, RESPONSE_WAIT_MS } from './recovery.js';
import { retryDelayMs, sessionStats, SPEECH_RMS, StallWatch, TICK_MS, withRetries } from './recovery.js';
import { planRenewal, renewalTimingFor, RollingAudioBuffer, type RenewalTiming } from '../shared/renewal.js';
import { ResponseTracker } from './responses.js';
import { Generation, isNova2, type NovaSettings } from './generation.js';
import type { BedrockStreamClient } from './stream.js';
import { SessionEvents } from '../shared/session-events.js';

export { isNova2, type NovaSettings } from './generation.js';

/** Dependencies of a session. */
export interface NovaSessionDeps {
  client: BedrockStreamClient;
  settings: NovaSettings;
  init: SessionInit;
  clock: Clock;
}


/** One Nova Sonic conversation. */
export class NovaSonicSession implements ModelSession {
  private readonly events = new SessionEvents(() => this.closed);
  private readonly tracker: ResponseTracker;
  private readonly buffer: RollingAudioBuffer;
  private readonly timing: RenewalTiming;
  private readonly chunkSamples: number;
  private pending: Int16Array[] = [];
  private pendingSamples = 0;
  private active: Generation | undefined;
  private next: Generation | undefined;
  private readonly draining = new Set<Generation>();
  private genSeq = 0;
  private closed = false;
  /** Aborted on close: cuts a retry backoff short. */
  private readonly closeSignal = new AbortController();
  private recovering = false;
  private consecutiveFailures = 0;
  private liveSinceMs = 0;
  private lastResponseEndMs = 0;
  private lastUserTurnMs = 0;
  private nextPrepareAfterMs = 0;
  private tick: TimerHandle | undefined;
  private readonly counters = newSessionCounters();
  private outageStartedMs: number | undefined;
  private readonly stall: StallWatch;

  private constructor(private readonly deps: NovaSessionDeps) {
    const { settings, init } = deps;
    this.tracker = new ResponseTracker(settings.outputRateHz, init.history);
    this.buffer = new RollingAudioBuffer(settings.inputRateHz, settings.replayMs);
    this.timing = renewalTimingFor(settings.maxSessionMs, settings.renewAfterMs);
    this.stall = new StallWatch(settings.stallTimeoutMs);
    this.chunkSamples = Math.max(1, Math.round((settings.audioChunkMs * settings.inputRateHz) / 1000));
  }

  /**
   * Opens the first stream (with up to `maxRetries` retries of recoverable failures).
   * @throws VoiceBridgeError `model_unavailable` when Nova Sonic refuses or cannot be reached.
   */
  static async open(deps: NovaSessionDeps, signal?: AbortSignal): Promise<NovaSonicSession> {
    const session = new NovaSonicSession(deps);
    const opened = async (): Promise<NovaSonicSession> => {
      session.goLive(await session.prepare(), false);
      if (deps.init.greeting) session.sendGreeting(deps.init.greeting);
      session.schedule();
      return session;
    };
    try {
      return await withRetries(deps.clock, deps.settings.maxRetries, opened, (err, attempt, retryable) => deps.init.logger.warn({ err: errorMessage(err), attempt, retryable }, 'Nova Sonic stream failed to open'), signal);
    } catch (err) {
      await session.close();
      throw new VoiceBridgeError('model_unavailable', `Nova Sonic: ${errorMessage(err)}`, false);
    }
  }

  setHandler(handler: (event: ModelEvent) => void): void {
    this.events.setHandler(handler);
  }

  /** Relays events; after close only `closed`, and that once (`SessionEvents`). */
  private emit(events: readonly ModelEvent[]): void {
    this.events.emitAll(events);
  }


  /** Opens a stream and sends the session set-up (sessionStart, promptStart, system prompt). */
  private async prepare(gen: Generation = this.createGeneration()): Promise<Generation> {
    const { init, clock } = this.deps;
    const startedAt = clock.nowMs();
    this.counters.streams++;
    await gen.open(init.systemPrompt, init.voice, init.tools ?? []);
    this.counters.maxPrepareMs = Math.max(this.counters.maxPrepareMs, Math.round(clock.nowMs() - startedAt));
    return gen;
  }

  /** A generation whose stream is not started yet. */
  private createGeneration(): Generation {
    const { client, settings, init, clock } = this.deps;
    return new Generation(++this.genSeq, {
      client,
      settings,
      logger: init.logger,
      clock,
      onSignal: (gen, s) => this.onSignal(gen, s),
      onEnd: (gen, f) => this.onStreamEnd(gen, f),
    });
  }

  /** Sends history and opens the audio container on `gen`, replays buffered audio, makes it active. */
  private goLive(gen: Generation, replay: boolean): void {
    const { settings, clock } = this.deps;
    const blocks = shapeHistory(this.tracker.history);
    this.counters.maxHistoryBytes = Math.max(this.counters.maxHistoryBytes, historyBytes(blocks));
    gen.goLive(blocks);
    this.active = gen;
    this.liveSinceMs = clock.nowMs();
    if (replay) {
      for (const chunk of this.buffer.snapshot()) {
        this.sendAudioEvent(gen, chunk);
        this.counters.replayedMs += (chunk.length * 1000) / settings.inputRateHz;
      }
    }
    if (this.outageStartedMs !== undefined) {
      this.counters.maxOutageMs = Math.max(this.counters.maxOutageMs, Math.round(clock.nowMs() - this.outageStartedMs));
      this.outageStartedMs = undefined;
    }
    this.buffer.setCapacityMs(settings.replayMs);
    this.deps.init.logger.info({ stream: gen.n, historyMessages: blocks.length, replayedMs: replay ? Math.round(this.buffer.durationMs) : 0 }, 'Nova Sonic stream live');
  }

  private sendGreeting(greeting: string): void {
    if (!isNova2(this.deps.settings.modelId)) {
      this.deps.init.logger.warn('GREETING needs Nova 2 Sonic (text input); Nova Sonic v1 only speaks after the caller');
      return;
    }
    this.active?.sendUserText(`The caller has just connected. Greet them by saying: "${greeting}"`);
  }

  private sendAudioEvent(gen: Generation, pcm: Int16Array): void {
    gen.sendAudio(pcm);
    this.counters.audioEventsSent++;
  }


  sendAudio(pcm: Int16Array): void {
    if (this.closed) return;
    this.pending.push(pcm);
    this.pendingSamples += pcm.length;
    if (this.pendingSamples >= this.chunkSamples) this.flushAudio();
  }

  private flushAudio(): void {
    if (this.pendingSamples === 0) return;
    const chunk = this.pending.length === 1 ? this.pending[0] : concatPcm16(this.pending);
    this.pending = [];
    this.pendingSamples = 0;
    const ms = (chunk.length * 1000) / this.deps.settings.inputRateHz;
    this.counters.inputMs += ms;
    const droppedBefore = this.buffer.droppedSamples;
    this.buffer.push(chunk);
    if (!this.active) {
      // During an outage the buffer is the only copy: audio pushed out of it is lost.
      this.counters.droppedInputMs += ((this.buffer.droppedSamples - droppedBefore) * 1000) / this.deps.settings.inputRateHz;
    }
    if (this.active && !this.recovering) {
      if (rms(chunk) > SPEECH_RMS) this.stall.input(this.deps.clock.nowMs());
      this.sendAudioEvent(this.active, chunk);
      this.counters.deliveredMs += ms;
    }
  }

  sendText(text: string): void {
    const gen = this.active;
    if (this.closed || !gen || !text.trim()) return;
    if (!isNova2(this.deps.settings.modelId)) {
      this.deps.init.logger.warn('text input needs Nova 2 Sonic; ignored');
      return;
    }
    this.flushAudio();
    gen.sendUserText(text.slice(0, 1000));
  }

  sendToolResult(toolCallId: string, result: unknown): void {
    for (const gen of [this.active, ...this.draining]) {
      if (gen?.sendToolResult(toolCallId, result)) {
        this.checkRenewal();
        return;
      }
    }
    this.deps.init.logger.warn({ toolCallId }, 'tool result for an unknown or finished tool call; dropped');
  }

  cancelResponse(): void {
    this.emit(this.tracker.cancel());
  }

  truncate(responseId: string, heardMs: number): void {
    this.emit(this.tracker.truncate(responseId, heardMs));
  }


  private onSignal(gen: Generation, s: NovaSignal): void {
    if (this.closed || gen !== this.active) return;
    const now = this.deps.clock.nowMs();
    this.stall.output(now);
    if (s.kind === 'toolUse') {
      gen.pendingTools.add(s.toolUseId);
      if (s.argumentsError) {
        gen.sendToolResult(s.toolUseId, { error: `arguments are not valid JSON: ${s.argumentsError}` });
        return;
      }
      this.emit([{ type: 'toolCall', toolCallId: s.toolUseId, name: s.name, arguments: s.arguments }]);
      return;
    }
    if (s.kind === 'malformed') {
      this.deps.init.logger.warn({ reason: s.reason }, 'malformed Nova Sonic event ignored');
      return;
    }
    if (s.kind === 'userTranscript') {
      // The words are in the history now: the replay buffer need not carry their audio.
      this.buffer.clear();
      this.lastUserTurnMs = now;
    }
    const wasOpen = this.tracker.responseOpen;
    const events = this.tracker.handle(s);
    if (wasOpen && !this.tracker.responseOpen) this.lastResponseEndMs = now;
    this.emit(events);
    if (s.kind === 'audioEnd' || s.kind === 'interrupted' || s.kind === 'completionEnd' || s.kind === 'assistantText') this.checkRenewal();
  }

  private onStreamEnd(gen: Generation, failure: NovaFailure | undefined): void {
    this.draining.delete(gen);
    if (gen === this.next) {
      this.next = undefined;
      if (failure) {
        this.counters.prepareFailures++;
        this.nextPrepareAfterMs = this.deps.clock.nowMs() + 1000;
      }
      return;
    }
    if (gen !== this.active || this.closed) return;
    this.active = undefined;
    this.emit(this.tracker.endStream());
    if (!failure) return;
    this.counters.failures++;
    // A stream that stayed healthy for a while earns a fresh retry budget.
    if (this.deps.clock.nowMs() - this.liveSinceMs > HEALTHY_STREAM_MS) this.consecutiveFailures = 0;
    this.deps.init.logger.warn({ stream: gen.n, code: failure.code, retryable: failure.retryable }, `Nova Sonic stream failed: ${failure.message}`);
    if (failure.retryable && this.consecutiveFailures < this.deps.settings.maxRetries) {
      void this.recover();
      return;
    }
    this.emit([
      { type: 'error', code: failure.code, message: failure.message, retryable: false },
      { type: 'closed', reason: `nova-sonic: ${failure.code}` },
    ]);
    void this.close();
  }

  /** Reconnects after a failure: buffers caller audio meanwhile and replays it. */
  private async recover(): Promise<void> {
    const { clock, init } = this.deps;
    this.recovering = true;
    this.outageStartedMs ??= clock.nowMs();
    this.buffer.setCapacityMs(OUTAGE_BUFFER_MS);
    while (!this.closed) {
      const attempt = ++this.consecutiveFailures;
      this.counters.retries++;
      await sleep(clock, retryDelayMs(attempt - 1), this.closeSignal.signal);
      if (this.closed) return;
      try {
        const ready = this.next?.ready ? this.next : undefined;
        this.next = undefined;
        const gen = ready ?? (await this.prepare());
        if (this.closed) {
          await gen.close();
          return;
        }
        this.flushAudio();
        this.recovering = false;
        this.goLive(gen, true);
        init.logger.info({ stream: gen.n, attempt }, 'Nova Sonic reconnected');
        return;
      } catch (err) {
        const retryable = isRetryable(err);
        init.logger.warn({ err: errorMessage(err), attempt }, 'Nova Sonic reconnect failed');
        if (!retryable || this.consecutiveFailures >= this.deps.settings.maxRetries) {
          this.recovering = false;
          this.emit([
            { type: 'error', code: 'model_unavailable', message: `Nova Sonic: ${errorMessage(err)}`, retryable: false },
            { type: 'closed', reason: 'nova-sonic: reconnect failed' },
          ]);
          await this.close();
          return;
        }
      }
    }
  }


  private schedule(): void {
    if (this.closed) return;
    this.tick = this.deps.clock.setTimeout(() => {
      this.tick = undefined;
      this.checkStall();
      this.checkRenewal();
      this.schedule();
    }, TICK_MS);
  }

  /** The caller spoke, then nothing at all came back for `stallTimeoutMs`: fail the stream (and reconnect). */
  private checkStall(): void {
    const gen = this.active;
    if (!gen || this.recovering) return;
    const silentMs = this.stall.stalledForMs(this.deps.clock.nowMs(), this.liveSinceMs);
    if (silentMs === undefined) return;
    this.counters.stalls++;
    gen.stream.fail({ code: 'stalled', message: `no output from Nova Sonic for ${Math.round(silentMs)} ms after the caller spoke`, retryable: true });
  }

  private checkRenewal(): void {
    const gen = this.active;
    if (!gen || this.closed || this.recovering) return;
    const now = this.deps.clock.nowMs();
    const action = planRenewal(
      {
        ageMs: now - gen.openedAtMs,
        nextPreparing: this.next !== undefined || now < this.nextPrepareAfterMs,
        nextReady: this.next?.ready === true,
        responseOpen: this.tracker.responseOpen || (this.tracker.userTurnPending && now - this.lastUserTurnMs < RESPONSE_WAIT_MS),
        toolPending: gen.pendingTools.size > 0,
        awaitingFinalText: this.tracker.awaitingFinalText && now - this.lastResponseEndMs < FINAL_TEXT_WAIT_MS,
      },
      this.timing,
    );
    if (action === 'prepare') {
      const gen = this.createGeneration();
      this.next = gen;
      this.prepare(gen).catch((err) => {
        this.deps.init.logger.warn({ err: errorMessage(err) }, 'next Nova Sonic stream failed to open; will retry');
      });
    } else if (action === 'handover' || action === 'forceHandover') this.handover(action === 'forceHandover');
  }

  /** Switches to the prepared stream; the old one is closed in the background. */
  private handover(forced: boolean): void {
    const old = this.active!;
    const gen = this.next!;
    this.next = undefined;
    this.flushAudio();
    if (forced) this.emit(this.tracker.endStream());
    else this.tracker.endStream();
    this.counters.renewals++;
    if (forced) this.counters.forcedRenewals++;
    this.goLive(gen, true);
    this.draining.add(old);
    void old.close().finally(() => this.draining.delete(old));
  }

  stats(): ModelSessionStats {
    return sessionStats(this.counters);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // The caller's last few frames (a partial batch) still go to the model.
    this.flushAudio();
    this.closed = true;
    this.closeSignal.abort();
    if (this.tick !== undefined) this.deps.clock.clearTimeout(this.tick);
    const gens = [this.active, this.next, ...this.draining].filter((g): g is Generation => g !== undefined);
    this.active = undefined;
    this.next = undefined;
    await Promise.all(gens.map((g) => g.close()));
    this.emit([{ type: 'closed', reason: 'closed by call' }]);
  }
}
