/**
 * The Nova Sonic session on a FakeClock with a scripted fake Bedrock client: renewal at the turn
 * boundary, forced renewal, retries with backoff, stall detection, start-up timeout and the
 * no-more-retries ending — in simulated time, without the emulator (test/nova-renewal.test.ts and
 * test/nova-provider.test.ts run the same behaviours end to end on the real SDK).
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/logger.js';
import type { ModelEvent } from '../src/models/model.js';
import { novaSonicModel } from '../src/models/nova-sonic/model.js';
import type { NovaSettings } from '../src/models/nova-sonic/session.js';
import { assistantReply, FakeBedrockClient, userTurn } from './fakes/bedrock.js';
import { advanceAsync, FakeClock, flush } from './fakes/clock.js';
import { testNovaSettings } from './helpers/nova.js';

const init = { callId: 'test', systemPrompt: 'You are a test.', history: [], logger: silentLogger };

async function openSession(settings: Partial<NovaSettings> = {}, client = new FakeBedrockClient()) {
  const clock = new FakeClock();
  const model = novaSonicModel(client, testNovaSettings(settings), clock);
  const opening = model.open(init);
  const session = await settle(clock, opening);
  const events: ModelEvent[] = [];
  session.setHandler((e) => events.push(e));
  return { clock, client, session, events };
}

/** Advances fake time until `promise` settles (at most `maxMs`). */
async function settle<T>(clock: FakeClock, promise: Promise<T>, maxMs = 60_000): Promise<T> {
  let done = false;
  promise.then(() => (done = true), () => (done = true));
  for (let t = 0; t < maxMs && !done; t += 10) {
    await flush();
    if (!done) clock.advance(10);
  }
  return promise;
}

const loud = (): Int16Array => new Int16Array(960).fill(8000); // 60 ms at 16 kHz, speech-loud

