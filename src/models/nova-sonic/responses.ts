/**
 * Pure mapping from Nova Sonic output signals to voicebridge `ModelEvent`s, with the conversation
 * history kept for renewals. A "response" runs from the assistant's first audio block to the audio
 * `contentEnd` with `END_TURN`, an interruption, or `completionEnd`. The three barge-in signals
 * (protocols.md §1.6) collapse into one `speechStarted` per response. The user's transcript
 * arrives once Nova has detected the end of the user's turn, so it also stands for `speechStopped`.
 */
import type { HistoryMessage, ModelEvent } from '../model.js';
import type { NovaSignal } from './output.js';

interface Response {
  id: string;
  /** Assistant audio received, ms. */
  audioMs: number;
  speculative: string[];
  final: string[];
  done: boolean;
  /** Heard position after a barge-in, ms. */
  heardMs: number | undefined;
  /** Index of this response's message in the history. */
  historyIndex: number | undefined;
}

/** Keeps words of `text` in proportion to `heardMs / totalMs`. */
export function heardShare(text: string, heardMs: number, totalMs: number): string {
  if (totalMs <= 0 || heardMs >= totalMs) return text;
  const words = text.split(/\s+/).filter(Boolean);
  return words.slice(0, Math.floor((words.length * Math.max(0, heardMs)) / totalMs)).join(' ');
}

/** Turns signals into model events and keeps the history. */
export class ResponseTracker {
  private current: Response | undefined;
  private readonly recent: Response[] = [];
  private seq = 0;
  private tokenBase = { input: 0, output: 0 };
  private tokenNow = { input: 0, output: 0 };
  /** Conversation so far (user and assistant lines, oldest first). */
  readonly history: HistoryMessage[];
  /** The user's turn was recognized and no response has started yet. */
  userTurnPending = false;
  /** A response's audio ended but its FINAL text has not arrived. */
  awaitingFinalText = false;
  /**
   * The call cancelled a response while Nova was still generating it (a local barge-in; Nova has no
   * cancel). Until that turn ends (audio `END_TURN` or `INTERRUPTED`, an interruption, `completionEnd`)
   * or the user's next turn is recognised, its further audio and speculative text are dropped;
   * otherwise they would open a new response and the caller would hear the rest of the cut reply.
   */
  private droppingCancelledTurn = false;
  /** Audio of cancelled turns dropped here (Nova went on generating it after the cancel), ms. */
  droppedAudioMs = 0;

  /**
   * @param outputRateHz rate of the assistant audio (to measure response length).
   * @param history prior conversation.
   * @param idPrefix prefix of response ids.
   */
  constructor(private readonly outputRateHz: number, history: readonly HistoryMessage[], private readonly idPrefix = 'nova') {
    this.history = history.map((m) => ({ ...m }));
  }

  /** Whether a response is in flight. */
  get responseOpen(): boolean {
    return this.current !== undefined && !this.current.done;
  }

  /** Maps one signal; returns the events to emit, in order. */
  handle(s: NovaSignal): ModelEvent[] {
    switch (s.kind) {
      case 'userTranscript': {
        if (!s.text.trim()) return [];
        this.history.push({ role: 'user', text: s.text.trim() });
        this.userTurnPending = true;
        this.droppingCancelledTurn = false;
        return [{ type: 'speechStopped' }, { type: 'transcript', role: 'user', text: s.text.trim(), final: true }];
      }
      case 'audioStart':
        return (this.current && !this.current.done) || this.droppingCancelledTurn ? [] : this.begin();
      case 'audio': {
        if (this.droppingCancelledTurn) {
          // Still counted: the turn's FINAL text covers it, and the heard share is taken of the whole.
          const cut = this.recent[this.recent.length - 1];
          const ms = (s.pcm.length * 1000) / this.outputRateHz;
          if (cut) cut.audioMs += ms;
          this.droppedAudioMs += ms;
          return [];
        }
        const out = this.current && !this.current.done ? [] : this.begin();
        const r = this.current!;
        r.audioMs += (s.pcm.length * 1000) / this.outputRateHz;
        out.push({ type: 'audio', pcm: s.pcm, responseId: r.id });
        return out;
      }
      case 'assistantText': {
        if (this.droppingCancelledTurn && s.stage === 'SPECULATIVE') return [];
        const out = this.current && !this.current.done ? [] : s.stage === 'SPECULATIVE' ? this.begin() : [];
        const r = this.current ?? this.recent[this.recent.length - 1];
        if (!r) return out;
        if (s.stage === 'SPECULATIVE') {
          r.speculative.push(s.text);
          out.push({ type: 'transcript', role: 'assistant', text: r.speculative.join(' '), final: false, responseId: r.id });
        } else {
          r.final.push(s.text);
          this.awaitingFinalText = false;
          out.push(this.finalTranscript(r));
        }
        return out;
      }
      case 'textEnd':
        if (s.role === 'ASSISTANT' && s.stage === 'FINAL') this.awaitingFinalText = false;
        return [];
      case 'audioEnd':
        if (s.stopReason === 'END_TURN' || s.stopReason === 'INTERRUPTED') this.droppingCancelledTurn = false;
        if (s.stopReason === 'END_TURN') return this.end(false);
        return [];
      case 'interrupted':
        this.droppingCancelledTurn = false;
        return this.interrupt();
      case 'completionEnd':
        this.droppingCancelledTurn = false;
        this.awaitingFinalText = false;
        return this.end(false);
      case 'usage':
        this.tokenNow = { input: s.totalInputTokens, output: s.totalOutputTokens };
        return [{ type: 'usage', inputTokens: this.tokenBase.input + this.tokenNow.input, outputTokens: this.tokenBase.output + this.tokenNow.output }];
      default:
        return [];
    }
  }

