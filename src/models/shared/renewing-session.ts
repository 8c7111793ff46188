/**
 * One `ModelSession` made of successive provider sessions ("segments"), renewed before the
 * provider's session limit — the renewal mechanism shared by providers (issue 11 §1; Nova Sonic's
 * own stream renewal, protocols.md §1.13, follows the same plan with the same pure pieces from
 * `renewal.ts`). On the injected clock it:
 *
 * - prepares the next segment at `renewAfterMs` of the current one's age, opened with the
 *   conversation so far (trimmed, `history.ts`); instructions and tools come with the provider's
 *   own init;
 * - keeps a rolling buffer of the caller audio sent since the next segment was opened or, if later,
 *   since the last response started (audio of a turn already answered is not replayed);
 * - hands over at a turn boundary (no response in flight, the caller not mid-turn, no tool call
 *   pending, the assistant's final text in), or forced at `forceAfterMs`; a prepared segment whose
 *   history went stale (the conversation moved on while it opened) is replaced before a turn-boundary
 *   handover, so the replayed audio never holds a turn the new segment would answer again;
 * - replays the buffered caller audio to the new segment, closes the old one, and forwards events
 *   from the current segment only. Response ids of segment n ≥ 1 get the prefix `s<n>-`, so they
 *   stay unique across segments.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { HistoryMessage, ModelEvent, ModelSession, ModelSessionStats } from '../model.js';
import { trimHistory } from './history.js';
import { planRenewal, RollingAudioBuffer, type RenewalTiming } from './renewal.js';
import { SessionEvents } from './session-events.js';

/** Period of the renewal check, ms. */
export const RENEWAL_TICK_MS = 100;
/** The caller's turn counts as open this long after their speech stopped with no response yet, ms. */
export const USER_TURN_WAIT_MS = 4000;
/** Wait for the assistant's final text after its response ended before handing over anyway, ms. */
export const FINAL_TEXT_WAIT_MS = 2000;
/** Wait before preparing again after a next segment failed to open, ms. */
export const PREPARE_RETRY_MS = 1000;

/** What a renewing session needs. */
export interface RenewingSessionOptions {
  /**
   * Opens one segment with this history (oldest first); the first segment gets the call's own
   * history, later ones the conversation so far. Rejects when the provider refuses.
   */
  openSegment(history: HistoryMessage[], n: number): Promise<ModelSession>;
  clock: Clock;
  logger: Logger;
  /** When to prepare and when to force the handover (`renewalTimingFor`). */
  timing: RenewalTiming;
  /** Rate of the caller audio sent (`sendAudio`), Hz. */
  inputRateHz: number;
  /** The call's history before this session, oldest first. */
  history: readonly HistoryMessage[];
  /** Most caller audio replayed to the next segment, ms (default 10 000). */
  replayMs?: number;
  /** Most UTF-8 bytes of history given to a next segment (default 32 KiB). */
  maxHistoryBytes?: number;
}

/** A segment and its turn state. */
interface Segment {
  n: number;
  session: ModelSession;
  openedAtMs: number;
  /** Provider response ids still open. */
  openResponses: Set<string>;
  /** Tool call ids awaiting a result. */
  pendingTools: Set<string>;
  /** Provider response id → its final assistant text arrived. */
  awaitingFinal: Map<string, number>;
  /** Clock time of the caller's speech start, while their turn is open (no response since). */
  userTurnSinceMs: number | undefined;
  userSpeaking: boolean;
  /** Clock time the last caller audio was sent to it, ms. */
  lastAudioAtMs: number;
}

/** One conversation over renewed segments. */
export class RenewingSession implements ModelSession {
  private readonly events = new SessionEvents(() => this.closing);
  private current!: Segment;
  private next: { segment?: Segment; opening: Promise<void>; version: number } | undefined;
  private readonly draining = new Set<Promise<void>>();
  private readonly buffer: RollingAudioBuffer;
  private readonly history: HistoryMessage[];
  /** Bumped on every change to the conversation (a final transcript, a response, a tool call, typed text). */
  private version = 0;
  private nextPrepareAfterMs = 0;
  private tick: TimerHandle | undefined;
  private closing = false;
  /** Summed counters of the segments handed over from. */
  private readonly pastStats: Record<string, number> = {};
  private readonly counters = { segments: 0, renewals: 0, forcedRenewals: 0, staleSegments: 0, prepareFailures: 0, replayedMs: 0, maxHandoverGapMs: 0, maxHistoryBytes: 0 };

  private constructor(private readonly options: RenewingSessionOptions) {
    this.history = [...options.history];
    this.buffer = new RollingAudioBuffer(options.inputRateHz, options.replayMs ?? 10_000);
  }

  /**
   * Opens the first segment and starts the renewal check.
   * @throws whatever `openSegment` rejects with for the first segment.
   */
  static async open(options: RenewingSessionOptions): Promise<RenewingSession> {
    const s = new RenewingSession(options);
    s.current = s.attach(await options.openSegment([...options.history], 0), 0);
    s.counters.segments = 1;
    s.schedule();
    return s;
  }

  setHandler(handler: (event: ModelEvent) => void): void {
    this.events.setHandler(handler);
  }

  /** Relays one event; after close only `closed`, and that once (`SessionEvents`). */
  private emit(e: ModelEvent): void {
    this.events.emit(e);
  }

