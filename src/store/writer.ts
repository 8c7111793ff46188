/**
 * `CallWriter`: ended calls' records go to the store off the audio path. `enqueue` only queues
 * (in memory, bounded by count and bytes); batches are written on the injected clock; a failed
 * write (the database slow or down) is retried with exponential backoff, the records staying
 * queued, in order, until they are written; `close` flushes what is left.
 *
 * Overflow policy: when a new record would exceed `maxQueuedCalls` or `maxQueuedBytes`, the
 * OLDEST queued records are dropped (counted in `stats().dropped`, logged as errors) so the
 * newest calls are kept and memory stays bounded. With the defaults (10,000 calls, 256 MiB) that
 * takes a database down for hours under heavy traffic.
 */
import type { CallSummary } from '../call/types.js';
import { sleep, type Clock, type TimerHandle } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CallStore } from './types.js';

/** Tunables of the writer. */
export interface CallWriterOptions {
  /** A batch is written this long after the first record of it was queued, ms (default 200). */
  batchDelayMs?: number;
  /** Records per write, at most (default 100). */
  maxBatchCalls?: number;
  /** Records queued at most (default 10,000). */
  maxQueuedCalls?: number;
  /** Bytes queued at most, as the records' JSON size (default 256 MiB). */
  maxQueuedBytes?: number;
  /** First retry delay after a failed write, ms, doubling up to `maxRetryDelayMs` (default 500). */
  retryDelayMs?: number;
  /** Longest retry delay, ms (default 30,000). */
  maxRetryDelayMs?: number;
}

/** Counters of the writer (for `/stats`). */
export interface CallWriterStats {
  /** Records waiting to be written, and their size in bytes. */
  queued: number;
  queuedBytes: number;
  /** Records written since start. */
  written: number;
  /** Records dropped by the overflow policy (oldest first), or left unwritten at close. */
  dropped: number;
  /** Failed write attempts (each retried). */
  failedWrites: number;
  /** The last write error, while writes are failing; null once one succeeds. */
  lastError: string | null;
}

interface Queued {
  record: CallSummary;
  bytes: number;
}

/** Writes call records to a store in batches; see the module comment. */
export class CallWriter {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private written = 0;
  private dropped = 0;
  private failedWrites = 0;
  private consecutiveFailures = 0;
  private lastError: string | null = null;
  private timer: TimerHandle | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly o: Required<CallWriterOptions>;

  constructor(
    private readonly store: Pick<CallStore, 'insert'>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: CallWriterOptions = {},
  ) {
    this.o = { batchDelayMs: 200, maxBatchCalls: 100, maxQueuedCalls: 10_000, maxQueuedBytes: 256 * 1024 * 1024, retryDelayMs: 500, maxRetryDelayMs: 30_000, ...options };
  }

  /**
   * Queues `record` for writing and returns at once (no I/O). After `close`, records are refused.
   * @returns false when refused (closed).
   */
  enqueue(record: CallSummary): boolean {
    if (this.closed) return false;
    const bytes = Buffer.byteLength(JSON.stringify(record));
    this.queue.push({ record, bytes });
    this.queuedBytes += bytes;
    while (this.queue.length > this.o.maxQueuedCalls || (this.queuedBytes > this.o.maxQueuedBytes && this.queue.length > 1)) {
      // Never drop a record being written: the head batch is in flight while `writing` is set.
      const at = this.writing ? this.inFlight : 0;
      if (at >= this.queue.length) break;
      const [gone] = this.queue.splice(at, 1);
      this.queuedBytes -= gone.bytes;
      this.dropped++;
      this.logger.error({ callId: gone.record.id, queued: this.queue.length, queuedBytes: this.queuedBytes }, 'call store backlog full: dropped the oldest queued call record');
    }
    this.schedule(this.o.batchDelayMs);
    return true;
  }

  /** Records queued and not yet written (oldest first), e.g. to answer reads before they are stored. */
  pending(): CallSummary[] {
    return this.queue.map((q) => q.record);
  }

  /** Removes a queued record (a privacy deletion before it was written); resolves whether one was queued. */
  async forget(id: string): Promise<boolean> {
    // A batch in flight may hold it: let that write finish, then the caller deletes it from the store.
    await this.writing;
    const at = this.queue.findIndex((q) => q.record.id === id);
    if (at < 0) return false;
    this.queuedBytes -= this.queue[at].bytes;
    this.queue.splice(at, 1);
    return true;
  }

  /** The writer's counters. */
  stats(): CallWriterStats {
    return { queued: this.queue.length, queuedBytes: this.queuedBytes, written: this.written, dropped: this.dropped, failedWrites: this.failedWrites, lastError: this.lastError };
  }

  /**
   * Stops taking records and writes every queued one, retrying failures (with the backoff) until
   * `timeoutMs` on the clock has passed; what is still unwritten then is counted as dropped and
   * logged. Resolves when done; never rejects.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const stop = new AbortController();
    const aborted = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    const deadline = this.clock.setTimeout(() => stop.abort(), timeoutMs);
    try {
      while (this.queue.length > 0 && !stop.signal.aborted) {
        await Promise.race([this.writeBatch(), aborted]);
        if (this.queue.length > 0 && this.consecutiveFailures > 0) await sleep(this.clock, this.backoffMs(), stop.signal);
      }
    } finally {
      this.clock.clearTimeout(deadline);
    }
    if (this.queue.length > 0) {
      this.dropped += this.queue.length;
      this.logger.error({ unwritten: this.queue.length, ids: this.queue.map((q) => q.record.id), lastError: this.lastError }, 'call store unreachable at shutdown: call records were not written');
      this.queue.length = 0;
      this.queuedBytes = 0;
    }
  }

  /** How many head records the write in flight holds. */
  private inFlight = 0;

  private backoffMs(): number {
    return Math.min(this.o.maxRetryDelayMs, this.o.retryDelayMs * 2 ** Math.max(0, this.consecutiveFailures - 1));
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.writing || this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.writeBatch();
    }, delayMs);
  }

  /** Writes the head batch once; on success removes it, on failure keeps it. Never rejects. */
  private writeBatch(): Promise<void> {
    if (this.writing) return this.writing;
    if (this.queue.length === 0) return Promise.resolve();
    const batch = this.queue.slice(0, this.o.maxBatchCalls);
    this.inFlight = batch.length;
    this.writing = (async () => {
      try {
        await this.store.insert(batch.map((q) => q.record));
        // Drop the written ones (the overflow policy never removes in-flight records).
        this.queue.splice(0, batch.length);
        for (const q of batch) this.queuedBytes -= q.bytes;
        this.written += batch.length;
        if (this.consecutiveFailures > 0) this.logger.info({ afterFailures: this.consecutiveFailures, queued: this.queue.length }, 'call store reachable again: writing queued call records');
        this.consecutiveFailures = 0;
        this.lastError = null;
      } catch (err) {
        this.failedWrites++;
        this.consecutiveFailures++;
        this.lastError = errorMessage(err);
        if (this.consecutiveFailures === 1 || this.consecutiveFailures % 10 === 0) this.logger.warn({ err: this.lastError, queued: this.queue.length, failures: this.consecutiveFailures }, 'call store write failed: records stay queued and are retried');
      } finally {
        this.inFlight = 0;
        this.writing = undefined;
      }
      if (this.queue.length > 0) this.schedule(this.consecutiveFailures > 0 ? this.backoffMs() : 0);
    })();
    return this.writing;
  }
}
