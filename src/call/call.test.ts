import { describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../audio/resample.js';
import type { CallerEvent, CallerNotice, CallerTransport } from '../callers/transport.js';
import { FakeClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { EventRelay } from '../core/relay.js';
import { type ModelCapabilities, type ModelEvent, type ModelSession, type SpeechModel } from '../models/model.js';
import { Call, type CallOptions } from './call.js';
import { PENDING_HANDOFF_WAIT_MS } from './pending-handoff.js';
import { advanceAsync } from '../../test/fakes/clock.js';

class FakeTransport implements CallerTransport {
  readonly kind = 'twilio' as const;
  readonly inputRateHz = 8000;
  readonly outputRateHz = 8000;
  readonly supportsMarks = true;
  readonly started = Promise.resolve({ parameters: {} });
  handler!: (e: CallerEvent) => void;
  sent: Int16Array[] = [];
  marks: string[] = [];
  clears = 0;
  notices: CallerNotice[] = [];
  hungUp: string | undefined;
  setHandler(h: (e: CallerEvent) => void) { this.handler = h; }
  sendAudio(f: Int16Array) { this.sent.push(f); }
  mark(id: string) { this.marks.push(id); }
  clearPlayback() { this.clears++; }
  notify(n: CallerNotice) { this.notices.push(n); }
  hangup(reason: string) { this.hungUp = reason; }
}

class FakeSession implements ModelSession {
  relay = new EventRelay<ModelEvent>();
  audioIn: Int16Array[] = [];
  textIn: string[] = [];
  cancels = 0;
  truncations: Array<[string, number]> = [];
  closed = false;
  setHandler(h: (e: ModelEvent) => void) { this.relay.setHandler(h); }
  sendAudio(p: Int16Array) { this.audioIn.push(p); }
  sendText(t: string) { this.textIn.push(t); }
  sendToolResult() {}
  cancelResponse() { this.cancels++; }
  truncate(id: string, ms: number) { this.truncations.push([id, ms]); }
  async close() { this.closed = true; }
}

function fakeModel(session: FakeSession, caps: Partial<ModelCapabilities> = {}): SpeechModel {
  return {
    id: 'fake', inputRateHz: 16000, outputRateHz: 16000, maxSessionMs: Infinity,
    capabilities: { truncation: true, serverTurnDetection: true, userTranscripts: true, textInput: true, needsContinuousAudio: false, ...caps },
    open: async () => session,
  };
}

const OPTIONS: CallOptions = { systemPrompt: 'x', inactivityTimeoutMs: 10_000, keepAliveAfterMs: 300, playoutLeadMs: 0, markIntervalMs: 100, bargeInVad: false, resampleQuality: 5 };

async function setup(caps: Partial<ModelCapabilities> = {}, options: Partial<CallOptions> = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const session = new FakeSession();
  const call = new Call({ id: 'c1', transport, startInfo: { parameters: {} }, model: fakeModel(session, caps), resamplers: await loadResamplerFactory(), clock, logger: silentLogger, vad: null, options: { ...OPTIONS, ...options } });
  await call.start();
  return { clock, transport, session, call };
}

describe('Call with a model that matches the caller rate', () => {
  it('opens the session at the rates ratesFor chose and passes audio through without resampling', async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport();
    const session = new FakeSession();
    let init: { inputRateHz?: number; outputRateHz?: number } = {};
    const model: SpeechModel = {
      ...fakeModel(session),
      ratesFor: (i, o) => ({ inputRateHz: i, outputRateHz: o }),
      open: async (i) => ((init = i), session),
    };
    const call = new Call({ id: 'c1', transport, startInfo: { parameters: {} }, model, resamplers: await loadResamplerFactory(), clock, logger: silentLogger, vad: null, options: OPTIONS });
    await call.start();
    expect(init).toMatchObject({ inputRateHz: 8000, outputRateHz: 8000 });
    const frame = Int16Array.from({ length: 160 }, (_, i) => i * 7);
    transport.handler({ type: 'audio', pcm: frame, receivedAtMs: 0 });
    expect([...session.audioIn[0]]).toEqual([...frame]);
    session.relay.emit({ type: 'audio', pcm: frame, responseId: 'r1' });
    clock.advance(20);
    expect([...transport.sent[0]]).toEqual([...frame]);
  });
});

const speech = (n: number) => Int16Array.from({ length: n }, (_, i) => Math.round(3000 * Math.sin(i / 2)));

describe('Call', () => {
  it('handles model events emitted synchronously during barge-in only after barge-in finishes (no re-entry)', async () => {
    const { clock, transport, session, call } = await setup();
    const order: string[] = [];
    call.on('bargeIn', () => order.push('bargeIn'));
    call.on('transcript', (t) => order.push(`transcript:${t.text}`));
    session.truncate = (id: string, ms: number) => {
      session.truncations.push([id, ms]);
      session.relay.emit({ type: 'transcript', role: 'assistant', text: 'cut short', final: true, responseId: id });
    };
    session.relay.emit({ type: 'responseStarted', responseId: 'r1' });
    session.relay.emit({ type: 'audio', pcm: speech(32000), responseId: 'r1' });
    clock.advance(500);
    for (const m of transport.marks.slice(0, 4)) transport.handler({ type: 'played', markId: m });
    session.relay.emit({ type: 'speechStarted' });
    expect(session.truncations).toEqual([['r1', 400]]);
    expect(order[0]).toBe('bargeIn');
    expect(order).toContain('transcript:cut short');
  });

  it("tells the caller when the model hears the caller start and stop speaking (RTVI's user-started/stopped-speaking)", async () => {
    const { transport, session } = await setup();
    session.relay.emit({ type: 'speechStarted' });
    session.relay.emit({ type: 'speechStopped', speechEndedAgoMs: 200 });
    expect(transport.notices.filter((n) => n.type === 'speech')).toEqual([
      { type: 'speech', speaking: true },
      { type: 'speech', speaking: false },
    ]);
  });

  it('resamples caller audio 8→16 kHz for the model and model audio 16→8 kHz into exact paced 20 ms frames with marks', async () => {
    const { clock, transport, session, call } = await setup();
    expect(call.phase).toBe('listening');
    for (let i = 0; i < 10; i++) transport.handler({ type: 'audio', pcm: speech(160), receivedAtMs: 0 });
    const total = session.audioIn.reduce((n, p) => n + p.length, 0);
    expect(total).toBeGreaterThan(3200 - 100); // 200 ms at 16 kHz, less the filter delay
    expect(total).toBeLessThanOrEqual(3200);
    session.relay.emit({ type: 'audio', pcm: speech(16000), responseId: 'r1' }); // 1 s
    expect(call.phase).toBe('responding');
    clock.advance(1000);
    expect(transport.sent.length).toBeGreaterThanOrEqual(49);
    expect(transport.sent.every((f) => f.length === 160)).toBe(true);
    expect(transport.marks.length).toBe(Math.floor(transport.sent.length / 5));
    session.relay.emit({ type: 'responseDone', responseId: 'r1', cancelled: false });
    for (const m of transport.marks) transport.handler({ type: 'played', markId: m });
    clock.advance(300);
    expect(call.phase).toBe('listening');
  });

  it('a bug met while handling an event ends that call with "server error"; nothing escapes to the socket or stream', async () => {
    const { transport, session, call } = await setup();
    transport.notify = (n) => {
      if (n.type === 'speech') throw new Error('a bug');
    };
    expect(() => session.relay.emit({ type: 'speechStarted' })).not.toThrow();
    expect(await call.ended).toMatchObject({ reason: 'server error', error: true });
    expect(session.closed).toBe(true);
    // A transport that throws on every notice and on hang-up: the call still finishes.
    const broken = await setup();
    broken.transport.notify = () => {
      throw new Error('socket gone');
    };
    broken.transport.hangup = () => {
      throw new Error('socket gone');
    };
    broken.call.on('state', () => {
      throw new Error('a listener bug');
    });
    broken.call.on('ended', () => {
      throw new Error('a listener bug');
    });
    expect(() => broken.call.hangup('test over')).not.toThrow();
    expect(await broken.call.ended).toMatchObject({ reason: 'test over' });
    expect(broken.session.closed).toBe(true);
  });

  it('barge-in cuts the reply the caller is hearing, and cancels the one queued behind it (after a tool call)', async () => {
    const { clock, transport, session, call } = await setup();
    const events: any[] = [];
    call.on('bargeIn', (e) => events.push(e));
    // "Let me check that" (2 s) arrives at once and ends with a tool call; the answer follows while it plays.
    session.relay.emit({ type: 'responseStarted', responseId: 'r1' });
    session.relay.emit({ type: 'audio', pcm: speech(32000), responseId: 'r1' });
    session.relay.emit({ type: 'responseDone', responseId: 'r1', cancelled: false });
    clock.advance(300);
    session.relay.emit({ type: 'responseStarted', responseId: 'r2' });
    session.relay.emit({ type: 'audio', pcm: speech(16000), responseId: 'r2' });
    clock.advance(200);
    for (const m of transport.marks.slice(0, 4)) transport.handler({ type: 'played', markId: m }); // 400 ms of r1 confirmed at t=500
    const sentBefore = transport.sent.length;
    session.relay.emit({ type: 'speechStarted' });
    expect(session.cancels).toBe(1);
    expect(session.truncations).toEqual([['r1', 400], ['r2', 0]]);
    expect(events[0]).toMatchObject({ responseId: 'r1', heardMs: 400 });
    expect(call.turns.map((t) => [t.responseId, t.interrupted, t.heardMs])).toEqual([['r1', true, 400], ['r2', true, 0]]);
    session.relay.emit({ type: 'audio', pcm: speech(3200), responseId: 'r2' }); // late audio of the cancelled answer
    clock.advance(1000);
    expect(transport.sent.length).toBe(sentBefore);
  });

  it('barges in on the model signal: clears the carrier and pacer, cancels, truncates to the heard position', async () => {
    const { clock, transport, session, call } = await setup();
    const events: any[] = [];
    call.on('bargeIn', (e) => events.push(e));
    session.relay.emit({ type: 'responseStarted', responseId: 'r1' });
    session.relay.emit({ type: 'audio', pcm: speech(32000), responseId: 'r1' }); // 2 s
    clock.advance(500);
    for (const m of transport.marks.slice(0, 4)) transport.handler({ type: 'played', markId: m }); // 400 ms confirmed at t=500
    const sentBefore = transport.sent.length;
    session.relay.emit({ type: 'speechStarted' });
    expect(transport.clears).toBe(1);
    expect(session.cancels).toBe(1);
    expect(session.truncations).toEqual([['r1', 400]]);
    expect(events[0]).toMatchObject({ source: 'model', heardMs: 400, responseId: 'r1' });
    expect(events[0].droppedMs).toBeGreaterThan(1000);
    // late audio of the cancelled response is not played
    session.relay.emit({ type: 'audio', pcm: speech(3200), responseId: 'r1' });
    clock.advance(1000);
    expect(transport.sent.length).toBe(sentBefore);
    expect(call.turns[0]).toMatchObject({ interrupted: true, heardMs: 400 });
  });

  it('ends an idle call after the inactivity timeout and hangs up the caller', async () => {
    const { clock, transport, session, call } = await setup({}, { inactivityTimeoutMs: 2000 });
    transport.handler({ type: 'audio', pcm: new Int16Array(160), receivedAtMs: 0 }); // silence is not activity
    clock.advance(2500);
    const summary = await call.ended;
    expect(summary.reason).toBe('inactivity');
    expect(transport.hungUp).toBe('inactivity');
    expect(session.closed).toBe(true);
  });

  it('sends silence to models that need continuous audio while the caller sends nothing', async () => {
    const { clock, session } = await setup({ needsContinuousAudio: true });
    clock.advance(1000);
    const silent = session.audioIn.filter((p) => p.every((s) => s === 0));
    expect(silent.length).toBeGreaterThanOrEqual(6);
    expect(silent[0].length).toBe(1600); // 100 ms at 16 kHz
  });

  it('hangs up at maxCallMs a call kept active by a DTMF every 30 s (which the inactivity timeout never ends)', async () => {
    const { clock, transport, call } = await setup({}, { inactivityTimeoutMs: 120_000, maxCallMs: 3_600_000 });
    let ended = false;
    void call.ended.then(() => (ended = true));
    for (let t = 0; t < 2 * 3_600_000 && !ended; t += 30_000) {
      transport.handler({ type: 'dtmf', digit: '5' });
      clock.advance(30_000);
      await Promise.resolve();
    }
    expect(ended, 'the call ended within two hours').toBe(true);
    const summary = await call.ended;
    expect(summary.reason).toBe('max-call-length');
    expect(summary.reasonLabel).toBe('longest call length reached');
    expect(transport.hungUp).toBe('max-call-length');
    expect(summary.durationMs).toBeGreaterThanOrEqual(3_600_000);
    expect(summary.durationMs).toBeLessThan(3_600_000 + 30_000);
  });

  it('passes keypad digits to the model as text when it takes text, not otherwise', async () => {
    const { transport, session } = await setup();
    transport.handler({ type: 'dtmf', digit: '3' });
    expect(session.textIn).toEqual(['The caller pressed 3 on the keypad.']);
    const audioOnly = await setup({ textInput: false });
    audioOnly.transport.handler({ type: 'dtmf', digit: '3' });
    expect(audioOnly.session.textIn).toEqual([]);
  });

  it('end_call: hangs up once the next reply has been played out, or after the grace period without one', async () => {
    const { clock, transport, session, call } = await setup();
    call.endAfterReply();
    // The response that called the tool ends with no audio (OpenAI: a function call only): not the goodbye.
    session.relay.emit({ type: 'responseStarted', responseId: 'r0' });
    session.relay.emit({ type: 'responseDone', responseId: 'r0', cancelled: false });
    clock.advance(300);
    expect(transport.hungUp).toBeUndefined();
    session.relay.emit({ type: 'responseStarted', responseId: 'r1' });
    session.relay.emit({ type: 'audio', pcm: new Int16Array(16000).fill(1000), responseId: 'r1' }); // 1 s of goodbye
    session.relay.emit({ type: 'responseDone', responseId: 'r1', cancelled: false });
    clock.advance(1100);
    expect(transport.sent.length).toBe(50); // all sent, but the carrier has not reported it played
    expect(transport.hungUp).toBeUndefined();
    for (const markId of transport.marks) transport.handler({ type: 'played', markId });
    clock.advance(200);
    expect(transport.hungUp).toBe('assistant-ended');
    const silent = await setup();
    silent.call.endAfterReply();
    silent.clock.advance(9_900);
    expect(silent.transport.hungUp).toBeUndefined();
    silent.clock.advance(200);
    expect(silent.transport.hungUp).toBe('assistant-ended');
  });

  it('hands off: tells the caller, ends the stream as transferred and keeps the record', async () => {
    const { transport, call } = await setup();
    const handoff = { callId: 'c1', carrier: 'fake', carrierIds: {}, target: { kind: 'sip' as const, uri: 'sip:a@b.test' }, reason: 'r', source: 'operator' as const, requestedAt: '', transcript: [], summary: 's' };
    call.handOff(handoff);
    expect(transport.notices).toContainEqual({ type: 'transfer', to: 'sip:a@b.test', reason: 'r' });
    expect(transport.hungUp).toBe('transferred');
    expect((await call.ended).handoff).toBe(handoff);
    call.handOff(handoff); // an ended call ignores a second hand-off
    expect(transport.notices.filter((n) => n.type === 'transfer')).toHaveLength(1);
  });

  it('ends as transferred when the carrier closes the stream while it moves the call, and as hung up when it refused', async () => {
    const handoff = { callId: 'c1', carrier: 'vonage', carrierIds: {}, target: { kind: 'phone' as const, number: '+15551234567' }, reason: 'r', source: 'model' as const, requestedAt: '', transcript: [], summary: 's' };
    const moved = await setup();
    let answer!: (ok: boolean) => void;
    moved.call.holdHandOff(handoff, new Promise<boolean>((resolve) => (answer = resolve)));
    moved.transport.handler({ type: 'ended', reason: 'socket-closed' });
    await Promise.resolve();
    answer(true); // the carrier's answer comes after the stream closed
    const summary = await moved.call.ended;
    expect([summary.reason, summary.handoff]).toEqual(['transferred', handoff]);
    // The carrier's answer comes while the model session is still closing.
    const slow = await setup();
    let closed!: () => void;
    slow.session.close = () => new Promise<void>((resolve) => (closed = resolve));
    let answerSoon!: (ok: boolean) => void;
    slow.call.holdHandOff(handoff, new Promise<boolean>((resolve) => (answerSoon = resolve)));
    slow.transport.handler({ type: 'ended', reason: 'socket-closed' });
    answerSoon(true);
    await advanceAsync(slow.clock, 10, 10);
    closed();
    const slowSummary = await slow.call.ended;
    expect([slowSummary.reason, slowSummary.handoff]).toEqual(['transferred', handoff]);
    // The caller hung up during a transfer the carrier then refused: a hang-up, no hand-off.
    const refused = await setup();
    let refuse!: (ok: boolean) => void;
    refused.call.holdHandOff(handoff, new Promise<boolean>((resolve) => (refuse = resolve)));
    refused.transport.handler({ type: 'ended', reason: 'socket-closed' });
    refuse(false);
    const after = await refused.call.ended;
    expect([after.reason, after.handoff]).toEqual(['socket-closed', undefined]);
    // A carrier that never answers holds the record back no longer than PENDING_HANDOFF_WAIT_MS.
    const silent = await setup();
    silent.call.holdHandOff(handoff, new Promise<boolean>(() => {}));
    silent.transport.handler({ type: 'ended', reason: 'socket-closed' });
    let done = false;
    void silent.call.ended.then(() => (done = true));
    await advanceAsync(silent.clock, PENDING_HANDOFF_WAIT_MS - 100, 1000);
    expect(done).toBe(false);
    await advanceAsync(silent.clock, 200, 100);
    expect((await silent.call.ended).reason).toBe('socket-closed');
  });

  it('ends politely when the model session closes unexpectedly', async () => {
    const { transport, session, call } = await setup();
    session.relay.emit({ type: 'closed', reason: 'stream reset' });
    const summary = await call.ended;
    expect(summary.error).toBe(true);
    expect(summary.reason).toMatch(/stream reset/);
    expect(transport.hungUp).toMatch(/model-closed/);
  });

  it('records transcripts and replaces a truncated assistant line', async () => {
    const { session, call } = await setup();
    session.relay.emit({ type: 'transcript', role: 'user', text: 'hello there', final: true });
    session.relay.emit({ type: 'responseStarted', responseId: 'r1' });
    session.relay.emit({ type: 'transcript', role: 'assistant', text: 'Hi! How can I help you today?', final: true, responseId: 'r1' });
    session.relay.emit({ type: 'transcript', role: 'assistant', text: 'Hi! How', final: true, responseId: 'r1' });
    expect(call.transcript.map((t) => t.text)).toEqual(['hello there', 'Hi! How']);
    expect(call.turns[0]).toMatchObject({ userText: 'hello there', assistantText: 'Hi! How' });
  });
});
