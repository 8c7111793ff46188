/**
 * `Call`: joins one caller transport to one model session. Audio flows caller → resample → model
 * here, and model → caller through `Playout` (resampler, 20 ms framer, pacer, playback ledger, marks).
 * What was said is kept by the pure `Conversation` record. Control events go through the pure state
 * machine in `state.ts`; this class runs its commands, dispatches model events and builds the summary.
 */
import { EventEmitter } from 'node:events';
import type { PlayoutPacer } from '../audio/pacer.js';
import type { CallerEvent, HangupOptions } from '../callers/transport.js';
import type { TimerHandle } from '../core/clock.js';
import { Histogram } from '../core/histogram.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import type { Handoff } from '../handoff/record.js';
import { targetText } from '../handoff/target.js';
import type { HistoryMessage, ModelEvent, ModelSession, SessionRates } from '../models/model.js';
import { BargeInHold } from './barge-in-hold.js';
import { attempt, contained } from './contain.js';
import { Conversation } from './conversation.js';
import { InboundAudio } from './inbound.js';
import { ReentryGuard } from './reentry.js';
import { CallToolRunner, HoldPlayer, isHoldResponse } from './tool-call.js';
import { Playout, type PlayoutFrame } from './playout.js';
import { callSummary } from './summary.js';
import { CallWatchdog } from './watchdog.js';
import { PendingHandOff } from './pending-handoff.js';
import { initialCallState, transition, type CallCommand, type CallInput, type CallPhase, type CallState } from './state.js';
import type { BargeInEvent, CallDeps, CallEvents, CallSummary, ToolCallRecord, TranscriptEntry, TurnRecord } from './types.js';

export type { BargeInEvent, CallDeps, CallEvents, CallOptions, CallTranscriptEvent, CallSummary, ToolCallRecord, TranscriptEntry, TurnRecord } from './types.js';

