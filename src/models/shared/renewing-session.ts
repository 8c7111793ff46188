/**
 * One `ModelSession` made of successive provider sessions ("segments"), renewed before the
 * provider's session limit — the one renewal mechanism of OpenAI Realtime and Nova Sonic (issue 11
 * §1; Nova: protocols.md §1.13). On the injected clock it:
 *
 * - prepares the next segment at `renewAfterMs` of the current one's age, opened with the
 *   conversation so far (trimmed, `history.ts`), or handed it when it goes live (`goLive`, Nova's
 *   stream: set-up first, history just before the audio, so it cannot go stale);
 * - keeps a rolling buffer of the caller audio sent since the next segment was opened or, if later,
 *   since the last response started or the caller's last final transcript (audio of words already
 *   in the history is not replayed); with `recovery` it is never cleared otherwise: it holds the
 *   caller's turn not yet in the history, replayed to every new segment (a turn may span several);
 * - hands over at a turn boundary (no response in flight, the caller not mid-turn, no tool call
 *   pending, the assistant's final text in), or forced at `forceAfterMs`; a prepared segment whose
 *   history went stale (the conversation moved on while it opened) is replaced before a turn-boundary
 *   handover, so the replayed audio never holds a turn the new segment would answer again;
 * - replays the buffered caller audio to the new segment, closes the old one, and forwards events
 *   from the current segment only. Response ids of segment n ≥ 1 get the prefix `s<n>-`; a reply's
 *   final text that comes again (a truncation) replaces its history line; usage counts on; each
 *   handover and each replacement after a failure is announced as a `renewed` event;
 * - with `recovery`, retries a refused first open and replaces a failed segment (closed after a
 *   retryable error) by a new one with the conversation so far, replaying the audio buffered
 *   meanwhile, with bounded retries on the `retry.ts` backoff.
 */
import { sleep, type TimerHandle } from '../../core/clock.js';
import { errorMessage, isRetryable } from '../../core/errors.js';
import type { HistoryMessage, ModelEvent, ModelSession, ModelSessionStats } from '../model.js';
import { Conversation, trimHistory } from './history.js';
import { planRenewal, RollingAudioBuffer } from './renewal.js';
import { retryDelayMs, withRetries } from './retry.js';
import { foldStats, newSegment, type RenewingSessionOptions, type Segment, type SegmentSession } from './segment.js';
import { SessionEvents } from './session-events.js';

/** Period of the renewal check, ms. */
export const RENEWAL_TICK_MS = 100;
/** The caller's turn counts as open this long after their speech stopped with no response yet, ms. */
export const USER_TURN_WAIT_MS = 4000;
/** Wait for the assistant's final text after its response ended before handing over anyway, ms. */
export const FINAL_TEXT_WAIT_MS = 2000;
/** Wait before preparing again after a next segment failed to open, ms. */
export const PREPARE_RETRY_MS = 1000;

export type { RenewingSessionOptions, SegmentRecovery, SegmentSession } from './segment.js';

/** One conversation over renewed segments. */
export class RenewingSession implements ModelSession {
  private readonly events = new SessionEvents(() => this.closing);
  private current!: Segment;
  private next: { segment?: Segment; opening: Promise<void>; version: number } | undefined;
  private readonly draining = new Set<Promise<void>>();
  private readonly buffer: RollingAudioBuffer;
  private readonly history: Conversation;
  /** Bumped on every change to the conversation (a final transcript, a response, a tool call, typed text). */
  private version = 0;
  private nextPrepareAfterMs = 0;
  private tick: TimerHandle | undefined;
  private closing = false;
  /** Counters of the segments no longer current and closed (summed, `max*` maxed); `leaving`: ones still closing, read live. */
  private readonly pastStats: Record<string, number> = {};
  private readonly leaving = new Set<SegmentSession>();
  private readonly counters = { segments: 0, renewals: 0, forcedRenewals: 0, staleSegments: 0, prepareFailures: 0, replayedMs: 0, maxHandoverGapMs: 0, maxHistoryBytes: 0 };
  private readonly recoveryCounters = { failures: 0, retries: 0, maxOutageMs: 0, droppedInputMs: 0 };
  /** Usage of the segments no longer current. */
  private readonly usageBase = { inputTokens: 0, outputTokens: 0 };
  /** While a failed segment is being replaced: since when (clock ms), its replacement opening, typed text held for it (at most 20). */
  private outage: { sinceMs: number; opening?: Promise<unknown>; texts: string[] } | undefined;
  private consecutiveFailures = 0;
  /** Aborted on close: cuts a retry backoff short. */
  private readonly closeSignal = new AbortController();