  /** Wraps a segment: its events update its turn state and, while it is current, reach the call. */
  private attach(session: ModelSession, n: number): Segment {
    const seg: Segment = { n, session, openedAtMs: this.options.clock.nowMs(), openResponses: new Set(), pendingTools: new Set(), awaitingFinal: new Map(), userTurnSinceMs: undefined, userSpeaking: false, lastAudioAtMs: this.options.clock.nowMs() };
    session.setHandler((e) => this.onSegmentEvent(seg, e));
    return seg;
  }

  private rid(seg: Segment, id: string): string {
    return seg.n === 0 ? id : `s${seg.n}-${id}`;
  }

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
          if (e.text.trim()) this.history.push({ role: e.role, text: e.text.trim() });
          if (e.responseId !== undefined) seg.awaitingFinal.set(e.responseId, -1);
        }
        return this.emit(e.responseId === undefined ? e : { ...e, responseId: this.rid(seg, e.responseId) });
      case 'toolCall':
        seg.pendingTools.add(e.toolCallId);
        this.version++;
        return this.emit(e);
      case 'closed':
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
    const now = this.options.clock.nowMs();
    const seg = this.current;
    const action = planRenewal(
      { ageMs: now - seg.openedAtMs, nextPreparing: this.next !== undefined || now < this.nextPrepareAfterMs, nextReady: this.next?.segment !== undefined, ...this.busy(seg, now) },
      this.options.timing,
    );
    if (action === 'prepare') this.prepare();
    else if (action === 'handover' && this.next!.version !== this.version) {
      // The conversation moved on while the next segment opened: its history is stale.
      this.counters.staleSegments++;
      this.dropNext();
      this.prepare();
    } else if (action === 'handover' || action === 'forceHandover') this.handover(action === 'forceHandover');
  }

  /** Opens the next segment in the background with the conversation so far. */
  private prepare(): void {
    const n = this.counters.segments++;
    const history = trimHistory(this.history, this.options.maxHistoryBytes ?? 32 * 1024);
    this.counters.maxHistoryBytes = Math.max(this.counters.maxHistoryBytes, history.reduce((b, m) => b + Buffer.byteLength(m.text), 0));
    this.buffer.clear();
    const next: NonNullable<typeof this.next> = { version: this.version, opening: Promise.resolve() };
    this.next = next;
    next.opening = this.options.openSegment(history, n).then(
      (session) => {
        if (this.next !== next || this.closing) {
          this.retire(session);
          return;
        }
        next.segment = this.attach(session, n);
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

  private retire(session: ModelSession): void {
    const done = session.close().catch((err: unknown) => this.options.logger.warn({ err: errorMessage(err) }, 'closing a model session failed'));
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
    this.current = seg;
    for (const pcm of this.buffer.snapshot()) seg.session.sendAudio(pcm);
    this.counters.replayedMs += this.buffer.durationMs;
    this.buffer.clear();
    this.counters.maxHandoverGapMs = Math.max(this.counters.maxHandoverGapMs, Math.round(now - old.lastAudioAtMs));
    seg.lastAudioAtMs = now;
    this.counters.renewals++;
    if (forced) this.counters.forcedRenewals++;
    this.options.logger.info({ segment: seg.n, forced, replayedMs: Math.round(this.counters.replayedMs) }, 'model session renewed');
    for (const [k, v] of Object.entries(old.session.stats?.() ?? {})) this.pastStats[k] = (this.pastStats[k] ?? 0) + v;
    this.retire(old.session);
  }

  sendAudio(pcm: Int16Array): void {
    if (this.closing) return;
    this.current.session.sendAudio(pcm);
    this.current.lastAudioAtMs = this.options.clock.nowMs();
    if (this.next) this.buffer.push(pcm);
  }

  sendText(text: string): void {
    if (this.closing) return;
    this.version++;
    if (text.trim()) this.history.push({ role: 'user', text: text.trim() });
    this.current.session.sendText(text);
  }

  sendToolResult(toolCallId: string, result: unknown): void {
    if (this.closing) return;
    if (!this.current.pendingTools.delete(toolCallId)) {
      this.options.logger.warn({ toolCallId }, 'tool result for a call of an earlier model session; dropped');
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
   * The segments' own counters summed over the segments handed over so far and the current one,
   * plus `segments`, `renewals`, `forcedRenewals`, `staleSegments`, `prepareFailures`,
   * `replayedMs`, `maxHandoverGapMs`, `maxHistoryBytes`.
   */
  stats(): ModelSessionStats {
    const summed: Record<string, number> = { ...this.pastStats };
    for (const [k, v] of Object.entries(this.current.session.stats?.() ?? {})) summed[k] = (summed[k] ?? 0) + v;
    return { ...summed, ...this.counters, replayedMs: Math.round(this.counters.replayedMs) };
  }

  /** Closes every segment; resolves when they are closed. Idempotent. */
  async close(reason = 'closed by call'): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.options.clock.clearTimeout(this.tick);
    const pending = this.next;
    this.next = undefined;
    if (pending?.segment) this.retire(pending.segment.session);
    this.retire(this.current.session);
    await pending?.opening;
    await Promise.all([...this.draining]);
    this.emit({ type: 'closed', reason });
  }
}