/** Housekeeping tick period (playout drained, longest length, inactivity, keep-alive), ms. */
const HOUSEKEEPING_MS = 100;
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
  private readonly rates: SessionRates; // the model session's, for this caller
  private readonly in: InboundAudio;
  private readonly out: Playout;
  private readonly conversation: Conversation;
  private housekeeping: TimerHandle | undefined;
  /** Model events arriving while barge-in runs wait until it is over. */
  private readonly bargeInGuard = new ReentryGuard<ModelEvent>((e) => this.onModelEvent(e));
  private readonly watchdog: CallWatchdog;
  /** A barge-in heard by the local VAD, held until it is confirmed or turns out false (`barge-in-hold.ts`). */
  private readonly hold: BargeInHold;
  private hangupOptions: HangupOptions | undefined; // how the caller is hung up when we end the call (`hangup`)
  private handoff: Handoff | undefined;
  private readonly moving: PendingHandOff; // a hand-off the carrier is still moving
  private endedPromise: Promise<CallSummary>;
  private resolveEnded!: (s: CallSummary) => void;
  private readonly log: Logger;
  private readonly tools: CallToolRunner;

  /** Caller frame received → handed to the model, ms. */
  readonly inboundLatency = new Histogram(200);
  /** Caller audio events received. */
  framesIn = 0;
  /** Barge-ins performed. */
  bargeIns = 0;
  /** Barge-in details, oldest first. */
  readonly bargeInEvents: BargeInEvent[] = [];

  constructor(private readonly deps: CallDeps) {
    super();
    this.id = deps.id;
    this.log = deps.logger;
    this.moving = new PendingHandOff(deps.clock);
    const { transport, model, resamplers, options, clock } = deps;
    this.startedAtMs = clock.nowMs();
    this.startedAt = new Date((deps.wallClockMs ?? Date.now)()).toISOString();
    this.watchdog = new CallWatchdog(this.startedAtMs, options);
    this.rates = model.ratesFor?.(transport.inputRateHz, transport.outputRateHz) ?? { inputRateHz: model.inputRateHz, outputRateHz: model.outputRateHz };
    const { inputRateHz, outputRateHz } = this.rates;
    this.in = new InboundAudio({
      callerRateHz: transport.inputRateHz, modelRateHz: inputRateHz, resamplers, resampleQuality: options.resampleQuality,
      vad: options.bargeInVad ? deps.vad : null,
      onSpeechStarted: () => this.onLocalSpeech(),
      onSpeechEnded: () => this.hold.speechEnded(),
      onVadError: (err) => this.log.warn({ err: errorMessage(err) }, 'barge-in VAD failed on a window'),
    });
    this.out = new Playout({
      clock, sink: transport, outputRateHz: transport.outputRateHz, supportsMarks: transport.supportsMarks,
      resampler: outputRateHz === transport.outputRateHz ? null : resamplers.create(outputRateHz, transport.outputRateHz, options.resampleQuality),
      leadMs: options.playoutLeadMs, batchMs: options.playoutBatchMs, markIntervalMs: options.markIntervalMs,
      onFrameSent: (responseId, positionMs, sentAtMs) => {
        this.watchdog.activity(sentAtMs);
        this.conversation.replyFrameSent(responseId, positionMs);
      },
    });
    this.conversation = new Conversation(this.startedAtMs, this.out);
    this.hold = new BargeInHold(clock, options.bargeInConfirmMs ?? 0, {
      // The reply may have finished playing meanwhile: nothing to cut then, but the hold must end.
      confirm: () => (this.state.phase === 'responding' ? this.dispatch({ type: 'userSpeechStarted', source: 'vad' }) : this.out.release()),
      resume: (heldMs) => (this.out.release(), this.log.info({ heldMs: Math.round(heldMs) }, 'false interruption: playback resumed')),
    });
    this.endedPromise = new Promise((resolve) => (this.resolveEnded = resolve));
    this.on('model', (e) => this.conversation.modelEvent(e, clock.nowMs())); // usage, renewals, errors
    // Tool calls run on their own; a slow one's hold phrase plays unless the caller hears something already.
    const play = (pcm: Int16Array, id: string): boolean => this.state.phase === 'listening' && (this.out.push(pcm, id), this.out.responseDone(id), this.dispatch({ type: 'holdAudio' }), true);
    const hold = deps.holdPhrase && { player: new HoldPlayer(deps.holdPhrase, outputRateHz, resamplers, options.resampleQuality), afterMs: deps.holdPhrase.afterMs, play };
    this.tools = new CallToolRunner({ registry: deps.tools, ctx: { callId: this.id, logger: this.log, signal: this.abort.signal }, timeoutMs: options.toolTimeoutMs, clock, startedAtMs: this.startedAtMs, hold, done: (toolCallId, record, reply) => {
      this.emit('toolCall', this.conversation.addToolCall(record));
      if (this.isOver()) return;
      transport.notify({ type: 'tool', name: record.name, ok: record.ok, durationMs: record.durationMs });
      this.watchdog.activity(clock.nowMs());
      this.session?.sendToolResult(toolCallId, reply);
    } });
  }

  /** Id of the model this call talks to. */
  get modelId(): string { return this.deps.model.id; }

  /** What the caller's carrier said when the stream started: its call id and custom parameters. */
  get startInfo(): CallDeps['startInfo'] { return this.deps.startInfo; }

  /** The carrier (`twilio`, `vonage`, `browser`, …). */
  get kind(): string { return this.deps.transport.kind; }

  /** Current phase. */
  get phase(): CallPhase { return this.state.phase; }

  /** Resolves with the summary once the call has ended. */
  get ended(): Promise<CallSummary> { return this.endedPromise; }

  /** Completed and current turns. */
  get turns(): TurnRecord[] { return this.conversation.turns; }
  /** Final transcript lines. */
  get transcript(): TranscriptEntry[] { return this.conversation.transcript; }

  /** Conversation history (for models and renewals). */
  get history(): HistoryMessage[] { return this.conversation.history; }
  /** Tool calls, oldest first. */
  get toolCalls(): ToolCallRecord[] { return this.conversation.toolCalls; }

  /** The model session's own counters so far (empty before it opens or when it keeps none). */
  modelStats(): Record<string, number> { return this.session?.stats?.() ?? {}; }

  /** The playout pacer (for metrics: jitter, added latency, underruns). */
  get playout(): PlayoutPacer<PlayoutFrame> { return this.out.pacerStats; }

  /** Opens the model session and starts moving audio. Never throws: failures end the call. */
  async start(): Promise<void> {
    const { transport, model, options, clock } = this.deps;
    transport.setHandler(contained((e) => this.onCallerEvent(e), this.onEventError));
    this.housekeeping = clock.setTimeout(this.onHousekeeping, HOUSEKEEPING_MS);
    this.emit('state', this.state.phase);
    transport.notify({ type: 'state', state: this.state.phase });
    try {
      const { systemPrompt, voice, greeting } = options;
      const { inputRateHz, outputRateHz } = this.rates;
      const tools = this.deps.tools?.specs() ?? [];
      const init = { callId: this.id, systemPrompt, voice, greeting, history: [], logger: this.log, callerRateHz: transport.inputRateHz, tools, inputRateHz, outputRateHz };
      const session = await model.open(init, this.abort.signal);
      if (this.isOver()) {
        await session.close();
        return;
      }
      this.session = session;
      this.dispatch({ type: 'sessionOpened' });
      session.setHandler(contained((e) => (e.type !== 'audio' && this.emit('model', e), this.onModelEvent(e)), this.onEventError)); // observers: all but audio
      for (const chunk of this.in.takeHeld()) session.sendAudio(chunk);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'model session failed to open');
      transport.notify({ type: 'error', code: 'model_unavailable', message: errorMessage(err) });
      this.dispatch({ type: 'modelFailed', reason: `model-open-failed: ${errorMessage(err)}` });
    }
  }

  /** A bug met while handling one of this call's events: this call ends (`server error`), no other. */
  private readonly onEventError = (err: unknown): void => (this.log.error({ err: errorMessage(err) }, 'call failed handling an event'), this.isOver() || this.dispatch({ type: 'modelFailed', reason: 'server error' }), undefined);

  /** Ends the call from our side (`options.serverShutdown`: WebSocket callers get close 1001). */
  hangup(reason: string, options?: HangupOptions): void {
    if (!this.isOver()) this.hangupOptions = options;
    this.dispatch({ type: 'hangup', reason });
  }
  /** Hands the call to a person: keeps `handoff` for the record, tells the caller, ends the stream (`transferred`). */
  handOff(handoff: Handoff): void {
    if (this.isOver()) return;
    this.deps.transport.notify({ type: 'transfer', to: targetText((this.handoff = handoff).target), reason: handoff.reason });
    this.hangup('transferred');
  }

  /** Keeps `handoff` until `moved` says whether the carrier moved the call; a stream it closes meanwhile ends `transferred` (pending-handoff.ts). */
  holdHandOff(handoff: Handoff, moved: Promise<boolean>): void { if (!this.isOver()) this.moving.hold(handoff, moved); }
  /** Ends the call once the model's next reply has been heard (the `end_call` tool), or after `END_CALL_GRACE_MS`. */
  endAfterReply(): void { this.watchdog.requestEnd(this.deps.clock.nowMs()); }

  /** Whether the call has ended (or failed). */
  isOver(): boolean { return this.state.phase === 'ended' || this.state.phase === 'error'; }

  private dispatch(input: CallInput): void {
    const before = this.state.phase;
    const { state, commands } = transition(this.state, input);
    this.state = state;
    if (state.phase !== before) {
      if (state.phase === 'responding') this.in.resetVad();
      // A state listener or the notice failing must not stop the commands (an ended call must finish).
      attempt(() => (this.emit('state', state.phase), this.deps.transport.notify({ type: 'state', state: state.phase })), (err) => this.log.error({ err: errorMessage(err) }, 'state notice failed'));
    }
    for (const c of commands) this.run(c);
  }

  private run(command: CallCommand): void {
    if (command.type === 'bargeIn') this.bargeInGuard.run(() => this.bargeIn(command.source));
    else this.finish(command.reason, command.error, command.hangupCaller).catch((err) => this.log.error({ err: errorMessage(err) }, 'ending the call failed'));
  }

  // ---- caller → model -------------------------------------------------------------------------

  private onCallerEvent(e: CallerEvent): void {
    if (this.isOver()) return;
    switch (e.type) {
      case 'audio':
        return this.onCallerAudio(e.pcm, e.receivedAtMs);
      case 'played': // a turn's reply latency may be known only now (marks): announced again then
        this.out.markPlayed(e.markId, this.deps.clock.nowMs());
        return this.announceTurn(this.conversation.playbackConfirmed());
      case 'dtmf':
        this.log.info({ digit: e.digit }, 'dtmf');
        this.watchdog.activity(this.deps.clock.nowMs());
        this.emit('dtmf', e.digit);
        return this.sendUserText(`The caller pressed ${e.digit} on the keypad.`);
      case 'text':
        this.watchdog.activity(this.deps.clock.nowMs());
        return this.sendUserText(e.text);
      case 'ended':
        return this.dispatch({ type: 'callerEnded', reason: e.reason });
    }
  }

  /** Typed text or a keypad digit as the caller's turn, for models that take text. */
  private sendUserText(text: string): void {
    if (!this.session || !this.deps.model.capabilities.textInput) return;
    this.conversation.userTurnEnded(this.deps.clock.nowMs());
    this.session.sendText(text);
  }

  /** The local VAD heard the caller while the assistant speaks: barge in, or hold playout until that is sure. */
  private onLocalSpeech(): void {
    if (this.state.phase !== 'responding') return;
    if (!this.deps.options.bargeInConfirmMs) return this.dispatch({ type: 'userSpeechStarted', source: 'vad' });
    this.out.hold();
    this.hold.start();
  }

  private onCallerAudio(pcm: Int16Array, receivedAtMs: number): void {
    const now = this.deps.clock.nowMs();
    this.framesIn++;
    this.watchdog.callerAudio(pcm, now);
    const modelPcm = this.in.toModel(pcm, this.state.phase === 'responding');
    if (this.session) {
      this.session.sendAudio(modelPcm);
      this.inboundLatency.record(this.deps.clock.nowMs() - receivedAtMs);
    } else this.in.hold(modelPcm);
  }

  // ---- model → caller -------------------------------------------------------------------------

  private onModelEvent(e: ModelEvent): void {
    // Events the session emits synchronously from cancelResponse/truncate wait until barge-in is done.
    if (this.bargeInGuard.defer(e)) return;
    if (this.isOver() && e.type !== 'closed') return;
    const now = this.deps.clock.nowMs();
    switch (e.type) {
      case 'audio':
        return this.onModelAudio(e.pcm, e.responseId, now);
      case 'responseStarted':
        if (!this.out.isCancelled(e.responseId)) this.conversation.responseStarted(e.responseId);
        return;
      case 'responseDone':
        return this.onResponseDone(e.responseId);
      case 'speechStarted':
        this.watchdog.activity(now);
        this.deps.transport.notify({ type: 'speech', speaking: true });
        this.conversation.speechStarted(now);
        return this.dispatch({ type: 'userSpeechStarted', source: 'model' });
      case 'speechStopped':
        this.deps.transport.notify({ type: 'speech', speaking: false });
        return this.conversation.speechStopped(now, e.speechEndedAgoMs);
      case 'transcript':
        return this.onTranscript(e.role, e.text, e.final, e.responseId);
      case 'toolCall':
        return void this.tools.run(e.toolCallId, e.name, e.arguments);
      case 'error':
        this.log.warn({ code: e.code, retryable: e.retryable }, `model error: ${e.message}`);
        this.deps.transport.notify({ type: 'error', code: e.code, message: e.message });
        return;
      case 'closed':
        if (!this.isOver()) this.dispatch({ type: 'modelFailed', reason: `model-closed: ${e.reason}` });
        return;
    }
  }

  private onModelAudio(pcm: Int16Array, responseId: string, now: number): void {
    if (this.out.isCancelled(responseId)) return;
    if (this.state.phase === 'connecting') return;
    this.conversation.assistantAudio(responseId, now);
    if (this.state.phase !== 'responding' || this.state.holding) this.dispatch({ type: 'assistantAudio' }); // the model's reply after a hold phrase
    this.out.push(pcm, responseId);
  }

  private onResponseDone(responseId: string): void {
    if (this.out.isCancelled(responseId)) return;
    this.out.responseDone(responseId);
    const t = this.conversation.responseDone(responseId);
    if (this.out.lastQueuedResponseId === responseId) this.watchdog.replyFinished(this.deps.clock.nowMs()); // `end_call`'s goodbye has audio
    if (t) this.announceTurn(t);
    this.dispatch({ type: 'responseDone' });
  }

  private onTranscript(role: 'user' | 'assistant', text: string, final: boolean, responseId?: string): void {
    // A cancelled response's partials are dropped; its final (the heard part, after truncation) is kept.
    if (responseId && this.out.isCancelled(responseId) && role === 'assistant' && !final) return;
    if (role === 'user' && text.trim()) this.hold.confirmNow(); // words: not a cough
    const turn = this.conversation.turnNumberFor(role, responseId);
    this.deps.transport.notify({ type: 'transcript', role, text, final, turn });
    if (!final) return;
    const now = this.deps.clock.nowMs();
    this.watchdog.activity(now);
    const line = this.conversation.addFinal(role, text, now, responseId);
    if (line) this.emit('transcript', line);
  }

  /** Emits `turn` and tells the caller (reply latency: `reply-latency.ts`). */
  private announceTurn(t: TurnRecord | undefined): void {
    if (!t) return;
    this.emit('turn', t);
    this.deps.transport.notify({ type: 'turn', turn: t.turn, replyLatencyMs: t.replyLatencyMs, interrupted: t.interrupted });
  }

  // ---- barge-in ---------------------------------------------------------------------------------

  /** The audio side via `Playout`, then the model (cancel, truncate to what was heard) and the record. */
  private bargeIn(source: 'model' | 'vad'): void {
    this.hold.cancel();
    const { queuedResponseId, ...cut } = this.out.interrupt(this.conversation.activeResponseId);
    const { responseId, heardMs } = cut;
    const modelCuts = [responseId, queuedResponseId].filter((id): id is string => id !== undefined && !isHoldResponse(id));
    if (modelCuts.length) this.session?.cancelResponse();
    if (this.deps.model.capabilities.truncation) for (const id of modelCuts) this.session?.truncate(id, id === responseId ? heardMs : 0);
    this.bargeIns++;
    // The reply cut, and one queued behind it that the caller heard none of.
    for (const [id, ms] of [[responseId, heardMs], [queuedResponseId, 0]] as const) this.announceTurn(this.conversation.interrupted(id, ms));
    const event: BargeInEvent = { source, ...cut, atMs: Math.round(this.deps.clock.nowMs() - this.startedAtMs) };
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
    if (this.state.playing && this.out.isDrained(now)) this.dispatch({ type: 'playoutDrained' });
    const verdict = this.watchdog.check(now, !this.state.playing || this.out.isDrained(now));
    if (verdict === 'maxLength') {
      this.log.info({ maxCallMs: options.maxCallMs }, 'call reached its longest length: hanging up');
      return this.dispatch({ type: 'hangup', reason: MAX_CALL_LENGTH_REASON });
    }
    if (verdict === 'endRequested') return this.dispatch({ type: 'hangup', reason: 'assistant-ended' });
    if (verdict === 'inactive') {
      this.log.info({ idleMs: Math.round(this.watchdog.idleMs(now)) }, 'inactivity timeout');
      return this.dispatch({ type: 'inactivity' });
    }
    if (verdict === 'keepAlive' && this.session && model.capabilities.needsContinuousAudio) {
      this.session.sendAudio(new Int16Array((this.rates.inputRateHz * HOUSEKEEPING_MS) / 1000));
    }
    this.housekeeping = clock.setTimeout(this.onHousekeeping, HOUSEKEEPING_MS);
  };

  // ---- end --------------------------------------------------------------------------------------

  private async finish(reason: string, error: boolean, hangupCaller: boolean): Promise<void> {
    const { transport, clock, model } = this.deps;
    const moving = this.handoff || !this.moving.active ? undefined : this.moving.settle(reason, error); // now: its answer may come while the session closes
    if (this.housekeeping !== undefined) clock.clearTimeout(this.housekeeping);
    this.hold.cancel();
    this.out.stop();
    this.in.closeVad();
    this.abort.abort();
    if (hangupCaller) attempt(() => transport.hangup(reason, this.hangupOptions), this.onEventError);
    attempt(() => this.emit('state', this.state.phase), this.onEventError); // a listener's bug must not stop the end
    const session = this.session;
    this.session = undefined;
    const modelStats = session?.stats?.() ?? {};
    try {
      await session?.close();
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'model session close failed');
    }
    this.in.destroy();
    this.out.destroy();
    const endedAtMs = clock.nowMs();
    if (moving) ({ reason, handoff: this.handoff } = await moving);
    const summary = callSummary({
      id: this.id, kind: transport.kind, modelId: model.id, startInfo: this.deps.startInfo,
      startedAt: this.startedAt, startedAtMs: this.startedAtMs, endedAtMs, reason, error,
      conversation: this.conversation, framesIn: this.framesIn, playout: this.playout, bargeIns: this.bargeIns, bargeInEvents: this.bargeInEvents,
      modelStats: { ...modelStats, ...(session?.stats?.() ?? {}) }, handoff: this.handoff, falseInterruptions: this.hold.resumed, prices: this.deps.prices, billingId: model.billingId,
    });
    this.log.info({ reason, durationMs: summary.durationMs, turns: summary.turns.length, error }, 'call ended');
    attempt(() => this.emit('ended', summary), this.onEventError);
    this.resolveEnded(summary);
  }
}
