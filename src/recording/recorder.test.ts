import { describe, expect, it } from 'vitest';
import { FakeClock, flush } from '../../test/fakes/clock.js';
import { RecordingLogger } from '../../test/fakes/logger.js';
import { CallRecorder, type RecordingFile } from './recorder.js';

/** An in-memory file: keeps the blocks appended, can be made to fail. */
class MemoryFile implements RecordingFile {
  readonly blocks: Int16Array[] = [];
  failure: string | undefined;
  finished = false;
  append(samples: Int16Array): boolean {
    if (this.failure || this.finished) return false;
    if (samples.length) this.blocks.push(samples.slice());
    return true;
  }
  async finish(): Promise<number> {
    this.finished = true;
    return this.blocks.reduce((n, b) => n + b.byteLength, 0);
  }
  /** Everything appended, split into left and right. */
  channels(): [number[], number[]] {
    const all = this.blocks.flatMap((b) => Array.from(b));
    return [all.filter((_, i) => i % 2 === 0), all.filter((_, i) => i % 2 === 1)];
  }
}

const RATE = 8000;
const frame = (v: number) => new Int16Array(160).fill(v); // 20 ms
/** Index (in samples) of the first and last sample equal to `v`. */
const span = (xs: number[], v: number) => [xs.indexOf(v), xs.lastIndexOf(v)];

async function setUp(options: { holdBackMs?: number } = {}) {
  const clock = new FakeClock();
  clock.advance(1000); // the call starts at clock 1000 ms
  const file = new MemoryFile();
  const logger = new RecordingLogger();
  const rec = new CallRecorder({ clock, logger, file: Promise.resolve(file), rateHz: RATE, startedAtMs: 1000, holdBackMs: options.holdBackMs ?? 300, flushIntervalMs: 200 });
  await flush();
  return { clock, file, logger, rec };
}

describe('CallRecorder', () => {
  it('puts caller audio where it was spoken and agent frames where they were sent, on one timeline', async () => {
    const { clock, file, rec } = await setUp();
    for (let i = 0; i < 10; i++) {
      clock.advance(20);
      rec.callerAudio(frame(1), clock.nowMs()); // arrives at the end of the 20 ms it holds
    }
    clock.advance(300); // the agent answers 500 ms into the call
    for (let i = 0; i < 5; i++) {
      rec.agentAudio(frame(2), clock.nowMs());
      clock.advance(20);
    }
    await rec.finish();
    const [left, right] = file.channels();
    expect(span(left, 1)).toEqual([0, 1599]); // 0–200 ms
    expect(span(right, 2)).toEqual([4000, 4799]); // 500–600 ms
    expect(left.length).toBe(right.length);
  });

  it('streams while the call runs: blocks are appended every flush, holding back the last holdBackMs', async () => {
    const { clock, file, rec } = await setUp({ holdBackMs: 300 });
    for (let i = 0; i < 100; i++) {
      clock.advance(20);
      rec.callerAudio(frame(1), clock.nowMs());
    }
    // 2 s into the call: written up to about 1.7 s (the last flush at 2000 ms), not more
    const written = file.blocks.reduce((n, b) => n + b.length / 2, 0);
    expect(file.blocks.length).toBeGreaterThanOrEqual(5);
    expect(written).toBe(((2000 - 300) * RATE) / 1000);
    await rec.finish();
    expect(file.channels()[0].length).toBe(2 * RATE);
  });

  it('a barge-in cuts agent audio that was sent ahead of the cut: the right channel goes silent there', async () => {
    const { clock, file, rec } = await setUp({ holdBackMs: 300 });
    // playout sends 3 frames at once (60 ms lead), then one per 20 ms
    for (let i = 0; i < 3; i++) rec.agentAudio(frame(2), clock.nowMs());
    for (let i = 0; i < 20; i++) {
      clock.advance(20);
      rec.agentAudio(frame(2), clock.nowMs());
      rec.callerAudio(frame(i >= 15 ? 1 : 0), clock.nowMs());
    }
    // 400 ms into the call, the caller talks over the reply: 460 ms of it had been sent
    rec.cutAgent();
    for (let i = 0; i < 10; i++) {
      clock.advance(20);
      rec.callerAudio(frame(1), clock.nowMs());
    }
    await rec.finish();
    const [, right] = file.channels();
    expect(span(right, 2)).toEqual([0, (400 * RATE) / 1000 - 1]);
    expect(right.slice((400 * RATE) / 1000).every((x) => x === 0)).toBe(true);
    expect(right.length).toBe((600 * RATE) / 1000);
  });

  it('a file that cannot be created is logged, and the recorder stops without throwing', async () => {
    const clock = new FakeClock();
    const logger = new RecordingLogger();
    const rec = new CallRecorder({ clock, logger, file: Promise.reject(new Error('EACCES: permission denied')), rateHz: RATE, startedAtMs: 0 });
    await flush();
    rec.callerAudio(frame(1), 20);
    expect(rec.isStopped).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    expect(await rec.finish()).toBe(0);
    expect(logger.lines.find((l) => l.level === 'error')?.msg).toMatch(/could not start: the call goes on/);
  });

  it('a file that fails while the call runs stops the flushes', async () => {
    const { clock, file, rec } = await setUp();
    file.failure = 'ENOSPC: no space left on device';
    for (let i = 0; i < 50; i++) {
      clock.advance(20);
      rec.callerAudio(frame(1), clock.nowMs());
    }
    expect(rec.isStopped).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    await rec.finish();
    expect(file.finished).toBe(true); // sizes of what was written are still patched
  });
});
