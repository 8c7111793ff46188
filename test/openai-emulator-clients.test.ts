/**
 * Third-party OpenAI Realtime clients hold conversations with the emulator over real sockets on
 * 127.0.0.1, with the offline speech pipeline as its brain and real synthesized speech as the
 * caller: the official `openai` package's `OpenAIRealtimeWS` (it dials only wss://, so the emulator
 * serves TLS with the committed test certificate, trusted through the `ws` options' `ca`), and
 * `@openai/agents-realtime`'s `OpenAIRealtimeWebSocket` over ws://. Also a function call round
 * trip when a configured trigger matches the caller's words, spoken and typed.
 */
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { OpenAIRealtimeWebSocket } from '@openai/agents-realtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm16 } from '../src/audio/pcm.js';
import { loadResamplerFactory, type ResamplerFactory } from '../src/audio/resample.js';
import { silentLogger } from '../src/core/logger.js';
import { parseToolTrigger, speechBrain } from '../src/emulators/nova-sonic/brains.js';
import { startOpenAIRealtimeEmulator, type OpenAIRealtimeEmulator } from '../src/emulators/openai-realtime/server.js';
import { loadLocalModel, type LoadedLocalModel } from '../src/models/local/model.js';
import { RealtimeTestClient, TEST_TLS, type ServerEvent } from './helpers/realtime-client.js';
import { TestSpeech } from './helpers/speech.js';
import { eventually } from './helpers/wait.js';

let local: LoadedLocalModel;
let speech: TestSpeech;
let resamplers: ResamplerFactory;
let emulator: OpenAIRealtimeEmulator;

beforeAll(async () => {
  resamplers = await loadResamplerFactory();
  local = await loadLocalModel({ sttPoolSize: 1, ttsVoice: 'slt', endpointSilenceMs: 700 }, silentLogger);
  await local.warm;
  speech = new TestSpeech();
  emulator = await startOpenAIRealtimeEmulator({ brain: speechBrain(local.parts, [parseToolTrigger('time|what day=get_current_time')]), resamplers, tls: TEST_TLS, pace: 'burst', apiKeys: ['sk-test-emulator'] });
}, 120_000);

afterAll(async () => {
  await emulator?.close();
  await local?.close();
  await speech?.close();
});

/** `text` spoken by the test voice, at 24 kHz, with a second of silence after it. */
async function spoken24k(text: string): Promise<Int16Array> {
  const r = resamplers.create(16000, 24000);
  const pcm = r.process(concatPcm16([await speech.say(text), new Int16Array(16000)]));
  r.destroy();
  return pcm;
}

/**
 * Sends 24 kHz `pcm` through `send` in 100 ms chunks at real-time pace, as a live caller does (the
 * offline brain's VAD keeps up with real time, not with a burst of many seconds).
 */
async function speakLive(pcm: Int16Array, send: (chunk: Int16Array) => void): Promise<void> {
  const t0 = performance.now();
  for (let c = 0; c * 2400 < pcm.length; c++) {
    const due = t0 + c * 100 - performance.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    send(pcm.slice(c * 2400, (c + 1) * 2400));
  }
}

const bytesOf = (pcm: Int16Array) => Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
const words = (s: string) => new Set(s.toLowerCase().replace(/[^a-z ]/g, ' ').split(/\s+/).filter((w) => w.length > 2));

describe('openai OpenAIRealtimeWS over wss://', () => {
  it('holds a spoken conversation: session.update, speech in, transcription, transcript and audio out, response.done', async () => {
    const client = new OpenAI({ apiKey: 'sk-test-emulator', baseURL: `${emulator.url}/v1` });
    const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca: TEST_TLS.cert } }, client);
    const events: ServerEvent[] = [];
    rt.on('event', (e) => events.push(e as unknown as ServerEvent));
    const errors: unknown[] = [];
    rt.on('error', (err) => errors.push(err));
    await new Promise<void>((resolve, reject) => {
      rt.socket.once('open', () => resolve());
      rt.socket.once('error', reject);
    });
    expect(rt.url.protocol).toBe('wss:');
    rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'You are a test.', audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe' }, turn_detection: { type: 'server_vad', silence_duration_ms: 700 } }, output: { voice: 'marin' } } } });
    await eventually(() => events.some((e) => e.type === 'session.updated'), 'session.updated');
    const pcm = await spoken24k('Hello, how are you today?');
    await speakLive(pcm, (chunk) => rt.send({ type: 'input_audio_buffer.append', audio: bytesOf(chunk).toString('base64') }));
    const done = await eventually(() => events.find((e) => e.type === 'response.done'), 'response.done', 60_000);
    rt.close();
    expect(errors).toEqual([]);
    const heard = String(events.find((e) => e.type === 'conversation.item.input_audio_transcription.completed')?.transcript ?? '');
    expect([...words(heard)].some((w) => ['hello', 'how', 'you', 'today'].includes(w))).toBe(true);
    const transcript = String(events.find((e) => e.type === 'response.output_audio_transcript.done')?.transcript ?? '');
    expect(transcript.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'response.output_audio_transcript.delta').map((e) => e.delta).join('')).toBe(transcript);
    const audio = Buffer.concat(events.filter((e) => e.type === 'response.output_audio.delta').map((e) => Buffer.from(String(e.delta), 'base64')));
    expect(audio.length / 48).toBeGreaterThan(500);
    // What the emulator says is the speech of its transcript: recognised back, some words match.
    const reply = await speech.transcribe(new Int16Array(audio.buffer, audio.byteOffset, audio.length / 2), 24000);
    expect([...words(reply)].filter((w) => words(transcript).has(w)).length).toBeGreaterThan(0);
    const response = done.response as { status: string; usage: { output_tokens: number; total_tokens: number } };
    expect(response.status).toBe('completed');
    expect(response.usage.output_tokens).toBeGreaterThan(0);
  }, 90_000);
});

