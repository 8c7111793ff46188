/**
 * The conversation record of one call: turns, transcript, history (for models and renewals),
 * the caller's text waiting for the next turn, each response's assistant line, tool calls, reply
 * latency and the other turn timings (`turn-timing.ts`), and the model's usage and events
 * (renewals, errors: `call-events.ts`). Pure: no I/O, no timers, no events. Times are passed in as clock ms; methods
 * return what the caller of this record should announce (a turn, a transcript line).
 */
import type { HistoryMessage, ModelEvent } from '../models/model.js';
import { CallEventLog } from './call-events.js';
import type { TokenUsage } from './cost.js';
import { ReplyLatencyMeter, type PlaybackStartSource } from './reply-latency.js';
import { TurnTiming } from './turn-timing.js';
import type { CallEvent, CallTranscriptEvent, ToolCallRecord, TranscriptEntry, TurnRecord } from './types.js';

/** Assistant lines kept per response for replacement after truncation, count (oldest forgotten first). */
const MAX_ASSISTANT_ENTRIES = 16;

export type { PlaybackStartSource } from './reply-latency.js';

/** Record of one call's conversation. */
export class Conversation {
  /** Completed and current turns, oldest first (each `turn` numbered from 1). */
  readonly turns: TurnRecord[] = [];
  /** Final transcript lines, oldest first. */
  readonly transcript: TranscriptEntry[] = [];
  /** Conversation history as the model was left with it (truncated assistant lines marked). */
  readonly history: HistoryMessage[] = [];
  /** Tool calls, oldest first. */
  readonly toolCalls: ToolCallRecord[] = [];
  private pendingUserText: string[] = [];
  private readonly assistantEntries = new Map<string, { entry: TranscriptEntry; message: HistoryMessage }>();
  private turn: TurnRecord | undefined;
  private active: string | undefined;
  /** Heard ms of responses cut by barge-in before their final line arrived (some models send it after). */
  private readonly cutBeforeFinal = new Map<string, number>();
  private readonly latency: ReplyLatencyMeter;
  private readonly timing: TurnTiming;
  private readonly modelLog = new CallEventLog();

  /**
   * @param startedAtMs when the call started (clock ms); transcript lines are timed from it.
   * @param playback tells when the caller started hearing a response (for reply latency).
   */
  constructor(private readonly startedAtMs: number, playback: PlaybackStartSource) {
    this.latency = new ReplyLatencyMeter(playback);
    this.timing = new TurnTiming(startedAtMs, playback);
  }

  /** The model's token usage over the whole call, if it reported any. */
  get usage(): TokenUsage | undefined {
    return this.modelLog.usage;
  }

  /** Session renewals and model errors, oldest first. */
  get events(): CallEvent[] {
    return this.modelLog.events;
  }

  /** A model event (any but audio) at `nowMs` (clock ms): usage, renewals and errors are kept (`CallEventLog`). */
  modelEvent(e: ModelEvent, nowMs: number): void {
    this.modelLog.add(e, nowMs - this.startedAtMs);
  }

  /** The latest turn, if any. */
  get currentTurn(): TurnRecord | undefined {
    return this.turn;
  }

  /** The response whose audio is streaming now (set by `assistantAudio`, cleared when it ends or is cut). */
  get activeResponseId(): string | undefined {
    return this.active;
  }

  /** The model announced response `responseId`: starts its turn unless it is the current one. */
  responseStarted(responseId: string): void {
    if (this.turn?.responseId !== responseId) this.beginTurn(responseId);
  }

  /**
   * Audio of response `responseId` arrived (at `atMs`, clock ms: its first sets the turn's
   * `firstAudioMs`): starts its turn if new and makes it the active response.
   */
  assistantAudio(responseId: string, atMs?: number): void {
    if (this.turn?.responseId !== responseId) this.beginTurn(responseId);
    this.active = responseId;
    if (atMs !== undefined) this.timing.audio(this.turn!, atMs);
  }

  /**
   * The model finished response `responseId`.
   * @returns the turn to announce when that response was the active one, else undefined.
   */
  responseDone(responseId: string): TurnRecord | undefined {
    if (this.active !== responseId) return undefined;
    this.active = undefined;
    return this.turn;
  }

  /** The model heard the caller start speaking at `atMs` (clock ms). */
  speechStarted(atMs: number): void {
    this.timing.speechStarted(atMs);
  }

  /**
   * The model ended the caller's turn at `atMs` (clock ms), `endpointingMs` after their speech
   * ended (absent: unknown; the speech is taken to end at `atMs`).
   */
  speechStopped(atMs: number, endpointingMs?: number): void {
    this.latency.userTurnEnded(atMs - (endpointingMs ?? 0));
    this.timing.speechStopped(atMs, endpointingMs);
  }

  /** The caller's turn ended at `atMs` (clock ms) with a typed message or keypad digit. */
  userTurnEnded(atMs: number): void {
    this.latency.userTurnEnded(atMs);
    this.timing.typedTurn(atMs);
  }

