/**
 * Ordered event delivery for sessions and transports whose events may start before a handler is set.
 */

/**
 * Buffers events until a handler is installed, then delivers
 * them synchronously in order.
 */
export class EventRelay<E> {
  private handler: ((event: E) => void) | undefined;
  private buffered: E[] = [];

  /** Installs the handler and flushes buffered events to it. */
  setHandler(handler: (event: E) => void): void {
    this.handler = handler;
    const pending = this.buffered;
    this.buffered = [];
    for (const e of pending) handler(e);
  }

  /** Delivers or buffers one event. */
  emit(event: E): void {
    if (this.handler) this.handler(event);
    else this.buffered.push(event);
  }
}