  private begin(): ModelEvent[] {
    const r: Response = { id: `${this.idPrefix}-${++this.seq}`, audioMs: 0, speculative: [], final: [], done: false, heardMs: undefined, historyIndex: undefined };
    this.current = r;
    this.recent.push(r);
    if (this.recent.length > 8) this.recent.shift();
    this.userTurnPending = false;
    this.awaitingFinalText = true;
    return [{ type: 'responseStarted', responseId: r.id }];
  }

  private end(cancelled: boolean): ModelEvent[] {
    const r = this.current;
    if (!r || r.done) return [];
    r.done = true;
    this.current = undefined;
    return [{ type: 'responseDone', responseId: r.id, cancelled }];
  }

  /**
   * A barge-in signal. Nova generates faster than real time, so it often arrives after the
   * response's audio has ended while the caller is still hearing it: the user's speech is
   * reported either way, once per response (the three signals arrive together).
   */
  private interrupt(): ModelEvent[] {
    const r = this.current ?? this.recent[this.recent.length - 1];
    if (!r || this.lastInterruptedId === r.id) return [];
    this.lastInterruptedId = r.id;
    this.awaitingFinalText = false;
    return [{ type: 'speechStarted' }, ...this.end(true)];
  }
  private lastInterruptedId: string | undefined;

  /** The assistant text of `r` as heard: all of it, or its heard share after a barge-in. */
  private finalTranscript(r: Response): ModelEvent {
    const full = (r.final.length ? r.final : r.speculative).join(' ').trim();
    const text = r.heardMs === undefined ? full : heardShare(full, r.heardMs, r.audioMs);
    const message: HistoryMessage = { role: 'assistant', text, ...(r.heardMs !== undefined ? { truncatedAtMs: Math.round(r.heardMs) } : {}) };
    if (r.historyIndex === undefined) {
      r.historyIndex = this.history.length;
      this.history.push(message);
    } else this.history[r.historyIndex] = message;
    return { type: 'transcript', role: 'assistant', text, final: true, responseId: r.id };
  }

  /** The call stopped the current response (local barge-in): drop the rest of its audio (`droppingCancelledTurn`). */
  cancel(): ModelEvent[] {
    if (this.responseOpen) this.droppingCancelledTurn = true;
    return this.end(true);
  }

  /** The caller heard only `heardMs` of `responseId`: trims its history line and re-emits its final text. */
  truncate(responseId: string, heardMs: number): ModelEvent[] {
    const r = this.recent.find((x) => x.id === responseId);
    if (!r) return [];
    r.heardMs = heardMs;
    return [this.finalTranscript(r)];
  }

  /** Whether `responseId` is the current response and was not cancelled. */
  isLive(responseId: string): boolean {
    return this.current?.id === responseId && !this.current.done;
  }

  /** The stream behind the responses ended: closes an open response; usage restarts from a new base. */
  endStream(): ModelEvent[] {
    this.tokenBase = { input: this.tokenBase.input + this.tokenNow.input, output: this.tokenBase.output + this.tokenNow.output };
    this.tokenNow = { input: 0, output: 0 };
    this.userTurnPending = false;
    this.awaitingFinalText = false;
    this.droppingCancelledTurn = false;
    return this.end(false);
  }
}