describe('Nova Sonic session on a fake clock', () => {
  it('renews the stream at the turn boundary before the session limit and replays history', async () => {
    const { clock, client, session, events } = await openSession({ maxSessionMs: 10_000, renewAfterMs: 5_000 });
    expect(client.streams).toHaveLength(1);
    for (const e of userTurn('hello')) client.last.push(e);
    for (const e of assistantReply('hi there', new Int16Array(2400))) client.last.push(e);
    await advanceAsync(clock, 6_000, 100);
    expect(client.streams.length).toBeGreaterThanOrEqual(2);
    const next = client.streams[1];
    expect(next.inputNames()).toContain('promptStart');
    // History was handed over: the user's words and the reply are text input on the new stream.
    const texts = next.inputs.filter((e) => e.event.textInput).map((e) => e.event.textInput.content as string);
    expect(texts).toEqual(expect.arrayContaining(['hello', 'hi there']));
    expect(session.stats!().renewals).toBe(1);
    expect(client.streams[0].aborted || client.streams[0].inputEnded).toBe(true);
    expect(events.filter((e) => e.type === 'audio')).toHaveLength(1);
    await session.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not play, but counts, a reply Nova sent while the handover closed its stream (the caller hears the next stream answer that turn)', async () => {
    const { clock, client, session, events } = await openSession({ maxSessionMs: 10_000, renewAfterMs: 5_000 });
    const old = client.streams[0];
    // Nova detected the end of the caller's turn just as the handover happened: its reply was in flight.
    old.onInput = (e) => {
      if (e.event.sessionEnd) for (const out of [...userTurn('are you there'), ...assistantReply('yes', new Int16Array(2400))]) old.push(out);
    };
    await advanceAsync(clock, 6_000, 100);
    expect(session.stats!().renewals).toBe(1);
    await flush();
    expect(old.inputEnded).toBe(true);
    expect(events.filter((e) => e.type === 'audio' || e.type === 'transcript' || e.type === 'responseStarted')).toEqual([]);
    expect(session.stats!().discardedAudioMs).toBe(100);
    // The new stream's reply is played.
    for (const e of assistantReply('yes', new Int16Array(2400))) client.streams[1].push(e);
    await advanceAsync(clock, 200, 100);
    expect(events.filter((e) => e.type === 'audio')).toHaveLength(1);
    await session.close();
    expect(session.stats!().discardedAudioMs).toBe(100);
    expect(clock.pendingTimers).toBe(0);
  });

  it('forces a renewal at the limit even while a response is open', async () => {
    const { clock, client, session } = await openSession({ maxSessionMs: 10_000, renewAfterMs: 5_000 });
    client.last.push({ contentStart: { type: 'AUDIO', role: 'ASSISTANT', contentId: 'a1' } }); // a response that never ends
    await advanceAsync(clock, 11_000, 100);
    expect(session.stats!().forcedRenewals).toBe(1);
    await session.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('retries a retryable failure with backoff and replays the buffered caller audio', async () => {
    const { clock, client, session, events } = await openSession();
    client.last.fail('ModelStreamErrorException', 'boom');
    await flush();
    for (let i = 0; i < 5; i++) session.sendAudio(loud());
    await advanceAsync(clock, 500);
    expect(client.streams).toHaveLength(2);
    expect(session.stats!()).toMatchObject({ failures: 1, retries: 1 });
    expect(client.last.inputNames().filter((n) => n === 'audioInput').length).toBeGreaterThanOrEqual(5);
    expect(events.find((e) => e.type === 'closed')).toBeUndefined();
    await session.close();
    expect(events.filter((e) => e.type === 'closed')).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ends the session with an error and one closed event when retries run out', async () => {
    const client = new FakeBedrockClient();
    const { clock, session, events } = await openSession({ maxRetries: 2 }, client);
    client.next({ refuse: 'ThrottlingException' }, { refuse: 'ThrottlingException' }, { refuse: 'ThrottlingException' });
    client.last.fail('ModelStreamErrorException');
    await advanceAsync(clock, 5_000, 50);
    expect(events.filter((e) => e.type === 'error')).toEqual([expect.objectContaining({ retryable: false })]);
    expect(events.filter((e) => e.type === 'closed')).toHaveLength(1);
    expect(events.at(-1)!.type).toBe('closed');
    await session.close();
    expect(events.filter((e) => e.type === 'closed')).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
    expect(client.openStreams()).toBe(0);
  });

  it('fails a stalled stream (caller spoke, nothing came back) and reconnects', async () => {
    const { clock, client, session } = await openSession({ stallTimeoutMs: 3_000 });
    await advanceAsync(clock, 100);
    session.sendAudio(loud());
    await advanceAsync(clock, 2_500, 100);
    expect(session.stats!().stalls).toBe(0);
    await advanceAsync(clock, 1_500, 100);
    expect(session.stats!().stalls).toBe(1);
    expect(client.streams[0].aborted).toBe(true);
    expect(client.streams).toHaveLength(2);
    await session.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('times out a silent start-up, retries, and opens on the next stream', async () => {
    const client = new FakeBedrockClient().next('silent');
    const { clock, session } = await openSession({ startTimeoutMs: 2_000 }, client);
    expect(client.streams).toHaveLength(2);
    expect(client.streams[0].aborted).toBe(true);
    expect(clock.nowMs()).toBeGreaterThanOrEqual(2_000);
    await session.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('speaks the greeting once, on the stream that went live after a refused first open, not after a renewal', async () => {
    const client = new FakeBedrockClient().next({ refuse: 'ThrottlingException' });
    const clock = new FakeClock();
    const model = novaSonicModel(client, testNovaSettings({ maxSessionMs: 10_000, renewAfterMs: 5_000 }), clock);
    const session = await settle(clock, model.open({ ...init, greeting: 'Welcome.' }));
    await advanceAsync(clock, 6_000, 100);
    const greetings = client.streams.map((s) => s.inputs.filter((e) => String(e.event.textInput?.content ?? '').includes('Welcome.')).length);
    expect(client.streams.length).toBeGreaterThanOrEqual(3);
    expect(greetings.slice(0, 3)).toEqual([0, 1, 0]);
    await session.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses to open after a non-retryable refusal, leaving no timer or stream', async () => {
    const client = new FakeBedrockClient().next({ refuse: 'AccessDeniedException' });
    const clock = new FakeClock();
    const model = novaSonicModel(client, testNovaSettings(), clock);
    await expect(settle(clock, model.open(init))).rejects.toMatchObject({ code: 'model_unavailable' });
    expect(client.streams).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });
});
