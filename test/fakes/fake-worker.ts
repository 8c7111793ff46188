/**
 * A stand-in for a `node:worker_threads` `Worker` speaking the flite worker's protocol
 * (src/models/local/tts/flite-worker.mjs): the test sees each posted message and answers, starts
 * and exits it by hand.
 */
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';

/** One fake worker thread. */
export class FakeWorker extends EventEmitter {
  /** Messages posted to it, oldest first. */
  readonly posted: Array<{ type: string; id?: number; text?: string; voice?: string }> = [];
  terminated = false;

  postMessage(msg: { type: string; id?: number; text?: string; voice?: string }): void {
    if (!this.terminated) this.posted.push(msg);
  }

  /** Says it is ready (flite compiled). */
  start(): void {
    this.emit('message', { type: 'ready' });
  }

  /** Answers request `id` with `samples` samples of silence. */
  answer(id: number, samples = 160): void {
    this.emit('message', { type: 'audio', id, pcm: new Int16Array(samples), sampleRateHz: 16000 });
  }

  /** Exits as a crashed thread would (code 1). */
  crash(): void {
    this.terminated = true;
    this.emit('exit', 1);
  }

  async terminate(): Promise<number> {
    if (!this.terminated) {
      this.terminated = true;
      this.emit('exit', 1);
    }
    return 1;
  }

  /** This fake, typed as the `Worker` it stands in for. */
  asWorker(): Worker {
    return this as unknown as Worker;
  }
}
