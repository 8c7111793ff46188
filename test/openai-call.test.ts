/**
 * A call (the real `Call`, a fake Twilio-like caller with marks, a fake clock) served by the OpenAI
 * Realtime provider over a real socket to the fake endpoint (test/fakes/openai-realtime.ts): the
 * reply reaches the caller; on the server's `speech_started` the carrier is cleared and the server
 * gets `response.cancel` and `conversation.item.truncate` at exactly the position the caller heard
 * (from the marks); a tool the model calls runs through the tool registry and its result goes back
 * as `function_call_output` then `response.create`; typed text arrives as an `input_text` item.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../src/audio/resample.js';
import { Call, type CallOptions } from '../src/call/call.js';
import { silentLogger } from '../src/core/logger.js';
import { openaiRealtimeModel } from '../src/models/openai/model.js';
import { ToolRegistry } from '../src/tools/registry.js';
import { FakeCallerTransport } from './fakes/caller-transport.js';
import { advanceAsync, FakeClock } from './fakes/clock.js';
import { assistantReply, FakeOpenAIRealtimeServer, functionCall } from './fakes/openai-realtime.js';
import { eventually } from './helpers/wait.js';

const OPTIONS: CallOptions = { systemPrompt: 'You are a test.', inactivityTimeoutMs: 60_000, keepAliveAfterMs: 300, playoutLeadMs: 0, markIntervalMs: 100, bargeInVad: false, resampleQuality: 5 };
/** A tone at 8 kHz: the phone caller's session is G.711 mu-law, 8 kHz both ways. */
const tone = (ms: number) => Int16Array.from({ length: (8000 * ms) / 1000 }, (_, i) => Math.round(6000 * Math.sin(i / 7)));

let fake: FakeOpenAIRealtimeServer;
beforeEach(async () => {
  fake = await FakeOpenAIRealtimeServer.start({ apiKey: 'sk-call' });
});
afterEach(async () => {
  await fake.close();
});

async function startCall(extra: Partial<ConstructorParameters<typeof Call>[0]> = {}) {
  const clock = new FakeClock();
  const transport = new FakeCallerTransport({ kind: 'twilio', inputRateHz: 8000, outputRateHz: 8000, supportsMarks: true });
  const model = openaiRealtimeModel({ url: fake.url(), apiKey: 'sk-call', voice: 'marin', turnDetection: { type: 'server_vad', threshold: 0.5, silenceDurationMs: 500, prefixPaddingMs: 300 }, transcriptionModel: 'gpt-4o-mini-transcribe', startTimeoutMs: 10_000 }, clock);
  const call = new Call({ id: 'oa1', transport, startInfo: { parameters: {} }, model, resamplers: await loadResamplerFactory(), clock, logger: silentLogger, vad: null, options: OPTIONS, ...extra });
  await call.start();
  expect(call.phase).toBe('listening');
  return { clock, transport, call, conn: fake.last };
}

describe('a call on OpenAI Realtime', () => {
  it('barge-in: clears the carrier, cancels the reply and truncates its item to what the caller heard', async () => {
    const { clock, transport, call, conn } = await startCall();
    for (const e of assistantReply('resp_1', 'item_a1', 'one two three four five six seven eight nine ten', tone(2000), { done: false, format: 'audio/pcmu' })) conn.push(e);
    // Play out about 600 ms of the reply; the caller's carrier confirms the first 400 ms by marks.
    for (let t = 0; t < 200 && transport.sentSamples < 8000 * 0.6; t++) await advanceAsync(clock, 20, 20);
    expect(transport.sentSamples).toBeGreaterThanOrEqual(8000 * 0.6);
    for (const m of transport.marks.slice(0, 4)) transport.handler({ type: 'played', markId: m });
    conn.push({ type: 'input_audio_buffer.speech_started', item_id: 'item_u2', audio_start_ms: 3000 });
    await eventually(() => conn.ofType('conversation.item.truncate').length, 'the truncate');
    expect(transport.clears).toBe(1);
    const barge = call.bargeInEvents[0];
    expect(barge).toMatchObject({ source: 'model', responseId: 'resp_1' });
    expect(barge.heardMs).toBeGreaterThanOrEqual(400);
    expect(barge.heardMs).toBeLessThan(1000);
    expect(conn.ofType('response.cancel')).toEqual([{ type: 'response.cancel', response_id: 'resp_1' }]);
    expect(conn.ofType('conversation.item.truncate')).toEqual([{ type: 'conversation.item.truncate', item_id: 'item_a1', content_index: 0, audio_end_ms: barge.heardMs }]);
    // The call's history keeps the heard share of the reply.
    const said = call.history.find((m) => m.role === 'assistant');
    expect(said?.text.split(' ').length).toBeLessThan(10);
    call.hangup('test over');
    await call.ended;
  });

  it('a phone caller (8 kHz both ways) gets a G.711 mu-law session: no resampling either way', async () => {
    const { call, conn } = await startCall();
    expect(conn.events[0].session.audio).toMatchObject({ input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } });
    call.hangup('test over');
    await call.ended;
  });

  it('runs a tool through the registry and returns its result as function_call_output, then response.create', async () => {
    const runs: unknown[] = [];
    const weather = { name: 'get_weather', description: 'Weather', inputSchema: { type: 'object', properties: { city: { type: 'string' } } }, run: async (args: Record<string, unknown>) => (runs.push(['get_weather', args]), { temp: 21 }) };
    const { call, conn } = await startCall({ tools: new ToolRegistry([weather], new FakeClock()) });
    expect(conn.events[0].session.tools).toEqual([{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }]);
    for (const e of functionCall('resp_t', 'call_1', 'get_weather', '{"city":"Oslo"}')) conn.push(e);
    await eventually(() => conn.ofType('response.create').length, 'response.create after the tool output');
    expect(runs).toEqual([['get_weather', { city: 'Oslo' }]]);
    expect(conn.ofType('conversation.item.create').at(-1)!.item).toEqual({ type: 'function_call_output', call_id: 'call_1', output: '{"temp":21}' });
    expect(conn.types().slice(-2)).toEqual(['conversation.item.create', 'response.create']);
    call.hangup('test over');
    await call.ended;
  });

  it('fills a carrier that went quiet with silence, so OpenAI can hear the end of the turn', async () => {
    const { clock, call, conn } = await startCall();
    await advanceAsync(clock, 1500, 100);
    await eventually(() => conn.ofType('input_audio_buffer.append').length > 0, 'silence appended');
    const appends = conn.ofType('input_audio_buffer.append');
    // Silence in G.711 mu-law is 0xFF (the code of a zero sample).
    expect(appends.every((e) => Buffer.from(e.audio, 'base64').every((b) => b === 0xff))).toBe(true);
    call.hangup('test over');
    await call.ended;
  });

  it('sends typed text from the caller as an input_text item and asks for a reply', async () => {
    const { transport, call, conn } = await startCall();
    transport.handler({ type: 'text', text: 'what time is it' });
    await eventually(() => conn.ofType('response.create').length, 'response.create');
    expect(conn.ofType('conversation.item.create')[0].item).toEqual({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'what time is it' }] });
    call.hangup('test over');
    await call.ended;
  });
});
