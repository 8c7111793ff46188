/**
 * The offline local model against a real server process, with real calls: it is warm before the
 * first call on both bands, one reply-latency figure agrees across the call record, the browser
 * `turn` event and `voicebridge call`, it answers time questions through the tool registry, speaks
 * `GREETING` first, and answers a caller who never pauses.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { concatPcm16 } from '../src/audio/pcm.js';
import { readWav, writeWav } from '../src/audio/wav.js';
import type { CallSummary } from '../src/call/types.js';
import { latencyReport } from '../src/cli/call.js';
import { fetchSummary, simulateCall, turnEvents, voicedSpans } from '../src/sim/simulate.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { useSpokenCallFixture } from './helpers/spoken-calls.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const fx = useSpokenCallFixture({ VOICEBRIDGE_MODEL: 'local', STT_POOL_SIZE: 2 });

type Warmth = { workers: number; primed: number; size: number; coldStarts: number };
const recognizers = async (url: string): Promise<{ wideband: Warmth; phoneBand: Warmth }> =>
  ((await (await fetch(`${url}/health`)).json()) as { warmup: { recognizers: { wideband: Warmth; phoneBand: Warmth } } }).warmup.recognizers;

/** A browser-protocol client that records every JSON message with its arrival time. */
async function browserClient(url: string): Promise<{ ws: WebSocket; messages: Array<{ atMs: number; m: Record<string, any> }>; next(pred: (m: Record<string, any>) => boolean): Promise<Record<string, any>> }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/client`);
  const messages: Array<{ atMs: number; m: Record<string, any> }> = [];
  const waiters: Array<{ pred: (m: Record<string, any>) => boolean; resolve: (m: Record<string, any>) => void }> = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const m = JSON.parse(String(data));
    messages.push({ atMs: performance.now(), m });
    for (const w of [...waiters]) if (w.pred(m)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(m);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'session.start', sampleRateHz: 16000, audioTransport: 'base64' }));
  return {
    ws,
    messages,
    next: (pred) => {
      const seen = messages.find((x) => pred(x.m));
      return seen ? Promise.resolve(seen.m) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

describe('warm-up', () => {
  it('has every recognizer of both bands started and primed once /ready answers 200, before any call', async () => {
    const r = await recognizers(fx.srv.url);
    expect(r.wideband).toMatchObject({ workers: 2, primed: 2, coldStarts: 0 });
    expect(r.phoneBand).toMatchObject({ workers: 2, primed: 2, coldStarts: 0 });
  });
});

describe('reply latency, one figure', () => {
  it('is the same in the call record and the browser turn event, and matches what the caller heard', async () => {
    const input = await fx.speech.say('What is seven plus five?', 'rms');
    const result = await simulateCall({ url: fx.srv.url, via: 'ws', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
    const record = result.summary!;
    expect(record, 'call record from GET /calls').toBeDefined();
    const fromRecord = record.turns[0].replyLatencyMs;
    expect(fromRecord).toBeGreaterThan(0);
    expect(turnEvents(result.events)[0].replyLatencyMs).toBe(fromRecord);
    expect(latencyReport(result).replyLatencyMs[0]).toBe(fromRecord);
    // The same quantity the caller measures from audio alone (speech end → reply heard), within
    // what energy-vs-VAD speech edges and the simulated caller's own scheduling can differ by
    // (measured 30–260 ms on a quiet machine, 376–464 ms with the other core busy and other tests
    // running: the caller measures in this process); the old server figure left out the whole
    // endpointing silence (512 ms) and counted flite's leading silence.
    expect(result.replyLatenciesMs.length).toBe(1);
    expect(Math.abs(result.replyLatenciesMs[0] - fromRecord!)).toBeLessThanOrEqual(600);
  });

  it('on a mark carrier (Twilio) comes from the marks, and voicebridge call prints the record\'s figure', async () => {
    const input = await fx.speech.say('What is seven plus five?', 'rms');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-call-'));
    try {
      fs.writeFileSync(path.join(dir, 'in.wav'), writeWav(input, 16000));
      const args = ['--import', 'tsx', 'src/cli/index.ts', 'call', '--url', fx.srv.url, '--via', 'twilio', '--in', path.join(dir, 'in.wav'), '--out', path.join(dir, 'out.wav'), '--transcript', path.join(dir, 'report.json')];
      const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code, out).toBe(0);
      const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as { callId: string; replyLatencyMs: Array<number | null> };
      const record = await fetchSummary(fx.srv.url, (c) => c.id === report.callId);
      expect(record, 'call record from GET /calls').toBeDefined();
      expect(record!.turns[0].replyLatencyMs).toBeGreaterThan(0);
      expect(report.replyLatencyMs).toEqual(record!.turns.map((t) => t.replyLatencyMs));
      expect(out).toContain(`turn 1: reply latency ${record!.turns[0].replyLatencyMs} ms`);
      // and it is what the caller heard: its speech end → the first audible reply in the WAV it recorded
      const heard = readWav(fs.readFileSync(path.join(dir, 'out.wav')));
      const speechEndMs = voicedSpans(input, 16000).at(-1)![1];
      const replyAtMs = voicedSpans(heard.samples, heard.sampleRateHz, -45, 300).find(([start]) => start > speechEndMs)![0];
      expect(Math.abs(replyAtMs - speechEndMs - record!.turns[0].replyLatencyMs!)).toBeLessThanOrEqual(600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('after a typed message counts from when the text arrived', async () => {
    const c = await browserClient(fx.srv.url);
    await c.next((m) => m.type === 'state' && m.state === 'listening');
    const sentAt = performance.now();
    c.ws.send(JSON.stringify({ type: 'text', text: 'what is seven plus five' }));
    const turn = await c.next((m) => m.type === 'turn');
    const turnAt = c.messages.find((x) => x.m === turn)!.atMs;
    expect(typeof turn.replyLatencyMs).toBe('number');
    expect(turn.replyLatencyMs).toBeGreaterThanOrEqual(0);
    // the server's figure lies inside the span this client saw from sending the text to the turn event
    expect(turn.replyLatencyMs).toBeLessThanOrEqual(turnAt - sentAt);
    c.ws.close();
  });
});

describe('tools on the local model', () => {
  it('answers a typed time question by calling get_current_time through the registry', async () => {
    const c = await browserClient(fx.srv.url);
    const started = await c.next((m) => m.type === 'session.started');
    await c.next((m) => m.type === 'state' && m.state === 'listening');
    c.ws.send(JSON.stringify({ type: 'text', text: 'what time is it' }));
    const tool = await c.next((m) => m.type === 'tool');
    expect(tool).toMatchObject({ name: 'get_current_time', ok: true });
    const answer = await c.next((m) => m.type === 'transcript' && m.role === 'assistant' && m.final);
    expect(answer.text).toMatch(/^It is \d{1,2}:\d{2} (AM|PM)\.$/);
    c.ws.send(JSON.stringify({ type: 'session.end' }));
    const record = await fetchSummary(fx.srv.url, (s) => s.id === started.callId);
    expect(record?.toolCalls).toEqual([expect.objectContaining({ name: 'get_current_time', ok: true })]);
  });

  it('answers a spoken time question through the tool', async () => {
    const input = await fx.speech.say('What time is it?', 'rms');
    const result = await simulateCall({ url: fx.srv.url, via: 'vonage', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
    const record = result.summary!;
    expect(record.transcript.find((t) => t.role === 'user')?.text).toMatch(/time/);
    expect(record.toolCalls.map((t) => [t.name, t.ok])).toEqual([['get_current_time', true]]);
    expect(record.transcript.find((t) => t.role === 'assistant')?.text).toMatch(/^It is /);
  });
});

describe('after calls on both bands', () => {
  it('no caller waited for a recognizer to start (none started cold)', async () => {
    const input = await fx.speech.say('Hello there', 'rms');
    await simulateCall({ url: fx.srv.url, via: 'twilio', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
    const r = await recognizers(fx.srv.url);
    expect(r.phoneBand.coldStarts).toBe(0);
    expect(r.wideband.coldStarts).toBe(0);
  });
});

describe('greeting and a caller who never pauses', () => {
  let greeter: ServerProcess;
  beforeAll(async () => {
    greeter = await startServerProcess({ VOICEBRIDGE_MODEL: 'local', STT_POOL_SIZE: 1, GREETING: 'Welcome to voice bridge.', MAX_UTTERANCE_MS: 4000, BARGE_IN_VAD: false });
  }, 120_000);
  afterAll(async () => {
    expect(await greeter?.stop()).toBe(0);
  });

  it('speaks the greeting first', async () => {
    const c = await browserClient(greeter.url);
    const started = await c.next((m) => m.type === 'session.started');
    const first = await c.next((m) => m.type === 'transcript' && m.role === 'assistant' && m.final);
    expect(first.text).toBe('Welcome to voice bridge.');
    expect(first.turn).toBe(1);
    const turn = await c.next((m) => m.type === 'turn');
    expect(turn).toMatchObject({ turn: 1, replyLatencyMs: null, interrupted: false });
    // it plays out in full: the call goes back to listening once the caller has heard it
    await c.next((m) => m.type === 'state' && m.state === 'responding');
    await new Promise<void>((resolve) => {
      const check = () => (c.messages.some((x, i) => x.m.type === 'state' && x.m.state === 'listening' && c.messages.findIndex((y) => y.m.type === 'state' && y.m.state === 'responding') < i) ? resolve() : c.ws.once('message', check));
      check();
    });
    c.ws.send(JSON.stringify({ type: 'session.end' }));
    const record = (await fetchSummary(greeter.url, (s) => s.id === started.callId)) as CallSummary;
    expect(record.transcript[0]).toMatchObject({ role: 'assistant', text: 'Welcome to voice bridge.' });
    expect(record.framesOut).toBeGreaterThan(25);
  });

  it('cuts an utterance that never pauses at MAX_UTTERANCE_MS and answers while the caller goes on', async () => {
    // One sentence looped with its silences trimmed: speech with no pause long enough to end a turn.
    const once = await fx.speech.say('Please say the quick brown fox jumps over the lazy dog and runs home', 'rms', 0);
    const [s, e] = [voicedSpans(once, 16000)[0][0], voicedSpans(once, 16000).at(-1)![1]];
    const trimmed = once.subarray(Math.round(s * 16), Math.round(e * 16));
    const loop = concatPcm16(Array.from({ length: Math.ceil(14_000 / (trimmed.length / 16)) }, () => trimmed));
    const inputMs = loop.length / 16;
    const result = await simulateCall({ url: greeter.url, via: 'ws', samples: loop, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
    const record = result.summary!;
    const user = record.transcript.find((t) => t.role === 'user');
    expect(user, 'the caller was transcribed').toBeDefined();
    // recognized and answered well before the caller stopped (the cap is 4 s of a 14 s stream)
    expect(user!.atMs).toBeLessThan(inputMs - 4000);
    const answer = record.transcript.find((t) => t.role === 'assistant' && t.atMs > user!.atMs);
    expect(answer, 'an answer to the cut utterance').toBeDefined();
    expect(answer!.atMs).toBeLessThan(inputMs);
    expect(record.turns.some((t) => t.userText && t.assistantText)).toBe(true);
  });
});
