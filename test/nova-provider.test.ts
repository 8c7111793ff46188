/**
 * The Nova Sonic provider on the real AWS SDK against the Bedrock emulator on 127.0.0.1:
 * conversation, Nova 2 text input and greeting, a wrong secret, every fault mode (recovered or
 * ended cleanly), and no stream left open afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/logger.js';
import type { NovaEmulator } from '../src/emulators/nova-sonic/server.js';
import type { EmulatorFault } from '../src/emulators/nova-sonic/server.js';
import { EventLog, novaAgainst, speakTones, startEmulator, until } from './helpers/nova.js';

const init = { callId: 'test', systemPrompt: 'You are a test.', history: [], logger: silentLogger };

describe('Nova Sonic provider against the emulator (real AWS SDK)', () => {
  let emulator: NovaEmulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('holds a conversation: transcripts, audio at 24 kHz, responses, usage', async () => {
    const { model, destroy } = novaAgainst(emulator);
    const session = await model.open(init);
    const log = new EventLog(session);
    await speakTones(session, 4.5, 800, 2000);
    await until(() => log.of('responseDone').length >= 2, 3000, 'two responses');
    await session.close();
    destroy();
    expect(log.of('transcript').filter((t) => t.role === 'user').map((t) => t.text)).toEqual(['utterance 1', 'utterance 2', ...log.of('transcript').filter((t) => t.role === 'user').slice(2).map((t) => t.text)]);
    const audioMs = log.of('audio').reduce((ms, a) => ms + a.pcm.length / 24, 0);
    expect(audioMs).toBeGreaterThan(1200); // two 800 ms echoes at 24 kHz
    expect(log.of('usage').at(-1)!.outputTokens).toBeGreaterThan(0);
    const stats = session.stats!();
    expect(stats.failures).toBe(0);
    // 60 ms chunks: about 17 audio events per second instead of 50.
    expect(stats.audioEventsSent).toBeLessThan((4.5 * 1000) / 60 + 3);
    await until(() => emulator.openStreams() === 0, 3000, 'streams to close');
    expect(emulator.streams.at(-1)!.endReason).toBe('session-end');
    expect(emulator.streams.at(-1)!.validationErrors).toEqual([]);
  });

  it('speaks first with GREETING and answers typed text (Nova 2 text input)', async () => {
    const { model, destroy } = novaAgainst(emulator);
    const session = await model.open({ ...init, greeting: 'Welcome to the test line.' });
    const log = new EventLog(session);
    await until(() => log.of('responseDone').length >= 1, 3000, 'the greeting response');
    expect(log.of('transcript').find((t) => t.role === 'user')!.text).toContain('Welcome to the test line.');
    session.sendText('hello there');
    await until(() => log.of('responseDone').length >= 2, 3000, 'the text response');
    expect(log.of('transcript').some((t) => t.role === 'assistant' && t.final && t.text === 'You wrote: hello there')).toBe(true);
    await session.close();
    destroy();
  });

  it('rejects a wrong secret with 403 AccessDeniedException and opens nothing', async () => {
    const { model, destroy } = novaAgainst(emulator, {}, 'not-the-secret');
    const before = emulator.streams.length;
    await expect(model.open(init)).rejects.toMatchObject({ code: 'model_unavailable', message: expect.stringContaining('signature') });
    destroy();
    expect(emulator.streams.slice(before).map((s) => s.endReason)).toEqual(['auth']);
  });

  const recoverable: [string, EmulatorFault][] = [
    ['a modelled exception mid-stream', { kind: 'exception', afterMs: 1500, stream: 0, exceptionType: 'modelStreamErrorException' }],
    ['a stream reset (RST_STREAM)', { kind: 'reset', afterMs: 1500 }],
    ['an end without completionEnd', { kind: 'end', afterMs: 1500 }],
    ['a GOAWAY on the connection', { kind: 'goaway', afterMs: 1500 }],
    ['a stall', { kind: 'stall', afterMs: 1500 }],
  ];
  for (const [name, fault] of recoverable) {
    it(`recovers from ${name}: reconnects with history and keeps answering`, async () => {
      const first = emulator.streams.length + 1;
      emulator.clearFaults();
      emulator.addFault({ ...fault, stream: first });
      const { model, destroy } = novaAgainst(emulator, { stallTimeoutMs: 1200 });
      const session = await model.open(init);
      const log = new EventLog(session);
      const faultAt = performance.now() + fault.afterMs;
      await speakTones(session, 7, 600, 1500, () => log.responsesSince(faultAt + 500) >= 1);
      await until(() => log.responsesSince(faultAt + 500) >= 1, 4000, 'a response after the fault');
      const stats = session.stats!();
      await session.close();
      destroy();
      emulator.clearFaults();
      expect(stats.failures).toBeGreaterThanOrEqual(1);
      expect(stats.retries).toBeGreaterThanOrEqual(1);
      expect(stats.streams).toBeGreaterThanOrEqual(2);
      if (fault.kind === 'stall') expect(stats.stalls).toBe(1);
      expect(log.of('closed').map((c) => c.reason)).toEqual(['closed by call']);
      expect(log.of('error')).toEqual([]);
      // The reconnected stream got the history of the first.
      const second = emulator.streams[first];
      expect(second.validationErrors).toEqual([]);
      await until(() => emulator.openStreams() === 0, 4000, 'no stream left open');
    }, 20_000);
  }

  it('retries a slow start past the start-up timeout and opens on the next stream', async () => {
    const first = emulator.streams.length + 1;
    emulator.addFault({ kind: 'slowStart', afterMs: 3000, stream: first });
    const { model, destroy } = novaAgainst(emulator, { startTimeoutMs: 800 });
    const t0 = performance.now();
    const session = await model.open(init);
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(session.stats!().streams).toBe(2);
    await session.close();
    destroy();
    emulator.clearFaults();
    await until(() => emulator.openStreams() === 0, 5000, 'no stream left open');
  });

  it('ends cleanly on an unrecoverable error: an error event, then closed', async () => {
    const first = emulator.streams.length + 1;
    emulator.addFault({ kind: 'exception', afterMs: 800, stream: first, exceptionType: 'validationException', message: 'Invalid input request' });
    const { model, destroy } = novaAgainst(emulator);
    const session = await model.open(init);
    const log = new EventLog(session);
    await speakTones(session, 2, 400, 1000, () => log.of('closed').length > 0);
    await until(() => log.of('closed').length > 0, 3000, 'the session to close');
    expect(log.of('error')).toMatchObject([{ code: 'ValidationException', retryable: false }]);
    expect(log.of('closed')[0].reason).toContain('ValidationException');
    await session.close();
    destroy();
    emulator.clearFaults();
    await until(() => emulator.openStreams() === 0, 3000, 'no stream left open');
  });

  it('gives up after the retry budget when every stream fails', async () => {
    emulator.addFault({ kind: 'reset', afterMs: 300 });
    const { model, destroy } = novaAgainst(emulator, { maxRetries: 2 });
    const session = await model.open(init);
    const log = new EventLog(session);
    await speakTones(session, 4, 400, 1000, () => log.of('closed').length > 0);
    await until(() => log.of('closed').length > 0, 5000, 'the session to give up');
    expect(log.of('error')[0]).toMatchObject({ retryable: false });
    expect(session.stats!().retries).toBe(2);
    await session.close();
    destroy();
    emulator.clearFaults();
    await until(() => emulator.openStreams() === 0, 3000, 'no stream left open');
  });
});
