import { describe, expect, it } from 'vitest';
import { FakeClock, type Clock } from '../core/clock.js';
import { PlayoutPacer } from './pacer.js';

describe('PlayoutPacer', () => {
  it('releases frames on an absolute 20 ms schedule even when timers fire late', () => {
    const base = new FakeClock();
    // A clock whose timers always fire 7 ms late: the schedule must not drift.
    const lateClock: Clock = {
      nowMs: () => base.nowMs(),
      setTimeout: (fn, ms) => base.setTimeout(fn, ms + 7),
      clearTimeout: (h) => base.clearTimeout(h),
    };
    const sentAt: number[] = [];
    const pacer = new PlayoutPacer<number>({ frameMs: 20, clock: lateClock, onFrame: () => sentAt.push(base.nowMs()) });
    for (let i = 0; i < 50; i++) pacer.enqueue(i);
    base.advance(1000);
    expect(sentAt).toHaveLength(50);
    // frame k is never sent before k*20 ms and never more than one timer-lateness after it
    sentAt.forEach((t, k) => {
      expect(t).toBeGreaterThanOrEqual(k * 20 - 0.5);
      expect(t).toBeLessThanOrEqual(k * 20 + 7.5);
    });
    expect(sentAt[49]).toBeLessThanOrEqual(49 * 20 + 7.5);
  });

  it('sends leadMs worth of frames immediately, then real time', () => {
    const clock = new FakeClock();
    const sent: number[] = [];
    const pacer = new PlayoutPacer<number>({ frameMs: 20, leadMs: 60, clock, onFrame: (i) => sent.push(i) });
    for (let i = 0; i < 10; i++) pacer.enqueue(i);
    expect(sent).toEqual([0, 1, 2, 3]);
    clock.advance(20);
    expect(sent).toHaveLength(5);
  });

  it('clear() drops queued frames and reports the ms dropped', () => {
    const clock = new FakeClock();
    const sent: number[] = [];
    const pacer = new PlayoutPacer<number>({ frameMs: 20, clock, onFrame: (i) => sent.push(i) });
    for (let i = 0; i < 10; i++) pacer.enqueue(i);
    clock.advance(50); // frames 0,1,2 sent
    expect(sent).toEqual([0, 1, 2]);
    expect(pacer.clear()).toEqual({ droppedFrames: 7, droppedMs: 140 });
    clock.advance(1000);
    expect(sent).toHaveLength(3);
    expect(clock.pendingTimers).toBe(0);
    pacer.enqueue(99);
    expect(sent.at(-1)).toBe(99);
  });

  it('counts an underrun only when an active stream restarts after running dry', () => {
    const clock = new FakeClock();
    const pacer = new PlayoutPacer<number>({ frameMs: 20, clock, onFrame: () => {} });
    pacer.setStreamActive(true);
    pacer.enqueue(1);
    clock.advance(10);
    pacer.enqueue(2); // on time: due at 20
    clock.advance(100);
    pacer.enqueue(3); // due at 40, arrives at 110: underrun
    expect(pacer.underruns).toBe(1);
    pacer.setStreamActive(false);
    clock.advance(500);
    pacer.enqueue(4);
    expect(pacer.underruns).toBe(1);
    expect(pacer.framesSent).toBe(4);
  });

  it('pause() holds the queue (frames enqueued meanwhile wait); resume() goes on from the same frame on a new schedule, with no underrun', () => {
    const clock = new FakeClock();
    const sent: Array<[number, number]> = [];
    const pacer = new PlayoutPacer<number>({ frameMs: 20, clock, onFrame: (i) => sent.push([i, clock.nowMs()]) });
    pacer.setStreamActive(true);
    for (let i = 0; i < 10; i++) pacer.enqueue(i);
    clock.advance(50); // frames 0, 1, 2 at 0, 20, 40
    pacer.pause();
    expect(pacer.isPaused).toBe(true);
    pacer.enqueue(10);
    clock.advance(500);
    expect(sent.map(([i]) => i)).toEqual([0, 1, 2]);
    pacer.resume();
    clock.advance(200);
    expect(sent.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(sent.slice(3).map(([, t]) => t)).toEqual([550, 570, 590, 610, 630, 650, 670, 690]);
    expect(pacer.underruns).toBe(0);
    // clear() ends a pause too.
    pacer.enqueue(11);
    pacer.pause();
    pacer.clear();
    expect(pacer.isPaused).toBe(false);
    pacer.enqueue(12);
    clock.advance(20);
    expect(sent.at(-1)![0]).toBe(12);
  });

  it('survives a throwing sink and ignores frames after stop()', () => {
    const clock = new FakeClock();
    const pacer = new PlayoutPacer<number>({ frameMs: 20, clock, onFrame: () => { throw new Error('socket gone'); } });
    pacer.enqueue(1);
    expect(pacer.sendErrors).toBe(1);
    pacer.stop();
    pacer.enqueue(2);
    expect(pacer.queuedFrames).toBe(0);
  });
});

describe('PlayoutPacer with sendAheadMs (batched playout)', () => {
  it('sends frames in pairs, one timer and one batch each, never earlier than due − sendAheadMs', () => {
    const clock = new FakeClock();
    const sentAt: number[] = [];
    const batches: number[] = [];
    const pacer = new PlayoutPacer<number>({
      frameMs: 20,
      leadMs: 60,
      sendAheadMs: 20,
      clock,
      onFrame: () => sentAt.push(clock.nowMs()),
      batch: (sendAll) => {
        const before = sentAt.length;
        sendAll();
        batches.push(sentAt.length - before);
      },
    });
    for (let i = 0; i < 20; i++) pacer.enqueue(i);
    clock.advance(400);
    expect(sentAt).toHaveLength(20);
    // the lead's frames (0–3) leave as they are enqueued, then two per timer, every 40 ms
    expect(batches).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
    sentAt.forEach((t, k) => {
      const due = k * 20 - 60;
      expect(t).toBeGreaterThanOrEqual(due - 20 - 0.5);
      expect(t).toBeLessThanOrEqual(Math.max(0, due) + 0.5);
    });
  });

  it('a frame enqueued after the run went idle waits for nothing', () => {
    const clock = new FakeClock();
    const sent: number[] = [];
    const pacer = new PlayoutPacer<number>({ frameMs: 20, sendAheadMs: 20, clock, onFrame: (i) => sent.push(i) });
    pacer.enqueue(1);
    expect(sent).toEqual([1]);
    clock.advance(100);
    pacer.enqueue(2);
    expect(sent).toEqual([1, 2]);
  });

  it('holds at most maxQueuedFrames and counts the frames it refuses', () => {
    const clock = new FakeClock();
    const sent: number[] = [];
    const pacer = new PlayoutPacer<number>({ frameMs: 20, clock, onFrame: (n) => sent.push(n), maxQueuedFrames: 50 });
    for (let i = 0; i < 1000; i++) pacer.enqueue(i);
    expect(pacer.queuedFrames).toBeLessThanOrEqual(50);
    expect(pacer.framesOverflowed).toBe(1000 - 50 - sent.length);
    clock.advance(2000);
    expect(sent.length).toBe(51);
    pacer.enqueue(1000); // room again
    expect(pacer.framesOverflowed).toBe(1000 - 51);
    pacer.stop();
  });
});