  private constructor(private readonly options: RenewingSessionOptions) {
    this.history = new Conversation(options.history);
    this.buffer = new RollingAudioBuffer(options.inputRateHz, options.replayMs ?? 10_000);
  }

  /**
   * Opens the first segment (with `recovery`, retrying retryable refusals) and starts the renewal check.
   * @throws whatever `openSegment` last rejected with for the first segment.
   */
  static async open(options: RenewingSessionOptions): Promise<RenewingSession> {
    const s = new RenewingSession(options);
    const openFirst = async (): Promise<SegmentSession> => s.options.openSegment([...options.history], s.counters.segments++);
    const first = options.recovery
      ? await withRetries(options.clock, options.recovery.maxRetries, openFirst, (err, attempt, retryable) => options.logger.warn({ err: errorMessage(err), attempt, retryable }, 'model session failed to open'), options.signal)
      : await openFirst();
    s.current = newSegment(first, 0, options.clock.nowMs());
    s.listen(s.current);
    s.goLive(s.current);
    s.schedule();
    return s;
  }

  /** Hands a late-history segment the conversation so far (trimmed). */
  private goLive(seg: Segment): void {
    if (!seg.session.goLive) return;
    seg.session.goLive(this.trimmedHistory());
  }

  private trimmedHistory(): HistoryMessage[] {
    const history = trimHistory(this.history.messages, this.options.maxHistoryBytes ?? 32 * 1024);
    this.counters.maxHistoryBytes = Math.max(this.counters.maxHistoryBytes, history.reduce((b, m) => b + Buffer.byteLength(m.text), 0));
    return history;
  }

  setHandler(handler: (event: ModelEvent) => void): void {
    this.events.setHandler(handler);
  }

  /** Relays one event; after close only `closed`, and that once (`SessionEvents`). */
  private emit = (e: ModelEvent): void => this.events.emit(e);

  /** Relays a segment's events (turn state; the call's while current). Once it is current or next: what it buffered (a stream that failed as it opened) arrives at once. */
  private listen(seg: Segment): void {
    seg.session.setHandler((e) => this.onSegmentEvent(seg, e));
  }

  private rid = (seg: Segment, id: string): string => (seg.n === 0 ? id : `s${seg.n}-${id}`);

  private onSegmentEvent(seg: Segment, e: ModelEvent): void {
    if (seg !== this.current) {
      if (this.next?.segment === seg && (e.type === 'closed' || (e.type === 'error' && !e.retryable))) {
        this.options.logger.warn({ segment: seg.n, event: e.type }, 'next model session failed before the handover; will prepare again');
        this.dropNext();
      }
      return;
    }
    const now = this.options.clock.nowMs();
    switch (e.type) {
      case 'responseStarted':
        seg.openResponses.add(e.responseId);
        seg.userTurnSinceMs = undefined;
        seg.userSpeaking = false;
        this.version++;
        // The caller's turn so far is answered: replaying it would have the next segment answer it again.
        this.buffer.clear();
        return this.emit({ ...e, responseId: this.rid(seg, e.responseId) });
      case 'responseDone':
        seg.openResponses.delete(e.responseId);
        if (!e.cancelled && !seg.awaitingFinal.has(e.responseId)) seg.awaitingFinal.set(e.responseId, now);
        return this.emit({ ...e, responseId: this.rid(seg, e.responseId) });
      case 'audio':
        return this.emit({ ...e, responseId: this.rid(seg, e.responseId) });
      case 'speechStarted':
        seg.userSpeaking = true;
        seg.userTurnSinceMs = now;
        return this.emit(e);
      case 'speechStopped':
        seg.userSpeaking = false;
        seg.userTurnSinceMs = now;
        return this.emit(e);
      case 'transcript':
        if (e.final) {
          this.version++;
          this.history.add(e.role, e.text, e.responseId === undefined ? undefined : this.rid(seg, e.responseId));
          if (e.responseId !== undefined) seg.awaitingFinal.set(e.responseId, -1);
          // The caller's words are in the history now: replaying their audio would repeat them.
          if (e.role === 'user') this.buffer.clear();
        }
        return this.emit(e.responseId === undefined ? e : { ...e, responseId: this.rid(seg, e.responseId) });
      case 'usage':
        seg.usage = { inputTokens: e.inputTokens, outputTokens: e.outputTokens };
        return this.emit({ type: 'usage', inputTokens: this.usageBase.inputTokens + e.inputTokens, outputTokens: this.usageBase.outputTokens + e.outputTokens });
      case 'error':
        seg.failedRetryable = e.retryable && this.options.recovery ? e : undefined;
        if (seg.failedRetryable) return this.options.logger.warn({ segment: seg.n, code: e.code }, `model session failed: ${e.message}`);
        return this.emit(e);
      case 'toolCall':
        seg.pendingTools.add(e.toolCallId);
        this.version++;
        return this.emit(e);
      case 'closed':
        if (seg.failedRetryable) return void this.recover(seg);
        void this.close(e.reason);
        return;
      default:
        return this.emit(e);
    }
  }

