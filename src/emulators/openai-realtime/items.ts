/**
 * The items of one emulated conversation, in order (GA `conversation.item.*`; protocols.md
 * §2.3): client-created items checked and shaped as the server echoes them, assistant items with
 * the audio actually sent, and `conversation.item.truncate` / `.delete` / `.retrieve` with their
 * refusals. Pure: no I/O.
 */
import type { HistoryMessage } from '../../models/model.js';
import { newId, RealtimeRequestError } from './errors.js';
import type { ClientItem } from './protocol.js';
import type { AssistantItem } from './response-stream.js';

interface Stored {
  wire: Record<string, unknown>;
  assistant?: AssistantItem;
  /** A user audio item's audio, ms. */
  audioMs?: number;
}

/** A conversation's items. */
export class ConversationItems {
  private readonly items = new Map<string, Stored>();
  private readonly order: string[] = [];

  /** Appends an item; returns the id of the item before it (`previous_item_id`), or null. */
  add(wire: Record<string, unknown>, assistant?: AssistantItem): string | null {
    const previous = this.last();
    const id = String(wire.id);
    this.items.set(id, { wire, assistant });
    this.order.push(id);
    return previous;
  }

  /**
   * Appends a user audio message (`input_audio`, transcript pending) of `audioMs`; returns its
   * wire object and the previous item's id.
   */
  addUserAudio(id: string, audioMs: number): { wire: Record<string, unknown>; previous: string | null } {
    const wire = { id, object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: null as string | null }] };
    const previous = this.add(wire);
    this.items.get(id)!.audioMs = audioMs;
    return { wire, previous };
  }

  /** Sets user audio item `id`'s transcript; returns its audio length, ms (undefined: no such item). */
  setTranscript(id: string, text: string): number | undefined {
    const item = this.items.get(id);
    const part = (item?.wire.content as Array<Record<string, unknown>> | undefined)?.[0];
    if (!item || !part) return undefined;
    part.transcript = text;
    return item.audioMs ?? 0;
  }

  /** Id of the last item, or null. */
  last(): string | null {
    return this.order.at(-1) ?? null;
  }

  /**
   * The conversation as chat history for a brain opened now: user and assistant messages with
   * their text or transcript, oldest first (items without text are left out).
   */
  history(): HistoryMessage[] {
    const out: HistoryMessage[] = [];
    for (const id of this.order) {
      const w = this.items.get(id)!.wire;
      if (w.type !== 'message' || (w.role !== 'user' && w.role !== 'assistant')) continue;
      const part = (w.content as Array<Record<string, unknown>> | undefined)?.[0];
      const text = String(part?.text ?? part?.transcript ?? '').trim();
      if (text) out.push({ role: w.role, text });
    }
    return out;
  }

  /**
   * The server's form of a `conversation.item.create` item (id assigned when absent).
   * @throws RealtimeRequestError for an unknown `previous_item_id` or an id already in use.
   */
  fromClient(item: ClientItem, previousItemId: string | null | undefined): Record<string, unknown> {
    if (previousItemId && previousItemId !== 'root' && !this.items.has(previousItemId)) throw new RealtimeRequestError('invalid_value', `Previous item with id '${previousItemId}' not found.`, 'previous_item_id');
    if (item.id && this.items.has(item.id)) throw new RealtimeRequestError('item_id_already_exists', `Item with id '${item.id}' already exists.`, 'item.id');
    const id = item.id ?? newId('item');
    if (item.type === 'function_call_output') return { id, object: 'realtime.item', type: 'function_call_output', call_id: item.call_id, output: item.output };
    return { id, object: 'realtime.item', type: 'message', status: 'completed', role: item.role, content: [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text: item.text }] };
  }

  /**
   * Removes item `id`.
   * @throws RealtimeRequestError when it does not exist.
   */
  delete(id: string): void {
    if (!this.items.has(id)) throw new RealtimeRequestError('item_delete_invalid_item_id', `Item with item_id not found: ${id}`, 'item_id');
    this.items.delete(id);
    this.order.splice(this.order.indexOf(id), 1);
  }

  /**
   * Item `id`'s wire object.
   * @throws RealtimeRequestError when it does not exist.
   */
  retrieve(id: string): Record<string, unknown> {
    const item = this.items.get(id);
    if (!item) throw new RealtimeRequestError('item_retrieve_invalid_item_id', `Item with item_id not found: ${id}`, 'item_id');
    return item.wire;
  }

  /**
   * Cuts assistant item `id` to its first `audioEndMs` of audio and deletes its transcript (the
   * unheard text must not stay in the context: GA `conversation.item.truncate` docs); returns it.
   * Codes and wording as the real API's refusals are reported by its clients (livekit/agents
   * #1016, pipecat #2106 / #931, openai-agents-python #2370): unknown item, not model audio, past
   * the end of the audio sent.
   * @throws RealtimeRequestError for those refusals or a `content_index` other than 0.
   */
  truncate(id: string, contentIndex: number, audioEndMs: number): AssistantItem {
    const item = this.items.get(id);
    if (!item) throw new RealtimeRequestError('item_truncate_invalid_item_id', `Item with item_id not found: ${id}`, 'item_id');
    const a = item.assistant;
    if (!a || a.wire.type !== 'message') throw new RealtimeRequestError('unsupported_content_type', 'Only model output audio messages can be truncated', 'item_id');
    if (contentIndex !== 0) throw new RealtimeRequestError('invalid_value', `Invalid 'content_index': the item has no content part ${contentIndex}.`, 'content_index');
    if (audioEndMs > Math.round(a.audioMs)) throw new RealtimeRequestError('invalid_value', `Audio content of ${Math.round(a.audioMs)}ms is already shorter than ${audioEndMs}ms`, 'audio_end_ms');
    a.audioMs = audioEndMs;
    const content = (a.wire.content as Array<Record<string, unknown>> | undefined)?.[0];
    if (content && 'transcript' in content) content.transcript = '';
    return a;
  }
}
