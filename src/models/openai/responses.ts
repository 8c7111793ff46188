/**
 * Pure mapping from OpenAI Realtime signals (`codec.ts`) to voicebridge `ModelEvent`s. A response
 * runs from `response.created` (or its first audio) to `response.done`; its id is OpenAI's
 * (`resp_…`). The tracker remembers each response's audio item and how much audio it carried, so
 * `truncate` can name the item and the heard position (`conversation.item.truncate`), and the
 * response's transcript can be cut to the heard share.
 */
import type { ModelEvent } from '../model.js';
import { heardShare } from '../nova-sonic/responses.js';
import { OPENAI_PCM_RATE_HZ, type OpenAISignal } from './codec.js';


interface Response {
  id: string;
  /** The assistant audio item (`item_…`) of this response, from its first audio delta. */
  audioItemId: string | undefined;
  /** Assistant audio received, samples at the session's rate. */
  audioSamples: number;
  /** Transcript deltas so far. */
  partial: string;
  /** The `output_audio_transcript.done` text, once it came. */
  final: string | undefined;
  /** A final transcript event was emitted. */
  finalSent: boolean;
  /** Heard position after a barge-in, ms. */
  heardMs: number | undefined;
  done: boolean;
}

/** Where to cut an assistant audio item (`conversation.item.truncate`). */
export interface TruncatePoint {
  itemId: string;
  audioEndMs: number;
}

/** How many finished responses are remembered for a late `truncate`. */
const RECENT_RESPONSES = 16;

/** Turns signals into model events for one OpenAI Realtime session. */
export class OpenAIResponseTracker {
  private readonly responses = new Map<string, Response>();
  private readonly userPartials = new Map<string, string>();
  private current: Response | undefined;
  private readonly usage = { inputTokens: 0, outputTokens: 0 };

  /**
   * @param endpointSilenceMs silence after which the server reports the end of speech (`server_vad`
   *   `silence_duration_ms`: its `speech_stopped` comes that long after the words ended, SDK docs of
   *   `InputAudioBufferSpeechStoppedEvent.audio_end_ms`); undefined when unknown (`semantic_vad`).
   * @param rateHz the session's audio rate, Hz (24 kHz PCM16, or 8 kHz G.711 mu-law).
   */
  constructor(private readonly endpointSilenceMs?: number, private readonly rateHz: number = OPENAI_PCM_RATE_HZ) {}

  /** The response in flight (created, not done), if any. */
  get openResponseId(): string | undefined {
    return this.current && !this.current.done ? this.current.id : undefined;
  }

  /** Maps one signal; returns the events to emit, in order. Signals it does not map give none. */
  handle(s: OpenAISignal): ModelEvent[] {
    switch (s.kind) {
      case 'speechStarted':
        return [{ type: 'speechStarted' }];
      case 'speechStopped':
        return [this.endpointSilenceMs === undefined ? { type: 'speechStopped' } : { type: 'speechStopped', speechEndedAgoMs: this.endpointSilenceMs }];
      case 'userTranscriptDelta': {
        const text = (this.userPartials.get(s.itemId) ?? '') + s.delta;
        this.userPartials.set(s.itemId, text);
        return text.trim() ? [{ type: 'transcript', role: 'user', text: text.trim(), final: false }] : [];
      }
      case 'userTranscriptDone':
        this.userPartials.delete(s.itemId);
        return s.transcript.trim() ? [{ type: 'transcript', role: 'user', text: s.transcript.trim(), final: true }] : [];
      case 'responseCreated':
        return this.begin(s.responseId).events;
      case 'audioDelta': {
        const { r, events } = this.begin(s.responseId);
        if (r.done || s.pcm.length === 0) return events;
        r.audioItemId ??= s.itemId;
        r.audioSamples += s.pcm.length;
        events.push({ type: 'audio', pcm: s.pcm, responseId: r.id });
        return events;
      }
      case 'transcriptDelta': {
        const { r, events } = this.begin(s.responseId);
        if (r.done || r.final !== undefined) return events;
        r.partial += s.delta;
        if (r.partial.trim()) events.push({ type: 'transcript', role: 'assistant', text: r.partial.trim(), final: false, responseId: r.id });
        return events;
      }
      case 'transcriptDone': {
        const r = this.responses.get(s.responseId);
        if (!r) return [];
        r.final = s.transcript;
        return [this.finalTranscript(r)];
      }
      case 'responseDone':
        return this.end(s);
      default:
        return [];
    }
  }

  /** The response `responseId`, started (with its `responseStarted`) when new. */
  private begin(responseId: string): { r: Response; events: ModelEvent[] } {
    const known = this.responses.get(responseId);
    if (known) return { r: known, events: [] };
    const r: Response = { id: responseId, audioItemId: undefined, audioSamples: 0, partial: '', final: undefined, finalSent: false, heardMs: undefined, done: false };
    this.responses.set(responseId, r);
    if (this.responses.size > RECENT_RESPONSES) this.responses.delete(this.responses.keys().next().value!);
    this.current = r;
    return { r, events: [{ type: 'responseStarted', responseId }] };
  }

  private end(s: Extract<OpenAISignal, { kind: 'responseDone' }>): ModelEvent[] {
    const events: ModelEvent[] = [];
    if (s.usage) {
      this.usage.inputTokens += s.usage.inputTokens;
      this.usage.outputTokens += s.usage.outputTokens;
    }
    const r = this.responses.get(s.responseId);
    if (r && !r.done) {
      r.done = true;
      if (this.current === r) this.current = undefined;
      // A cancelled response may end without its transcript's done: its deltas are the final text.
      if (!r.finalSent && r.partial.trim()) events.push(this.finalTranscript(r));
      events.push({ type: 'responseDone', responseId: r.id, cancelled: s.status === 'cancelled' });
    }
    if (s.usage) events.push({ type: 'usage', inputTokens: this.usage.inputTokens, outputTokens: this.usage.outputTokens });
    return events;
  }

  private audioMs(r: Response): number {
    return (r.audioSamples * 1000) / this.rateHz;
  }

  /** The assistant text of `r` as heard: all of it, or its heard share after a barge-in. */
  private finalTranscript(r: Response): ModelEvent {
    const full = (r.final ?? r.partial).trim();
    const text = r.heardMs === undefined ? full : heardShare(full, r.heardMs, this.audioMs(r));
    r.finalSent = true;
    return { type: 'transcript', role: 'assistant', text, final: true, responseId: r.id };
  }

  /**
   * The caller heard only `heardMs` of `responseId`. Returns the transcript cut to the heard share
   * (when the response has text) and where to cut its audio item on the server (`audioEndMs`
   * clamped to the audio received), or no cut when the response had no audio or all of it was heard.
   */
  truncate(responseId: string, heardMs: number): { events: ModelEvent[]; cut: TruncatePoint | undefined } {
    const r = this.responses.get(responseId);
    if (!r || !r.audioItemId) return { events: [], cut: undefined };
    const totalMs = this.audioMs(r);
    const audioEndMs = Math.min(Math.max(0, Math.floor(heardMs)), Math.floor(totalMs));
    if (r.done && audioEndMs >= Math.floor(totalMs)) return { events: [], cut: undefined };
    r.heardMs = audioEndMs;
    const events = (r.final ?? r.partial).trim() ? [this.finalTranscript(r)] : [];
    return { events, cut: { itemId: r.audioItemId, audioEndMs } };
  }
}
