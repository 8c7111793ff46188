/**
 * The request body of a Bedrock bidirectional stream: an async iterable that we end ourselves.
 * The SDK never stops pulling an input iterable on its own (bedrock-wire.md §8.3), so the queue
 * can be closed (graceful end: the SDK sends its signed empty end frame) or aborted (ends at once,
 * dropping what was queued) from outside.
 *
 * Instead of being pulled as an iterable, the queue can hand its events to an `InputSink` (the
 * direct input path of event-signing.ts: each event encoded and signed as it is pushed, with no
 * per-event promises); then what is queued is whatever the sink has not yet passed to the socket.
 */

/** One item the SDK expects: `{ chunk: { bytes } }` holding UTF-8 event JSON. */
export interface InputChunk {
  chunk: { bytes: Uint8Array };
}

/** Where an attached queue's events go, in order. */
export interface InputSink {
  /** One event's UTF-8 JSON. */
  write(bytes: Uint8Array): void;
  /** Graceful end: everything written is sent, then the end frame. */
  end(): void;
  /** Ends at once, without the end frame. */
  abort(): void;
  /** Bytes written and not yet taken by the transport (a reader that stopped reading). */
  readonly backlogBytes: number;
}

/** A push queue exposed as an async iterable of `InputChunk`, or drained into an `InputSink`. */
export class InputQueue implements AsyncIterable<InputChunk> {
  private items: Uint8Array[] = [];
  private itemsBytes = 0;
  private waiter: ((r: IteratorResult<InputChunk>) => void) | undefined;
  private ended = false;
  private iterated = false;
  private sink: InputSink | undefined;
  /** Events handed to the SDK (or the sink) so far. */
  pulled = 0;

  /** Queues one event's bytes; ignored after `close`/`abort`. */
  push(bytes: Uint8Array): void {
    if (this.ended) return;
    if (this.sink) {
      this.pulled++;
      this.sink.write(bytes);
      return;
    }
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      this.pulled++;
      w({ value: { chunk: { bytes } }, done: false });
    } else {
      this.items.push(bytes);
      this.itemsBytes += bytes.length;
    }
  }

  /** Bytes queued and not yet sent on: the queue's own, or the attached sink's. */
  get backlogBytes(): number {
    return this.sink ? this.sink.backlogBytes : this.itemsBytes;
  }

  /** Whether the queue accepts no more events. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Whether `attach` can still take the queue (not yet iterated nor attached). */
  get canAttach(): boolean {
    return !this.iterated && !this.sink;
  }

  /**
   * Hands the queued events to `sink`, then every later push as it comes; `close`/`abort` end it.
   * @throws Error when the queue is already being iterated or attached.
   */
  attach(sink: InputSink): void {
    if (!this.canAttach) throw new Error('input queue is already being read');
    this.sink = sink;
    const items = this.items;
    this.items = [];
    this.itemsBytes = 0;
    for (const bytes of items) {
      this.pulled++;
      sink.write(bytes);
    }
    if (this.ended) sink.end();
  }

  /** Ends the iterable after the queued events have been pulled. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.sink) this.sink.end();
    else if (this.items.length === 0) this.finish();
  }

  /** Ends the iterable now, dropping queued events. */
  abort(): void {
    const wasEnded = this.ended;
    this.ended = true;
    this.items = [];
    this.itemsBytes = 0;
    if (this.sink) {
      if (!wasEnded) this.sink.abort();
    } else this.finish();
  }

  private finish(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<InputChunk> {
    if (this.sink) throw new Error('input queue is attached to a sink');
    this.iterated = true;
    return {
      next: () => {
        const bytes = this.items.shift();
        if (bytes) {
          this.pulled++;
          this.itemsBytes -= bytes.length;
          return Promise.resolve({ value: { chunk: { bytes } }, done: false });
        }
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiter = resolve));
      },
      return: () => {
        this.abort();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
