/**
 * One emulated response's server events, in the GA order (protocols.md §2.4; the `openai`
 * package's `RealtimeServerEvent` types): `response.created`; for speech `response.output_item.added`,
 * `conversation.item.added`, `response.content_part.added`, then `response.output_audio_transcript.delta`
 * and `response.output_audio.delta` (base64 in the session's output format, 100 ms per delta), then
 * `response.output_audio.done`, `response.output_audio_transcript.done`, `response.content_part.done`,
 * `response.output_item.done`, `conversation.item.done`; for a tool call a `function_call` item with
 * `response.function_call_arguments.delta` / `.done`; last `response.done` with `status`,
 * `status_details`, `output` and `usage`. With `output_modalities: ["text"]` the part is text
 * (`response.output_text.delta` / `.done`) and no audio is sent. Events go through the session's
 * paced output.
 */
import { newId } from './errors.js';
import type { PacedOutput } from './paced-output.js';

/** Everything a response needs from its session. */
export interface ResponseContext {
  out: PacedOutput;
  /** `audio` or `text`. */
  modality: 'audio' | 'text';
  /** `audio.output` of the session (format, voice), echoed in the response object. */
  audioOutput: Record<string, unknown>;
  conversationId: string;
  /** Id of the conversation's last item (the new item's `previous_item_id`). */
  lastItemId(): string | null;
  /** A new output item exists (the session adds it to its conversation). */
  onItem(item: AssistantItem): void;
  /** Input tokens of the conversation so far (text, audio). */
  inputTokens(): { text: number; audio: number };
}

/** An assistant item the response produced; `audioMs` counts audio actually sent. */
export interface AssistantItem {
  id: string;
  wire: Record<string, unknown>;
  /** Audio of the item sent to the client, ms (what `conversation.item.truncate` may cut). */
  audioMs: number;
  /** The brain response it came from (for truncation). */
  brainResponseId: string;
}

/** `status_details` of a finished response. */
export type ResponseEnding = { status: 'completed' } | { status: 'cancelled'; reason: 'turn_detected' | 'client_cancelled' } | { status: 'failed'; error: { type: string; code: string | null } };

/** One response being streamed. */
export class ResponseStream {
  readonly id = newId('resp');
  private readonly output: Record<string, unknown>[] = [];
  private message: { item: AssistantItem; transcript: string; outputIndex: number } | undefined;
  private audioTokens = 0;
  private textTokens = 0;
  private finished = false;

  constructor(private readonly ctx: ResponseContext, readonly brainResponseId: string) {
    this.emit({ type: 'response.created', response: this.object('in_progress') });
  }

  /** True once `response.done` was queued. */
  get done(): boolean {
    return this.finished;
  }

  private emit(event: Record<string, unknown>, durationMs = 0, onSent?: () => void): void {
    this.ctx.out.push({ event_id: newId('event'), ...event }, durationMs, onSent);
  }

