/**
 * Start-up warm-up tracking: the server listens at once, but is not ready (`GET /ready` 503) until
 * everything it warms in the background (recognizers, synthesizers) is warm.
 */
import { errorMessage } from './errors.js';

/** Warm-up state: `warming` while any task runs, `failed` when one failed, else `warm`. */
export type WarmupState = 'warming' | 'warm' | 'failed';

/** Tracks background warm-up tasks. */
export class Warmup {
  private pending = 0;
  private failure: string | undefined;

  /** @param detail extra state shown by `/health` (e.g. recognizers running and primed). */
  constructor(private readonly detail: () => Record<string, unknown> = () => ({})) {}

  /** Tracks `task`, named `name` in the failure message. */
  track(name: string, task: Promise<unknown>): void {
    this.pending++;
    task.then(
      () => this.pending--,
      (err) => {
        this.pending--;
        this.failure ??= `${name}: ${errorMessage(err)}`;
      },
    );
  }

  /** The current state. */
  get state(): WarmupState {
    if (this.failure) return 'failed';
    return this.pending > 0 ? 'warming' : 'warm';
  }

  /** What failed, if anything. */
  get error(): string | undefined {
    return this.failure;
  }

  /** State plus detail, for `/health`. */
  report(): Record<string, unknown> {
    return { state: this.state, ...(this.failure ? { error: this.failure } : {}), ...this.detail() };
  }
}
