/**
 * The event relay of a `ModelSession`: events wait until the call installs its handler, and once
 * the session is closing only `closed` passes, and that once (a failure's own `closed` wins over
 * the one `close()` sends).
 */
import { EventRelay } from '../../core/relay.js';
import type { ModelEvent } from '../model.js';

/** One session's outgoing `ModelEvent`s. */
export class SessionEvents {
  private readonly relay = new EventRelay<ModelEvent>();
  private closedSent = false;

  /** @param isClosing whether the session is closing (then only `closed` is relayed). */
  constructor(private readonly isClosing: () => boolean) {}

  /** Installs the call's handler and flushes what waited for it. */
  setHandler(handler: (event: ModelEvent) => void): void {
    this.relay.setHandler(handler);
  }

  /** Relays `events` in order; after close only `closed`, and that once. */
  emitAll(events: readonly ModelEvent[]): void {
    for (const e of events) this.emit(e);
  }

  /** Relays one event; after close only `closed`, and that once. */
  emit(e: ModelEvent): void {
    if (e.type === 'closed') {
      if (this.closedSent) return;
      this.closedSent = true;
    } else if (this.isClosing()) return;
    this.relay.emit(e);
  }
}