  private object(status: string, statusDetails: unknown = null): Record<string, unknown> {
    const input = this.ctx.inputTokens();
    const inputTokens = input.text + input.audio;
    const outputTokens = this.textTokens + Math.round(this.audioTokens);
    return {
      object: 'realtime.response',
      id: this.id,
      status,
      status_details: statusDetails,
      output: this.output,
      conversation_id: this.ctx.conversationId,
      output_modalities: [this.ctx.modality],
      max_output_tokens: 'inf',
      audio: { output: this.ctx.audioOutput },
      metadata: null,
      usage:
        status === 'in_progress'
          ? null
          : {
              total_tokens: inputTokens + outputTokens,
              input_tokens: inputTokens,
              output_tokens: outputTokens,
              input_token_details: { text_tokens: input.text, audio_tokens: input.audio, image_tokens: 0, cached_tokens: 0, cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 } },
              output_token_details: { text_tokens: this.textTokens, audio_tokens: Math.round(this.audioTokens) },
            },
    };
  }

  private ids(): Record<string, unknown> {
    const m = this.message!;
    return { response_id: this.id, item_id: m.item.id, output_index: m.outputIndex, content_index: 0 };
  }

  /** Opens the assistant message item on first use. */
  private openMessage(): NonNullable<ResponseStream['message']> {
    if (this.message) return this.message;
    const id = newId('item');
    const wire: Record<string, unknown> = { id, object: 'realtime.item', type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    const previous = this.ctx.lastItemId();
    const item: AssistantItem = { id, wire, audioMs: 0, brainResponseId: this.brainResponseId };
    this.message = { item, transcript: '', outputIndex: this.output.length };
    this.output.push(wire);
    this.ctx.onItem(item);
    this.emit({ type: 'response.output_item.added', response_id: this.id, output_index: this.message.outputIndex, item: { ...wire } });
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: { ...wire } });
    this.emit({ type: 'response.content_part.added', ...this.ids(), part: this.ctx.modality === 'audio' ? { type: 'audio', transcript: '' } : { type: 'text', text: '' } });
    return this.message;
  }

  /** Queues the new part of `cumulative` (the whole transcript so far) as a delta. */
  transcriptSoFar(cumulative: string): void {
    const said = this.message?.transcript ?? '';
    const delta = cumulative.startsWith(said) ? cumulative.slice(said.length) : cumulative;
    this.transcriptDelta(said && delta && !/^\s/.test(delta) ? ` ${delta}` : delta);
  }

  /** Whether the open message has any transcript (or text) yet. */
  get hasTranscript(): boolean {
    return (this.message?.transcript ?? '') !== '';
  }

  /** Queues transcript (or text) `delta`. */
  transcriptDelta(delta: string): void {
    if (this.finished || !delta) return;
    const m = this.openMessage();
    m.transcript += delta;
    this.textTokens += delta.trim().split(/\s+/).filter(Boolean).length;
    this.emit({ type: this.ctx.modality === 'audio' ? 'response.output_audio_transcript.delta' : 'response.output_text.delta', ...this.ids(), delta });
  }

  /** Queues one audio delta of `durationMs` (wire bytes in the output format); ignored in text mode. */
  audioDelta(bytes: Buffer, durationMs: number): void {
    if (this.finished || this.ctx.modality !== 'audio' || bytes.length === 0) return;
    const m = this.openMessage();
    this.audioTokens += durationMs / 50;
    this.emit({ type: 'response.output_audio.delta', ...this.ids(), delta: bytes.toString('base64') }, durationMs, () => (m.item.audioMs += durationMs));
  }

  /** Queues a function call item (`call_id` given) with its arguments (a JSON string). */
  functionCall(callId: string, name: string, argumentsJson: string): void {
    if (this.finished) return;
    this.closeMessage('completed');
    const id = newId('item');
    const outputIndex = this.output.length;
    const wire: Record<string, unknown> = { id, object: 'realtime.item', type: 'function_call', status: 'in_progress', name, call_id: callId, arguments: '' };
    const previous = this.ctx.lastItemId();
    this.output.push(wire);
    this.ctx.onItem({ id, wire, audioMs: 0, brainResponseId: this.brainResponseId });
    this.emit({ type: 'response.output_item.added', response_id: this.id, output_index: outputIndex, item: { ...wire } });
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: { ...wire } });
    const ids = { response_id: this.id, item_id: id, output_index: outputIndex, call_id: callId };
    this.emit({ type: 'response.function_call_arguments.delta', ...ids, delta: argumentsJson });
    this.emit({ type: 'response.function_call_arguments.done', ...ids, name, arguments: argumentsJson });
    Object.assign(wire, { status: 'completed', arguments: argumentsJson });
    this.textTokens += Math.ceil(argumentsJson.length / 4);
    this.emit({ type: 'response.output_item.done', response_id: this.id, output_index: outputIndex, item: { ...wire } });
    this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: { ...wire } });
  }

  private closeMessage(status: 'completed' | 'incomplete'): void {
    const m = this.message;
    if (!m) return;
    this.message = undefined;
    const ids = { response_id: this.id, item_id: m.item.id, output_index: m.outputIndex, content_index: 0 };
    const audio = this.ctx.modality === 'audio';
    if (audio) {
      this.emit({ type: 'response.output_audio.done', ...ids });
      this.emit({ type: 'response.output_audio_transcript.done', ...ids, transcript: m.transcript });
    } else this.emit({ type: 'response.output_text.done', ...ids, text: m.transcript });
    const part = audio ? { type: 'audio', transcript: m.transcript } : { type: 'text', text: m.transcript };
    this.emit({ type: 'response.content_part.done', ...ids, part });
    Object.assign(m.item.wire, { status, content: [audio ? { type: 'output_audio', transcript: m.transcript } : { type: 'output_text', text: m.transcript }] });
    this.emit({ type: 'response.output_item.done', response_id: this.id, output_index: m.outputIndex, item: { ...m.item.wire } });
    this.emit({ type: 'conversation.item.done', item: { ...m.item.wire } });
  }

  /** Ends the response: closes its open item and queues `response.done`. Idempotent. */
  finish(ending: ResponseEnding): void {
    if (this.finished) return;
    this.closeMessage(ending.status === 'completed' ? 'completed' : 'incomplete');
    this.finished = true;
    const details = ending.status === 'completed' ? null : ending.status === 'cancelled' ? { type: 'cancelled', reason: ending.reason } : { type: 'failed', error: ending.error };
    this.emit({ type: 'response.done', response: this.object(ending.status, details) });
  }
}