describe('@openai/agents-realtime OpenAIRealtimeWebSocket', () => {
  it('connects (its own session.update accepted), sends audio and gets audio back', async () => {
    const plain = await startOpenAIRealtimeEmulator({ brain: speechBrain(local.parts, []), resamplers, pace: 'burst', apiKeys: ['sk-test-emulator'] });
    const agents = new OpenAIRealtimeWebSocket({ url: `${plain.wsUrl}?model=gpt-realtime` });
    const audio: ArrayBuffer[] = [];
    const errors: unknown[] = [];
    agents.on('audio', (e) => audio.push(e.data));
    agents.on('error', (e) => errors.push(e));
    try {
      await agents.connect({ apiKey: 'sk-test-emulator', model: 'gpt-realtime', initialSessionConfig: { instructions: 'You are a test.', audio: { input: { turnDetection: { type: 'server_vad', silenceDurationMs: 700 } } } } });
      expect(agents.status).toBe('connected');
      const pcm = await spoken24k('Hello there, can you hear me?');
      await speakLive(pcm, (chunk) => agents.sendAudio(chunk.buffer as ArrayBuffer));
      await eventually(() => audio.reduce((n, a) => n + a.byteLength, 0) / 48 > 500, 'half a second of reply audio', 60_000);
      expect(errors).toEqual([]);
      expect(plain.sessions[0].errors).toEqual([]);
    } finally {
      agents.close();
      await plain.close();
    }
  }, 90_000);
});

describe('conversation items', () => {
  /** The reply to a typed "Hello" after `before` (items created first). */
  async function helloAfter(before: Array<Record<string, unknown>>): Promise<string> {
    const c = await RealtimeTestClient.connect(emulator.wsUrl, 'sk-test-emulator', 'gpt-realtime', { ca: TEST_TLS.cert });
    try {
      for (const item of [...before, { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] }]) c.send({ type: 'conversation.item.create', item });
      c.send({ type: 'response.create' });
      return String(((await c.next('response.done')).response as any).output[0].content[0].transcript);
    } finally {
      c.close();
    }
  }

  it('items created before the first response are the brain’s history (a session resumed with its transcript)', async () => {
    expect(await helloAfter([])).toBe('Hello! How can I help you today?');
    const resumed = [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What can you do?' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'I can tell you the time.' }] },
    ];
    expect(await helloAfter(resumed)).toBe('Hello again! What else can I do for you?');
  }, 60_000);
});

describe('a function call when a trigger matches the caller’s words', () => {
  const tools = [{ type: 'function', name: 'get_current_time', description: 'The current time', parameters: { type: 'object', properties: {} } }];

  async function roundTrip(c: RealtimeTestClient): Promise<{ call: Record<string, unknown>; answer: string }> {
    const first = await c.next('response.done', () => true, 1, 60_000);
    const call = (first.response as { output: Array<Record<string, unknown>> }).output[0];
    expect(call).toMatchObject({ type: 'function_call', name: 'get_current_time', status: 'completed' });
    expect(JSON.parse(String(call.arguments))).toEqual({});
    expect((await c.next('response.function_call_arguments.done')).call_id).toBe(call.call_id);
    c.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ time: '10:30' }) } });
    c.send({ type: 'response.create' });
    const second = await c.next('response.done', () => true, 2, 60_000);
    expect(second.response).toMatchObject({ status: 'completed' });
    return { call, answer: String((second.response as any).output[0].content[0].transcript) };
  }

  it('typed: the function_call item, then the answer speaks the function_call_output', async () => {
    const c = await RealtimeTestClient.connect(emulator.wsUrl, 'sk-test-emulator', 'gpt-realtime', { ca: TEST_TLS.cert });
    c.send({ type: 'session.update', session: { type: 'realtime', tools } });
    await c.next('session.updated');
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What time is it?' }] } });
    c.send({ type: 'response.create' });
    const { answer } = await roundTrip(c);
    expect(answer).toContain('10:30');
    c.close();
  }, 90_000);

  it('spoken, sent faster than real time: the caller asks for the time, the emulator calls the declared function', async () => {
    const c = await RealtimeTestClient.connect(emulator.wsUrl, 'sk-test-emulator', 'gpt-realtime', { ca: TEST_TLS.cert });
    c.send({ type: 'session.update', session: { type: 'realtime', tools, audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 700 } } } } });
    await c.next('session.updated');
    // All at once, as a client replaying buffered audio sends it: the emulator takes any rate.
    c.append(bytesOf(await spoken24k('What time is it?')));
    const { answer } = await roundTrip(c);
    expect(answer).toContain('10:30');
    c.close();
  }, 90_000);

  it('no function_call_output in time: the next response says the function did not answer, and the session goes on', async () => {
    const quick = await startOpenAIRealtimeEmulator({ brain: speechBrain(local.parts, [parseToolTrigger('time=get_current_time')]), resamplers, pace: 'burst', toolTimeoutMs: 300 });
    const c = await RealtimeTestClient.connect(quick.wsUrl);
    try {
      c.send({ type: 'session.update', session: { type: 'realtime', tools } });
      await c.next('session.updated');
      c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What time is it?' }] } });
      c.send({ type: 'response.create' });
      const first = await c.next('response.done');
      expect((first.response as any).output[0].type).toBe('function_call');
      c.send({ type: 'response.create' });
      const second = await c.next('response.done', () => true, 2);
      expect((second.response as any).output[0].content[0].transcript).toMatch(/did not answer/);
      expect(quick.sessions[0].errors).toEqual([]);
    } finally {
      c.close();
      await quick.close();
    }
  }, 60_000);
});
