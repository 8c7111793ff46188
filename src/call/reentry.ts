/**
 * Keeps a handler from being re-entered: while a step runs, events offered to the handler are
 * queued, and handled in arrival order once the step is over. `Call` runs barge-in this way, so a
 * model session that emits events synchronously from `cancelResponse`/`truncate` does not re-enter
 * the call half-way through barge-in.
 */

/** Defers events of type `T` that arrive while a step runs. */
export class ReentryGuard<T> {
  private running = false;
  private queued: T[] = [];

  /** @param handle handles one event (also called for the queued ones after a step). */
  constructor(private readonly handle: (event: T) => void) {}

  /**
   * Queues `event` when a step is running.
   * @returns true when it was queued (the caller must not handle it now), false otherwise.
   */
  defer(event: T): boolean {
    if (!this.running) return false;
    this.queued.push(event);
    return true;
  }

  /**
   * Runs `step`, then handles the events queued meanwhile, oldest first. If `step` throws, the error
   * propagates and the queued events wait for the end of the next step.
   */
  run(step: () => void): void {
    this.running = true;
    try {
      step();
    } finally {
      this.running = false;
    }
    const queued = this.queued;
    this.queued = [];
    for (const e of queued) this.handle(e);
  }
}
