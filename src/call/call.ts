/**
 * `Call`: joins one caller transport to one model session. Audio flows caller → resample → model
 * and model → resample → 20 ms framer → playout pacer → caller, with a playback ledger that learns
 * what the caller heard. Control events go through the pure state machine in `state.ts`; this class
 * runs the commands it returns (barge-in, end of call).
 */
import { EventEmitter } from 'node:events';
import { Framer } from '../audio/framer.js';
import { PlayoutPacer } from '../audio/pacer.js';
import type { Resampler } from '../audio/resample.js';
import { rms } from '../audio/level.js';
import { VadStream } from '../audio/vad/vad.js';
import type { CallerEvent, HangupOptions } from '../callers/transport.js';
import type { TimerHandle } from '../core/clock.js';
import { Histogram } from '../core/histogram.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import type { HistoryMessage, ModelEvent, ModelSession, SessionRates } from '../models/model.js';
import { endReasonLabel } from './end-reason.js';
import { PlaybackLedger } from './ledger.js';
import { ReplyLatencyMeter } from './reply-latency.js';
import { initialCallState, transition, type CallCommand, type CallInput, type CallPhase, type CallState } from './state.js';
import type { BargeInEvent, CallDeps, CallEvents, CallSummary, ToolCallRecord, TranscriptEntry, TurnRecord } from './types.js';

export type { BargeInEvent, CallDeps, CallEvents, CallOptions, CallTranscriptEvent, CallSummary, ToolCallRecord, TranscriptEntry, TurnRecord } from './types.js';

const ACTIVITY_RMS = 300; // ≈ −40 dBFS: caller audio above this counts as activity
const HOUSEKEEPING_MS = 100;
const MAX_PREOPEN_BUFFER_MS = 3000;
/** Most assistant audio queued for playout per call, ms (a model that sends more is cut short there). */
const MAX_PLAYOUT_QUEUE_MS = 120_000;
/** End reason of a call hung up at `maxCallMs`. */
export const MAX_CALL_LENGTH_REASON = 'max-call-length';

/** A live call. Events are typed by `CallEvents`: `state`, `bargeIn`, `turn`, `dtmf`, `transcript`, `ended`. */
export class Call extends EventEmitter<CallEvents> {
  readonly id: string;
  readonly startedAtMs: number;
  /** When the call started, ISO 8601 (UTC). */
  readonly startedAt: string;
  private state: CallState = initialCallState;
  private session: ModelSession | undefined;
  private readonly abort = new AbortController();
  /** Rates the model session uses for this caller. */
  private readonly rates: SessionRates;
  private readonly inResampler: Resampler | null;
  private readonly outResampler: Resampler | null;
  private vadResampler: Resampler | null = null;
  private readonly framer: Framer;
  private readonly pacer: PlayoutPacer<{ pcm: Int16Array; responseId: string }>;
  private readonly ledger: PlaybackLedger;
  private readonly latency: ReplyLatencyMeter;
  private vad: VadStream | null = null;
  private housekeeping: TimerHandle | undefined;
  private preOpenBuffer: Int16Array[] = [];
  private preOpenMs = 0;
  /** True while barge-in runs; model events arriving then are deferred to `deferredModelEvents`. */
  private bargeInRunning = false;
  private deferredModelEvents: ModelEvent[] = [];
  private activeResponseId: string | undefined;
  private readonly cancelled = new Set<string>();
  private lastActivityAtMs: number;
  private lastInboundAtMs: number;
  private lastFrameSentAtMs = 0;
  private framesSinceMark = 0;
  private markSeq = 0;
  private pendingUserText: string[] = [];
  private readonly assistantEntries = new Map<string, { entry: TranscriptEntry; message: HistoryMessage }>();
  private currentTurn: TurnRecord | undefined;
  private endedPromise: Promise<CallSummary>;
  private resolveEnded!: (s: CallSummary) => void;
  private readonly log: Logger;

