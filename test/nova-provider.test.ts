/**
 * The Nova Sonic provider on the real AWS SDK against the Bedrock emulator on 127.0.0.1:
 * conversation, Nova 2 text input and greeting, a wrong secret, every fault mode (recovered or
 * ended cleanly), and no stream left open afterwards.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttp2Handler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/clock.js';
import { novaSonicModel } from '../src/models/nova-sonic/model.js';
import { silentLogger } from '../src/core/logger.js';
import type { NovaEmulator } from '../src/emulators/nova-sonic/server.js';
import type { EmulatorFault } from '../src/emulators/nova-sonic/server.js';
import { EventLog, novaAgainst, speakTones, startEmulator, testNovaSettings, until } from './helpers/nova.js';

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
    // Two 800 ms bursts 3.5 s apart: each turn ends after the 1.5 s pause (endpointing HIGH) and its
    // echo is over before the next burst.
    await speakTones(session, 7, 800, 3500);
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
    expect(stats.audioEventsSent).toBeLessThan((7 * 1000) / 60 + 3);
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
    // 1000 characters of Cyrillic are about 1.8 KB: sent as textInputs of at most 1 KB that join back to the text.
    const long = 'привет мир '.repeat(91).slice(0, 1000);
    session.sendText(long);
    await until(() => log.of('responseDone').length >= 3, 3000, 'the long text response');
    expect(log.of('transcript').some((t) => t.role === 'assistant' && t.final && t.text === `You wrote: ${long.trim()}`)).toBe(true);
    await session.close();
    destroy();
  });

  it('rejects a wrong secret with 403 InvalidSignatureException and opens nothing', async () => {
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
      await speakTones(session, 9, 600, 2800, () => log.responsesSince(faultAt + 500) >= 1);
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
    const session = await model.open(init);
    // The session opened on the next stream without waiting for the slow one, which has not even
    // answered yet (it answers after 3 s, finds the client gone, and records that).
    expect(session.stats!().streams).toBe(2);
    expect(emulator.streams[first - 1].endReason, 'the slow stream is still starting').toBeUndefined();
    await until(() => emulator.streams[first - 1].endReason === 'client-abort', 10_000, 'the slow stream to find its client gone');
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

describe('Nova Sonic limits enforced by the emulator', () => {
  it('reconnects after ModelTimeoutException when a stream reaches the session limit without renewal', async () => {
    // Long enough for one turn per stream (a 500 ms burst, then the 1.5 s endpointing pause).
    const emulator = await startEmulator({ sessionLimitMs: 2500 });
    // Renewal set beyond the limit: the stream hits the emulator's limit and must be recovered.
    const { model, destroy } = novaAgainst(emulator, { maxSessionMs: 60_000, renewAfterMs: 50_000 });
    const session = await model.open(init);
    const log = new EventLog(session);
    const t0 = performance.now();
    await speakTones(session, 9, 500, 2600, () => log.responsesSince(t0 + 2700) >= 1);
    await until(() => log.responsesSince(t0 + 2700) >= 1, 3000, 'a response after the limit');
    const stats = session.stats!();
    await session.close();
    destroy();
    expect(emulator.streams[0].endReason).toBe('session-limit');
    expect(stats.failures).toBeGreaterThanOrEqual(1);
    expect(stats.retries).toBeGreaterThanOrEqual(1);
    expect(log.of('error')).toEqual([]);
    await until(() => emulator.openStreams() === 0, 3000, 'no stream left open');
    await emulator.close();
  }, 20_000);

  it('reports the idle-input timeout and ends cleanly once retries run out', async () => {
    const emulator = await startEmulator({ idleTimeoutMs: 400 });
    const { model, destroy } = novaAgainst(emulator, { maxRetries: 1 });
    const session = await model.open(init);
    const log = new EventLog(session);
    // No audio at all (a call would send keep-alive silence; this one does not).
    await until(() => log.of('closed').length > 0, 5000, 'the session to give up');
    expect(emulator.streams.map((s) => s.endReason)).toEqual(['idle-timeout', 'idle-timeout']);
    expect(log.of('error')[0]).toMatchObject({ retryable: false, message: expect.stringContaining('InternalErrorCode=531') });
    await session.close();
    destroy();
    await until(() => emulator.openStreams() === 0, 3000, 'no stream left open');
    await emulator.close();
  }, 15_000);
});

describe('the emulator over TLS', () => {
  it('serves HTTP/2 over TLS to the SDK when given a certificate', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    const key = fs.readFileSync(path.join(dir, 'key.pem'));
    const cert = fs.readFileSync(path.join(dir, 'cert.pem'));
    fs.rmSync(dir, { recursive: true, force: true });
    const emulator = await startEmulator({ tls: { key, cert } });
    expect(emulator.url).toMatch(/^https:/);
    const client = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: emulator.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: new NodeHttp2Handler({ nodeHttp2ConnectOptions: { ca: cert } }),
    });
    const session = await novaSonicModel(client, testNovaSettings(), systemClock).open(init);
    const log = new EventLog(session);
    await speakTones(session, 3, 600, 5000, () => log.of('responseDone').length > 0);
    await until(() => log.of('responseDone').length > 0, 3000, 'a response over TLS');
    await session.close();
    client.destroy();
    await until(() => emulator.openStreams() === 0, 3000, 'no stream left open');
    await emulator.close();
  });
});