  /** Whether the current segment is mid-turn (the handover waits). */
  private busy(seg: Segment, now: number): { responseOpen: boolean; toolPending: boolean; awaitingFinalText: boolean } {
    const userTurn = seg.userSpeaking || (seg.userTurnSinceMs !== undefined && now - seg.userTurnSinceMs < USER_TURN_WAIT_MS);
    const awaitingFinalText = [...seg.awaitingFinal.values()].some((at) => at >= 0 && now - at < FINAL_TEXT_WAIT_MS);
    return { responseOpen: seg.openResponses.size > 0 || userTurn, toolPending: seg.pendingTools.size > 0, awaitingFinalText };
  }

  private schedule(): void {
    if (this.closing) return;
    this.tick = this.options.clock.setTimeout(() => {
      this.tick = undefined;
      this.checkRenewal();
      this.schedule();
    }, RENEWAL_TICK_MS);
  }

  private checkRenewal(): void {
    if (this.outage) return;
    const now = this.options.clock.nowMs();
    const seg = this.current;
    const action = planRenewal(
      { ageMs: now - seg.openedAtMs, nextPreparing: this.next !== undefined || now < this.nextPrepareAfterMs, nextReady: this.next?.segment !== undefined, ...this.busy(seg, now) },
      this.options.timing,
    );
    if (action === 'prepare') this.prepare();
    else if (action === 'handover' && this.next!.version !== this.version && !this.next!.segment!.session.goLive) {
      // The conversation moved on while the next segment opened: its history is stale.
      this.counters.staleSegments++;
      this.dropNext();
      this.prepare();
    } else if (action === 'handover' || action === 'forceHandover') this.handover(action === 'forceHandover');
  }

  /** Opens the next segment in the background with the conversation so far. */
  private prepare(): void {
    const n = this.counters.segments++;
    const history = this.trimmedHistory();
    // With recovery the buffer is always kept (it is what a replacement gets after a failure).
    if (!this.options.recovery) this.buffer.clear();
    const next: NonNullable<typeof this.next> = { version: this.version, opening: Promise.resolve() };
    this.next = next;
    next.opening = this.options.openSegment(history, n).then(
      (session) => {
        if (this.next !== next || this.closing) {
          this.retire(session);
          return;
        }
        next.segment = newSegment(session, n, this.options.clock.nowMs());
        this.listen(next.segment);
      },
      (err: unknown) => {
        this.counters.prepareFailures++;
        this.options.logger.warn({ segment: n, err: errorMessage(err) }, 'next model session failed to open; will prepare again');
        if (this.next === next) this.dropNext();
      },
    );
  }

  /** Discards the next segment (failed or stale); preparing again waits `PREPARE_RETRY_MS`. */
  private dropNext(): void {
    const seg = this.next?.segment;
    this.next = undefined;
    this.nextPrepareAfterMs = this.options.clock.nowMs() + PREPARE_RETRY_MS;
    if (seg) this.retire(seg.session);
  }

  /** Closes a segment in the background; a former current one's counters join `pastStats` once it has closed. */
  private retire(session: SegmentSession): void {
    const closed = session.close().catch((err: unknown) => this.options.logger.warn({ err: errorMessage(err) }, 'closing a model session failed'));
    const done = closed.then(() => void (this.leaving.delete(session) && foldStats(this.pastStats, session.stats?.() ?? {})));
    this.draining.add(done);
    void done.finally(() => this.draining.delete(done));
  }

