/**
 * The request body of a Bedrock bidirectional stream: an async iterable that we end ourselves.
 * The SDK never stops pulling an input iterable on its own (bedrock-wire.md §8.3), so the queue
 * can be closed (graceful end: the SDK sends its signed empty end frame) or aborted (ends at once,
 * dropping what was queued) from outside.
 */

/** One item the SDK expects: `{ chunk: { bytes } }` holding UTF-8 event JSON. */
export interface InputChunk {
  chunk: { bytes: Uint8Array };
}

/** A push queue exposed as an async iterable of `InputChunk`. */
export class InputQueue implements AsyncIterable<InputChunk> {
  private items: Uint8Array[] = [];
  private waiter: ((r: IteratorResult<InputChunk>) => void) | undefined;
  private ended = false;
  /** Events handed to the SDK so far. */
  pulled = 0;

  /** Queues one event's bytes; ignored after `close`/`abort`. */
  push(bytes: Uint8Array): void {
    if (this.ended) return;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      this.pulled++;
      w({ value: { chunk: { bytes } }, done: false });
    } else this.items.push(bytes);
  }

  /** Events queued and not yet pulled by the SDK. */
  get backlog(): number {
    return this.items.length;
  }

  /** Whether the queue accepts no more events. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Ends the iterable after the queued events have been pulled. */
  close(): void {
    this.ended = true;
    if (this.items.length === 0) this.finish();
  }

  /** Ends the iterable now, dropping queued events. */
  abort(): void {
    this.ended = true;
    this.items = [];
    this.finish();
  }

  private finish(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<InputChunk> {
    return {
      next: () => {
        const bytes = this.items.shift();
        if (bytes) {
          this.pulled++;
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
