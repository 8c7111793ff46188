/**
 * False-interruption recovery on a fake clock (the real `Call`, the energy VAD, a fake carrier
 * with marks and a fake model): a cough while the assistant speaks holds playout and then resumes
 * it where it stopped, with nothing cancelled; sound that goes on past `bargeInConfirmMs`, or words
 * recognised meanwhile, make it a barge-in (clear, cancel, truncate). Both cases are measured:
 * how long the caller heard nothing, and how soon the barge-in was confirmed.
 */
import { describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../src/audio/resample.js';
import { energyVadFactory } from '../src/audio/vad/energy.js';
import { Call, type CallOptions } from '../src/call/call.js';
import { silentLogger } from '../src/core/logger.js';
import { FakeCallerTransport } from './fakes/caller-transport.js';
import { flush, FakeClock } from './fakes/clock.js';
import { fakeModel, FakeModelSession } from './fakes/model-session.js';

const RATE_HZ = 8000;
const FRAME = RATE_HZ / 50;
const OPTIONS: CallOptions = { systemPrompt: 'x', inactivityTimeoutMs: 60_000, keepAliveAfterMs: 60_000, playoutLeadMs: 0, markIntervalMs: 100, bargeInVad: true, resampleQuality: 5, bargeInConfirmMs: 600 };
const silence = new Int16Array(FRAME);
const loud = Int16Array.from({ length: FRAME }, (_, i) => Math.round(12000 * Math.sin((2 * Math.PI * 300 * i) / RATE_HZ)));

async function setup() {
  const clock = new FakeClock();
  const transport = new FakeCallerTransport({ inputRateHz: RATE_HZ, outputRateHz: RATE_HZ, supportsMarks: true });
  const session = new FakeModelSession(RATE_HZ);
  const call = new Call({ id: 'fi', transport, startInfo: { parameters: {} }, model: fakeModel(session, {}, RATE_HZ), resamplers: await loadResamplerFactory(), clock, logger: silentLogger, vad: energyVadFactory(), options: OPTIONS });
  await call.start();
  /** When each frame reached the carrier, clock ms. */
  const sentAtMs: number[] = [];
  /** When the carrier was told to clear, clock ms. */
  const clearedAtMs: number[] = [];
  /** Plays `frames` caller frames (20 ms each) in real (fake) time, confirming marks as a carrier would. */
  const play = async (frames: Int16Array[]) => {
    for (const pcm of frames) {
      transport.handler({ type: 'audio', pcm, receivedAtMs: clock.nowMs() });
      clock.advance(20);
      await flush();
      while (sentAtMs.length < transport.sent.length) sentAtMs.push(clock.nowMs());
      while (clearedAtMs.length < transport.clears) clearedAtMs.push(clock.nowMs());
      for (const markId of transport.marks.splice(0)) transport.handler({ type: 'played', markId });
    }
  };
  // A 4 s reply starts playing.
  session.emit({ type: 'responseStarted', responseId: 'r1' });
  session.emit({ type: 'audio', pcm: new Int16Array(4 * RATE_HZ).fill(3000), responseId: 'r1' });
  return { clock, transport, session, call, sentAtMs, clearedAtMs, play };
}

const frames = (n: number, pcm: Int16Array) => Array.from({ length: n }, () => pcm);
const longestGapMs = (times: number[]) => times.slice(1).reduce((gap, t, i) => Math.max(gap, t - times[i]), 0);

describe('false-interruption recovery', () => {
  it('a cough holds playout, then playback resumes where it stopped and nothing is cancelled', async () => {
    const { transport, session, call, sentAtMs, play } = await setup();
    await play(frames(25, silence)); // 500 ms of the reply
    const beforeCough = transport.sent.length;
    await play([...frames(8, loud), ...frames(40, silence)]); // a 160 ms cough, then quiet
    const heldMs = longestGapMs(sentAtMs);
    console.log(`false interruption: the caller heard nothing for ${heldMs} ms (from the VAD hearing it to the 200 ms of silence that ends it), then the reply resumed`);
    expect(heldMs).toBeGreaterThan(100);
    expect(heldMs).toBeLessThan(600);
    expect([session.cancels, session.truncations.length, transport.clears, call.bargeInEvents.length]).toEqual([0, 0, 0, 0]);
    await play(frames(200, silence));
    // Every frame of the 4 s reply reached the carrier, in order: it resumed where it stopped.
    expect(transport.sent.length).toBe(200);
    expect(beforeCough).toBeGreaterThanOrEqual(24);
    call.hangup('test over');
    expect((await call.ended).falseInterruptions).toBe(1);
  });

  it('sound that goes on past the confirmation window is a barge-in: clear, cancel, truncate to what was heard', async () => {
    const { clock, transport, session, call, sentAtMs, clearedAtMs, play } = await setup();
    await play(frames(25, silence));
    const speechAt = clock.nowMs();
    await play(frames(50, loud)); // 1 s of the caller speaking
    expect(call.bargeInEvents).toHaveLength(1);
    const b = call.bargeInEvents[0];
    expect(b.source).toBe('vad');
    expect([session.cancels, transport.clears]).toEqual([1, 1]);
    expect(session.truncations).toEqual([['r1', b.heardMs]]);
    const lastFrameAt = sentAtMs.at(-1)!;
    console.log(`confirmed barge-in: the caller stopped hearing the reply ${lastFrameAt - speechAt} ms after speech onset (the hold); the carrier was cleared and the reply cancelled ${clearedAtMs[0] - speechAt} ms after onset (the 600 ms window); heard ${b.heardMs} ms`);
    expect(lastFrameAt - speechAt).toBeLessThanOrEqual(100);
    expect(clearedAtMs[0] - speechAt).toBeGreaterThanOrEqual(600);
    expect(b.heardMs).toBeLessThanOrEqual(500 + 120); // the reply stopped at the hold, not at the confirmation
    call.hangup('test over');
    expect((await call.ended).falseInterruptions).toBe(0);
  });

  it('speech that starts as a reply finishes playing does not leave playout held: the next reply plays', async () => {
    const { clock, transport, session, call, play } = await setup();
    session.emit({ type: 'responseDone', responseId: 'r1', cancelled: false });
    // A carrier slow to confirm marks: the whole reply is sent, and the caller starts talking
    // before the carrier has said it finished playing (the call still counts as responding).
    const unconfirmed: string[] = [];
    for (let i = 0; i < 210; i++) {
      transport.handler({ type: 'audio', pcm: i < 200 ? silence : loud, receivedAtMs: clock.nowMs() });
      clock.advance(20);
      await flush();
      unconfirmed.push(...transport.marks.splice(0));
    }
    expect(transport.sent.length).toBe(200);
    expect(call.phase).toBe('responding');
    for (const markId of unconfirmed) transport.handler({ type: 'played', markId }); // …it had finished
    await play(frames(50, loud)); // the caller goes on talking past the 600 ms window
    expect(call.phase).toBe('listening');
    expect([call.bargeInEvents.length, transport.clears]).toEqual([0, 0]); // nothing was left to cut
    session.emit({ type: 'responseStarted', responseId: 'r2' });
    session.emit({ type: 'audio', pcm: new Int16Array(RATE_HZ).fill(3000), responseId: 'r2' });
    await play(frames(60, silence));
    expect(transport.sent.length).toBe(250); // the next reply's second of audio reached the carrier
    call.hangup('test over');
    await call.ended;
  });

  it("the caller's words during the hold confirm the barge-in at once", async () => {
    const { transport, session, call, play } = await setup();
    await play(frames(25, silence));
    await play(frames(5, loud)); // held now
    expect(transport.clears).toBe(0);
    session.emit({ type: 'transcript', role: 'user', text: 'stop', final: false });
    expect(call.bargeInEvents).toHaveLength(1);
    expect([session.cancels, transport.clears]).toEqual([1, 1]);
    call.hangup('test over');
    await call.ended;
  });
});