  /** Switches to the prepared segment: replays the buffered caller audio, closes the old one. */
  private handover(forced: boolean): void {
    const old = this.current;
    const seg = this.next!.segment!;
    this.next = undefined;
    const now = this.options.clock.nowMs();
    if (forced) for (const id of old.openResponses) this.emit({ type: 'responseDone', responseId: this.rid(old, id), cancelled: true });
    if (forced && old.pendingTools.size) this.options.logger.warn({ tools: old.pendingTools.size }, 'forced renewal drops pending tool calls');
    this.leave(old);
    this.goCurrent(seg);
    this.counters.maxHandoverGapMs = Math.max(this.counters.maxHandoverGapMs, Math.round(now - old.lastAudioAtMs));
    this.counters.renewals++;
    if (forced) this.counters.forcedRenewals++;
    this.emit({ type: 'renewed', cause: forced ? 'forced' : 'limit' });
    this.options.logger.info({ segment: seg.n, forced, replayedMs: Math.round(this.counters.replayedMs) }, 'model session renewed');
    this.retire(old.session);
  }

  /** Makes `seg` current: hands it the history (late-history segments), replays the buffered caller audio. */
  private goCurrent(seg: Segment): void {
    this.current = seg;
    this.goLive(seg);
    for (const pcm of this.buffer.snapshot()) seg.session.sendAudio(pcm);
    this.counters.replayedMs += this.buffer.durationMs;
    // With recovery the buffer is the caller's turn not yet in the history: the next segment needs it too.
    if (!this.options.recovery) this.buffer.clear();
    seg.lastAudioAtMs = this.options.clock.nowMs();
  }

  /** Folds the usage of a segment that stops being current into the past usage; its counters are read until it has closed. */
  private leave(seg: Segment): void {
    this.leaving.add(seg.session);
    this.usageBase.inputTokens += seg.usage.inputTokens;
    this.usageBase.outputTokens += seg.usage.outputTokens;
  }

  /**
   * Replaces the failed current segment: waits the backoff, opens a new one with the conversation
   * so far (or takes a ready next one), replays the caller audio buffered meanwhile. Ends the
   * session with a non-retryable `error` once the retries are used up or a refusal is not retryable.
   */
  private async recover(failed: Segment): Promise<void> {
    const { clock, logger, recovery } = this.options;
    if (this.closing || this.outage || !recovery) return;
    const failure = failed.failedRetryable!;
    this.recoveryCounters.failures++;
    this.leave(failed);
    this.retire(failed.session);
    if (clock.nowMs() - failed.openedAtMs > recovery.healthyAfterMs) this.consecutiveFailures = 0;
    const giveUp = async (code: ModelEvent & { type: 'error' }, reason: string): Promise<void> => {
      this.outage = undefined;
      this.emit({ ...code, retryable: false });
      await this.close(reason);
    };
    if (this.consecutiveFailures >= recovery.maxRetries) return giveUp(failure, `${failure.code}`);
    const outage: { sinceMs: number; opening?: Promise<unknown>; texts: string[] } = { sinceMs: clock.nowMs(), texts: [] };
    this.outage = outage;
    this.buffer.setCapacityMs(recovery.outageBufferMs);
    while (!this.closing) {
      const attempt = ++this.consecutiveFailures;
      this.recoveryCounters.retries++;
      await sleep(clock, retryDelayMs(attempt - 1), this.closeSignal.signal);
      if (this.closing) return;
      try {
        // A prepared next segment takes over if its history cannot be stale.
        const ready = this.next?.segment?.session.goLive ? this.next.segment : undefined;
        if (this.next && !ready) this.dropNext();
        this.next = undefined;
        const n = ready ? ready.n : this.counters.segments++;
        const opening = ready ? Promise.resolve(ready.session) : this.options.openSegment(this.trimmedHistory(), n);
        outage.opening = opening.catch(() => undefined);
        const seg = ready ?? newSegment(await opening, n, clock.nowMs());
        if (this.closing) return this.retire(seg.session);
        this.recoveryCounters.maxOutageMs = Math.max(this.recoveryCounters.maxOutageMs, Math.round(clock.nowMs() - outage.sinceMs));
        this.outage = undefined;
        this.goCurrent(seg);
        this.emit({ type: 'renewed', cause: 'failure', code: failure.code, message: failure.message });
        this.buffer.setCapacityMs(this.options.replayMs ?? 10_000);
        logger.info({ segment: seg.n, attempt }, 'model session replaced after a failure');
        if (!ready) this.listen(seg); // last: what it buffered may be its failure, starting the next outage (texts held again)
        for (const text of outage.texts) this.sendText(text);
        return;
      } catch (err) {
        const retryable = isRetryable(err);
        logger.warn({ err: errorMessage(err), attempt, retryable }, 'replacing the failed model session failed');
        if (!retryable || this.consecutiveFailures >= recovery.maxRetries) return giveUp({ type: 'error', code: 'model_unavailable', message: errorMessage(err), retryable: false }, 'reconnect failed');
      }
    }
  }