  /** Completed and current turns. */
  readonly turns: TurnRecord[] = [];
  /** Final transcript lines. */
  readonly transcript: TranscriptEntry[] = [];
  /** Conversation history (for models and renewals). */
  readonly history: HistoryMessage[] = [];
  /** Caller frame received → handed to the model, ms. */
  readonly inboundLatency = new Histogram(200);
  /** Caller audio events received. */
  framesIn = 0;
  /** Barge-ins performed. */
  bargeIns = 0;
  /** Barge-in details, oldest first. */
  readonly bargeInEvents: BargeInEvent[] = [];
  /** Tool calls, oldest first. */
  readonly toolCalls: ToolCallRecord[] = [];

  constructor(private readonly deps: CallDeps) {
    super();
    this.id = deps.id;
    this.log = deps.logger;
    const { transport, model, resamplers, options, clock } = deps;
    this.startedAtMs = clock.nowMs();
    this.startedAt = new Date((deps.wallClockMs ?? Date.now)()).toISOString();
    this.lastActivityAtMs = this.startedAtMs;
    this.lastInboundAtMs = this.startedAtMs;
    this.rates = model.ratesFor?.(transport.inputRateHz, transport.outputRateHz) ?? { inputRateHz: model.inputRateHz, outputRateHz: model.outputRateHz };
    const { inputRateHz, outputRateHz } = this.rates;
    this.inResampler = transport.inputRateHz === inputRateHz ? null : resamplers.create(transport.inputRateHz, inputRateHz, options.resampleQuality);
    this.outResampler = outputRateHz === transport.outputRateHz ? null : resamplers.create(outputRateHz, transport.outputRateHz, options.resampleQuality);
    this.framer = new Framer(transport.outputRateHz, 20);
    this.ledger = new PlaybackLedger(transport.supportsMarks);
    this.latency = new ReplyLatencyMeter(this.ledger);
    this.pacer = new PlayoutPacer({
      frameMs: 20,
      leadMs: options.playoutLeadMs,
      sendAheadMs: Math.max(0, (options.playoutBatchMs ?? 20) - 20),
      clock,
      onFrame: (f) => this.sendFrame(f),
      batch: transport.corked ? (sendAll) => transport.corked!(sendAll) : undefined,
      maxQueuedFrames: MAX_PLAYOUT_QUEUE_MS / 20,
    });
    this.endedPromise = new Promise((resolve) => (this.resolveEnded = resolve));
    if (options.bargeInVad && deps.vad) {
      const rate = deps.vad.supportedRatesHz.includes(transport.inputRateHz) ? transport.inputRateHz : 16000;
      if (rate !== transport.inputRateHz) this.vadResampler = resamplers.create(transport.inputRateHz, rate, options.resampleQuality);
      this.vad = new VadStream(deps.vad.createStream(rate), {
        minSpeechMs: 64,
        onEvent: (e) => {
          if (e.type === 'start' && this.state.phase === 'responding') this.dispatch({ type: 'userSpeechStarted', source: 'vad' });
        },
        onError: (err) => this.log.warn({ err: errorMessage(err) }, 'barge-in VAD failed on a window'),
      });
    }
  }

  /** Id of the model this call talks to. */
  get modelId(): string {
    return this.deps.model.id;
  }

  /** What the caller's carrier said when the stream started: its call id and custom parameters. */
  get startInfo(): CallDeps['startInfo'] {
    return this.deps.startInfo;
  }

  /** Current phase. */
  get phase(): CallPhase {
    return this.state.phase;
  }

  /** Resolves with the summary once the call has ended. */
  get ended(): Promise<CallSummary> {
    return this.endedPromise;
  }

  /** The model session's own counters so far (empty before it opens or when it keeps none). */
  modelStats(): Record<string, number> {
    return this.session?.stats?.() ?? {};
  }

  /** The playout pacer (for metrics: jitter, added latency, underruns). */
  get playout(): PlayoutPacer<{ pcm: Int16Array; responseId: string }> {
    return this.pacer;
  }

