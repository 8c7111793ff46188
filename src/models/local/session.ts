/**
 * One session of the offline local model: VAD endpointing → speech recognition → responder →
 * sentence-by-sentence synthesis. It reports the user's speech start (the barge-in signal), both
 * transcripts, and response start/done, like a cloud speech-to-speech model would. It speaks the
 * greeting first, cuts an utterance that never pauses at `maxUtteranceMs` and answers it, and lets
 * its responder call the call's tools (a `toolCall` event out, `sendToolResult` back in). All audio
 * is 16 kHz PCM16. Its claim on the shared recognizers is bounded: one utterance being heard and at
 * most `MAX_FINISHING` being recognized (a newer one supersedes the oldest), all cancelled when the
 * session closes.
 */
import { setMaxListeners } from 'node:events';
import type { SpeechProbabilityStream } from '../../audio/vad/types.js';
import { trimLeadingSilence } from '../../audio/level.js';
import { VadStream } from '../../audio/vad/vad.js';
import { errorMessage } from '../../core/errors.js';
import { EventRelay } from '../../core/relay.js';
import { type HistoryMessage, type ModelEvent, type ModelSession, type SessionInit } from '../model.js';
import type { Responder, ResponderTools } from './responder.js';
import { splitSentences } from './sentences.js';
import type { RecognitionStream, SpeechRecognizer } from './stt/recognizer.js';
import type { SpeechSynthesizer } from './tts/synthesizer.js';

/** Dependencies of a local session. */
export interface LocalSessionDeps {
  init: SessionInit;
  vad: SpeechProbabilityStream;
  stt: SpeechRecognizer;
  tts: SpeechSynthesizer;
  responder: Responder;
  /** Silence that ends the user's turn, ms. */
  endpointSilenceMs: number;
  /** Longest utterance before it is cut and answered (a caller who never pauses), ms; default no limit. */
  maxUtteranceMs?: number;
  /** flite voice. */
  voice?: string;
}

interface ResponseRecord {
  id: string;
  abort: AbortController;
  sentences: string[];
  /** Cumulative end of each emitted sentence's audio, ms. */
  sentenceEndsMs: number[];
  done: boolean;
}

/** Utterances of one session being recognized at once (after the caller stopped speaking). */
export const MAX_FINISHING = 1;

/** Audio kept from before the VAD confirms speech, so the recognizer hears the onset, ms. */
const PRE_ROLL_MS = 500;
const RATE_HZ = 16000;

/** A local-model session. */
export class LocalSession implements ModelSession {
  private readonly relay = new EventRelay<ModelEvent>();
  private readonly vad: VadStream;
  private readonly history: HistoryMessage[];
  private preRoll: Int16Array[] = [];
  private preRollSamples = 0;
  private utterance: RecognitionStream | undefined;
  /** Utterances ended and being recognized, oldest first. */
  private readonly finishing: RecognitionStream[] = [];
  /** Utterances given up because a newer one ended while they were still being recognized. */
  supersededUtterances = 0;
  private current: ResponseRecord | undefined;
  private readonly recent: ResponseRecord[] = [];
  private responseSeq = 0;
  private toolSeq = 0;
  private readonly pendingTools = new Map<string, (result: unknown) => void>();
  private closed = false;

  constructor(private readonly deps: LocalSessionDeps) {
    this.history = [...deps.init.history];
    this.vad = new VadStream(deps.vad, {
      minSpeechMs: 96,
      minSilenceMs: deps.endpointSilenceMs,
      maxSpeechMs: deps.maxUtteranceMs,
      onEvent: (e) => (e.type === 'start' ? this.onSpeechStart() : void this.onSpeechEnd(e.silenceMs, e.forced === true)),
      onError: (err) => deps.init.logger.warn({ err: errorMessage(err) }, 'VAD window failed'),
    });
    const greeting = deps.init.greeting?.trim();
    if (greeting) void this.respond(null, greeting);
  }