  sendAudio(pcm: Int16Array): void {
    if (this.closing) return;
    const now = this.options.clock.nowMs();
    if (this.outage) {
      // The buffer is the only copy: audio pushed out of it is lost.
      const before = this.buffer.droppedSamples;
      this.buffer.push(pcm);
      this.recoveryCounters.droppedInputMs += ((this.buffer.droppedSamples - before) * 1000) / this.options.inputRateHz;
      return;
    }
    this.current.session.sendAudio(pcm);
    this.current.lastAudioAtMs = now;
    if (this.next || this.options.recovery) this.buffer.push(pcm);
  }

  sendText(text: string): void {
    if (this.closing) return;
    // Held for the replacement, which answers it (text only in its history would go unanswered).
    if (this.outage) return void (this.outage.texts.length < 20 && this.outage.texts.push(text));
    this.version++;
    this.history.add('user', text);
    this.current.session.sendText(text);
  }

  sendToolResult(toolCallId: string, result: unknown): void {
    if (this.closing) return;
    if (this.outage || !this.current.pendingTools.delete(toolCallId)) {
      this.options.logger.warn({ toolCallId }, 'tool result for a call of a model session that has ended; dropped');
      return;
    }
    this.current.session.sendToolResult(toolCallId, result);
  }

  cancelResponse(): void {
    if (!this.closing) this.current.session.cancelResponse();
  }

  truncate(responseId: string, heardMs: number): void {
    if (this.closing) return;
    const seg = this.current;
    const prefix = seg.n === 0 ? '' : `s${seg.n}-`;
    // A response of an earlier segment is gone with it.
    if (seg.n === 0 ? /^s\d+-/.test(responseId) : !responseId.startsWith(prefix)) return;
    seg.session.truncate(responseId.slice(prefix.length), heardMs);
  }

  /**
   * The segments' own counters summed over the segments handed over so far (what they counted while
   * closing included) and the current one, plus `segments`, `renewals`, `forcedRenewals`, `staleSegments`, `prepareFailures`,
   * `replayedMs`, `maxHandoverGapMs`, `maxHistoryBytes`.
   */
  stats(): ModelSessionStats {
    const summed = foldStats({ ...this.pastStats }, this.outage ? {} : (this.current.session.stats?.() ?? {}));
    for (const session of this.leaving) foldStats(summed, session.stats?.() ?? {});
    const own: Record<string, number> = { ...this.counters, replayedMs: Math.round(this.counters.replayedMs) };
    if (this.options.recovery) Object.assign(own, this.recoveryCounters, { droppedInputMs: Math.round(this.recoveryCounters.droppedInputMs) });
    for (const [k, v] of Object.entries(own)) summed[k] = k.startsWith('max') ? Math.max(summed[k] ?? 0, v) : v;
    return this.options.mapStats ? this.options.mapStats(summed) : summed;
  }

  /** Closes every segment; resolves when they are closed. Idempotent. */
  async close(reason = 'closed by call'): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.closeSignal.abort();
    this.options.clock.clearTimeout(this.tick);
    const pending = this.next;
    this.next = undefined;
    if (pending?.segment) this.retire(pending.segment.session);
    this.retire(this.current.session);
    await pending?.opening;
    await this.outage?.opening;
    await Promise.all([...this.draining]);
    this.emit({ type: 'closed', reason });
  }
}
