import { describe, expect, it } from 'vitest';
import { loadResamplerFactory, type Resampler } from '../audio/resample.js';
import { FakeClock } from '../core/clock.js';
import { MAX_PLAYOUT_QUEUE_MS, Playout, type PlayoutDeps, type PlayoutSink } from './playout.js';

/** Records what playout sends, with the clock time of each frame. */
class FakeSink implements PlayoutSink {
  frames: Array<{ pcm: Int16Array; atMs: number }> = [];
  marks: string[] = [];
  clears = 0;
  corks = 0;
  constructor(private readonly clock: FakeClock) {}
  sendAudio(frame: Int16Array) { this.frames.push({ pcm: frame, atMs: this.clock.nowMs() }); }
  mark(markId: string) { this.marks.push(markId); }
  clearPlayback() { this.clears++; }
}

const RATE_HZ = 8000;
const FRAME_SAMPLES = 160; // 20 ms at 8 kHz
/** `ms` of a ramp at 8 kHz (so frames can be told apart). */
const audio = (ms: number) => Int16Array.from({ length: (ms * RATE_HZ) / 1000 }, (_, i) => (i % 1000) + 1);

function setup(overrides: Partial<PlayoutDeps> = {}) {
  const clock = new FakeClock();
  const sink = new FakeSink(clock);
  const sent: Array<[string, number, number]> = [];
  const playout = new Playout({
    clock,
    sink,
    outputRateHz: RATE_HZ,
    resampler: null,
    supportsMarks: true,
    leadMs: 0,
    markIntervalMs: 100,
    onFrameSent: (responseId, positionMs, sentAtMs) => sent.push([responseId, positionMs, sentAtMs]),
    ...overrides,
  });
  return { clock, sink, sent, playout };
}