  /** Opens the model session and starts moving audio. Never throws: failures end the call. */
  async start(): Promise<void> {
    const { transport, model, options, clock } = this.deps;
    transport.setHandler((e) => this.onCallerEvent(e));
    this.housekeeping = clock.setTimeout(this.onHousekeeping, HOUSEKEEPING_MS);
    this.emit('state', this.state.phase);
    transport.notify({ type: 'state', state: this.state.phase });
    try {
      const session = await model.open(
        {
          callId: this.id,
          systemPrompt: options.systemPrompt,
          voice: options.voice,
          history: [],
          logger: this.log,
          callerRateHz: transport.inputRateHz,
          tools: this.deps.tools?.specs() ?? [],
          greeting: options.greeting,
          inputRateHz: this.rates.inputRateHz,
          outputRateHz: this.rates.outputRateHz,
        },
        this.abort.signal,
      );
      if (this.isOver()) {
        await session.close();
        return;
      }
      this.session = session;
      this.dispatch({ type: 'sessionOpened' });
      session.setHandler((e) => this.onModelEvent(e));
      for (const chunk of this.preOpenBuffer) session.sendAudio(chunk);
      this.preOpenBuffer = [];
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'model session failed to open');
      transport.notify({ type: 'error', code: 'model_unavailable', message: errorMessage(err) });
      this.dispatch({ type: 'modelFailed', reason: `model-open-failed: ${errorMessage(err)}` });
    }
  }

  /** How the caller is hung up when the call ends from our side (`hangup`). */
  private hangupOptions: HangupOptions | undefined;

  /** Ends the call from our side (`options.serverShutdown`: WebSocket callers get close 1001). */
  hangup(reason: string, options?: HangupOptions): void {
    if (!this.isOver()) this.hangupOptions = options;
    this.dispatch({ type: 'hangup', reason });
  }

  private isOver(): boolean {
    return this.state.phase === 'ended' || this.state.phase === 'error';
  }

  private dispatch(input: CallInput): void {
    const before = this.state.phase;
    const { state, commands } = transition(this.state, input);
    this.state = state;
    if (state.phase !== before) {
      if (state.phase === 'responding') this.vad?.reset();
      this.emit('state', state.phase);
      this.deps.transport.notify({ type: 'state', state: state.phase });
    }
    for (const c of commands) this.run(c);
  }

  private run(command: CallCommand): void {
    if (command.type === 'bargeIn') this.bargeIn(command.source);
    else void this.finish(command.reason, command.error, command.hangupCaller);
  }

  // ---- caller → model -------------------------------------------------------------------------

  private onCallerEvent(e: CallerEvent): void {
    if (this.isOver()) return;
    switch (e.type) {
      case 'audio':
        this.onCallerAudio(e.pcm, e.receivedAtMs);
        return;
      case 'played': {
        this.ledger.markPlayed(e.markId, this.deps.clock.nowMs());
        const t = this.latency.update();
        // Known only now (marks): announce it again if the turn was already announced.
        if (t && this.activeResponseId !== t.responseId) this.announceTurn(t);
        return;
      }
      case 'dtmf':
        this.log.info({ digit: e.digit }, 'dtmf');
        this.lastActivityAtMs = this.deps.clock.nowMs();
        this.emit('dtmf', e.digit);
        return;
      case 'text':
        this.lastActivityAtMs = this.deps.clock.nowMs();
        if (!this.session || !this.deps.model.capabilities.textInput) return;
        this.latency.userTurnEnded(this.lastActivityAtMs);
        this.session.sendText(e.text);
        return;
      case 'ended':
        this.dispatch({ type: 'callerEnded', reason: e.reason });
        return;
    }
  }

  private onCallerAudio(pcm: Int16Array, receivedAtMs: number): void {
    const now = this.deps.clock.nowMs();
    this.framesIn++;
    this.lastInboundAtMs = now;
    if (rms(pcm) > ACTIVITY_RMS) this.lastActivityAtMs = now;
    if (this.vad && this.state.phase === 'responding') {
      this.vad.push(this.vadResampler ? this.vadResampler.process(pcm) : pcm);
    }
    const modelPcm = this.inResampler ? this.inResampler.process(pcm) : pcm;
    if (this.session) {
      this.session.sendAudio(modelPcm);
      this.inboundLatency.record(this.deps.clock.nowMs() - receivedAtMs);
    } else {
      this.preOpenBuffer.push(modelPcm);
      this.preOpenMs += (modelPcm.length * 1000) / this.rates.inputRateHz;
      while (this.preOpenMs > MAX_PREOPEN_BUFFER_MS) {
        const dropped = this.preOpenBuffer.shift()!;
        this.preOpenMs -= (dropped.length * 1000) / this.rates.inputRateHz;
      }
    }
  }

  // ---- model → caller -------------------------------------------------------------------------

  private onModelEvent(e: ModelEvent): void {
    if (this.bargeInRunning) {
      // Events the session emits synchronously from cancelResponse/truncate wait until barge-in is done.
      this.deferredModelEvents.push(e);
      return;
    }
    if (this.isOver() && e.type !== 'closed') return;
    const now = this.deps.clock.nowMs();
    switch (e.type) {
      case 'audio':
        this.onModelAudio(e.pcm, e.responseId);
        return;
      case 'responseStarted':
        if (!this.cancelled.has(e.responseId) && this.currentTurn?.responseId !== e.responseId) this.beginTurn(e.responseId);
        return;
      case 'responseDone':
        this.onResponseDone(e.responseId);
        return;
      case 'speechStarted':
        this.lastActivityAtMs = now;
        this.dispatch({ type: 'userSpeechStarted', source: 'model' });
        return;
      case 'speechStopped':
        this.latency.userTurnEnded(now - (e.speechEndedAgoMs ?? 0));
        return;
      case 'transcript':
        this.onTranscript(e.role, e.text, e.final, e.responseId);
        return;
      case 'toolCall':
        void this.runTool(e.toolCallId, e.name, e.arguments);
        return;
      case 'usage':
        return;
      case 'error':
        this.log.warn({ code: e.code, retryable: e.retryable }, `model error: ${e.message}`);
        this.deps.transport.notify({ type: 'error', code: e.code, message: e.message });
        return;
      case 'closed':
        if (!this.isOver()) this.dispatch({ type: 'modelFailed', reason: `model-closed: ${e.reason}` });
        return;
    }
  }

  private onModelAudio(pcm: Int16Array, responseId: string): void {
    if (this.cancelled.has(responseId)) return;
    if (this.state.phase === 'connecting') return;
    if (this.currentTurn?.responseId !== responseId) this.beginTurn(responseId);
    this.activeResponseId = responseId;
    if (this.state.phase !== 'responding') this.dispatch({ type: 'assistantAudio' });
    const out = this.outResampler ? this.outResampler.process(pcm) : pcm;
    for (const frame of this.framer.push(out)) this.pacer.enqueue({ pcm: frame, responseId });
    // Active only after the first frames are queued: the start of a reply is not an underrun.
    this.pacer.setStreamActive(true);
  }

  private beginTurn(responseId: string): void {
    this.activeResponseId = responseId;
    this.currentTurn = {
      turn: this.turns.length + 1,
      responseId,
      userText: this.pendingUserText.join(' '),
      assistantText: '',
      replyLatencyMs: null,
      interrupted: false,
    };
    this.pendingUserText = [];
    this.turns.push(this.currentTurn);
  }

  private onResponseDone(responseId: string): void {
    if (this.cancelled.has(responseId)) return;
    const tail = this.framer.flush();
    if (tail) this.pacer.enqueue({ pcm: tail, responseId });
    this.pacer.setStreamActive(false);
    if (this.activeResponseId === responseId) {
      this.activeResponseId = undefined;
      if (this.currentTurn) this.announceTurn(this.currentTurn);
    }
    this.dispatch({ type: 'responseDone' });
  }

  private onTranscript(role: 'user' | 'assistant', text: string, final: boolean, responseId?: string): void {
    // A cancelled response's partials are dropped; its final (the heard part, after truncation) is kept.
    if (responseId && this.cancelled.has(responseId) && role === 'assistant' && !final) return;
    const turn = role === 'user' ? this.turns.length + 1 : (this.turnOf(responseId)?.turn ?? this.turns.length);
    this.deps.transport.notify({ type: 'transcript', role, text, final, turn });
    if (!final) return;
    const now = this.deps.clock.nowMs();
    this.lastActivityAtMs = now;
    const previous = role === 'assistant' && responseId ? this.assistantEntries.get(responseId) : undefined;
    if (previous) {
      // A second final for the same response replaces the first (truncation to what was heard).
      previous.entry.text = text;
      previous.message.text = text;
      const t = this.turnOf(responseId);
      if (t) t.assistantText = text;
      this.emit('transcript', { role, text });
      return;
    }
    if (!text.trim()) return;
    const entry: TranscriptEntry = { role, text, atMs: Math.round(now - this.startedAtMs) };
    const message: HistoryMessage = { role, text };
    this.transcript.push(entry);
    this.history.push(message);
    if (role === 'user') this.pendingUserText.push(text);
    else {
      if (responseId) {
        this.assistantEntries.set(responseId, { entry, message });
        if (this.assistantEntries.size > 16) this.assistantEntries.delete(this.assistantEntries.keys().next().value!);
      }
      const t = this.turnOf(responseId) ?? this.currentTurn;
      if (t) t.assistantText = [t.assistantText, text].filter(Boolean).join(' ');
    }
    this.emit('transcript', { role, text });
  }

  private turnOf(responseId: string | undefined): TurnRecord | undefined {
    if (!responseId) return this.currentTurn;
    for (let i = this.turns.length - 1; i >= 0; i--) if (this.turns[i].responseId === responseId) return this.turns[i];
    return undefined;
  }

  private sendFrame(f: { pcm: Int16Array; responseId: string }): void {
    const { transport, clock, options } = this.deps;
    if (this.cancelled.has(f.responseId)) return;
    const now = clock.nowMs();
    transport.sendAudio(f.pcm);
    this.lastFrameSentAtMs = now;
    this.lastActivityAtMs = now;
    const position = this.ledger.frameSent(f.responseId, 20, now);
    if (position === 20 && this.currentTurn?.responseId === f.responseId) this.latency.replyStarted(this.currentTurn);
    if (transport.supportsMarks && ++this.framesSinceMark * 20 >= options.markIntervalMs) {
      this.framesSinceMark = 0;
      const markId = `${f.responseId}:${++this.markSeq}`;
      this.ledger.markSent(markId, f.responseId, position);
      transport.mark(markId);
    }
  }

  /** Emits `turn` and tells the caller (reply latency: `reply-latency.ts`). */
  private announceTurn(t: TurnRecord): void {
    this.emit('turn', t);
    this.deps.transport.notify({ type: 'turn', turn: t.turn, replyLatencyMs: t.replyLatencyMs, interrupted: t.interrupted });
  }

  /** Runs a tool the model asked for and returns its result (or an error result) to the model. */
  private async runTool(toolCallId: string, name: string, args: unknown): Promise<void> {
    const registry = this.deps.tools;
    const outcome = registry
      ? await registry.run(name, args, { callId: this.id, logger: this.log, signal: this.abort.signal }, this.deps.options.toolTimeoutMs ?? 8000)
      : { ok: false as const, error: `no tool named ${name}`, durationMs: 0 };
    this.toolCalls.push({ name, ok: outcome.ok, durationMs: outcome.durationMs, ...(outcome.ok ? {} : { error: outcome.error }) });
    this.log.info({ tool: name, ok: outcome.ok, durationMs: outcome.durationMs }, 'tool call');
    if (this.isOver()) return;
    this.deps.transport.notify({ type: 'tool', name, ok: outcome.ok, durationMs: outcome.durationMs });
    this.lastActivityAtMs = this.deps.clock.nowMs();
    this.session?.sendToolResult(toolCallId, outcome.ok ? outcome.result : { error: outcome.error });
  }

  // ---- barge-in ---------------------------------------------------------------------------------

  private bargeIn(source: 'model' | 'vad'): void {
    this.bargeInRunning = true;
    try {
      this.runBargeIn(source);
    } finally {
      this.bargeInRunning = false;
    }
    const deferred = this.deferredModelEvents;
    this.deferredModelEvents = [];
    for (const e of deferred) this.onModelEvent(e);
  }

  private runBargeIn(source: 'model' | 'vad'): void {
    const { transport, clock, model } = this.deps;
    const signalAt = clock.nowMs();
    const responseId = this.activeResponseId ?? this.ledger.currentResponseId;
    const dropped = this.pacer.clear();
    this.framer.reset();
    this.outResampler?.reset();
    transport.clearPlayback();
    const clearedAt = clock.nowMs();
    this.pacer.setStreamActive(false);
    const heardMs = responseId ? Math.round(this.ledger.heardMs(responseId, clearedAt)) : 0;
    const sentMs = responseId ? this.ledger.sentMs(responseId) : 0;
    this.ledger.clearMarks();
    this.framesSinceMark = 0;
    if (responseId) {
      this.cancelled.add(responseId);
      if (this.cancelled.size > 64) this.cancelled.delete(this.cancelled.values().next().value!);
      this.session?.cancelResponse();
      if (model.capabilities.truncation) this.session?.truncate(responseId, heardMs);
    }
    this.activeResponseId = undefined;
    this.bargeIns++;
    if (this.currentTurn && this.currentTurn.responseId === responseId) {
      this.currentTurn.interrupted = true;
      this.currentTurn.heardMs = heardMs;
      this.announceTurn(this.currentTurn);
    }
    const message = responseId ? this.assistantEntries.get(responseId)?.message : undefined;
    if (message) message.truncatedAtMs = heardMs;
    const event: BargeInEvent = { source, responseId, heardMs, sentMs, droppedMs: dropped.droppedMs, reactionMs: clearedAt - signalAt };
    this.bargeInEvents.push(event);
    this.log.info(event, 'barge-in');
    this.emit('bargeIn', event);
  }

  // ---- timers -----------------------------------------------------------------------------------

  private readonly onHousekeeping = (): void => {
    this.housekeeping = undefined;
    if (this.isOver()) return;
    const { clock, options, model } = this.deps;
    const now = clock.nowMs();
    if (this.state.playing && this.pacer.queuedFrames === 0) {
      const unplayed = this.ledger.unplayedMs(now);
      if (unplayed <= 0 || now - this.lastFrameSentAtMs > options.playoutLeadMs + 1000) this.dispatch({ type: 'playoutDrained' });
    }
    if (options.maxCallMs !== undefined && now - this.startedAtMs >= options.maxCallMs) {
      this.log.info({ maxCallMs: options.maxCallMs }, 'call reached its longest length: hanging up');
      this.dispatch({ type: 'hangup', reason: MAX_CALL_LENGTH_REASON });
      return;
    }
    if (now - this.lastActivityAtMs > options.inactivityTimeoutMs) {
      this.log.info({ idleMs: Math.round(now - this.lastActivityAtMs) }, 'inactivity timeout');
      this.dispatch({ type: 'inactivity' });
      return;
    }
    if (this.session && model.capabilities.needsContinuousAudio && now - this.lastInboundAtMs > options.keepAliveAfterMs) {
      this.session.sendAudio(new Int16Array((this.rates.inputRateHz * HOUSEKEEPING_MS) / 1000));
    }
    this.housekeeping = clock.setTimeout(this.onHousekeeping, HOUSEKEEPING_MS);
  };

  // ---- end --------------------------------------------------------------------------------------

  private async finish(reason: string, error: boolean, hangupCaller: boolean): Promise<void> {
    const { transport, clock, model } = this.deps;
    if (this.housekeeping !== undefined) clock.clearTimeout(this.housekeeping);
    this.pacer.stop();
    this.vad?.close();
    this.abort.abort();
    if (hangupCaller) transport.hangup(reason, this.hangupOptions);
    this.emit('state', this.state.phase);
    const session = this.session;
    this.session = undefined;
    const modelStats = session?.stats?.() ?? {};
    try {
      await session?.close();
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'model session close failed');
    }
    this.inResampler?.destroy();
    this.outResampler?.destroy();
    this.vadResampler?.destroy();
    const summary: CallSummary = {
      id: this.id,
      kind: transport.kind,
      model: model.id,
      carrierCallId: this.deps.startInfo.carrierCallId,
      parameters: this.deps.startInfo.parameters,
      reason,
      reasonLabel: endReasonLabel(reason, error),
      error,
      startedAt: this.startedAt,
      durationMs: Math.round(clock.nowMs() - this.startedAtMs),
      turns: this.turns,
      transcript: this.transcript,
      framesIn: this.framesIn,
      framesOut: this.pacer.framesSent,
      underruns: this.pacer.underruns,
      bargeIns: this.bargeIns,
      bargeInEvents: this.bargeInEvents,
      history: this.history,
      toolCalls: this.toolCalls,
      modelStats: { ...modelStats, ...(session?.stats?.() ?? {}) },
    };
    this.log.info({ reason, durationMs: summary.durationMs, turns: summary.turns.length, error }, 'call ended');
    this.emit('ended', summary);
    this.resolveEnded(summary);
  }
}
