/**
 * The writer on a fake clock and a scripted store: batching on the clock, backoff while writes
 * fail (records kept in order), the overflow policy (oldest dropped and counted, by count and by
 * bytes, never a record being written), and close.
 */
import { describe, expect, it } from 'vitest';
import type { CallSummary } from '../call/types.js';
import { FakeClock } from '../core/clock.js';
import { RecordingLogger } from '../../test/fakes/logger.js';
import { sampleCall } from '../../test/fakes/call-records.js';
import { CallWriter } from './writer.js';

/** A store whose writes wait for `settle()` and then succeed or fail as told. */
class ScriptedStore {
  readonly batches: string[][] = [];
  readonly written: string[] = [];
  fail = false;
  private pending: Array<() => void> = [];

  insert(records: readonly CallSummary[]): Promise<void> {
    this.batches.push(records.map((r) => r.id));
    return new Promise((resolve, reject) =>
      this.pending.push(() => {
        if (this.fail) return reject(new Error('connection refused'));
        this.written.push(...records.map((r) => r.id));
        resolve();
      }),
    );
  }

  /** Settles the writes waiting, then lets their continuations run. */
  async settle(): Promise<void> {
    const p = this.pending;
    this.pending = [];
    for (const f of p) f();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }

  get waiting(): number {
    return this.pending.length;
  }
}

const call = (i: number) => sampleCall(i);

describe('CallWriter', () => {
  it('queues without writing, then writes a batch on the clock', async () => {
    const clock = new FakeClock();
    const store = new ScriptedStore();
    const writer = new CallWriter(store, clock, new RecordingLogger(), { batchDelayMs: 200, maxBatchCalls: 2 });
    writer.enqueue(call(1));
    writer.enqueue(call(2));
    writer.enqueue(call(3));
    expect(store.batches).toEqual([]);
    clock.advance(199);
    expect(store.batches).toEqual([]);
    clock.advance(1);
    expect(store.batches).toEqual([['call-0001', 'call-0002']]);
    await store.settle();
    clock.advance(0);
    expect(store.batches[1]).toEqual(['call-0003']);
    await store.settle();
    expect(store.written).toEqual(['call-0001', 'call-0002', 'call-0003']);
    expect(writer.stats()).toMatchObject({ queued: 0, queuedBytes: 0, written: 3, dropped: 0 });
  });

  it('keeps records in order while writes fail, retrying with a doubling delay, and writes them when the store is back', async () => {
    const clock = new FakeClock();
    const store = new ScriptedStore();
    const logger = new RecordingLogger();
    const writer = new CallWriter(store, clock, logger, { batchDelayMs: 10, retryDelayMs: 100, maxRetryDelayMs: 300 });
    store.fail = true;
    writer.enqueue(call(1));
    clock.advance(10);
    await store.settle();
    expect(writer.stats()).toMatchObject({ queued: 1, failedWrites: 1, lastError: 'connection refused' });
    writer.enqueue(call(2));
    // Retries after 100, then 200, then 300 (the cap), 300 ms.
    for (const [delay, attempts] of [[99, 1], [1, 2], [199, 2], [1, 3], [300, 4], [300, 5]] as const) {
      clock.advance(delay);
      expect(store.batches.length, `after +${delay} ms`).toBe(attempts);
      await store.settle();
    }
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1); // not one line per retry
    store.fail = false;
    clock.advance(300);
    await store.settle();
    expect(store.written).toEqual(['call-0001', 'call-0002']);
    expect(writer.stats()).toMatchObject({ queued: 0, written: 2, failedWrites: 5, dropped: 0, lastError: null });
    expect(logger.lines.some((l) => l.level === 'info' && /reachable again/.test(l.msg))).toBe(true);
  });

  it('when full, drops the oldest queued records, counts and logs them', async () => {
    const clock = new FakeClock();
    const store = new ScriptedStore();
    const logger = new RecordingLogger();
    const writer = new CallWriter(store, clock, logger, { batchDelayMs: 10, maxQueuedCalls: 3 });
    for (let i = 1; i <= 5; i++) writer.enqueue(call(i));
    expect(writer.pending().map((r) => r.id)).toEqual(['call-0003', 'call-0004', 'call-0005']);
    expect(writer.stats().dropped).toBe(2);
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.fields.callId)).toEqual(['call-0001', 'call-0002']);
    // By bytes: room for about two records.
    const size = Buffer.byteLength(JSON.stringify(call(1)));
    const small = new CallWriter(new ScriptedStore(), clock, new RecordingLogger(), { maxQueuedBytes: Math.floor(size * 2.5) });
    for (let i = 1; i <= 4; i++) small.enqueue(call(i));
    expect(small.pending().map((r) => r.id)).toEqual(['call-0003', 'call-0004']);
    expect(small.stats()).toMatchObject({ dropped: 2, queued: 2 });
    expect(small.stats().queuedBytes).toBeLessThanOrEqual(size * 2.5);
  });

  it('never drops a record that is being written', async () => {
    const clock = new FakeClock();
    const store = new ScriptedStore();
    const writer = new CallWriter(store, clock, new RecordingLogger(), { batchDelayMs: 10, maxQueuedCalls: 2, maxBatchCalls: 1 });
    writer.enqueue(call(1));
    clock.advance(10);
    expect(store.waiting).toBe(1); // call 1 in flight
    writer.enqueue(call(2));
    writer.enqueue(call(3)); // full: call 2 goes, not call 1
    expect(writer.pending().map((r) => r.id)).toEqual(['call-0001', 'call-0003']);
    await store.settle();
    clock.advance(0);
    await store.settle();
    expect(store.written).toEqual(['call-0001', 'call-0003']);
    expect(writer.stats()).toMatchObject({ dropped: 1, queued: 0 });
  });

  it('on close writes everything queued; what the store never takes by the deadline is counted and logged', async () => {
    const clock = new FakeClock();
    const store = new ScriptedStore();
    const writer = new CallWriter(store, clock, new RecordingLogger(), { batchDelayMs: 60_000 });
    writer.enqueue(call(1));
    writer.enqueue(call(2));
    const closed = writer.close(1000);
    await Promise.resolve();
    expect(store.batches).toEqual([['call-0001', 'call-0002']]);
    await store.settle();
    await closed;
    expect(writer.stats()).toMatchObject({ written: 2, queued: 0 });
    expect(writer.enqueue(call(3))).toBe(false);

    const down = new ScriptedStore();
    down.fail = true;
    const logger = new RecordingLogger();
    const stuck = new CallWriter(down, clock, logger, { retryDelayMs: 100 });
    stuck.enqueue(call(4));
    const closing = stuck.close(1000);
    for (let i = 0; i < 12; i++) {
      await down.settle();
      clock.advance(100);
    }
    await closing;
    expect(down.batches.length).toBeGreaterThan(1); // retried until the deadline
    expect(stuck.stats()).toMatchObject({ queued: 0, written: 0, dropped: 1 });
    expect(logger.lines.some((l) => l.level === 'error' && /were not written/.test(l.msg) && (l.fields.ids as string[]).includes('call-0004'))).toBe(true);
  });
});
