/**
 * Function calls the emulated model is waiting on: each resolves with the client's
 * `function_call_output` once the client also asks for the next response (`response.create`;
 * the model does not go on before it — protocols.md §2.3), or fails after a timeout on the
 * injected clock.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';

interface Waiter {
  brainResponseId: string;
  resolve(output: string): void;
  timer: TimerHandle;
  output: string | undefined;
}

/** The open function calls of one conversation, by `call_id`. */
export class FunctionCallWaiters {
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly clock: Clock, private readonly timeoutMs: number) {}

  /**
   * Waits for call `callId` (made during brain response `brainResponseId`).
   * @throws Error (rejects) when no output is released within the timeout, or `signal` aborts.
   */
  wait(callId: string, name: string, brainResponseId: string, signal: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.waiters.delete(callId);
        reject(new Error(`function call ${name} got no output within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      signal.addEventListener('abort', () => {
        this.clock.clearTimeout(timer);
        this.waiters.delete(callId);
        reject(new Error('aborted'));
      });
      this.waiters.set(callId, { brainResponseId, resolve, timer, output: undefined });
    });
  }

  /** The client's `function_call_output` for `callId` arrived (unknown ids are ignored). */
  setOutput(callId: string, output: string): void {
    const w = this.waiters.get(callId);
    if (w) w.output = output;
  }

  /** Resolves every call of brain response `brainResponseId` whose output has arrived. */
  release(brainResponseId: string): void {
    for (const [callId, w] of this.waiters) {
      if (w.brainResponseId !== brainResponseId || w.output === undefined) continue;
      this.waiters.delete(callId);
      this.clock.clearTimeout(w.timer);
      w.resolve(w.output);
    }
  }

  /** Cancels every timer (the calls stay unresolved: their brain is closing). */
  close(): void {
    for (const w of this.waiters.values()) this.clock.clearTimeout(w.timer);
    this.waiters.clear();
  }
}