describe('Playout', () => {
  it('releases exact 20 ms frames on the clock, one per 20 ms tick', () => {
    const { clock, sink, sent, playout } = setup();
    playout.push(audio(100), 'r1');
    expect(sink.frames.length).toBe(1); // the first frame of a run leaves at once
    clock.advance(19);
    expect(sink.frames.length).toBe(1);
    clock.advance(1);
    expect(sink.frames.length).toBe(2);
    clock.advance(1000);
    expect(sink.frames.map((f) => f.atMs)).toEqual([0, 20, 40, 60, 80]);
    expect(sink.frames.every((f) => f.pcm.length === FRAME_SAMPLES)).toBe(true);
    expect([...sink.frames[1].pcm.slice(0, 3)]).toEqual([161, 162, 163]);
    expect(sent).toEqual([['r1', 20, 0], ['r1', 40, 20], ['r1', 60, 40], ['r1', 80, 60], ['r1', 100, 80]]);
    expect(playout.pacerStats.framesSent).toBe(5);
  });

  it('holds a partial frame until the response is done, then pads it with silence', () => {
    const { clock, sink, playout } = setup();
    playout.push(audio(30), 'r1');
    clock.advance(100);
    expect(sink.frames.length).toBe(1);
    playout.responseDone('r1');
    clock.advance(100);
    expect(sink.frames.length).toBe(2);
    const tail = sink.frames[1].pcm;
    expect(tail.length).toBe(FRAME_SAMPLES);
    expect([...tail.slice(79, 81)]).toEqual([240, 0]); // 10 ms of audio, then silence
  });

  it('sends a mark every markIntervalMs of audio, named by response and sequence', () => {
    const { clock, sink, playout } = setup({ markIntervalMs: 60 });
    playout.push(audio(400), 'r1');
    clock.advance(1000);
    expect(sink.frames.length).toBe(20);
    expect(sink.marks).toEqual(['r1:1', 'r1:2', 'r1:3', 'r1:4', 'r1:5', 'r1:6']);
  });

  it('sends no marks to a sink without them', () => {
    const { clock, sink, playout } = setup({ supportsMarks: false });
    playout.push(audio(400), 'r1');
    clock.advance(1000);
    expect(sink.frames.length).toBe(20);
    expect(sink.marks).toEqual([]);
  });

  it('on barge-in clears queued audio and the sink, reports the heard position from marks, and drops the response for good', () => {
    const { clock, sink, playout } = setup();
    playout.push(audio(2000), 'r1');
    clock.advance(500);
    expect(sink.frames.length).toBe(26); // t = 0, 20, …, 500
    for (const m of sink.marks.slice(0, 4)) expect(playout.markPlayed(m, 500)).toBe(true); // 400 ms confirmed at t = 500
    clock.advance(50);
    const cut = playout.interrupt('r1');
    expect(cut).toEqual({ responseId: 'r1', heardMs: 450, sentMs: 560, droppedMs: (100 - 28) * 20, reactionMs: 0 });
    expect(sink.clears).toBe(1);
    expect(playout.pacerStats.queuedFrames).toBe(0);
    expect(playout.isCancelled('r1')).toBe(true);
    expect(playout.markPlayed(sink.marks[4], 560)).toBe(false); // pending marks are forgotten
    playout.push(audio(200), 'r1');
    playout.responseDone('r1');
    clock.advance(1000);
    expect(sink.frames.length).toBe(28);
    // The next response plays, with marks counted afresh.
    const marksBefore = sink.marks.length;
    playout.push(audio(100), 'r2');
    clock.advance(1000);
    expect(sink.frames.length).toBe(33);
    expect(sink.marks.slice(marksBefore)).toEqual([`r2:${marksBefore + 1}`]);
  });

  it('without marks, the heard position is the time since the first frame left, capped at what was sent', () => {
    const { clock, playout } = setup({ supportsMarks: false });
    playout.push(audio(200), 'r1');
    clock.advance(130);
    expect(playout.interrupt(undefined)).toMatchObject({ responseId: 'r1', heardMs: 130, sentMs: 140 });
  });

  it('barge-in with nothing played cuts no response', () => {
    const { sink, playout } = setup();
    expect(playout.interrupt(undefined)).toEqual({ responseId: undefined, heardMs: 0, sentMs: 0, droppedMs: 0, reactionMs: 0 });
    expect(sink.clears).toBe(1);
  });

  it(`queues at most MAX_PLAYOUT_QUEUE_MS (${MAX_PLAYOUT_QUEUE_MS} ms) of audio and drops the rest`, () => {
    const { sink, playout } = setup();
    for (let s = 0; s < 130; s++) playout.push(audio(1000), 'r1');
    expect(sink.frames.length).toBe(1);
    expect(playout.pacerStats.queuedMs).toBe(MAX_PLAYOUT_QUEUE_MS);
    expect(playout.pacerStats.framesOverflowed).toBe((130_000 - MAX_PLAYOUT_QUEUE_MS) / 20 - 1);
  });

  it('is drained once nothing is queued and the caller confirmed all it was sent', () => {
    const { clock, sink, playout } = setup();
    playout.push(audio(200), 'r1');
    playout.responseDone('r1');
    expect(playout.isDrained(clock.nowMs())).toBe(false);
    clock.advance(200);
    expect(playout.pacerStats.queuedFrames).toBe(0);
    expect(playout.isDrained(clock.nowMs())).toBe(false); // sent, not yet confirmed heard
    for (const m of sink.marks) playout.markPlayed(m, clock.nowMs());
    expect(playout.isDrained(clock.nowMs())).toBe(true);
  });

  it('counts a carrier that stopped confirming as drained leadMs + 1 s after the last frame', () => {
    const { clock, playout } = setup({ leadMs: 200 });
    playout.push(audio(100), 'r1');
    clock.advance(100);
    expect(playout.pacerStats.framesSent).toBe(5); // all at t = 0: within the 200 ms lead
    expect(playout.isDrained(1200)).toBe(false);
    expect(playout.isDrained(1201)).toBe(true);
  });

  it('knows when the caller started hearing a response: first frame without marks, first mark back with them', () => {
    const noMarks = setup({ supportsMarks: false });
    noMarks.clock.advance(30);
    noMarks.playout.push(audio(100), 'r1');
    expect(noMarks.playout.playbackStartedAtMs('r1')).toBe(30);
    const marks = setup();
    marks.playout.push(audio(200), 'r1');
    marks.clock.advance(200);
    expect(marks.playout.playbackStartedAtMs('r1')).toBeUndefined();
    marks.playout.markPlayed(marks.sink.marks[0], 250);
    expect(marks.playout.playbackStartedAtMs('r1')).toBe(150);
  });

  it('sends a batch of frames inside one cork when batchMs covers more than a frame', () => {
    const clock = new FakeClock();
    const sink = Object.assign(new FakeSink(clock), {
      corked(send: () => void) {
        sink.corks++;
        send();
      },
    });
    const playout = new Playout({ clock, sink, outputRateHz: RATE_HZ, resampler: null, supportsMarks: false, leadMs: 0, batchMs: 40, markIntervalMs: 100 });
    playout.push(audio(200), 'r1');
    clock.advance(200);
    expect(sink.frames.length).toBe(10);
    expect(sink.corks).toBeLessThanOrEqual(6);
  });

  it('resamples model audio to the caller rate before framing, and resets the resampler on barge-in', async () => {
    const factory = await loadResamplerFactory();
    const real = factory.create(16000, RATE_HZ, 5);
    let resets = 0;
    let destroyed = false;
    const resampler: Resampler = {
      inputRateHz: real.inputRateHz,
      outputRateHz: real.outputRateHz,
      outputLatencySamples: real.outputLatencySamples,
      process: (pcm) => real.process(pcm),
      reset: () => (resets++, real.reset()),
      destroy: () => ((destroyed = true), real.destroy()),
    };
    const { clock, sink, playout } = setup({ resampler });
    playout.push(new Int16Array(16000), 'r1'); // 1 s at 16 kHz
    clock.advance(2000);
    expect(sink.frames.length).toBeGreaterThanOrEqual(49);
    expect(sink.frames.every((f) => f.pcm.length === FRAME_SAMPLES)).toBe(true);
    playout.interrupt(undefined);
    expect(resets).toBe(1);
    playout.stop();
    playout.destroy();
    expect(destroyed).toBe(true);
  });

  it('sends nothing more after stop()', () => {
    const { clock, sink, playout } = setup();
    playout.push(audio(1000), 'r1');
    playout.stop();
    clock.advance(1000);
    expect(sink.frames.length).toBe(1);
  });
});