  setHandler(handler: (event: ModelEvent) => void): void {
    this.relay.setHandler(handler);
  }

  private emit(e: ModelEvent): void {
    if (!this.closed || e.type === 'closed') this.relay.emit(e);
  }

  sendAudio(pcm: Int16Array): void {
    if (this.closed) return;
    this.preRoll.push(pcm);
    this.preRollSamples += pcm.length;
    while (this.preRollSamples - this.preRoll[0].length >= (PRE_ROLL_MS * RATE_HZ) / 1000) {
      this.preRollSamples -= this.preRoll.shift()!.length;
    }
    this.utterance?.push(pcm);
    this.vad.push(pcm);
  }

  private onSpeechStart(): void {
    if (this.closed) return;
    this.emit({ type: 'speechStarted' });
    // The user talks over a response still being prepared: stop it (the call handles playback).
    if (this.current && !this.current.done) this.cancelResponse();
    this.utterance?.abort();
    this.utterance = this.deps.stt.begin();
    for (const chunk of this.preRoll) this.utterance.push(chunk);
  }

  private async onSpeechEnd(silenceMs: number, forced: boolean): Promise<void> {
    const utterance = this.utterance;
    this.utterance = undefined;
    if (this.closed || !utterance) return;
    if (forced) this.deps.init.logger.info({ maxUtteranceMs: this.deps.maxUtteranceMs }, 'utterance reached its longest length: answering without waiting for a pause');
    this.emit({ type: 'speechStopped', speechEndedAgoMs: silenceMs });
    while (this.finishing.length >= MAX_FINISHING) {
      this.finishing.shift()!.abort();
      this.supersededUtterances++;
    }
    this.finishing.push(utterance);
    const text = await utterance.finish();
    const i = this.finishing.indexOf(utterance);
    if (i >= 0) this.finishing.splice(i, 1);
    if (this.closed) return;
    if (!text) {
      this.deps.init.logger.debug('utterance recognized as nothing');
      return;
    }
    this.emit({ type: 'transcript', role: 'user', text, final: true });
    await this.respond(text);
  }

  /**
   * Answers `userText` through the responder, or, with `userText` null, speaks `fixedReply` (the
   * greeting).
   */
  private async respond(userText: string | null, fixedReply?: string): Promise<void> {
    const { responder, tts, init, voice } = this.deps;
    if (this.current && !this.current.done) this.cancelResponse();
    const record: ResponseRecord = { id: `local-${++this.responseSeq}`, abort: new AbortController(), sentences: [], sentenceEndsMs: [], done: false };
    setMaxListeners(0, record.abort.signal); // one listener per queued sentence of a long reply
    this.current = record;
    this.recent.push(record);
    if (this.recent.length > 8) this.recent.shift();
    const prior = [...this.history];
    if (userText !== null) this.history.push({ role: 'user', text: userText });
    this.emit({ type: 'responseStarted', responseId: record.id });
    try {
      const reply = userText === null ? (fixedReply ?? '') : await responder.respond(prior, userText, init.systemPrompt, record.abort.signal, this.toolsFor(record));
      if (record.abort.signal.aborted) return;
      const sentences = splitSentences(reply);
      const audio = sentences.map((s) => tts.synthesize(s, voice, record.abort.signal));
      audio.forEach((p) => p.catch(() => {}));
      let endMs = 0;
      for (let i = 0; i < sentences.length; i++) {
        // flite opens with ≈180 ms of silence: the reply starts with its first sound.
        const pcm = i === 0 ? trimLeadingSilence(await audio[i], RATE_HZ) : await audio[i];
        if (record.abort.signal.aborted || this.closed) return;
        endMs += (pcm.length * 1000) / RATE_HZ;
        record.sentences.push(sentences[i]);
        record.sentenceEndsMs.push(endMs);
        this.emit({ type: 'audio', pcm, responseId: record.id });
        this.emit({ type: 'transcript', role: 'assistant', text: record.sentences.join(' '), final: false, responseId: record.id });
      }
      this.history.push({ role: 'assistant', text: reply });
      record.done = true;
      this.emit({ type: 'transcript', role: 'assistant', text: reply, final: true, responseId: record.id });
      this.emit({ type: 'responseDone', responseId: record.id, cancelled: false });
    } catch (err) {
      if (record.abort.signal.aborted || this.closed) return;
      record.abort.abort(); // its sentences still queued for the shared synthesizer leave the queue
      record.done = true;
      this.emit({ type: 'error', code: 'local_response_failed', message: errorMessage(err), retryable: true });
      this.emit({ type: 'responseDone', responseId: record.id, cancelled: true });
    } finally {
      if (this.current === record) this.current = undefined;
    }
  }