  /** The first frame of response `responseId` was sent: binds the caller's last turn end to its turn. */
  replyStarted(responseId: string): void {
    if (this.turn?.responseId === responseId) this.latency.replyStarted(this.turn);
  }

  /**
   * A frame of response `responseId` was sent, `positionMs` of it so far: its first binds the
   * caller's last turn end to its turn (`replyStarted`); each sets the turn's `replyMs`.
   */
  replyFrameSent(responseId: string, positionMs: number): void {
    const t = this.turn;
    if (t?.responseId !== responseId) return;
    if (t.replyMs === undefined) this.latency.replyStarted(t);
    this.timing.frameSent(t, positionMs);
  }

  /**
   * A playback mark came back (the start of a reply may be known only now).
   * @returns a turn whose reply latency was just set and that was already announced (its response is
   * no longer active), to announce again; else undefined.
   */
  playbackConfirmed(): TurnRecord | undefined {
    if (this.turn) this.timing.playbackKnown(this.turn);
    const t = this.latency.update();
    if (t) this.timing.playbackKnown(t);
    return t && this.active !== t.responseId ? t : undefined;
  }

  /** Number of the turn a transcript line of `role` belongs to (a user line belongs to the next turn). */
  turnNumberFor(role: 'user' | 'assistant', responseId?: string): number {
    return role === 'user' ? this.turns.length + 1 : (this.turnOf(responseId)?.turn ?? this.turns.length);
  }

  /**
   * Records a final transcript line at `nowMs` (clock ms). A second final for the same assistant
   * response replaces the first (truncation to what was heard); an empty new line is not recorded.
   * @returns the line to announce, or undefined when nothing was recorded.
   */
  addFinal(role: 'user' | 'assistant', text: string, nowMs: number, responseId?: string): CallTranscriptEvent | undefined {
    const previous = role === 'assistant' && responseId ? this.assistantEntries.get(responseId) : undefined;
    if (previous) {
      previous.entry.text = text;
      previous.message.text = text;
      const t = this.turnOf(responseId);
      if (t) t.assistantText = text;
      return { role, text };
    }
    if (!text.trim()) return undefined;
    const entry: TranscriptEntry = { role, text, atMs: Math.round(nowMs - this.startedAtMs) };
    const message: HistoryMessage = { role, text };
    this.transcript.push(entry);
    this.history.push(message);
    if (role === 'user') this.pendingUserText.push(text);
    else {
      if (responseId) {
        const heardMs = this.cutBeforeFinal.get(responseId);
        if (heardMs !== undefined) {
          message.truncatedAtMs = heardMs;
          this.cutBeforeFinal.delete(responseId);
        }
        this.assistantEntries.set(responseId, { entry, message });
        if (this.assistantEntries.size > MAX_ASSISTANT_ENTRIES) this.assistantEntries.delete(this.assistantEntries.keys().next().value!);
      }
      const t = this.turnOf(responseId) ?? this.turn;
      if (t) t.assistantText = [t.assistantText, text].filter(Boolean).join(' ');
    }
    return { role, text };
  }

  /**
   * The caller barged in on response `responseId` after hearing `heardMs` of it: no response is
   * active any more, its history line is marked truncated at `heardMs` (now, or when its final line
   * arrives later, as OpenAI's does after a cancel).
   * @returns its turn (now `interrupted`, with `heardMs`) to announce, also when a later turn has
   *   begun (a reply still playing when the next one started); undefined for no or an unknown response.
   */
  interrupted(responseId: string | undefined, heardMs: number): TurnRecord | undefined {
    this.active = undefined;
    const message = responseId ? this.assistantEntries.get(responseId)?.message : undefined;
    if (message) message.truncatedAtMs = heardMs;
    else if (responseId) {
      this.cutBeforeFinal.set(responseId, heardMs);
      if (this.cutBeforeFinal.size > MAX_ASSISTANT_ENTRIES) this.cutBeforeFinal.delete(this.cutBeforeFinal.keys().next().value!);
    }
    // The turn of the response cut: the current one, or an earlier one still playing (announced again).
    const turn = responseId ? this.turnOf(responseId) : undefined;
    if (!turn) return undefined;
    turn.interrupted = true;
    turn.heardMs = heardMs;
    this.timing.interrupted(turn, heardMs);
    return turn;
  }

  /** Records one tool call; returns `record`. */
  addToolCall(record: ToolCallRecord): ToolCallRecord {
    this.toolCalls.push(record);
    return record;
  }

  private beginTurn(responseId: string): void {
    this.active = responseId;
    this.turn = {
      turn: this.turns.length + 1,
      responseId,
      userText: this.pendingUserText.join(' '),
      assistantText: '',
      replyLatencyMs: null,
      interrupted: false,
    };
    this.pendingUserText = [];
    this.timing.turnBegan(this.turn);
    this.turns.push(this.turn);
  }

  private turnOf(responseId: string | undefined): TurnRecord | undefined {
    if (!responseId) return this.turn;
    for (let i = this.turns.length - 1; i >= 0; i--) if (this.turns[i].responseId === responseId) return this.turns[i];
    return undefined;
  }
}