  sendText(text: string): void {
    if (this.closed || !text.trim()) return;
    this.emit({ type: 'transcript', role: 'user', text, final: true });
    void this.respond(text);
  }

  /** The call's tools for one response: each call is a `toolCall` event answered by `sendToolResult`. */
  private toolsFor(record: ResponseRecord): ResponderTools | undefined {
    const specs = this.deps.init.tools ?? [];
    if (specs.length === 0) return undefined;
    return {
      specs,
      call: (name, args) =>
        new Promise<unknown>((resolve, reject) => {
          if (record.abort.signal.aborted || this.closed) return reject(new Error('response abandoned'));
          const toolCallId = `local-tool-${++this.toolSeq}`;
          const abandon = () => {
            this.pendingTools.delete(toolCallId);
            reject(new Error('response abandoned'));
          };
          record.abort.signal.addEventListener('abort', abandon, { once: true });
          this.pendingTools.set(toolCallId, (result) => {
            record.abort.signal.removeEventListener('abort', abandon);
            resolve(result);
          });
          this.emit({ type: 'toolCall', toolCallId, name, arguments: args });
        }),
    };
  }

  sendToolResult(toolCallId: string, result: unknown): void {
    const done = this.pendingTools.get(toolCallId);
    this.pendingTools.delete(toolCallId);
    done?.(result);
  }

  cancelResponse(): void {
    const r = this.current;
    if (!r || r.done) return;
    r.done = true;
    r.abort.abort();
    this.current = undefined;
    this.emit({ type: 'responseDone', responseId: r.id, cancelled: true });
  }

  /**
   * Records that only the first `heardMs` of response `responseId` reached the caller: the history
   * keeps the sentences heard in full plus the heard share of the next one, and a final assistant
   * transcript with that text is emitted.
   */
  truncate(responseId: string, heardMs: number): void {
    const r = this.recent.find((x) => x.id === responseId);
    if (!r) return;
    const words: string[] = [];
    let startMs = 0;
    for (let i = 0; i < r.sentences.length; i++) {
      const endMs = r.sentenceEndsMs[i];
      const sentenceWords = r.sentences[i].split(' ');
      if (heardMs >= endMs) words.push(...sentenceWords);
      else if (heardMs > startMs) {
        const share = (heardMs - startMs) / (endMs - startMs);
        words.push(...sentenceWords.slice(0, Math.floor(sentenceWords.length * share)));
        break;
      } else break;
      startMs = endMs;
    }
    const heardText = words.join(' ');
    const idx = this.history.findIndex((m, i) => m.role === 'assistant' && i === this.history.length - 1);
    const entry: HistoryMessage = { role: 'assistant', text: heardText, truncatedAtMs: Math.round(heardMs) };
    if (idx >= 0) this.history[idx] = entry;
    else this.history.push(entry);
    this.emit({ type: 'transcript', role: 'assistant', text: heardText, final: true, responseId });
  }

  /** The session's conversation history (a copy). */
  getHistory(): HistoryMessage[] {
    return this.history.map((m) => ({ ...m }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.vad.close();
    this.utterance?.abort();
    for (const u of this.finishing.splice(0)) u.abort();
    this.current?.abort.abort();
    this.emit({ type: 'closed', reason: 'closed by call' });
  }
}
